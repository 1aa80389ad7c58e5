"""The rows of a snapshot as its files hold them: data files minus their position deletes.

Incremental versions are merge-on-read (`catalogs.position_deletes`): a data file shared with
older versions may hold rows that this version deleted. pyiceberg's own scans apply the deletes;
everything that reads data files directly (DuckDB over Parquet in the web catalog, erasure,
commit planning) goes through here, so there is one notion of "a file's live rows":
- `live_files`: per data file of a snapshot, the positions its delete files remove;
- `keep_mask` / `read_live`: a file's batches, the deleted positions filtered out;
- `live_parquet_sql`: the same as a DuckDB relation, an anti-join on (file, row number).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from catalogs.position_deletes import read_positions

if TYPE_CHECKING:
    from pyiceberg.manifest import DataFile
    from pyiceberg.table import Table

_BATCH_ROWS = 8192
# DuckDB column names of the file and row number while deletes are applied (then dropped).
_FILE_COLUMN = "__live_file"


@dataclass(frozen=True)
class LiveFile:
    """One data file of a snapshot and the positions of its rows the snapshot deleted."""

    data_file: DataFile
    delete_files: tuple[DataFile, ...] = ()
    deleted: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))

    @property
    def path(self) -> str:
        """The file's location as the manifest names it."""
        return self.data_file.file_path

    @property
    def record_count(self) -> int:
        return int(self.data_file.record_count)

    @property
    def live_count(self) -> int:
        return self.record_count - len(self.deleted)


def live_files(table: Table, snapshot_id: int) -> list[LiveFile]:
    """The data files of a snapshot, each with the positions its delete files remove, in path
    order (a stable row order for readers that page through them)."""
    tasks = table.scan(snapshot_id=snapshot_id).plan_files()
    files = [
        LiveFile(
            data_file=task.file,
            delete_files=tuple(sorted(task.delete_files, key=lambda d: d.file_path)),
            deleted=read_positions(table, task.delete_files, task.file.file_path)
            if task.delete_files
            else np.empty(0, np.int64),
        )
        for task in tasks
    ]
    return sorted(files, key=lambda f: f.path)


def keep_mask(start: int, length: int, deleted: np.ndarray) -> np.ndarray:
    """Which of the rows [start, start + length) of a file are not in `deleted` (sorted).

    Examples
    --------
    >>> keep_mask(2, 4, np.array([0, 3, 5])).tolist()
    [True, False, True, False]
    """
    mask = np.ones(length, dtype=bool)
    lo, hi = np.searchsorted(deleted, [start, start + length])
    mask[deleted[lo:hi] - start] = False
    return mask


def read_live(
    table: Table,
    live: LiveFile,
    columns: Sequence[str] | None = None,
    *,
    with_positions: bool = False,
) -> Iterator[pa.Table]:
    """Batches of a data file's live rows (`columns` of them that the file has), read through
    the table's FileIO; `with_positions` adds `_pos`, each row's position in the file."""
    with table.io.new_input(live.path).open() as handle:
        parquet = pq.ParquetFile(handle)
        names = parquet.schema_arrow.names
        present = names if columns is None else [c for c in columns if c in names]
        start = 0
        for batch in parquet.iter_batches(columns=present, batch_size=_BATCH_ROWS):
            rows = pa.Table.from_batches([batch])
            if with_positions:
                rows = rows.append_column(
                    "_pos", pa.array(np.arange(start, start + rows.num_rows, dtype=np.int64))
                )
            if len(live.deleted):
                rows = rows.filter(pa.array(keep_mask(start, rows.num_rows, live.deleted)))
            start += batch.num_rows
            if rows.num_rows:
                yield rows


def live_parquet_sql(paths: Sequence[str], deleted: Mapping[str, Sequence[int]] | None) -> str:
    """A DuckDB relation over the Parquet files `paths` without the rows `deleted` names
    (path -> positions): `read_parquet` when none of them has deletes, else the same with the
    file name and row number, the deleted pairs filtered out, those two columns dropped.

    Examples
    --------
    >>> live_parquet_sql(["/w/a.parquet"], {})
    "read_parquet(['/w/a.parquet'])"
    >>> print(live_parquet_sql(["/w/a.parquet", "/w/b.parquet"], {"/w/a.parquet": [0, 7]}))
    (SELECT * EXCLUDE (__live_file, file_row_number) FROM read_parquet(['/w/a.parquet', '/w/b.parquet'], filename = '__live_file', file_row_number = true) WHERE NOT ((__live_file = '/w/a.parquet' AND file_row_number IN (0, 7))))
    """
    listed = "[" + ", ".join(_quote(p) for p in paths) + "]"
    wanted = set(paths)
    clauses = [
        f"({_FILE_COLUMN} = {_quote(path)} AND file_row_number IN "
        f"({', '.join(str(int(p)) for p in positions)}))"
        for path, positions in sorted((deleted or {}).items())
        if path in wanted and len(positions)
    ]
    if not clauses:
        return f"read_parquet({listed})"
    return (
        f"(SELECT * EXCLUDE ({_FILE_COLUMN}, file_row_number) FROM read_parquet({listed}, "
        f"filename = '{_FILE_COLUMN}', file_row_number = true) "
        f"WHERE NOT ({' OR '.join(clauses)}))"
    )


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
