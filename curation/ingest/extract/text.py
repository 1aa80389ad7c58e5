"""Plain text families (.txt, .md, .rst, .csv, extensionless): decode bytes, refuse binaries.

Decoding order: BOM, strict UTF-8, then charset-normalizer's best guess; the encoding used is
recorded so a reader can tell a guessed decode from a certain one.
"""

from __future__ import annotations

import codecs
import re

from curation.exceptions import ExtractionError
from curation.ingest.extract.base import Extracted, library_version, require_text
from curation.ingest.reasons import IngestReason

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
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
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return False
    if b"\x00" in head:
        return True
    control = len(head.translate(None, _NOT_CONTROL))
    return control / len(head) > MAX_CONTROL_FRACTION


def decode_text(data: bytes, what: str, *, declared: str | None = None) -> tuple[str, str]:
    """Decode to str, returning (text, encoding); raises `ingest.encoding_error` when unsure."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as error:
                raise ExtractionError(
                    IngestReason.ENCODING_ERROR,
                    f"{what} has a {encoding} BOM but is not {encoding}: {error.reason}",
                ) from error
    candidates = [declared] if declared else []
    candidates.append("utf-8")
    for encoding in candidates:
        try:
            return data.decode(encoding), codecs.lookup(encoding).name
        except (UnicodeDecodeError, LookupError):
            continue
    import charset_normalizer

    matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    if best is not None:
        # Ties are common on short Western text (cp1250/cp1252/cp1257 decode it equally well);
        # prefer windows-1252, the encoding such files almost always are (WHATWG maps latin-1
        # labels to it too).
        for match in matches:
            if (
                match.encoding == "cp1252"
                and match.chaos <= best.chaos
                and match.coherence >= best.coherence
            ):
                best = match
                break
    if best is None:
        raise ExtractionError(
            IngestReason.ENCODING_ERROR,
            f"{what} is not UTF-8 and no other text encoding fits it: convert it to UTF-8",
        )
    return str(best), best.encoding


def extract_text(data: bytes, *, what: str, family: str = "txt") -> Extracted:
    """Text files are kept as they are (Markdown/reST markup included: it is content)."""
    if looks_binary(data):
        raise ExtractionError(
            IngestReason.BINARY_CONTENT, f"{what} looks binary (NUL or control bytes), not text"
        )
    text, encoding = decode_text(data, what)
    require_text(text, what)
    return Extracted(
        text=text.replace("\r\n", "\n"),
        mime_type=MIME_BY_FAMILY.get(family, "text/plain"),
        extractor="text",
        extractor_version=f"charset-normalizer {library_version('charset-normalizer')}",
        title=_first_heading(text) if family in {"md", "rst"} else None,
        metadata={"encoding": encoding},
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
