"""Versioned datasets: one atomic Iceberg commit per run, tagged with the version name.

A version is a snapshot of the dataset table that holds the full kept set of a run, made by a
single transaction that overwrites the table's rows, stamps the snapshot with the run id, spec
fingerprint, code version and the run's reconciled counts, and tags it. If anything raises
before the transaction commits, the previous version stays current and untouched. The ledger of
every decision is appended to a sibling table `<name>__ledger` *before* the data commit, so a
committed version always has its ledger; a crashed run leaves at most ledger rows of a run id
that no version references. An incremental version is instead its base plus the change in one
snapshot: position deletes for the rows that leave, new data files for the rows that arrive
(`catalogs.merge_on_read`).

A commit is idempotent per run id: a retried commit finds the snapshot that carries its run id
and returns that version, and appends the ledger only if no ledger snapshot of the run exists.
So a step that fails after the catalog commit can be retried without a second version or a
second copy of the ledger.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from catalogs.exceptions import CatalogError, DatasetNotFound, VersionNotFound
from catalogs.merge_on_read import commit_merge_on_read, plan_removal
from catalogs.position_deletes import supports_position_deletes
from curation.ledger import LEDGER_SCHEMA, STAGE_ORDER
from curation.schema import DOCUMENT_SCHEMA, conform

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog
    from pyiceberg.io import FileIO
    from pyiceberg.manifest import DataFile
    from pyiceberg.table import Table
    from pyiceberg.table.metadata import TableMetadata

    from catalogs.data_files import PendingWrites

LEDGER_SUFFIX = "__ledger"
SIDE_TABLE_SUFFIXES = (LEDGER_SUFFIX,)
PROPERTY_PREFIX = "curate."
# Row groups of 50,000 rows (pyiceberg's default is 2^20): a page of samples, a document
# lookup or an erasure rewrite decompresses one row group of text, not a whole file.
TABLE_PROPERTIES = {"write.parquet.row-group-limit": "50000"}
# A version committed from staged files is written one group of batches at a time: each group
# (at most this many bytes of Arrow data, plus one batch) is sorted by doc_id and becomes one
# data file, so the commit holds one group in memory, never the run.
WRITE_GROUP_BYTES = 64 * 2**20
_VERSION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class InvalidVersionName(CatalogError, ValueError):
    """A version name that cannot tag a new version (malformed or taken)."""


@dataclass(frozen=True)
class VersionChanges:
    """A version as a change of its base snapshot: rows removed (by doc id) and rows added.

    `added` is a table, or the staged Parquet files that hold the added rows.
    """

    base: int
    removed: pa.Array
    added: pa.Table | Sequence[Path]


@dataclass(frozen=True)
class VersionInfo:
    """What a version is: its tag, snapshot, run and counts."""

    dataset: str
    name: str
    snapshot_id: int
    created_at: str
    run_id: str | None
    spec_fingerprint: str | None
    code_version: str | None
    row_count: int
    summary: dict[str, Any]
    location: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "version": self.name,
            "snapshot_id": self.snapshot_id,
            "created_at": self.created_at,
            "run_id": self.run_id,
            "spec_fingerprint": self.spec_fingerprint,
            "code_version": self.code_version,
            "row_count": self.row_count,
            "summary": self.summary,
            "location": self.location,
        }


def split_identifier(name: str) -> tuple[str, str]:
    """`ns.table` -> (ns, table); a bare name goes to the `curated` namespace."""
    namespace, _, table = name.rpartition(".")
    return (namespace or "curated", table)


def qualified(name: str) -> str:
    return ".".join(split_identifier(name))


def validate_version_name(name: str) -> str:
    """`name` when it can tag a version; otherwise an error that says what would.

    >>> validate_version_name("v7")
    'v7'
    >>> validate_version_name("bad name!")
    Traceback (most recent call last):
    ...
    catalogs.versions.InvalidVersionName: version name 'bad name!' must start with a letter or digit and contain only letters, digits, '.', '_' or '-' (at most 64 characters), e.g. v7 or 2024-q3
    """
    if not _VERSION_NAME.match(name):
        raise InvalidVersionName(
            f"version name {name!r} must start with a letter or digit and contain only "
            "letters, digits, '.', '_' or '-' (at most 64 characters), e.g. v7 or 2024-q3"
        )
    return name


def check_new_version_name(catalog: Catalog, dataset: str, name: str) -> None:
    """Refuse, before a run starts, a version name that is malformed or already taken."""
    from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError

    validate_version_name(name)
    try:
        table = catalog.load_table(qualified(dataset))
    except (NoSuchTableError, NoSuchNamespaceError):
        return
    if name in table.metadata.refs:
        raise InvalidVersionName(
            f"dataset {qualified(dataset)} already has a version named {name!r}: choose another "
            "name, or leave --version out to get the next v<n>"
        )


def _ensure_table(catalog: Catalog, identifier: str, schema: pa.Schema) -> Table:
    namespace, _ = split_identifier(identifier)
    catalog.create_namespace_if_not_exists(namespace)
    return catalog.create_table_if_not_exists(
        qualified(identifier), schema=schema, properties=TABLE_PROPERTIES
    )


def next_version_name(table: Table) -> str:
    """`v{n+1}` where n is the highest existing `v<number>` tag."""
    numbers = [
        int(name[1:].split("-")[0])
        for name, ref in table.metadata.refs.items()
        if ref.snapshot_ref_type.value == "tag" and re.fullmatch(r"v\d+(?:-e\d+)?", name)
    ]
    return f"v{max(numbers, default=0) + 1}"


def commit_version(
    catalog: Catalog,
    dataset: str,
    documents: pa.Table | Sequence[Path],
    ledger: pa.Table | Sequence[Path],
    *,
    run_id: str,
    spec_fingerprint: str,
    code_version: str,
    summary: dict[str, Any],
    version_name: str | None = None,
    properties: dict[str, str] | None = None,
    changes: VersionChanges | None = None,
    left_version: pa.Table | None = None,
    written: PendingWrites | None = None,
) -> VersionInfo:
    """Append the ledger, then overwrite the dataset with `documents` and tag it, atomically.

    With `changes` (an incremental run whose base is still the table's current snapshot), the
    same version is committed as a delete of the removed rows plus an append of the new ones,
    in one snapshot; `documents` still holds the whole version (for its stats). On a format
    version 2 table the delete is merge-on-read (`catalogs.merge_on_read`): position-delete
    files name the removed rows and every data file of the base is reused, so storage grows
    with the change, not the table.
    `left_version`: ledger rows of the previous version's documents that leave it (appended
    with the ledger; not counted in the version's stats, which count this run's inputs).

    `documents` and `ledger` may instead be staged Parquet files (a run's final batches and
    ledger parts): then the data files are written one bounded group at a time
    (`WRITE_GROUP_BYTES`, each sorted by doc_id) and added in the one transaction, the stats are
    merged per group, and the ledger is grouped by DuckDB over its files, so the commit never
    holds the version in memory. With `changes`, `documents` are the added rows only and the
    base snapshot's remaining rows are read one data file at a time.
    `written`: the data files of the staged `documents`, written with their stats by the
    runner's workers (`catalogs.data_files`); the commit adds them instead of writing, and
    waits for them only after its ledger append and removal plan.

    When a version of `run_id` exists already (a retry after the commit went through), that
    version is returned and nothing is written.
    """
    from pyiceberg.expressions import In
    from pyiceberg.table.update.snapshot import ManageSnapshots

    table = _ensure_table(catalog, dataset, DOCUMENT_SCHEMA)
    ledger_table = _ensure_table(catalog, dataset + LEDGER_SUFFIX, LEDGER_SCHEMA)
    committed = find_run_version(table, dataset, run_id)
    if committed is not None:
        return committed
    name = validate_version_name(version_name) if version_name else next_version_name(table)
    if name in table.metadata.refs:
        raise ValueError(f"dataset {qualified(dataset)} already has a version named {name!r}")
    if not isinstance(documents, pa.Table):
        _commit_staged(
            table,
            ledger_table,
            list(documents),
            ledger,
            run_id=run_id,
            name=name,
            properties={
                **{f"{PROPERTY_PREFIX}{k}": v for k, v in (properties or {}).items()},
                f"{PROPERTY_PREFIX}run_id": run_id,
                f"{PROPERTY_PREFIX}spec_fingerprint": spec_fingerprint,
                f"{PROPERTY_PREFIX}code_version": code_version,
                f"{PROPERTY_PREFIX}version": name,
                f"{PROPERTY_PREFIX}summary": json.dumps(
                    summary, sort_keys=True, separators=(",", ":")
                ),
            },
            changes=changes,
            left_version=left_version,
            written=written,
        )
        return get_version(catalog, dataset, name)
    if isinstance(ledger, pa.Table):
        ledger_rows = ledger
    else:
        ledger_rows = pa.concat_tables([pq.read_table(p).cast(LEDGER_SCHEMA) for p in ledger])
    ledger = ledger_rows
    from catalogs.stats import stats_property

    properties = {
        **{f"{PROPERTY_PREFIX}{k}": v for k, v in (properties or {}).items()},
        f"{PROPERTY_PREFIX}run_id": run_id,
        f"{PROPERTY_PREFIX}spec_fingerprint": spec_fingerprint,
        f"{PROPERTY_PREFIX}code_version": code_version,
        f"{PROPERTY_PREFIX}version": name,
        f"{PROPERTY_PREFIX}summary": json.dumps(summary, sort_keys=True, separators=(",", ":")),
        f"{PROPERTY_PREFIX}stats": stats_property(documents, ledger),
    }
    append_run_ledger(
        ledger_table,
        pa.concat_tables([ledger.cast(LEDGER_SCHEMA), left_version.cast(LEDGER_SCHEMA)])
        if left_version is not None and left_version.num_rows
        else ledger,
        run_id,
    )
    current = table.current_snapshot()
    onto_base = changes is not None and current is not None and current.snapshot_id == changes.base
    merge_on_read = onto_base and supports_position_deletes(table)
    if merge_on_read:
        assert changes is not None and isinstance(changes.added, pa.Table)
        write_rows = _rows_writer(table)
        plan = plan_removal(table, changes.base, changes.removed, write_rows)
        added = write_rows(changes.added) if changes.added.num_rows else []
    with table.transaction() as transaction:
        missing = {k: v for k, v in TABLE_PROPERTIES.items() if table.properties.get(k) != v}
        if missing:  # a table made before a property was chosen gets it with this commit
            transaction.set_properties(missing)
        if merge_on_read:
            # the removed rows are named in position-delete files; every data file is reused
            commit_merge_on_read(transaction, plan, added, snapshot_properties=properties)
        elif onto_base:
            assert changes is not None
            # Only files holding a removed row are rewritten (copy-on-write); the others are
            # reused by the new snapshot, so storage grows with the change, not the table.
            if len(changes.removed):
                transaction.delete(
                    In("doc_id", changes.removed.to_pylist()), snapshot_properties=properties
                )
            if changes.added.num_rows or not len(changes.removed):
                transaction.append(
                    conform(changes.added).sort_by("doc_id"), snapshot_properties=properties
                )
        else:
            transaction.overwrite(conform(documents), snapshot_properties=properties)
        snapshot_id = transaction.table_metadata.current_snapshot_id
        ManageSnapshots(transaction).create_tag(snapshot_id, name).commit()
    return get_version(catalog, dataset, name)


def append_run_ledger(
    ledger_table: Table,
    ledger: pa.Table | Sequence[Path],
    run_id: str,
    extra: pa.Table | None = None,
) -> None:
    """Append a run's ledger once: a retry finds the snapshot of its run id and appends nothing.

    `ledger` is a table or the run's ledger Parquet parts, which are written to the ledger
    table one bounded group at a time; `extra` rows (the previous version's documents that
    leave it) go into the same snapshot.
    """
    if _has_run_snapshot(ledger_table, run_id):
        return
    if isinstance(ledger, pa.Table):
        if extra is not None and extra.num_rows:
            ledger = pa.concat_tables([ledger.cast(LEDGER_SCHEMA), extra.cast(LEDGER_SCHEMA)])
        if ledger.num_rows:
            ledger_table.append(
                ledger.cast(LEDGER_SCHEMA),
                snapshot_properties={f"{PROPERTY_PREFIX}run_id": run_id},
            )
        return

    def ledger_part(path: Path) -> pa.Table:
        return pq.read_table(path).cast(LEDGER_SCHEMA)

    parts: list[Iterable[pa.Table]] = [(ledger_part(p) for p in ledger)]
    if extra is not None:
        parts.append([extra.cast(LEDGER_SCHEMA)])
    metadata = ledger_table.metadata
    counter, write_uuid = itertools.count(), uuid.uuid4()
    files = [
        data_file
        for group in bounded_groups(itertools.chain(*parts))
        for data_file in write_data_files(metadata, ledger_table.io, group, write_uuid, counter)
    ]
    if files:
        with ledger_table.transaction() as transaction:
            snapshot = transaction.update_snapshot(
                snapshot_properties={f"{PROPERTY_PREFIX}run_id": run_id}
            )
            with snapshot.fast_append() as append:
                for data_file in files:
                    append.append_data_file(data_file)


def bounded_groups(
    tables: Iterable[pa.Table],
    *,
    max_bytes: int | None = None,
    sort_by: str | None = None,
) -> Iterator[pa.Table]:
    """Tables concatenated into groups of at most `max_bytes` (`WRITE_GROUP_BYTES`) plus one
    table, each sorted by `sort_by` when given: bounded memory, few and large data files."""
    limit = WRITE_GROUP_BYTES if max_bytes is None else max_bytes
    pending: list[pa.Table] = []
    size = 0

    def flush() -> pa.Table:
        group = pa.concat_tables(pending) if len(pending) > 1 else pending[0]
        pending.clear()
        return group.sort_by(sort_by) if sort_by else group

    for table in tables:
        if not table.num_rows:
            continue
        pending.append(table)
        size += table.nbytes
        if size >= limit:
            yield flush()
            size = 0
    if pending:
        yield flush()


def write_data_files(
    metadata: TableMetadata,
    io: FileIO,
    rows: pa.Table,
    write_uuid: uuid.UUID,
    counter: itertools.count[int],
) -> list[DataFile]:
    """Data files of `rows` for the table of `metadata`, written through its file `io` (not
    yet in any snapshot): pyiceberg's own writer, one group at a time, so that its thread pool
    never holds more than this group."""
    from pyiceberg.io.pyarrow import _dataframe_to_data_files

    return list(
        _dataframe_to_data_files(
            table_metadata=metadata, df=rows, io=io, write_uuid=write_uuid, counter=counter
        )
    )


def scan_snapshot_batches(
    table: Table,
    snapshot_id: int,
    columns: Sequence[str] | None = None,
    *,
    keep: Callable[[pa.Table], pa.Array] | None = None,
) -> Iterator[pa.Table]:
    """The rows of a snapshot one data file at a time (`columns` only), optionally filtered by
    `keep` (a boolean mask per batch).

    `DataScan.to_arrow_batch_reader` reads every file of the scan at once in its thread pool,
    which for a large version is the whole table; this plans the files and reads them one by
    one through pyiceberg's reader (schema projection and delete files included).
    """
    from pyiceberg.io.pyarrow import ArrowScan, _read_all_delete_files

    scan = table.scan(snapshot_id=snapshot_id, selected_fields=tuple(columns or ("*",)))
    for task in scan.plan_files():
        reader = ArrowScan(table.metadata, table.io, scan.projection(), scan.row_filter)
        deletes = _read_all_delete_files(table.io, [task])
        for batch in reader._record_batches_from_scan_tasks_and_deletes([task], deletes):
            rows = pa.Table.from_batches([batch])
            if keep is not None:
                rows = rows.filter(keep(rows))
            if rows.num_rows:
                yield rows


def _commit_staged(
    table: Table,
    ledger_table: Table,
    documents: list[Path],
    ledger: pa.Table | Sequence[Path],
    *,
    run_id: str,
    name: str,
    properties: dict[str, str],
    changes: VersionChanges | None,
    left_version: pa.Table | None,
    written: PendingWrites | None = None,
) -> None:
    """`commit_version` from staged files: write the data files group by group (taking the
    stats along), or take those `written` already, append the ledger, then commit and tag in
    one transaction.

    Onto its base, an incremental version's stats also read the base's remaining rows, text
    included (the one part of the commit that grows with the version, not the change): that
    read runs in a thread beside the writes of the new data files, the removal plan and the
    ledger, which wait on other files. Stats are sums, so the order of the folds is free.
    """
    from concurrent.futures import ThreadPoolExecutor

    from pyiceberg.expressions import AlwaysTrue, In
    from pyiceberg.table.snapshots import Operation
    from pyiceberg.table.update.snapshot import ManageSnapshots

    from catalogs.stats import (
        STATS_COLUMNS,
        StatsAccumulator,
        _decision_counts,
        ledger_decision_counts,
    )

    if isinstance(ledger, pa.Table):
        decisions = _decision_counts(ledger)
    else:
        decisions = ledger_decision_counts(list(ledger))
    current = table.current_snapshot()
    onto_base = changes is not None and current is not None and current.snapshot_id == changes.base
    removed = changes.removed if changes is not None else pa.array([], pa.string())
    if changes is not None and not isinstance(changes.added, pa.Table):
        documents = list(changes.added)
    metadata = _write_metadata(table)
    stats = StatsAccumulator()
    folding = threading.Lock()

    def fold(rows: pa.Table) -> None:
        with folding:
            stats.add(rows)

    def fold_written(part: StatsAccumulator) -> None:
        with folding:
            stats.merge(part)

    def remaining(rows: pa.Table) -> pa.Array:
        return pc.invert(pc.is_in(rows.column("doc_id"), value_set=removed))

    def fold_carried(base: int) -> None:
        for rows in scan_snapshot_batches(table, base, STATS_COLUMNS, keep=remaining):
            fold(rows)

    counter, write_uuid = itertools.count(), uuid.uuid4()
    files: list[DataFile] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="commit-stats") as reader:
        # the base's rows that stay, read for the stats only (their data files are reused)
        carried = None
        if changes is not None and onto_base:
            carried = reader.submit(fold_carried, changes.base)
        if written is None:
            staged = (conform(pq.read_table(p)) for p in documents)
            for group in bounded_groups(staged, sort_by="doc_id"):
                fold(group)
                files += write_data_files(metadata, table.io, group, write_uuid, counter)
                del group
        if changes is not None and not onto_base:
            # the base is no longer the table's current snapshot: the version is a full
            # overwrite, its remaining rows written again
            rows = scan_snapshot_batches(table, changes.base, None, keep=remaining)
            for group in bounded_groups((conform(r) for r in rows), sort_by="doc_id"):
                fold(group)
                files += write_data_files(metadata, table.io, group, write_uuid, counter)
        merge_on_read = onto_base and supports_position_deletes(table)
        if merge_on_read:
            assert changes is not None
            plan = plan_removal(table, changes.base, removed, _rows_writer(table))
        append_run_ledger(ledger_table, ledger, run_id, left_version)
        if written is not None:
            # the workers' files, waited for last: everything above ran while they wrote
            for part in written.result():
                fold_written(part.stats)
                files += part.data_files
        if carried is not None:
            carried.result()
    properties = {**properties, f"{PROPERTY_PREFIX}stats": stats.as_property(decisions)}
    with table.transaction() as transaction:
        missing = {k: v for k, v in TABLE_PROPERTIES.items() if table.properties.get(k) != v}
        if missing:
            transaction.set_properties(missing)
        if merge_on_read:
            # the removed rows are named in position-delete files; every data file is reused
            commit_merge_on_read(transaction, plan, files, snapshot_properties=properties)
        elif onto_base:
            # Only files holding a removed row are rewritten (copy-on-write); the others are
            # reused by the new snapshot, so storage grows with the change, not the table.
            if len(removed):
                transaction.delete(
                    In("doc_id", removed.to_pylist()), snapshot_properties=properties
                )
        else:
            transaction.delete(
                AlwaysTrue(),
                snapshot_properties=properties,
                _isolation_operation=Operation.OVERWRITE,
            )
        if not merge_on_read and (files or not onto_base or not len(removed)):
            with transaction.update_snapshot(snapshot_properties=properties).fast_append() as add:
                for data_file in files:
                    add.append_data_file(data_file)
        snapshot_id = transaction.table_metadata.current_snapshot_id
        ManageSnapshots(transaction).create_tag(snapshot_id, name).commit()


def _write_metadata(table: Table) -> TableMetadata:
    """The table's metadata with `TABLE_PROPERTIES` (for data files written before the commit
    that sets them on an older table)."""
    return table.metadata.model_copy(
        update={"properties": {**table.metadata.properties, **TABLE_PROPERTIES}}
    )


def _rows_writer(table: Table) -> Callable[[pa.Table], list[DataFile]]:
    """Rows -> new data files of the dataset table (conformed, sorted by doc_id): the writer of
    a merge-on-read commit's added rows and compacted files."""
    metadata, counter, write_uuid = _write_metadata(table), itertools.count(), uuid.uuid4()

    def write_rows(rows: pa.Table) -> list[DataFile]:
        return write_data_files(
            metadata, table.io, conform(rows).sort_by("doc_id"), write_uuid, counter
        )

    return write_rows


def record_run_without_version(
    catalog: Catalog, dataset: str, ledger: pa.Table | Sequence[Path], run_id: str
) -> None:
    """The ledger of a run that changed nothing: its decisions are kept, no version is made."""
    append_run_ledger(
        _ensure_table(catalog, dataset + LEDGER_SUFFIX, LEDGER_SCHEMA), ledger, run_id
    )


def _has_run_snapshot(table: Table, run_id: str) -> bool:
    key = f"{PROPERTY_PREFIX}run_id"
    return any(
        s.summary is not None and s.summary.additional_properties.get(key) == run_id
        for s in table.metadata.snapshots
    )


def find_run_version(table: Table, dataset: str, run_id: str) -> VersionInfo | None:
    """The tagged version whose snapshot was committed by `run_id`, if any."""
    key = f"{PROPERTY_PREFIX}run_id"
    for name, ref in table.metadata.refs.items():
        if ref.snapshot_ref_type.value != "tag":
            continue
        snapshot = table.snapshot_by_id(ref.snapshot_id)
        if (
            snapshot
            and snapshot.summary
            and snapshot.summary.additional_properties.get(key) == run_id
        ):
            return _version_info(table, dataset, name, ref.snapshot_id)
    return None


def load_dataset_table(catalog: Catalog, dataset: str) -> Table:
    from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError

    try:
        return catalog.load_table(qualified(dataset))
    except (NoSuchTableError, NoSuchNamespaceError) as error:
        raise DatasetNotFound(
            f"no dataset named {qualified(dataset)!r} in the catalog: `curate catalog list` "
            "shows what exists"
        ) from error


def list_versions(catalog: Catalog, dataset: str) -> list[VersionInfo]:
    """Every tagged version of a dataset, oldest first."""
    table = load_dataset_table(catalog, dataset)
    versions = [
        _version_info(table, dataset, name, ref.snapshot_id)
        for name, ref in table.metadata.refs.items()
        if ref.snapshot_ref_type.value == "tag"
    ]
    return sorted(versions, key=lambda v: (v.created_at, v.snapshot_id))


def get_version(catalog: Catalog, dataset: str, name: str | None = None) -> VersionInfo:
    """One version by tag name; the newest one when `name` is None."""
    table = load_dataset_table(catalog, dataset)
    if name is None:
        versions = list_versions(catalog, dataset)
        if not versions:
            raise VersionNotFound(f"dataset {qualified(dataset)} has no committed version yet")
        return versions[-1]
    ref = table.metadata.refs.get(name)
    if ref is None or ref.snapshot_ref_type.value != "tag":
        known = ", ".join(v.name for v in list_versions(catalog, dataset)) or "none"
        raise VersionNotFound(
            f"dataset {qualified(dataset)} has no version {name!r} (versions: {known})"
        )
    return _version_info(table, dataset, name, ref.snapshot_id)


def snapshot_property(catalog: Catalog, dataset: str, snapshot_id: int, key: str) -> str | None:
    """A `curate.<key>` property of a version's snapshot (None when that version lacks it)."""
    snapshot = load_dataset_table(catalog, dataset).snapshot_by_id(snapshot_id)
    if snapshot is None or snapshot.summary is None:
        return None
    return snapshot.summary.additional_properties.get(f"{PROPERTY_PREFIX}{key}")


def read_version(catalog: Catalog, dataset: str, name: str | None = None) -> pa.Table:
    """The rows of one version as Arrow."""
    version = get_version(catalog, dataset, name)
    table = load_dataset_table(catalog, dataset)
    return table.scan(snapshot_id=version.snapshot_id).to_arrow()


def read_ledger(catalog: Catalog, dataset: str, run_id: str | None = None) -> pa.Table:
    """Ledger rows of a dataset, optionally of one run."""
    from pyiceberg.expressions import EqualTo

    ledger = load_dataset_table(catalog, dataset + LEDGER_SUFFIX)
    scan = ledger.scan(row_filter=EqualTo("run_id", run_id)) if run_id else ledger.scan()
    return scan.to_arrow()


def _version_info(table: Table, dataset: str, name: str, snapshot_id: int) -> VersionInfo:
    snapshot = table.snapshot_by_id(snapshot_id)
    properties = (
        dict(snapshot.summary.additional_properties) if snapshot and snapshot.summary else {}
    )
    # an erased version is a rewritten snapshot: it keeps its original commit time
    created = properties.get(f"{PROPERTY_PREFIX}committed_at") or (
        datetime.fromtimestamp(snapshot.timestamp_ms / 1000, tz=UTC).isoformat() if snapshot else ""
    )
    summary = json.loads(properties.get(f"{PROPERTY_PREFIX}summary") or "{}")
    if "by_stage" in summary:
        rank = {stage: i for i, stage in enumerate(STAGE_ORDER)}
        summary["by_stage"] = dict(
            sorted(summary["by_stage"].items(), key=lambda kv: rank.get(kv[0], len(rank)))
        )
    return VersionInfo(
        dataset=qualified(dataset),
        name=name,
        snapshot_id=snapshot_id,
        created_at=created,
        run_id=properties.get(f"{PROPERTY_PREFIX}run_id"),
        spec_fingerprint=properties.get(f"{PROPERTY_PREFIX}spec_fingerprint"),
        code_version=properties.get(f"{PROPERTY_PREFIX}code_version"),
        # data files' records less the rows position deletes remove (merge-on-read versions)
        row_count=int(properties.get("total-records", 0))
        - int(properties.get("total-position-deletes", 0)),
        summary=summary,
        location=table.metadata.location,
    )
