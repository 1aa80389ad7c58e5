"""OpenDocument (.odt, .ods, .odp): paragraphs and headings of content.xml, via defusedxml."""

from __future__ import annotations

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

ODF_MIME = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_DC_NS = "http://purl.org/dc/elements/1.1/"
_META_NS = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"


def extract_odf(data: bytes, *, what: str, limits: ExtractLimits, family: str) -> Extracted:
    archive = open_checked_zip(data, what=what, limits=limits)
    try:
        from defusedxml.ElementTree import fromstring

        content = fromstring(archive.read("content.xml"))
        parts = [
            "".join(element.itertext()).strip()
            for element in content.iter()
            if element.tag in (f"{{{_TEXT_NS}}}p", f"{{{_TEXT_NS}}}h")
        ]
        metadata: dict[str, Any] = {}
        if "meta.xml" in archive.namelist():
            meta = fromstring(archive.read("meta.xml"))
            for key, tag in (
                ("title", f"{{{_DC_NS}}}title"),
                ("subject", f"{{{_DC_NS}}}subject"),
                ("author", f"{{{_DC_NS}}}creator"),
                ("description", f"{{{_DC_NS}}}description"),
                ("keywords", f"{{{_META_NS}}}keyword"),
            ):
                found = meta.find(f".//{tag}")
                if found is not None and found.text:
                    metadata[key] = found.text
        metadata = clean_metadata(metadata)
    except Exception as error:  # a corrupt package or XML
        raise parse_error(error, what) from error
    text = require_text("\n".join(p for p in parts if p), what)
    return Extracted(
        text=text,
        mime_type=ODF_MIME.get(family, "application/vnd.oasis.opendocument"),
        extractor="odf",
        extractor_version=f"defusedxml {library_version('defusedxml')}",
        title=metadata.get("title"),
        author=metadata.get("author"),
        metadata=metadata,
    )
