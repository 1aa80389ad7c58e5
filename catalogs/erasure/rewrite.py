"""Rewrite the snapshots a table keeps under a name, then forget the ones that held the subject.

pyiceberg 0.12 writes copy-on-write only and only at the head of a branch, so the erased
successor of a snapshot is written on a temporary branch started at it: an overwrite (or
delete) of the rows to change, which rewrites just the data files holding them, then an empty
fast append. The second commit matters: the first one's manifests keep *deleted* entries for
the replaced files, with their column bounds (16-character prefixes of ids and text); a fast
append carries forward only manifests with live entries, so the successor mentions none of the
replaced files. Every ref then moves in one metadata commit (tags get a suffix: `v3` becomes
`v3-e1`; branches keep their name, so `main` stays current), and the snapshots that still
mention a replaced file, none of them a ref's head any more, are expired.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from catalogs.erasure.tablefiles import TableFiles
from catalogs.versions import validate_version_name

if TYPE_CHECKING:
    from pyiceberg.table import Table

TEMPORARY_BRANCH = "curate-erasure-"
_ERASED_NAME = re.compile(r"^(?P<base>.+)-e(?P<n>\d+)$")

# rows of the snapshot with the doc ids to change -> the rows to write instead
Transform = Callable[[pa.Table], pa.Table]
# (old snapshot, rows read, rows written, new version name or None) -> snapshot properties
Properties = Callable[[Any, pa.Table, pa.Table, str | None], dict[str, str]]


def erased_name(name: str, taken: set[str]) -> str:
    """The name a tag takes when its snapshot is erased: `v3` -> `v3-e1`, `v3-e1` -> `v3-e2`.

    Examples
    --------
    >>> erased_name("v3", set()), erased_name("v3-e1", set()), erased_name("v3", {"v3-e1"})
    ('v3-e1', 'v3-e2', 'v3-e2')
    """
    match = _ERASED_NAME.match(name)
    base, number = (match["base"], int(match["n"]) + 1) if match else (name, 1)
    while f"{base}-e{number}" in taken:
        number += 1
    return validate_version_name(f"{base}-e{number}")


@dataclass
class Successor:
    """One rewritten snapshot: which one it replaces, the refs it takes over, rows removed."""

    old_snapshot_id: int
    new_snapshot_id: int
    branch: str
    rows_read: int
    rows_written: int
    refs: list[tuple[str, str]] = field(default_factory=list)  # (name, "tag" | "branch")
    names: dict[str, str] = field(default_factory=dict)  # old tag -> new tag

    @property
    def rows_removed(self) -> int:
        return self.rows_read - self.rows_written


def refs_by_snapshot(table: Table) -> dict[int, list[tuple[str, str]]]:
    """Every snapshot that is the head of a ref, with its refs (tags and branches)."""
    heads: dict[int, list[tuple[str, str]]] = {}
    for name, ref in sorted(table.metadata.refs.items()):
        heads.setdefault(ref.snapshot_id, []).append((name, ref.snapshot_ref_type.value))
    return heads


def heads_to_rewrite(table: Table, files: TableFiles, dirty: set[str]) -> list[int]:
    """Ref heads that use or mention a dirty file, oldest first (successors are written in that
    order, so their commit times keep the versions' order)."""
    heads = refs_by_snapshot(table)
    chosen = [
        sid for sid in heads if sid in files.snapshots and files.snapshots[sid].mentioned & dirty
    ]
    return sorted(chosen, key=lambda sid: (table.snapshot_by_id(sid).timestamp_ms, sid))  # type: ignore[union-attr]


def write_successor(
    table: Table,
    snapshot_id: int,
    doc_ids: list[str],
    transform: Transform,
    properties: Properties,
    new_name: str | None,
) -> Successor:
    """Write the erased successor of `snapshot_id` on a temporary branch (see module doc).

    The rows with `doc_ids` are replaced by `transform` of them; with no ids, only the
    manifests are rewritten (a snapshot that mentions a dirty file without using it).
    """
    from pyiceberg.expressions import In

    branch = f"{TEMPORARY_BRANCH}{uuid.uuid4().hex[:12]}"
    table.manage_snapshots().create_branch(snapshot_id, branch).commit()
    try:
        if doc_ids:
            rows = table.scan(snapshot_id=snapshot_id, row_filter=In("doc_id", doc_ids)).to_arrow()
        else:
            rows = table.schema().as_arrow().empty_table()
        written = transform(rows)
        snapshot_properties = properties(table.snapshot_by_id(snapshot_id), rows, written, new_name)
        with table.transaction() as transaction:
            if doc_ids:
                condition = In("doc_id", doc_ids)
                if written.num_rows:
                    transaction.overwrite(
                        written,
                        overwrite_filter=condition,
                        snapshot_properties=snapshot_properties,
                        branch=branch,
                    )
                else:
                    transaction.delete(
                        condition, snapshot_properties=snapshot_properties, branch=branch
                    )
            transaction.update_snapshot(
                snapshot_properties=snapshot_properties, branch=branch
            ).fast_append().commit()
    except BaseException:
        if branch in table.refresh().metadata.refs:
            table.manage_snapshots().remove_branch(branch).commit()
        raise
    return Successor(
        old_snapshot_id=snapshot_id,
        new_snapshot_id=table.metadata.refs[branch].snapshot_id,
        branch=branch,
        rows_read=rows.num_rows,
        rows_written=written.num_rows,
    )


def move_refs(table: Table, successors: list[Successor]) -> None:
    """In one metadata commit: each tag of a rewritten snapshot moves to its successor under
    its erased name, each branch moves under its own name, the temporary branches go."""
    heads = refs_by_snapshot(table)
    with table.manage_snapshots() as manage:
        for successor in successors:
            for name, kind in heads.get(successor.old_snapshot_id, []):
                if name.startswith(TEMPORARY_BRANCH):
                    continue
                successor.refs.append((name, kind))
                if kind == "tag":
                    manage.remove_tag(name)
                    manage.create_tag(successor.new_snapshot_id, successor.names[name])
                else:
                    manage.create_branch(successor.new_snapshot_id, name)
            manage.remove_branch(successor.branch)


def expire_mentioning(table: Table, files: TableFiles, dirty: set[str]) -> list[int]:
    """Expire every snapshot that uses or mentions a dirty file and heads no ref (after
    `move_refs`, that is the originals and the intermediate commits); returns their ids.
    `files` is the table's view after `move_refs`."""
    protected = set(refs_by_snapshot(table))
    doomed = sorted(
        sid
        for sid, used in files.snapshots.items()
        if sid not in protected and used.mentioned & dirty
    )
    if doomed:
        table.maintenance.expire_snapshots().by_ids(doomed).commit()
    return doomed


def remaining_mentions(table: Table, dirty: set[str]) -> list[int]:
    """Snapshots still using or mentioning a dirty file (none after a complete rewrite)."""
    files = TableFiles(table.refresh())
    return sorted(sid for sid, used in files.snapshots.items() if used.mentioned & dirty)
