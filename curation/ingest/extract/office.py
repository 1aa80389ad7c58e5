"""Office Open XML documents: DOCX (python-docx), XLSX (openpyxl), PPTX (python-pptx).

Every package goes through `open_checked_zip` first (zip bomb and DTD checks); the libraries
then read from memory. Core properties (title, author, subject, keywords, comments) go to the
record's metadata; they describe the document, and licensing reads them for license evidence.
"""

from __future__ import annotations

import io
from typing import Any

from curation.ingest.extract.archive import open_checked_zip
from curation.ingest.extract.base import (
    Extracted,
    ExtractLimits,
    clean_metadata,
    library_version,
    parse_error,
    require_text,
)

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def _core_properties(props: Any) -> dict[str, Any]:
    fields = (
        "title",
        "author",
        "subject",
        "keywords",
        "comments",
        "category",
        "created",
        "modified",
    )
    values = {name: getattr(props, name, None) for name in fields}
    if not values["author"]:
        values["author"] = getattr(props, "creator", None)
    if values["comments"] is None:
        values["comments"] = getattr(props, "description", None)
    return clean_metadata(values)


def extract_docx(data: bytes, *, what: str, limits: ExtractLimits) -> Extracted:
    """Paragraphs and tables in document order; table rows as tab-separated cells."""
    open_checked_zip(data, what=what, limits=limits)
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(io.BytesIO(data))
        parts: list[str] = []
        for block in document.element.body.iterchildren():
            tag = block.tag.rsplit("}", 1)[-1]
            if tag == "p":
                parts.append(Paragraph(block, document).text)
            elif tag == "tbl":
                for row in Table(block, document).rows:
                    parts.append("\t".join(cell.text.strip() for cell in row.cells))
        metadata = _core_properties(document.core_properties)
    except Exception as error:  # python-docx raises many types on malformed packages
        raise parse_error(error, what) from error
    text = require_text("\n".join(parts).strip(), what)
    return Extracted(
        text=text,
        mime_type=DOCX_MIME,
        extractor="python-docx",
        extractor_version=library_version("python-docx"),
        title=metadata.get("title"),
        author=metadata.get("author"),
        metadata=metadata,
    )


def extract_xlsx(data: bytes, *, what: str, limits: ExtractLimits) -> Extracted:
    """Each sheet as a `# sheet name` line then its rows, cells separated by tabs."""
    open_checked_zip(data, what=what, limits=limits)
    try:
        import openpyxl

        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        parts: list[str] = []
        chars = 0
        for sheet in workbook.worksheets:
            parts.append(f"# {sheet.title}")
            for row in sheet.iter_rows(values_only=True):
                cells = ["" if value is None else str(value) for value in row]
                while cells and not cells[-1]:
                    cells.pop()
                if cells:
                    line = "\t".join(cells)
                    parts.append(line)
                    chars += len(line)
                    if chars > limits.max_text_chars:
                        break
        metadata = _core_properties(workbook.properties)
        metadata["sheets"] = len(workbook.worksheets)
        workbook.close()
    except Exception as error:  # openpyxl raises many types on malformed packages
        raise parse_error(error, what) from error
    body = "\n".join(p for p in parts if not p.startswith("# "))
    require_text(body, what)
    return Extracted(
        text="\n".join(parts),
        mime_type=XLSX_MIME,
        extractor="openpyxl",
        extractor_version=library_version("openpyxl"),
        title=metadata.get("title"),
        author=metadata.get("author"),
        metadata=metadata,
    )


def extract_pptx(data: bytes, *, what: str, limits: ExtractLimits) -> Extracted:
    """Text frames and tables of every slide, then the speaker notes."""
    open_checked_zip(data, what=what, limits=limits)
    try:
        import pptx

        presentation = pptx.Presentation(io.BytesIO(data))
        parts: list[str] = []
        for slide in presentation.slides:
            for shape in slide.shapes:
                parts.extend(_shape_text(shape))
            if slide.has_notes_slide:
                notes = slide.notes_slide.notes_text_frame
                if notes is not None and notes.text.strip():
                    parts.append(notes.text)
            parts.append("")
        metadata = _core_properties(presentation.core_properties)
        metadata["slides"] = len(presentation.slides)
    except Exception as error:  # python-pptx raises many types on malformed packages
        raise parse_error(error, what) from error
    text = require_text("\n".join(parts).strip(), what)
    return Extracted(
        text=text,
        mime_type=PPTX_MIME,
        extractor="python-pptx",
        extractor_version=library_version("python-pptx"),
        title=metadata.get("title"),
        author=metadata.get("author"),
        metadata=metadata,
    )


def _shape_text(shape: Any) -> list[str]:
    if getattr(shape, "shape_type", None) is not None and hasattr(shape, "shapes"):
        return [t for inner in shape.shapes for t in _shape_text(inner)]  # group shape
    if getattr(shape, "has_text_frame", False) and shape.text_frame.text.strip():
        return [shape.text_frame.text]
    if getattr(shape, "has_table", False):
        return ["\t".join(cell.text.strip() for cell in row.cells) for row in shape.table.rows]
    return []
