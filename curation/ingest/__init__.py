"""Ingest: connectors (folder, S3-compatible object store, Parquet, JSONL, Hugging Face
datasets on disk) and text extractors, with bad-input safety.

`ingest_source` turns one declared source into batches of document records plus quarantined
rows (and, given what a previous run saw, unchanged rows for inputs it did not read);
`extract_file` extracts one file in-process (licensing reads PDFs and DOCX with it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from curation.ingest.extract import extract_bytes, extract_file
from curation.ingest.extract.base import Extracted, ExtractLimits
from curation.ingest.reasons import IngestReason
from curation.ingest.sources import SourceConfig, load_sources

if TYPE_CHECKING:
    from curation.ingest.known import KnownInputs
    from curation.ingest.pool import SharedPool
    from curation.ingest.records import QUARANTINE_SCHEMA, UNCHANGED_SCHEMA, IngestBatch

__all__ = [
    "QUARANTINE_SCHEMA",
    "UNCHANGED_SCHEMA",
    "ExtractLimits",
    "Extracted",
    "IngestBatch",
    "IngestReason",
    "KnownInputs",
    "SourceConfig",
    "extract_bytes",
    "extract_file",
    "ingest_source",
    "load_sources",
]


def __getattr__(name: str) -> Any:
    """pyarrow-backed names load on first use: extraction workers import this package and
    never need pyarrow, which would add a second to every worker's start."""
    if name in {"IngestBatch", "QUARANTINE_SCHEMA", "UNCHANGED_SCHEMA"}:
        from curation.ingest import records

        return getattr(records, name)
    if name == "KnownInputs":
        from curation.ingest.known import KnownInputs

        return KnownInputs
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def ingest_source(
    source: SourceConfig,
    *,
    run_id: str,
    batch_size: int = 256,
    workers: int = 2,
    known: KnownInputs | None = None,
    verify: bool = False,
    pool: SharedPool | None = None,
) -> Iterator[IngestBatch]:
    """Yield batches of at most `batch_size` inputs; every file, object (or row) appears
    exactly once.

    Folder and s3 sources are extracted in `workers` processes with the source's timeout and
    size limit (`workers=0` extracts in this process, without timeout: for debugging only);
    a folder source uses `pool`, the run's shared extraction pool, when given.
    Parquet/JSONL/hf_dataset sources are read column-wise in this process.

    `known`: what a previous run saw (`curation.ingest.known`). An input whose size and mtime
    (files) or ETag (objects) match is not read: its documents come back in the batch's
    `unchanged` table. `verify=True` ignores `known` and reads everything.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    seen = None if known is None or verify else known.for_source(source)
    if source.type == "folder":
        if seen is not None:
            from curation.ingest.known import ingest_folder_skipping

            yield from ingest_folder_skipping(
                source, seen, run_id=run_id, batch_size=batch_size, workers=workers, pool=pool
            )
            return
        from curation.ingest.files import ingest_folder

        yield from ingest_folder(
            source, run_id=run_id, batch_size=batch_size, workers=workers, pool=pool
        )
    elif source.type == "s3":
        from curation.ingest.s3 import ingest_s3

        yield from ingest_s3(
            source, run_id=run_id, batch_size=batch_size, workers=workers, known=seen
        )
    elif source.type == "hf_dataset":
        from curation.ingest.hf_dataset import ingest_hf_dataset

        yield from ingest_hf_dataset(source, run_id=run_id, batch_size=batch_size, known=seen)
    else:
        from curation.ingest.tabular import ingest_table_source

        yield from ingest_table_source(source, run_id=run_id, batch_size=batch_size, known=seen)
