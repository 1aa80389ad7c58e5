"""A version's data files written before its commit, by whichever worker holds the rows.

Writing a version's data files is most of a commit's work: read the run's final batches, sort
them by doc_id, write Parquet, take the stats. Done in the commit, it runs in the flow process,
one group after the other, while the runner's workers wait. Here it is split off: the flow
cuts the final batches into groups (`staged_groups`, by their uncompressed size), each group is
written by a task on the runner (`write_staged_group`, which needs only a `WriteTarget`: the
table's metadata and file IO, no catalog), and the commit adds the files the tasks return and
merges their stats, in the one transaction it always makes.

The files of a run that never commits are in no snapshot: a reader never sees them, and they
are orphans of the table's data folder, as are those of a commit that failed in the catalog.
"""

from __future__ import annotations

import contextlib
import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from catalogs.stats import StatsAccumulator
from curation.schema import conform

if TYPE_CHECKING:
    from pyiceberg.io import FileIO
    from pyiceberg.manifest import DataFile
    from pyiceberg.table import Table
    from pyiceberg.table.metadata import TableMetadata


class WriteTarget:
    """What a worker needs to write data files of a table: its metadata (with the properties
    the commit sets, `TABLE_PROPERTIES`) and its file IO. Both pickle, so a Dask worker gets
    them with its task and never opens the catalog.

    A plain class on purpose, not a dataclass: an orchestrator walks a task's dataclass and
    pydantic parameters looking for futures, and the table metadata holds values (pyiceberg
    records) that such a walk fails on.
    """

    __slots__ = ("io", "metadata")

    def __init__(self, metadata: TableMetadata, io: FileIO) -> None:
        self.metadata = metadata
        self.io = io

    def __repr__(self) -> str:
        return f"WriteTarget({self.metadata.location!r})"

    @classmethod
    def of(cls, table: Table) -> WriteTarget:
        from catalogs.versions import _write_metadata

        return cls(_write_metadata(table), table.io)


@dataclass
class WrittenFiles:
    """Data files written for a version ahead of its commit, and the stats of their rows."""

    data_files: list[DataFile]
    stats: StatsAccumulator

    @property
    def rows(self) -> int:
        return sum(f.record_count for f in self.data_files)


def staged_groups(paths: Sequence[Path], max_bytes: int | None = None) -> list[list[Path]]:
    """Consecutive staged Parquet files in groups of at most `max_bytes` of uncompressed data
    (`WRITE_GROUP_BYTES`) plus one file, the groups a commit would write one at a time; files
    without rows are left out. Reads footers only.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> for i, n in enumerate([3, 0, 2, 4]):
    ...     pq.write_table(pa.table({"text": ["x" * 100] * n}), folder / f"{i}.parquet")
    >>> groups = staged_groups(sorted(folder.glob("*.parquet")), max_bytes=400)
    >>> [[p.name for p in group] for group in groups]
    [['0.parquet', '2.parquet'], ['3.parquet']]
    """
    from catalogs.versions import WRITE_GROUP_BYTES

    limit = WRITE_GROUP_BYTES if max_bytes is None else max_bytes
    groups: list[list[Path]] = []
    pending: list[Path] = []
    size = 0
    for path in paths:
        metadata = pq.read_metadata(path)
        if not metadata.num_rows:
            continue
        pending.append(path)
        size += sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
        if size >= limit:
            groups.append(pending)
            pending, size = [], 0
    if pending:
        groups.append(pending)
    return groups


def write_staged_group(target: WriteTarget, paths: Sequence[Path]) -> WrittenFiles:
    """One group of staged batches as data files of the target table (sorted by doc_id, as
    the commit writes them), with the stats of its rows.

    Each call writes under its own write id, so groups written at once by several workers
    never pick the same file name.
    """
    from catalogs.versions import write_data_files

    tables = [conform(pq.read_table(p)) for p in paths]
    rows = pa.concat_tables(tables) if len(tables) != 1 else tables[0]
    del tables
    stats = StatsAccumulator()
    if not rows.num_rows:
        return WrittenFiles([], stats)
    rows = rows.sort_by("doc_id")
    stats.add(rows)
    files = write_data_files(target.metadata, target.io, rows, uuid.uuid4(), itertools.count())
    return WrittenFiles(files, stats)


class PendingWrites:
    """A version's data files being written by the runner's workers, for the commit to wait on
    only when it adds them: its reconciliation, its ledger append and its removal plan run in
    the meantime.

    `futures`: one per group, anything with a blocking `result()` (Prefect or
    `concurrent.futures` futures) that gives a `WrittenFiles` or raises its group's failure.
    Deliberately not a dataclass or a collection: an orchestrator that resolves the futures in
    a task's parameters before the task starts would otherwise wait for every write first.
    """

    def __init__(self, futures: Sequence[Any], io: FileIO) -> None:
        self._futures = list(futures)
        self._io = io
        self._written: list[WrittenFiles] | None = None
        self._failure: BaseException | None = None

    @classmethod
    def done(cls, written: Sequence[WrittenFiles], io: FileIO) -> PendingWrites:
        """Writes that have finished already."""
        pending = cls([], io)
        pending._written = list(written)
        return pending

    def result(self) -> list[WrittenFiles]:
        """Every group's files, once all are written; if a group failed, the files of the
        others are deleted and its failure is raised."""
        if self._failure is not None:  # a retried commit: the files are gone already
            raise self._failure
        if self._written is None:
            written, failures = self._settle()
            if failures:
                self._failure = failures[0]
                delete_written(self._io, written)
                raise self._failure
            self._written = written
        return self._written

    def settle(self) -> None:
        """Wait until no write is under way (a failed run must not discard the staged batches
        that a write still reads); files written stay, as those of a failed commit do."""
        if self._written is None:
            self._settle()

    def discard(self) -> None:
        """Wait for the writes, then delete every file written (no commit will add them)."""
        written = self._written if self._written is not None else self._settle()[0]
        delete_written(self._io, written)
        self._written = []

    def _settle(self) -> tuple[list[WrittenFiles], list[BaseException]]:
        written: list[WrittenFiles] = []
        failures: list[BaseException] = []
        for future in self._futures:
            try:
                written.append(future.result())
            except Exception as failure:  # every group settles before one failure is raised
                failures.append(failure)
        return written, failures


def delete_written(io: FileIO, written: Sequence[WrittenFiles]) -> None:
    """Remove data files that no commit will reference (a run that failed before its
    commit), so they do not stay as orphans of the table's data folder."""
    for part in written:
        for data_file in part.data_files:
            with contextlib.suppress(FileNotFoundError):
                io.delete(data_file.file_path)
