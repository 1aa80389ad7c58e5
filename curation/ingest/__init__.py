"""Ingest: connectors (folder, Parquet, JSONL) and text extractors, with bad-input safety.

`ingest_source` turns one declared source into batches of document records plus quarantined
rows; `extract_file` extracts one file in-process (licensing reads PDFs and DOCX with it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from curation.ingest.extract import extract_bytes, extract_file
from curation.ingest.extract.base import Extracted, ExtractLimits
from curation.ingest.reasons import IngestReason
from curation.ingest.sources import SourceConfig, load_sources

if TYPE_CHECKING:
    from curation.ingest.records import QUARANTINE_SCHEMA, IngestBatch

__all__ = [
    "QUARANTINE_SCHEMA",
    "ExtractLimits",
    "Extracted",
    "IngestBatch",
    "IngestReason",
    "SourceConfig",
    "extract_bytes",
    "extract_file",
    "ingest_source",
    "load_sources",
]


def __getattr__(name: str) -> Any:
    """pyarrow-backed names load on first use: extraction workers import this package and
    never need pyarrow, which would add a second to every worker's start."""
    if name in {"IngestBatch", "QUARANTINE_SCHEMA"}:
        from curation.ingest import records

        return getattr(records, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def ingest_source(
    source: SourceConfig, *, run_id: str, batch_size: int = 256, workers: int = 2
) -> Iterator[IngestBatch]:
    """Yield batches of at most `batch_size` inputs; every file (or row) appears exactly once.

    Folder sources are extracted in `workers` processes with the source's timeout and size
    limit (`workers=0` extracts in this process, without timeout: for debugging only).
    Parquet/JSONL sources are read column-wise in this process.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if source.type == "folder":
        from curation.ingest.files import ingest_folder

        yield from ingest_folder(source, run_id=run_id, batch_size=batch_size, workers=workers)
    else:
        from curation.ingest.tabular import ingest_table_source

        yield from ingest_table_source(source, run_id=run_id, batch_size=batch_size)
