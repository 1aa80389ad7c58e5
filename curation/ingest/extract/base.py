"""What every extractor returns, the limits it must respect, and small shared helpers."""

from __future__ import annotations

import importlib.metadata
import platform
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from curation.exceptions import ExtractionError
from curation.ingest.reasons import IngestReason


@dataclass(frozen=True)
class ExtractLimits:
    """Bounds that keep one hostile file from exhausting the machine (ARCHITECTURE invariant 6).

    Defaults: 50 MB per file (the source default, also per archive member, message and
    attachment), packages (DOCX/XLSX/PPTX/ODF) and archives (zip, tar, gz, with everything
    nested in them) may expand to at most 500 MB in total, no member may expand more than 200x
    (normal XML and text compress 5-20x; bombs go to 1000x+), at most 10,000 members in all,
    and archives nest at most 2 deep (a zip in a zip is read, a zip in that is not).
    `timeout_s` is enforced by the worker pool, per file and again per member of a container.
    """

    max_file_bytes: int = 50_000_000
    max_archive_bytes: int = 500_000_000
    max_compression_ratio: float = 200.0
    max_archive_members: int = 10_000
    max_archive_depth: int = 2
    max_text_chars: int = 50_000_000
    timeout_s: float = 60.0
    # OCR of scans and images (`extract/ocr.py`): `auto` reads PDF pages without a text layer
    # and images, `force` every page, `off` none (such files get `ingest.needs_ocr`). A page
    # costs one core ~1.3 s (a short letter) to ~6.5 s (a dense A4 page, 3,800 characters), so
    # at most `ocr_max_pages` pages fit the default 60 s timeout; raise both together. Pages
    # below `ocr_min_confidence` are left out: clean scans measured 0.95-0.99, blurred but
    # legible ones 0.95, illegible ones 0.55-0.71.
    ocr: Literal["auto", "off", "force"] = "auto"
    ocr_max_pages: int = 8
    ocr_min_confidence: float = 0.8


@dataclass(frozen=True)
class Extracted:
    """Plain text of one document plus what the format says about it (no PII in `metadata`)."""

    text: str
    mime_type: str
    extractor: str
    extractor_version: str
    title: str | None = None
    author: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    encoding: str | None = None


@cache
def library_version(distribution: str) -> str:
    """Installed version of a distribution; the stdlib's version is Python's."""
    if distribution in {"python", "stdlib"}:
        return platform.python_version()
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def parse_error(error: BaseException, what: str) -> ExtractionError:
    """An `ingest.parse_error` naming the exception class and a short message, never the text."""
    message = str(error).replace("\n", " ")
    if len(message) > 200:
        message = message[:200] + "..."
    return ExtractionError(
        IngestReason.PARSE_ERROR, f"{what} could not be parsed: {type(error).__name__}: {message}"
    )


def require_text(text: str, what: str) -> str:
    """Reject documents that yield no visible text: there is nothing to train on."""
    if not text or not text.strip():
        raise ExtractionError(IngestReason.EMPTY, f"{what} contains no text")
    return text


def clean_metadata(values: dict[str, Any]) -> dict[str, Any]:
    """Drop empty values and turn dates and other objects into JSON-able strings."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None or value == "" or value == [] or value == {}:
            continue
        if isinstance(value, (str, int, float, bool)):
            out[key] = value.strip() if isinstance(value, str) else value
        elif isinstance(value, (list, tuple)):
            out[key] = [v if isinstance(v, (str, int, float, bool)) else str(v) for v in value]
        elif hasattr(value, "isoformat"):
            out[key] = value.isoformat()
        else:
            out[key] = str(value)
    return out
