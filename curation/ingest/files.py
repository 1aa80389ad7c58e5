"""Ingest a folder source: walk, extract in worker processes, batch into Arrow tables.

A plain file gives one row. A container (archive, mailbox, .eml, Maildir message) gives one
row per member, located under the container's path (`bundle.zip!/a.pdf`, `box.mbox#<id>`),
plus one quarantined row for the container itself only when it failed as a whole: so
documents + quarantined still counts every input exactly once.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from curation.ingest.extract.base import ExtractLimits
from curation.ingest.extract.containers import Member
from curation.ingest.folder import FileEntry, walk_folder
from curation.ingest.members import (
    ContainerStat,
    add_member,
    add_result,
    container_failure,
    input_row,
)
from curation.ingest.pool import ExtractionPool, Outcome, SharedPool, Task, run_task
from curation.ingest.records import BatchBuilder, IngestBatch, micros_from_ns
from curation.ingest.sources import SourceConfig
from curation.schema import make_doc_id


def limits_for(source: SourceConfig) -> ExtractLimits:
    return ExtractLimits(
        max_file_bytes=source.max_file_bytes,
        timeout_s=source.extract_timeout_s,
        ocr=source.ocr,
        ocr_max_pages=source.ocr_max_pages,
        ocr_min_confidence=source.ocr_min_confidence,
    )


def ingest_folder(
    source: SourceConfig,
    *,
    run_id: str,
    batch_size: int,
    workers: int,
    entries: Iterable[FileEntry] | None = None,
    pool: SharedPool | None = None,
) -> Iterator[IngestBatch]:
    """Every matching file of a folder source becomes one document or one quarantined row;
    every member of a container file does the same.

    `entries`: the files to ingest when the caller has walked the source already (an
    incremental run passes the changed ones); default: the whole walk. `pool`: the run's
    extraction pool shared by its sources (`workers` is then the pool's); default: a pool of
    `workers` processes for this call.
    """
    root = Path(source.path).resolve()
    limits = limits_for(source)
    builder = BatchBuilder(run_id=run_id, source_id=source.id)
    if entries is None:
        entries = walk_folder(root, source.include, source.exclude)
    for entry, outcome in _outcomes(iter(entries), limits, workers, pool):
        if outcome.container:
            members = outcome.members
            stat = ContainerStat(entry.relative_path, entry.size, entry.mtime_ns)
            for member in members:
                _add_member(builder, source, root, entry, member, stat)
            if outcome.reason is not None or not members:
                _add_file(builder, source, root, entry, container_failure(outcome), stat)
        else:
            _add_file(builder, source, root, entry, outcome)
        while len(builder) >= batch_size:
            yield builder.build(limit=batch_size)
    while len(builder):
        yield builder.build(limit=batch_size)


def _add_file(
    builder: BatchBuilder,
    source: SourceConfig,
    root: Path,
    entry: FileEntry,
    outcome: Outcome,
    stat: ContainerStat | None = None,
) -> None:
    add_result(builder, _provenance(source, root, entry, outcome), outcome, container=stat)


def _add_member(
    builder: BatchBuilder,
    source: SourceConfig,
    root: Path,
    entry: FileEntry,
    member: Member,
    stat: ContainerStat,
) -> None:
    """One member's row, located under its container file (a Maildir message's container is
    its Maildir folder)."""
    base = entry.container if entry.container is not None else entry.relative_path
    add_member(
        builder,
        member,
        source_id=source.id,
        container=base,
        container_uri=(root / base).as_uri() if base else root.as_uri(),
        uri_suffix=member.uri_suffix,
        modified_us=micros_from_ns(entry.mtime_ns),
        stat=stat,
    )


def _outcomes(
    entries: Iterator[FileEntry],
    limits: ExtractLimits,
    workers: int,
    shared: SharedPool | None = None,
) -> Iterator[tuple[FileEntry, Outcome]]:
    """Pair each entry with its outcome; refused entries never reach a worker, and a shared
    pool is started only once a file needs extracting."""
    pending: list[FileEntry] = []
    refused: list[FileEntry] = []
    # with a shared pool, each file carries this source's limits
    own = limits if shared is not None else None

    def tasks() -> Iterator[Task]:
        for entry in entries:
            if entry.problem is not None:
                refused.append(entry)
                continue
            pending.append(entry)
            yield _task(entry, own)

    def extract(pool: ExtractionPool, todo: Iterator[Task]) -> Iterator[tuple[FileEntry, Outcome]]:
        for _task_done, outcome in pool.map(todo):
            while refused:
                entry = refused.pop(0)
                yield entry, _refusal(entry)
            yield pending.pop(0), outcome

    if workers <= 0 and shared is None:  # in-process: for debugging, no timeout or isolation
        for entry in entries:
            if entry.problem is not None:
                yield entry, _refusal(entry)
            else:
                yield entry, run_task(_task(entry), limits)
        return
    if shared is not None:
        todo = tasks()
        first = next(todo, None)
        if first is not None:
            yield from extract(shared.get(), itertools.chain([first], todo))
    else:
        with ExtractionPool(workers, limits=limits) as pool:
            yield from extract(pool, tasks())
    while refused:
        entry = refused.pop(0)
        yield entry, _refusal(entry)


def _task(entry: FileEntry, limits: ExtractLimits | None = None) -> Task:
    return Task(
        path=str(entry.path),
        name=entry.relative_path,
        kind=entry.kind,
        key=entry.key,
        limits=limits,
    )


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
    return input_row(
        doc_id=make_doc_id(source.id, entry.relative_path),
        source_uri=location.as_uri(),
        relative_path=entry.relative_path,
        sha256=outcome.sha256,
        size=outcome.size if outcome.size is not None else entry.size,
        modified_us=micros_from_ns(entry.mtime_ns),
    )
