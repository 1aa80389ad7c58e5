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
from curation.ledger import concat_ledgers, reconcile
from curation.pii.config import policy_fingerprint
from curation.runs import RunPaths
from curation.schema import conform
from curation.stage import Stage
from curation.tabular import read_staged

if TYPE_CHECKING:
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
    return concat_ledgers(pq.read_table(p) for p in sorted(paths.ledger.glob("*.parquet")))


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
) -> RunSummary:
    """Reconcile the ledger, then make the version visible in one catalog commit.

    In an incremental run (`previous_snapshot_id` set) the new version is the previous
    version's unchanged rows, carried as they were (already redacted), plus this run's kept
    documents; documents deleted or changed at the source are not carried. Each of those gets
    a ledger row of stage `incremental` (`removal_ledger`): `source_deleted` when its input is
    gone, `superseded` when its input changed and was ingested again. They are decisions about
    the previous version, not about this run's inputs, so the reconciliation leaves them out.
    """
    import pyarrow.compute as pc

    from catalogs.registry import open_catalog
    from catalogs.versions import (
        VersionChanges,
        commit_version,
        get_version,
        load_dataset_table,
        record_run_without_version,
    )

    documents = read_staged(final_paths)
    ledger = collect_ledger(paths)
    catalog = open_catalog(catalog_settings)
    replaced: list[str] = []
    changes = None
    removals = None
    if previous_snapshot_id is not None:
        carried_ids = ledger.filter(
            pc.equal(ledger.column("stage"), Stage.INCREMENTAL.value)
        ).column("doc_id")
        previous = (
            load_dataset_table(catalog, spec.table_name)
            .scan(snapshot_id=previous_snapshot_id)
            .to_arrow()
        )
        in_carried = pc.is_in(previous.column("doc_id"), value_set=carried_ids.combine_chunks())
        removed = previous.filter(pc.invert(in_carried)).column("doc_id").combine_chunks()
        replaced = removed.to_pylist()
        removals = removal_ledger(previous.filter(pc.invert(in_carried)), ledger, run_id)
        changes = VersionChanges(base=previous_snapshot_id, removed=removed, added=documents)
        documents = pa.concat_tables([conform(previous.filter(in_carried)), documents])
    documents = documents.sort_by("doc_id")
    ingest = ledger.filter(pc.equal(ledger.column("stage"), Stage.INGEST.value))
    check = reconcile(
        ledger,
        ingest.column("doc_id").combine_chunks(),
        documents.column("doc_id").combine_chunks(),
    )
    if not check.ok:
        raise LedgerDoesNotReconcile(
            f"ledger does not reconcile, nothing committed: {'; '.join(check.problems)} "
            f"(the run's ledger parts are kept in {paths.ledger} for inspection)"
        )
    summary = check.as_dict()
    removed_counts = removal_counts(removals)
    if changes is not None and not len(changes.removed) and not changes.added.num_rows:
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
        documents,
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

    from curation.ledger import details_json, ledger_table
    from curation.stage import Decision

    ingested = ledger.filter(pc.equal(ledger.column("stage"), Stage.INGEST.value)).column("doc_id")
    again = pc.fill_null(
        pc.is_in(removed.column("doc_id"), value_set=ingested.combine_chunks()), False
    ).to_pylist()
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
