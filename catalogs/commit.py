"""The end of a run: reconcile the ledger, then make the version visible in one commit.

Idempotent per run id (`catalogs.versions.commit_version` returns the version a run committed
already), so the orchestrator may retry it; derived data (the dedup signature index,
`catalogs.signature_index`) is updated after it, outside the retried step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from curation.exceptions import CurationError
from curation.ledger import concat_ledgers
from curation.pii.config import policy_fingerprint
from curation.runs import RunPaths
from curation.stage import Stage

if TYPE_CHECKING:
    from pyiceberg.table import Table

    from catalogs.data_files import PendingWrites, WriteTarget
    from catalogs.registry import CatalogSettings
    from curation.spec import DatasetSpec


class LedgerDoesNotReconcile(CurationError, RuntimeError):
    """A run whose ledger does not account for every input: nothing is committed."""


@dataclass
class RunSummary:
    """What a run made: its version, the reconciled counts, and where the time went."""

    run_id: str
    dataset: str
    version: str | None
    location: str | None
    reconciliation: dict[str, Any]
    wall_seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)
    # doc ids of the previous version that this version no longer carries (incremental runs)
    replaced: list[str] = field(default_factory=list)
    # batches per stage that a resumed run found finished and did not run again
    resumed_batches: dict[str, int] = field(default_factory=dict)
    # uncompressed bytes of document text each stage took in (its MB/s)
    stage_bytes: dict[str, int] = field(default_factory=dict)
    # documents of the previous version that left it, per reason (`source_deleted`, `superseded`)
    removed: dict[str, int] = field(default_factory=dict)
    # False when an incremental run found nothing to change: no version was committed and
    # `version` names the newest one, which stays current
    changed: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "dataset": self.dataset,
            "version": self.version,
            "table_location": self.location,
            **self.reconciliation,
            "wall_seconds": round(self.wall_seconds, 2),
            "stage_seconds": {k: round(v, 2) for k, v in self.stage_seconds.items()},
            "stage_bytes": self.stage_bytes,
            "resumed_batches": self.resumed_batches,
            "removed": self.removed,
            "changed": self.changed,
        }


def collect_ledger(paths: RunPaths) -> pa.Table:
    """A run's whole ledger in memory (for inspection and small runs; `commit_run` streams)."""
    return concat_ledgers(pq.read_table(p) for p in ledger_files(paths))


def ledger_files(paths: RunPaths) -> list[Path]:
    """The run's ledger parts, one Parquet file per stage and batch."""
    return sorted(paths.ledger.glob("*.parquet"))


def commit_run(
    final_paths: list[Path],
    *,
    spec: DatasetSpec,
    run_id: str,
    paths: RunPaths,
    catalog_settings: CatalogSettings,
    code_version: str,
    version_name: str | None,
    started: float,
    previous_snapshot_id: int | None = None,
    written: PendingWrites | None = None,
) -> RunSummary:
    """Reconcile the ledger, then make the version visible in one catalog commit.

    `written`: the data files of `final_paths`, being written by the runner's workers
    (`catalogs.data_files`, to the table `write_target` prepared); the reconciliation runs
    while they write, and the commit adds them. When the ledger does not reconcile they are
    deleted once written, since no version will reference them.

    In an incremental run (`previous_snapshot_id` set) the new version is the previous
    version's unchanged rows, carried as they were (already redacted), plus this run's kept
    documents; documents deleted or changed at the source are not carried. Each of those gets
    a ledger row of stage `incremental` (`removal_ledger`): `source_deleted` when its input is
    gone, `superseded` when its input changed and was ingested again. They are decisions about
    the previous version, not about this run's inputs, so the reconciliation leaves them out.

    Nothing here holds the run's documents: the reconciliation and the previous version's
    leavers are DuckDB queries over the staged Parquet files (the previous version's keys are
    first copied to a staged file, one data file at a time), and `commit_version` writes the
    version's data files from the final batches one bounded group at a time.
    """
    from catalogs.reconcile import reconcile_files
    from catalogs.registry import open_catalog
    from catalogs.versions import (
        VersionChanges,
        commit_version,
        get_version,
        load_dataset_table,
        record_run_without_version,
    )

    ledger = ledger_files(paths)
    final = [p for p in final_paths if pq.read_metadata(p).num_rows]
    catalog = open_catalog(catalog_settings)
    scratch = paths.root / "commit"
    replaced: list[str] = []
    changes = None
    removals = None
    kept_files = list(final)
    if previous_snapshot_id is not None:
        table = load_dataset_table(catalog, spec.table_name)
        carried, removals = previous_version_split(
            table, previous_snapshot_id, ledger, run_id, scratch
        )
        kept_files.append(carried)
        removed = removals.column("doc_id").combine_chunks()
        replaced = removed.to_pylist()
        changes = VersionChanges(base=previous_snapshot_id, removed=removed, added=final)
    check = reconcile_files(ledger, kept_files, spill_dir=scratch / "spill")
    if not check.ok:
        if written is not None:
            written.discard()
        raise LedgerDoesNotReconcile(
            f"ledger does not reconcile, nothing committed: {'; '.join(check.problems)} "
            f"(the run's ledger parts are kept in {paths.ledger} for inspection)"
        )
    summary = check.as_dict()
    removed_counts = removal_counts(removals)
    if changes is not None and not len(changes.removed) and not final:
        # nothing new, changed or deleted at the sources: the newest version stays current
        record_run_without_version(catalog, spec.table_name, ledger, run_id)
        newest = get_version(catalog, spec.table_name)
        return RunSummary(
            run_id=run_id,
            dataset=newest.dataset,
            version=newest.name,
            location=newest.location,
            reconciliation=summary,
            wall_seconds=time.monotonic() - started,
            changed=False,
        )
    version = commit_version(
        catalog,
        spec.table_name,
        final,
        ledger,
        run_id=run_id,
        spec_fingerprint=spec.fingerprint,
        code_version=code_version,
        summary={
            **{
                k: summary[k]
                for k in ("inputs", "kept", "dropped", "quarantined", "by_stage", "by_reason")
            },
            **({"removed": removed_counts} if removed_counts else {}),
        },
        version_name=version_name,
        properties={"pii_fingerprint": policy_fingerprint(spec.pii)},
        changes=changes,
        left_version=removals,
        written=written,
    )
    return RunSummary(
        run_id=run_id,
        dataset=version.dataset,
        version=version.name,
        location=version.location,
        reconciliation=summary,
        wall_seconds=time.monotonic() - started,
        replaced=replaced,
        removed=removed_counts,
    )


def write_target(
    catalog_settings: CatalogSettings, dataset: str, run_id: str
) -> WriteTarget | None:
    """Where the runner's workers write the data files of `run_id`'s version before its
    commit: the dataset's table, made now (empty, without a snapshot, as the commit would
    make it) when this is its first version. None when `run_id` has committed its version
    already (a resumed run whose commit went through): there is nothing to write.
    """
    from catalogs.data_files import WriteTarget
    from catalogs.registry import open_catalog
    from catalogs.versions import _ensure_table, find_run_version
    from curation.schema import DOCUMENT_SCHEMA

    table = _ensure_table(open_catalog(catalog_settings), dataset, DOCUMENT_SCHEMA)
    if find_run_version(table, dataset, run_id) is not None:
        return None
    return WriteTarget.of(table)


PREVIOUS_KEY_COLUMNS = ("doc_id", "source_id", "source_uri", "content_sha256")


def previous_version_split(
    table: Table, snapshot_id: int, ledger: list[Path], run_id: str, scratch: Path
) -> tuple[Path, pa.Table]:
    """Which rows of the previous version stay and which leave, without reading its documents.

    The previous snapshot's keys (`PREVIOUS_KEY_COLUMNS`, no text) are copied to a staged
    Parquet file one data file at a time; DuckDB then semi-joins them with this run's carried
    ids (ledger stage `incremental`) into `carried.parquet` (the doc ids that stay, for the
    reconciliation), and anti-joins them into the leavers, each marked by whether this run
    ingested its id again. Returns that file and the leavers' ledger rows (`removal_ledger`).
    """
    from catalogs.reconcile import connect, parquet_relation
    from catalogs.versions import scan_snapshot_batches

    scratch.mkdir(parents=True, exist_ok=True)
    keys_path = scratch / "previous-keys.parquet"
    schema = pa.schema([pa.field(c, pa.string()) for c in PREVIOUS_KEY_COLUMNS])
    with pq.ParquetWriter(keys_path, schema) as writer:
        for rows in scan_snapshot_batches(table, snapshot_id, PREVIOUS_KEY_COLUMNS):
            writer.write_table(rows.select(list(PREVIOUS_KEY_COLUMNS)).cast(schema))
    carried_path = scratch / "carried.parquet"
    keys = str(keys_path).replace("'", "''")
    with connect(scratch / "spill") as db:
        db.execute(
            "CREATE VIEW ledger AS " + parquet_relation(ledger, "doc_id, stage")
            if ledger
            else "CREATE VIEW ledger AS SELECT CAST(NULL AS VARCHAR) AS doc_id, "
            "CAST(NULL AS VARCHAR) AS stage WHERE false"
        )
        db.execute(f"CREATE VIEW previous AS SELECT * FROM read_parquet('{keys}')")
        db.execute(
            "CREATE VIEW carried_ids AS SELECT doc_id FROM ledger "
            f"WHERE stage = '{Stage.INCREMENTAL.value}'"
        )
        target = str(carried_path).replace("'", "''")
        db.execute(
            "COPY (SELECT doc_id FROM previous SEMI JOIN carried_ids USING (doc_id)) "
            f"TO '{target}' (FORMAT parquet)"
        )
        leaving = db.execute(
            "SELECT p.doc_id, p.source_id, p.source_uri, p.content_sha256, "
            "p.doc_id IN (SELECT doc_id FROM ledger "
            f"WHERE stage = '{Stage.INGEST.value}') AS again "
            "FROM previous p ANTI JOIN carried_ids USING (doc_id) ORDER BY p.doc_id"
        ).fetch_arrow_table()
    return carried_path, _removal_rows(leaving, run_id)


class RemovalReason:
    """Why a document of the previous version is not in the new one (ledger reasons)."""

    SOURCE_DELETED = "source_deleted"  # its input is gone from the source
    SUPERSEDED = "superseded"  # its input changed: this run ingested it again


def removal_ledger(removed: pa.Table, ledger: pa.Table, run_id: str) -> pa.Table:
    """Ledger rows (stage `incremental`) for the previous version's documents that leave it.

    A document whose id this run ingested again was superseded by its changed input: it is
    `modified` (the id lives on with new bytes, whatever the stages then decide); one whose
    input is gone is `dropped`. Details name the sha256 of the bytes that left.

    Examples
    --------
    >>> from curation.ledger import ledger_table
    >>> removed = pa.table({"doc_id": ["a", "b"], "source_id": ["hr", "hr"],
    ...     "source_uri": ["file:///a", "file:///b"], "content_sha256": ["01", "02"]})
    >>> ledger = ledger_table("r2", "ingest", ["a"], ["kept"])
    >>> rows = removal_ledger(removed, ledger, "r2").select(["doc_id", "decision", "reason"])
    >>> rows.to_pylist()
    [{'doc_id': 'a', 'decision': 'modified', 'reason': 'superseded'}, {'doc_id': 'b', 'decision': 'dropped', 'reason': 'source_deleted'}]
    """
    import pyarrow.compute as pc

    ingested = ledger.filter(pc.equal(ledger.column("stage"), Stage.INGEST.value)).column("doc_id")
    again = pc.fill_null(
        pc.is_in(removed.column("doc_id"), value_set=ingested.combine_chunks()), False
    )
    return _removal_rows(removed.append_column("again", again), run_id)


def _removal_rows(removed: pa.Table, run_id: str) -> pa.Table:
    """`removal_ledger`'s rows from the leavers' keys and `again` (ingested again this run)."""
    from curation.ledger import details_json, ledger_table
    from curation.stage import Decision

    again = [bool(a) for a in removed.column("again").to_pylist()]
    return ledger_table(
        run_id,
        Stage.INCREMENTAL.value,
        removed.column("doc_id"),
        [Decision.MODIFIED.value if a else Decision.DROPPED.value for a in again],
        [RemovalReason.SUPERSEDED if a else RemovalReason.SOURCE_DELETED for a in again],
        [details_json(previous_sha256=sha) for sha in removed.column("content_sha256").to_pylist()],
        source_ids=removed.column("source_id"),
        source_uris=removed.column("source_uri"),
    )


def removal_counts(removals: pa.Table | None) -> dict[str, int]:
    """Documents that left the version, per reason."""
    if removals is None or removals.num_rows == 0:
        return {}
    grouped = removals.group_by("reason").aggregate([("doc_id", "count")])
    return dict(
        sorted(zip(grouped["reason"].to_pylist(), grouped["doc_id_count"].to_pylist(), strict=True))
    )
