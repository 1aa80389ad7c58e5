"""An incremental version as one merge-on-read snapshot of its base.

The rows that leave the version (`superseded`, `source_deleted`) are found by `doc_id` in the
base snapshot's live rows and named in position-delete files (`catalogs.position_deletes`); the
new rows arrive as new data files; every other data file is reused untouched. A data file whose
deleted share would pass `COMPACT_DELETED_SHARE` is compacted instead: its live rows are written
again and the file and its delete file leave the snapshot. All of it is one `OVERWRITE`
snapshot, committed in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from catalogs.live_rows import LiveFile, live_files, read_live
from catalogs.position_deletes import (
    COMPACT_DELETED_SHARE,
    merge_on_read_overwrite,
    write_position_deletes,
)

if TYPE_CHECKING:
    from pyiceberg.manifest import DataFile
    from pyiceberg.table import Table, Transaction

# rows of a compacted file -> its new data files (pyiceberg's writer, the table's properties)
WriteRows = Callable[[pa.Table], list["DataFile"]]


@dataclass
class MergeOnReadPlan:
    """What one merge-on-read commit does to its base snapshot."""

    rows_deleted: int = 0
    delete_files: list[DataFile] = field(default_factory=list)
    compacted: list[str] = field(default_factory=list)  # data paths rewritten copy-on-write
    added_data_files: list[DataFile] = field(default_factory=list)
    removed_files: list[DataFile] = field(default_factory=list)


def positions_of(table: Table, live: LiveFile, doc_ids: pa.Array) -> np.ndarray:
    """Positions, in `live`'s data file, of its live rows whose `doc_id` is in `doc_ids`."""
    parts = [np.empty(0, np.int64)]
    for rows in read_live(table, live, ["doc_id"], with_positions=True):
        hit = pc.fill_null(pc.is_in(rows.column("doc_id"), value_set=doc_ids), False)
        parts.append(rows.column("_pos").filter(hit).to_numpy())
    return np.concatenate(parts)


def plan_removal(
    table: Table,
    base_snapshot_id: int,
    removed: pa.Array,
    write_rows: WriteRows,
    *,
    threshold: float = COMPACT_DELETED_SHARE,
) -> MergeOnReadPlan:
    """Write the delete files (and compacted data files) that remove `removed` doc ids from
    the base snapshot; nothing is committed yet.

    A file with new deletes gets one delete file holding all its deleted positions (the base's
    and these), replacing its old one; a file whose deleted share would pass `threshold` is
    compacted instead.
    """
    plan = MergeOnReadPlan()
    if not len(removed):
        return plan
    removed = removed.cast(pa.string())
    for live in live_files(table, base_snapshot_id):
        new = positions_of(table, live, removed)
        if not len(new):
            continue
        plan.rows_deleted += len(new)
        deleted = np.union1d(live.deleted, new)
        if len(deleted) > threshold * live.record_count:
            kept = LiveFile(live.data_file, live.delete_files, deleted)
            rows = [batch for batch in read_live(table, kept)]
            if rows:
                plan.added_data_files += write_rows(pa.concat_tables(rows))
            plan.compacted.append(live.path)
            plan.removed_files += [live.data_file, *live.delete_files]
        else:
            plan.delete_files.append(write_position_deletes(table, live.path, deleted))
            plan.removed_files += list(live.delete_files)
    return plan


def commit_merge_on_read(
    transaction: Transaction,
    plan: MergeOnReadPlan,
    added: Sequence[DataFile],
    *,
    snapshot_properties: dict[str, str],
    branch: str | None = "main",
) -> None:
    """One snapshot on `branch`: `added` data files, the plan's delete and compacted files in,
    the plan's removed files out."""
    producer = merge_on_read_overwrite(
        transaction, snapshot_properties=snapshot_properties, branch=branch
    )
    for data_file in [*added, *plan.added_data_files]:
        producer.append_data_file(data_file)
    for delete_file in plan.delete_files:
        producer.append_delete_file(delete_file)
    for old in plan.removed_files:
        producer.remove_file(old)
    producer.commit()
