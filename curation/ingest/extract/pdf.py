"""PDF: pypdf first, pdfminer.six when pypdf yields no text (some font encodings defeat it),
OCR for pages that are only pictures (scans), drawn by pypdfium2 and read by `ocr.py`.

Document info (title, author, subject, keywords, creator) and any info key that looks like a
license or rights statement go to metadata: licensing reads them as evidence.

The source's `ocr` setting decides which pages OCR reads: `auto` the pages whose text layer is
(nearly) empty but that draw something, `force` every page (for a text layer that is garbage),
`off` none; a file that is only pictures then gets `ingest.needs_ocr`. A password-protected
file gets `ingest.encrypted`; one protected only by an owner password (an empty user password:
permissions, not secrecy) is opened and extracted like any other.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any

from curation.exceptions import ExtractionError
from curation.ingest.extract.base import (
    Extracted,
    ExtractLimits,
    clean_metadata,
    library_version,
    parse_error,
    require_text,
)
from curation.ingest.reasons import IngestReason

if TYPE_CHECKING:
    import numpy as np

    from curation.ingest.extract.ocr import OcrRun

_INFO_KEYS = {
    "/Title": "title",
    "/Author": "author",
    "/Subject": "subject",
    "/Keywords": "keywords",
    "/Creator": "creator",
    "/Producer": "producer",
    "/CreationDate": "created",
    "/ModDate": "modified",
}
_LICENSE_HINTS = ("licen", "rights", "copyright")
# Under `ocr: auto`, a page with fewer visible characters than this in its text layer is read
# by OCR when it draws anything: scans often carry a stamped page number or a scanner's footer.
MIN_TEXT_LAYER_CHARS = 16


def extract_pdf(data: bytes, *, what: str, limits: ExtractLimits) -> Extracted:
    pages, metadata = _text_layer(data, what=what, limits=limits)
    page_count = int(metadata["pages"])
    extractor, version, separator = "pypdf", library_version("pypdf"), "\n\n"
    if not "".join(pages).strip():
        mined = _pdfminer_text(data, what)
        if mined:
            # pdfminer ends every page with a form feed: split there, join the same way.
            pages = mined.split("\f")
            extractor, version, separator = "pdfminer.six", library_version("pdfminer.six"), "\f"
    candidates = _ocr_candidates(data, pages, page_count, what=what, limits=limits)
    if limits.ocr == "off" and candidates:
        if not "".join(pages).strip():
            raise ExtractionError(
                IngestReason.NEEDS_OCR,
                f"{what} has no text layer, only pictures of its {page_count} page(s): set "
                "ocr: auto for this source to read it by OCR",
            )
        metadata["pages_without_text_layer"] = [i + 1 for i in candidates]
    elif candidates:
        run = _read_by_ocr(data, candidates, what=what, limits=limits)
        layer_used = _merge_ocr(pages, run, page_count, force=limits.ocr == "force")
        metadata.update(run.metadata())
        if run.texts:
            from curation.ingest.extract.ocr import ENGINE

            ocr_version = str(metadata["ocr_engine_version"])
            if layer_used:
                extractor, version = f"{extractor}+{ENGINE}", f"{version}+{ocr_version}"
            else:
                extractor, version, separator = ENGINE, ocr_version, "\n\n"
        if not "".join(pages).strip():
            run.require_usable(what)
    text = separator.join(pages).strip()
    require_text(text, what)
    return Extracted(
        text=text,
        mime_type="application/pdf",
        extractor=extractor,
        extractor_version=version,
        title=metadata.get("title"),
        author=metadata.get("author"),
        metadata=metadata,
    )


def _text_layer(
    data: bytes, *, what: str, limits: ExtractLimits
) -> tuple[list[str], dict[str, Any]]:
    """pypdf's text of each page (until `max_text_chars`) and the document's metadata."""
    # pypdf logs a warning per malformed object; they would flood stderr on a real share.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        import pypdf

        reader = pypdf.PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
        if encrypted:
            _decrypt(reader, what)
        metadata = _info_metadata(reader.metadata or {})
        metadata["pages"] = len(reader.pages)
        if encrypted:
            metadata["encrypted"] = True
        pages = []
        chars = 0
        for page in reader.pages:
            page_text = page.extract_text() or ""
            pages.append(page_text)
            chars += len(page_text)
            if chars > limits.max_text_chars:
                break
    except ExtractionError:
        raise
    except Exception as error:  # pypdf raises many types on malformed files
        raise parse_error(error, what) from error
    return pages, metadata


def _merge_ocr(pages: list[str], run: OcrRun, page_count: int, *, force: bool) -> bool:
    """Put OCR's pages into `pages` in place; True when some text still comes from the layer.

    Under `force` a page OCR kept nothing of is left out (nothing found, or below the floor);
    otherwise such a page keeps its few characters of text layer.
    """
    layer_used = False
    pages.extend([""] * (page_count - len(pages)))
    for index, layer_text in enumerate(pages):
        if index in run.texts:
            pages[index] = run.texts[index]
        elif force:
            pages[index] = ""
        elif layer_text.strip():
            layer_used = True
    return layer_used


def _decrypt(reader: Any, what: str) -> None:
    """Open an encrypted PDF with the empty user password, or quarantine it as encrypted."""
    from pypdf import PasswordType

    try:
        result = reader.decrypt("")
    except Exception as error:  # noqa: BLE001 - pypdf's decrypt errors have no common base
        raise ExtractionError(
            IngestReason.ENCRYPTED,
            f"{what} is encrypted in a way pypdf cannot open ({type(error).__name__}): "
            "provide a decrypted copy or exclude it",
        ) from error
    if result == PasswordType.NOT_DECRYPTED:
        raise ExtractionError(
            IngestReason.ENCRYPTED,
            f"{what} is password-protected: provide a decrypted copy or exclude it",
        )


def _ocr_candidates(
    data: bytes, pages: list[str], page_count: int, *, what: str, limits: ExtractLimits
) -> list[int]:
    """Page indexes OCR would read under the source's `ocr` mode (`off`: would have read).

    `auto` reads a page with no text layer that draws a picture or vector shapes (a scan, or
    text turned into outlines), and a page with a few characters only when it holds a picture
    (a scan with a stamped page number); a short page of real text is left alone.
    """
    if limits.ocr == "force":
        return list(range(page_count))
    thin = {i: _visible_chars(pages, i) for i in range(page_count)}
    thin = {i: n for i, n in thin.items() if n < MIN_TEXT_LAYER_CHARS}
    if not thin:
        return []
    document = _open_pdfium(data, what)
    try:
        return [i for i, chars in thin.items() if _needs_ocr(document[i], chars=chars)]
    except Exception as error:  # pdfium raises its own error type on broken page trees
        raise parse_error(error, what) from error
    finally:
        document.close()


def _visible_chars(pages: list[str], index: int) -> int:
    if index >= len(pages):
        return MIN_TEXT_LAYER_CHARS  # past the text limit: not read at all
    return sum(1 for char in pages[index] if not char.isspace())


def _needs_ocr(page: Any, *, chars: int) -> bool:
    import pypdfium2.raw as pdfium_c

    kinds = [pdfium_c.FPDF_PAGEOBJ_IMAGE]
    if chars == 0:
        kinds += [pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_SHADING]
    return next(iter(page.get_objects(filter=kinds, max_depth=2)), None) is not None


def _read_by_ocr(data: bytes, indexes: list[int], *, what: str, limits: ExtractLimits) -> OcrRun:
    from curation.ingest.extract import ocr

    ocr.check_page_count(len(indexes), max_pages=limits.ocr_max_pages, what=what)
    document = _open_pdfium(data, what)
    try:
        pages = ((i, _PdfiumPage(document[i])) for i in indexes)
        return ocr.read_pages(pages, min_confidence=limits.ocr_min_confidence, what=what)
    except ExtractionError:
        raise
    except Exception as error:  # pdfium raises its own error type on pages it cannot draw
        raise parse_error(error, what) from error
    finally:
        document.close()


def _open_pdfium(data: bytes, what: str) -> Any:
    try:
        import pypdfium2

        return pypdfium2.PdfDocument(data)
    except Exception as error:  # pypdfium2.PdfiumError, or its import failing
        raise parse_error(error, what) from error


class _PdfiumPage:
    """A PDF page as `ocr.PageImage`, never drawn finer than the scan it holds.

    pdfium's own enlargement of a scanned bitmap made the recognizer drop the spaces of whole
    lines (measured on a 150 dpi scan drawn at 4x), while the same lines cut from the page
    at the scan's resolution and enlarged by `ocr.py` kept them: so a page whose largest
    picture is a scan has that picture's resolution as its finest scale.
    """

    def __init__(self, page: Any) -> None:
        self.page = page
        self.width, self.height = (float(n) for n in page.get_size())
        self.max_scale = _scan_scale(page)

    def render(self, scale: float) -> np.ndarray:
        import numpy as np

        bitmap = self.page.render(scale=scale, may_draw_forms=True)
        # A view into pdfium's buffer, which goes when the bitmap does: copy it out.
        return np.array(bitmap.to_numpy()[:, :, :3], copy=True)


def _scan_scale(page: Any) -> float | None:
    """Pixels per point of the page's largest picture; None for a page without pictures."""
    import pypdfium2.raw as pdfium_c

    largest, scale = 0.0, None
    for picture in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        left, bottom, right, top = picture.get_bounds()
        width_px, height_px = picture.get_px_size()
        area = (right - left) * (top - bottom)
        if area > largest and right - left > 1 and top - bottom > 1:
            largest = area
            scale = max(width_px / (right - left), height_px / (top - bottom))
    return scale


def _info_metadata(info: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in list(info.keys()):
        name = _INFO_KEYS.get(key)
        if name is None and any(h in key.lower() for h in _LICENSE_HINTS):
            name = key.lstrip("/").lower()
        if name is None:
            continue
        try:
            value = info[key]
        except Exception:  # noqa: BLE001 - a broken indirect object: skip that one key
            continue
        values[name] = str(value) if value is not None else None
    return clean_metadata(values)


def _pdfminer_text(data: bytes, what: str) -> str:
    """pdfminer's text, empty when it has none; not stripped: a leading form feed is page 1."""
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    try:
        from pdfminer.high_level import extract_text

        text = extract_text(io.BytesIO(data)) or ""
        return text if text.strip() else ""
    except Exception as error:  # pdfminer raises many types on malformed files
        raise parse_error(error, what) from error
