"""What every extractor returns, the limits it must respect, and small shared helpers."""

from __future__ import annotations

import importlib.metadata
import platform
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    `timeout_s` is enforced by the worker pool, per file and again per member of a container;
    a document read by OCR gets `ocr_page_timeout_s` more for each page it is about to read
    (`extraction_limit_s`), so a long scan is not cut off by a limit sized for a text file.
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
    # costs one core ~1.3 s (a short letter) to ~6.5 s (a dense A4 page, 3,800 characters):
    # each page to read adds `ocr_page_timeout_s` to the file's time limit, half again the
    # slowest page measured, for a machine whose other core is busy. `ocr_max_pages` bounds
    # the pages (and so the time) one document may take. Pages below `ocr_min_confidence` are
    # left out: clean scans measured 0.95-0.99, blurred but legible ones 0.95, illegible ones
    # 0.55-0.71.
    ocr: Literal["auto", "off", "force"] = "auto"
    ocr_max_pages: int = 8
    ocr_min_confidence: float = 0.8
    ocr_page_timeout_s: float = 10.0


def extraction_limit_s(limits: ExtractLimits, *, ocr_pages: int = 0) -> float:
    """Seconds one file (or container member) may take: the base timeout plus the per-page
    allowance of the pages it reads by OCR.

    Examples
    --------
    >>> extraction_limit_s(ExtractLimits(timeout_s=60.0, ocr_page_timeout_s=10.0), ocr_pages=8)
    140.0
    >>> extraction_limit_s(ExtractLimits(timeout_s=60.0))
    60.0
    """
    return limits.timeout_s + max(ocr_pages, 0) * limits.ocr_page_timeout_s


# Who hears how many pages a document is about to OCR: the extraction worker, which tells the
# pool to extend that file's deadline. Unset outside a worker (no deadline to extend).
_ocr_pages_listener: Callable[[int], None] | None = None


@contextmanager
def listening_to_ocr_pages(listener: Callable[[int], None]) -> Iterator[None]:
    """Call `listener(pages)` whenever an extractor in this process starts an OCR run."""
    global _ocr_pages_listener
    previous, _ocr_pages_listener = _ocr_pages_listener, listener
    try:
        yield
    finally:
        _ocr_pages_listener = previous


def announce_ocr_pages(pages: int) -> None:
    """Say that `pages` pages are about to be read by OCR (before the first one is drawn)."""
    if _ocr_pages_listener is not None and pages > 0:
        _ocr_pages_listener(pages)


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
