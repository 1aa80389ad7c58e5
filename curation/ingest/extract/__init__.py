"""Text extractors, one module per format family, chosen by file name then by content.

`extract_bytes` dispatches on the format; `extract_file` reads a file (with the size limit)
and extracts it in this process. Every failure is an `ExtractionError` with an `ingest.*`
reason. Heavy libraries are imported inside the extractor that needs them.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

from curation.exceptions import ExtractionError
from curation.ingest.extract.base import Extracted, ExtractLimits
from curation.ingest.reasons import IngestReason

__all__ = [
    "Extracted",
    "ExtractLimits",
    "detect_format",
    "extract_bytes",
    "extract_file",
    "read_limited",
]

# File name suffix -> format family.
FAMILIES = {
    "txt": "txt", "text": "txt", "log": "txt", "csv": "csv", "tsv": "csv",
    "md": "md", "markdown": "md", "rst": "rst",
    "html": "html", "htm": "html", "xhtml": "html",
    "pdf": "pdf", "docx": "docx", "xlsx": "xlsx", "pptx": "pptx",
    "odt": "odt", "ods": "ods", "odp": "odp",
    "eml": "eml",
    "png": "image", "jpg": "image", "jpeg": "image", "tif": "image", "tiff": "image",
}  # fmt: skip
# Suffixes of known binary formats we do not extract as one document: never sniffed as text.
# (zip, tar and gz files are containers: `containers.py` reads their members.)
KNOWN_BINARY_SUFFIXES = {
    "bin", "exe", "dll", "so", "zip", "gz", "tgz", "bz2", "xz", "7z", "rar", "jar", "tar",
    "gif", "bmp", "ico", "webp", "mp3", "mp4", "mov", "avi", "wav", "doc",
    "xls", "ppt", "msg", "iso", "dmg", "class", "pyc", "o", "a", "woff", "woff2", "ttf",
}  # fmt: skip
_MAX_SUFFIXES = 3
# PNG, JPEG, TIFF (little- and big-endian): images whose text OCR reads (`image.py`).
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")


def detect_format(name: str, head: bytes = b"") -> str | None:
    """The format family of a file from its name, else from its first bytes; None if unknown.

    Multi-part names count (`index.html.ko.euc-kr` is HTML: content negotiation variants put
    the language and charset after the type). Extensionless files and unknown suffixes are
    sniffed: `%PDF`, a zip package, a PNG, JPEG or TIFF signature, or text.

    Examples
    --------
    >>> detect_format("manual/index.html.ko.euc-kr")
    'html'
    >>> detect_format("README", b"Apache HTTP Server")
    'txt'
    >>> detect_format("clip.mp4", b"Apache") is None
    True
    >>> detect_format("scan-0001", b"II*\\x00")
    'image'
    """
    suffixes = [s.lstrip(".").lower() for s in PurePosixPath(name).suffixes][-_MAX_SUFFIXES:]
    if suffixes and suffixes[-1] in KNOWN_BINARY_SUFFIXES:
        return None
    for suffix in reversed(suffixes):
        if suffix in FAMILIES:
            return FAMILIES[suffix]
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(_IMAGE_SIGNATURES):
        return "image"
    if head.startswith(b"PK\x03\x04"):
        return None  # an unnamed zip: we cannot tell a DOCX from any archive without opening it
    from curation.ingest.extract.text import looks_binary

    if head and not looks_binary(head):
        return "txt"
    return None


def extract_bytes(
    data: bytes, name: str, *, limits: ExtractLimits | None = None, what: str | None = None
) -> Extracted:
    """Extract text from the bytes of a file called `name` (the name picks the extractor)."""
    limits = limits or ExtractLimits()
    what = what or repr(name)
    if not data:
        raise ExtractionError(IngestReason.EMPTY, f"{what} is an empty file")
    from curation.ingest.extract.containers import container_kind

    kind = container_kind(name, data[:8192])
    if kind is not None and kind != "eml":  # an .eml is one message document here
        raise ExtractionError(
            IngestReason.UNSUPPORTED_FORMAT,
            f"{what} is a {kind} container, not one document: its members become documents "
            "when it is part of a folder source (curate ingest scan)",
        )
    family = detect_format(name, data[:8192])
    if family is None:
        raise ExtractionError(
            IngestReason.UNSUPPORTED_FORMAT,
            f"{what}: no extractor for this format; exclude it from the source or convert it",
        )
    if family in {"txt", "md", "rst", "csv"}:
        from curation.ingest.extract.text import extract_text

        return extract_text(data, what=what, family=family)
    if family == "html":
        from curation.ingest.extract.html import extract_html

        return extract_html(data, what=what)
    if family == "pdf":
        from curation.ingest.extract.pdf import extract_pdf

        return extract_pdf(data, what=what, limits=limits)
    if family == "image":
        from curation.ingest.extract.image import extract_image

        return extract_image(data, what=what, limits=limits)
    if family == "eml":
        from curation.ingest.extract.mail import extract_eml

        return extract_eml(data, what=what)
    if family in {"odt", "ods", "odp"}:
        from curation.ingest.extract.odf import extract_odf

        return extract_odf(data, what=what, limits=limits, family=family)
    from curation.ingest.extract import office

    extractor = {
        "docx": office.extract_docx,
        "xlsx": office.extract_xlsx,
        "pptx": office.extract_pptx,
    }
    return extractor[family](data, what=what, limits=limits)


def read_limited(path: Path, max_bytes: int, *, follow_symlinks: bool = False) -> bytes:
    """Read a regular file of at most `max_bytes`; never follows a final symlink by default.

    Size is checked on the open descriptor and the read is capped, so a file that grows
    between the check and the read still cannot exceed the limit.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) * (not follow_symlinks)
    flags |= getattr(os, "O_NONBLOCK", 0)  # a FIFO must not block the open
    try:
        fd = os.open(path, flags)
    except OSError as error:
        raise ExtractionError(
            IngestReason.UNREADABLE, f"{path.name!r} cannot be opened: {error.strerror}"
        ) from error
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())

        if not stat.S_ISREG(info.st_mode):
            raise ExtractionError(
                IngestReason.NOT_REGULAR_FILE, f"{path.name!r} is not a regular file"
            )
        if info.st_size > max_bytes:
            raise ExtractionError(
                IngestReason.TOO_LARGE,
                f"{path.name!r} has {info.st_size} bytes (limit {max_bytes}): raise max_file_bytes "
                "for this source or exclude the file",
            )
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ExtractionError(
            IngestReason.TOO_LARGE, f"{path.name!r} grew past {max_bytes} bytes while being read"
        )
    return data


def extract_file(path: Path, *, limits: ExtractLimits | None = None) -> Extracted:
    """Read and extract one file in this process (no timeout: use `ingest_source` for shares).

    Raises `ExtractionError(reason, message)` with an `ingest.*` reason on any failure.
    """
    limits = limits or ExtractLimits()
    path = Path(path)
    data = read_limited(path, limits.max_file_bytes, follow_symlinks=True)
    return extract_bytes(data, path.name, limits=limits)
