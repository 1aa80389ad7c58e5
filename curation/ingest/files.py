"""Ingest a folder source: walk, extract in worker processes, batch into Arrow tables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from curation.ingest.extract.base import ExtractLimits
from curation.ingest.folder import FileEntry, walk_folder
from curation.ingest.pool import ExtractionPool, Outcome, Task, run_task
from curation.ingest.records import BatchBuilder, IngestBatch, metadata_json, micros_from_ns
from curation.ingest.sources import SourceConfig
from curation.schema import make_doc_id


def limits_for(source: SourceConfig) -> ExtractLimits:
    return ExtractLimits(max_file_bytes=source.max_file_bytes, timeout_s=source.extract_timeout_s)


def ingest_folder(
    source: SourceConfig, *, run_id: str, batch_size: int, workers: int
) -> Iterator[IngestBatch]:
    """Every matching file of a folder source becomes one document or one quarantined row."""
    root = Path(source.path).resolve()
    limits = limits_for(source)
    builder = BatchBuilder(run_id=run_id, source_id=source.id)
    entries = walk_folder(root, source.include, source.exclude)
    for entry, outcome in _outcomes(entries, limits, workers):
        row = _provenance(source, root, entry, outcome)
        if outcome.extracted is not None:
            extracted = outcome.extracted
            metadata = dict(extracted.metadata)
            row.update(
                text=extracted.text,
                mime_type=extracted.mime_type,
                extractor=extracted.extractor,
                extractor_version=extracted.extractor_version,
                title=extracted.title,
                author=extracted.author,
                metadata_json=metadata_json(metadata),
            )
            builder.add_document(row)
        else:
            builder.add_quarantined(
                row,
                outcome.reason or "ingest.parse_error",
                outcome.error_class or "",
                outcome.message or "",
            )
        if len(builder) >= batch_size:
            yield builder.build()
    if len(builder):
        yield builder.build()


def _outcomes(
    entries: Iterator[FileEntry], limits: ExtractLimits, workers: int
) -> Iterator[tuple[FileEntry, Outcome]]:
    """Pair each entry with its outcome; refused entries never reach a worker."""
    pending: list[FileEntry] = []

    def tasks() -> Iterator[Task]:
        for entry in entries:
            if entry.problem is not None:
                refused.append(entry)
                continue
            pending.append(entry)
            yield Task(path=str(entry.path), name=entry.relative_path)

    refused: list[FileEntry] = []
    if workers <= 0:  # in-process: for debugging, no timeout and no crash isolation
        for entry in entries:
            if entry.problem is not None:
                yield entry, _refusal(entry)
            else:
                yield entry, run_task(Task(str(entry.path), entry.relative_path), limits)
        return
    with ExtractionPool(workers, limits=limits) as pool:
        for _task, outcome in pool.map(tasks()):
            while refused:
                entry = refused.pop(0)
                yield entry, _refusal(entry)
            yield pending.pop(0), outcome
    while refused:
        entry = refused.pop(0)
        yield entry, _refusal(entry)


def _refusal(entry: FileEntry) -> Outcome:
    return Outcome(
        None,
        None,
        entry.size,
        entry.problem.value if entry.problem else None,
        entry.message,
        "Refused",
    )


def _provenance(
    source: SourceConfig, root: Path, entry: FileEntry, outcome: Outcome
) -> dict[str, Any]:
    location = root / entry.relative_path  # the name inside the source, even for a symlink
    return {
        "doc_id": make_doc_id(source.id, entry.relative_path),
        "source_uri": location.as_uri(),
        "relative_path": entry.relative_path,
        "content_sha256": outcome.sha256,
        "size_bytes": outcome.size if outcome.size is not None else entry.size,
        "modified_at": micros_from_ns(entry.mtime_ns),
        "mime_type": None,
        "extractor": None,
        "extractor_version": None,
        "title": None,
        "author": None,
        "metadata_json": None,
        "text": None,
    }
