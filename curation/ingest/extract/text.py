"""Plain text families (.txt, .md, .rst, .csv, extensionless): decode bytes, refuse binaries.

The encoding is decided by `charsets.decode_bytes` (BOM, UTF-8, the best Latin code page,
charset-normalizer) and recorded with its reason, so a reader can tell a guess from a certainty.
"""

from __future__ import annotations

import re

from curation.exceptions import ExtractionError
from curation.ingest.extract.base import Extracted, library_version, require_text
from curation.ingest.extract.charsets import BOMS, decode_bytes, encoding_metadata
from curation.ingest.reasons import IngestReason

# Control bytes that never appear in text (everything below 0x20 except \t \n \v \f \r and ESC);
# `bytes.translate` deletes all other bytes, so what is left is counted at C speed.
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27)) + b"\x7f"
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL)
SNIFF_BYTES = 8192
MAX_CONTROL_FRACTION = 0.05

MIME_BY_FAMILY = {
    "txt": "text/plain",
    "md": "text/markdown",
    "rst": "text/x-rst",
    "csv": "text/csv",
}


def looks_binary(data: bytes) -> bool:
    """Git's rule (a NUL byte in the first 8 KB) plus a share of control bytes over 5%."""
    head = data[:SNIFF_BYTES]
    if not head:
        return False
    if any(head.startswith(bom) for bom, _ in BOMS):
        return False
    if b"\x00" in head:
        return True
    control = len(head.translate(None, _NOT_CONTROL))
    return control / len(head) > MAX_CONTROL_FRACTION


def decode_text(data: bytes, what: str, *, declared: str | None = None) -> tuple[str, str]:
    """Decode to str, returning (text, encoding); raises `ingest.encoding_error` when unsure.

    The decision and its reason are `charsets.decode_bytes`'s; this keeps the short form.
    """
    decoded = decode_bytes(data, what, declared=declared)
    return decoded.text, decoded.encoding


def extract_text(data: bytes, *, what: str, family: str = "txt") -> Extracted:
    """Text files are kept as they are (Markdown/reST markup included: it is content)."""
    if looks_binary(data):
        raise ExtractionError(
            IngestReason.BINARY_CONTENT, f"{what} looks binary (NUL or control bytes), not text"
        )
    decoded = decode_bytes(data, what)
    text, encoding = decoded.text, decoded.encoding
    require_text(text, what)
    return Extracted(
        text=text.replace("\r\n", "\n"),
        mime_type=MIME_BY_FAMILY.get(family, "text/plain"),
        extractor="text",
        extractor_version=f"charset-normalizer {library_version('charset-normalizer')}",
        title=_first_heading(text) if family in {"md", "rst"} else None,
        metadata=encoding_metadata(decoded),
        encoding=encoding,
    )


def _first_heading(text: str) -> str | None:
    """Front matter `title:`, a Markdown `# Title` or a reST title within the first lines."""
    lines = text.lstrip("\ufeff").splitlines()[:40]
    if lines and lines[0].strip() == "---":
        for line in lines[1:]:
            if line.strip() == "---":
                lines = lines[lines.index(line, 1) + 1 :]
                break
            key, _, value = line.partition(":")
            if key.strip().lower() == "title" and value.strip().strip("\"'"):
                return value.strip().strip("\"'")
    if lines and re.match(r"[A-Z][\w-]*:\s", lines[0]):  # an RFC 822 header block (PEPs)
        for line in lines:
            if not line.strip():
                break
            if line.lower().startswith("title:") and line[6:].strip():
                return line[6:].strip()
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("# "):
            return stripped[2:].strip() or None
        if (
            stripped
            and index + 1 < len(lines)
            and len(set(lines[index + 1].strip())) == 1
            and lines[index + 1].strip()[:1] in "=-~#*"
            and len(lines[index + 1].strip()) >= max(3, len(stripped) - 2)
            and stripped[:1] not in "=-~#*"
        ):
            return stripped
    return None
