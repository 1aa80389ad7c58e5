"""PDF: pypdf first, pdfminer.six when pypdf yields no text (some font encodings defeat it).

Document info (title, author, subject, keywords, creator) and any info key that looks like a
license or rights statement go to metadata: licensing reads them as evidence.
"""

from __future__ import annotations

import io
import logging
from typing import Any

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


def extract_pdf(data: bytes, *, what: str, limits: ExtractLimits) -> Extracted:
    # pypdf logs a warning per malformed object; they would flood stderr on a real share.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        import pypdf

        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception as error:  # noqa: BLE001 - pypdf's decrypt errors have no common base
                raise ExtractionError(
                    IngestReason.PARSE_ERROR,
                    f"{what} is encrypted ({type(error).__name__}): provide a decrypted copy",
                ) from error
        metadata = _info_metadata(reader.metadata or {})
        metadata["pages"] = len(reader.pages)
        pages = []
        chars = 0
        for page in reader.pages:
            page_text = page.extract_text() or ""
            pages.append(page_text)
            chars += len(page_text)
            if chars > limits.max_text_chars:
                break
        text = "\n\n".join(pages).strip()
    except ExtractionError:
        raise
    except Exception as error:  # pypdf raises many types on malformed files
        raise parse_error(error, what) from error
    extractor, version = "pypdf", library_version("pypdf")
    if not text:
        text = _pdfminer_text(data, what)
        extractor, version = "pdfminer.six", library_version("pdfminer.six")
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
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    try:
        from pdfminer.high_level import extract_text

        return (extract_text(io.BytesIO(data)) or "").strip()
    except Exception as error:  # pdfminer raises many types on malformed files
        raise parse_error(error, what) from error
