"""Find the rows an erasure concerns, file by file, in every snapshot a table still keeps.

Snapshots may share data files (any commit that leaves a file in place keeps it live in both),
so each live data file is read once, whatever number of snapshots use it, and only the columns
the match needs. The result says which files hold the subject: a snapshot is affected when one
of them is live in it, and such a file is never used again once its snapshots are rewritten.
Files are read whole, position deletes *not* applied: a row a merge-on-read version deleted
still has its bytes in the file, so the file holds the subject all the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from catalogs.erasure.storage import Folder
from catalogs.erasure.tablefiles import TableFiles

RowMask = Callable[[pa.Table], pa.Array]
_BATCH_ROWS = 8192


def read_rows(files: TableFiles, key: str, columns: Iterable[str]) -> Iterable[pa.Table]:
    """Batches of one data file with those of `columns` it has, read through the table's FileIO."""
    with files.table.io.new_input(files.uris[key]).open() as handle:
        parquet = pq.ParquetFile(handle)
        present = [c for c in columns if c in parquet.schema_arrow.names]
        for batch in parquet.iter_batches(columns=present, batch_size=_BATCH_ROWS):
            yield pa.Table.from_batches([batch])


def rows_matching(
    files: TableFiles, columns: Iterable[str], mask: RowMask, keys: Iterable[str] | None = None
) -> dict[str, pa.Table]:
    """Per data file (`path_key`), its rows that `mask` selects (only `columns`), for every live
    data file of the table (or the given `keys`); files without such rows are left out."""
    columns = list(columns)
    found: dict[str, pa.Table] = {}
    for key in sorted(files.live_files() if keys is None else keys):
        parts = [batch.filter(mask(batch)) for batch in read_rows(files, key, columns)]
        parts = [p for p in parts if p.num_rows]
        if parts:
            found[key] = pa.concat_tables(parts, promote_options="permissive")
    return found


def concat_found(found: dict[str, pa.Table], columns: Iterable[str]) -> pa.Table:
    """All rows of `rows_matching`'s result as one table with exactly `columns` (nulls where a
    file lacked one)."""
    columns = list(columns)
    parts = []
    for rows in found.values():
        arrays = [
            rows.column(c).cast(pa.large_string())
            if c in rows.column_names
            else pa.nulls(rows.num_rows, pa.large_string())
            for c in columns
        ]
        parts.append(pa.Table.from_arrays(arrays, names=columns))
    if not parts:
        return pa.table({c: pa.array([], pa.large_string()) for c in columns})
    return pa.concat_tables(parts)


def orphan_rows(files: TableFiles, columns: Iterable[str], mask: RowMask) -> pa.Table | None:
    """Rows `mask` selects in the Parquet files under the table's location that no snapshot
    uses: leftovers of a failed write, or of an erasure interrupted after it expired the old
    snapshots. Their files are deleted with the other unreferenced ones; their rows still name
    what the erasure must prove gone."""
    columns = list(columns)
    folder = Folder.at(files.table.metadata.location, files.table.catalog)
    referenced = files.referenced()
    parts = []
    for key in folder.files():
        if not key.endswith(".parquet") or key in referenced:
            continue
        with folder.open(key) as handle:
            parquet = pq.ParquetFile(handle)
            present = [c for c in columns if c in parquet.schema_arrow.names]
            for batch in parquet.iter_batches(columns=present, batch_size=_BATCH_ROWS):
                rows = pa.Table.from_batches([batch])
                rows = rows.filter(mask(rows))
                if rows.num_rows:
                    parts.append(rows)
    found = {str(n): part for n, part in enumerate(parts)}
    return concat_found(found, columns) if found else None
