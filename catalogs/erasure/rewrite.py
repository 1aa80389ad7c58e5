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

A merge-on-read version (position deletes, `catalogs.position_deletes`) may hold the subject in
a row it deleted: the bytes are still in a live data file, which pyiceberg's copy-on-write
would rewrite through the deletes, leaving its delete file to point into a file that is gone.
Its successor is written file by file instead (`_rewrite_merge_on_read`): each data file that
holds the subject, deleted rows included, is rewritten without its deleted rows and without the
subject, and leaves the snapshot together with its delete file (one per data file), so delete
files never need to follow a renamed path.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from catalogs.erasure.tablefiles import TableFiles
from catalogs.position_deletes import merge_on_read_overwrite
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
    dirty: set[str] | None = None,
) -> Successor:
    """Write the erased successor of `snapshot_id` on a temporary branch (see module doc).

    The rows with `doc_ids` are replaced by `transform` of them; with no ids, only the
    manifests are rewritten (a snapshot that mentions a dirty file without using it). A
    snapshot with position deletes is rewritten file by file (`_rewrite_merge_on_read`):
    `dirty` names (path keys) its data files that hold the subject, deleted rows included.
    """
    from pyiceberg.expressions import In

    branch = f"{TEMPORARY_BRANCH}{uuid.uuid4().hex[:12]}"
    table.manage_snapshots().create_branch(snapshot_id, branch).commit()
    try:
        merge_on_read = bool(doc_ids or dirty) and has_position_deletes(table, snapshot_id)
        if merge_on_read:
            rows, written, added, removed = _rewrite_merge_on_read(
                table, snapshot_id, set(doc_ids), dirty or set(), transform
            )
        else:
            if doc_ids:
                rows = table.scan(
                    snapshot_id=snapshot_id, row_filter=In("doc_id", doc_ids)
                ).to_arrow()
            else:
                rows = table.schema().as_arrow().empty_table()
            written = transform(rows)
        snapshot_properties = properties(table.snapshot_by_id(snapshot_id), rows, written, new_name)
        with table.transaction() as transaction:
            if merge_on_read:
                producer = merge_on_read_overwrite(
                    transaction, snapshot_properties=snapshot_properties, branch=branch
                )
                for data_file in added:
                    producer.append_data_file(data_file)
                for old in removed:
                    producer.remove_file(old)
                producer.commit()
            elif doc_ids:
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


def has_position_deletes(table: Table, snapshot_id: int) -> bool:
    """Whether the snapshot has live position-delete files (a merge-on-read version)."""
    from pyiceberg.manifest import ManifestContent

    snapshot = table.snapshot_by_id(snapshot_id)
    return snapshot is not None and any(
        manifest.content == ManifestContent.DELETES
        and (manifest.has_added_files() or manifest.has_existing_files())
        for manifest in snapshot.manifests(table.io)
    )


def _rewrite_merge_on_read(
    table: Table, snapshot_id: int, doc_ids: set[str], dirty: set[str], transform: Transform
) -> tuple[pa.Table, pa.Table, list[Any], list[Any]]:
    """The erased files of a merge-on-read snapshot, written but not committed.

    Each data file in `dirty` is read with the snapshot's deletes applied; its rows with
    `doc_ids` are replaced by `transform` of them and the rest is kept. The survivors of all
    those files become new data files, and each old file leaves with its delete file: the
    rewrite drops the deleted rows (and their bytes, which may be the subject's) together with
    the delete entries that named them, so no delete file ever points into a rewritten file.
    Returns the rows read, the rows written in their place, the new data files, and the data
    and delete files to remove.
    """
    import itertools

    from catalogs.erasure.storage import path_key
    from catalogs.live_rows import live_files, read_live
    from catalogs.versions import write_data_files

    wanted = pa.array(sorted(doc_ids), pa.string())
    targets = [f for f in live_files(table, snapshot_id) if path_key(f.path) in dirty]
    hits: list[pa.Table] = []
    kept: list[pa.Table] = []
    for live in targets:
        for batch in read_live(table, live):
            hit = pc.fill_null(pc.is_in(batch.column("doc_id"), value_set=wanted), False)
            hits.append(batch.filter(hit))
            kept.append(batch.filter(pc.invert(hit)))
    empty = table.schema().as_arrow().empty_table()
    rows = pa.concat_tables(hits, promote_options="permissive") if hits else empty
    written = transform(rows)
    survivors = [
        part.select(written.schema.names).cast(written.schema) for part in kept if part.num_rows
    ]
    combined = pa.concat_tables([*survivors, written]) if survivors or written.num_rows else None
    added = []
    if combined is not None and combined.num_rows:
        added = write_data_files(
            table.metadata,
            table.io,
            combined.sort_by("doc_id") if "doc_id" in combined.column_names else combined,
            uuid.uuid4(),
            itertools.count(),
        )
    removed = [f for live in targets for f in (live.data_file, *live.delete_files)]
    return rows, written, added, removed


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
