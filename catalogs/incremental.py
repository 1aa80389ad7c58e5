"""Incremental runs: what the newest version holds, and which ingested documents it already has.

A document is carried (skips every stage) when its `doc_id` and the sha256 of its original bytes
match a row of the newest version, and only when that version was redacted under the same PII
policy and rules; the ledger records it as stage `incremental`, kept. An unread document that
license or quality dropped or quarantined last time keeps that decision while its bytes and the
stage's configuration are unchanged (stage `incremental`, the earlier decision).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from curation.ingest.known import UNCHANGED_REASON
from curation.ledger import LEDGER_SCHEMA, Decision, concat_ledgers, details_json, ledger_table
from curation.pii.config import policy_fingerprint
from curation.pipeline import batch_name
from curation.runs import RunPaths
from curation.schema import conform
from curation.stage import Stage
from curation.tabular import write_atomic

if TYPE_CHECKING:
    from catalogs.registry import CatalogSettings
    from curation.spec import DatasetSpec


def current_version_keys(
    catalog_settings: CatalogSettings, dataset: str
) -> tuple[int | None, pa.Table | None]:
    """Snapshot id and (doc_id, content_sha256) of the dataset's newest version, if any."""
    from catalogs.exceptions import CatalogError
    from catalogs.registry import open_catalog
    from catalogs.versions import get_version, load_dataset_table

    catalog = open_catalog(catalog_settings)
    try:
        version = get_version(catalog, dataset)
    except CatalogError:
        return None, None
    keys = (
        load_dataset_table(catalog, dataset)
        .scan(snapshot_id=version.snapshot_id, selected_fields=("doc_id", "content_sha256"))
        .to_arrow()
    )
    return version.snapshot_id, keys


def carry_refused(
    catalog_settings: CatalogSettings, spec: DatasetSpec, snapshot_id: int
) -> str | None:
    """Why an incremental run must not carry the newest version's rows, or None when it may.

    Carried rows skip every stage, PII included: they are only safe to carry when the same PII
    policy and detection rules produced them. A version without the property was redacted by an
    older engine (before metadata columns and languages were covered).
    """
    from catalogs.registry import open_catalog
    from catalogs.versions import snapshot_property

    catalog = open_catalog(catalog_settings)
    stored = snapshot_property(catalog, spec.table_name, snapshot_id, "pii_fingerprint")
    if stored == policy_fingerprint(spec.pii):
        return None
    return (
        "the PII policy or detection rules changed since the newest version"
        if stored
        else "the newest version was redacted by an older PII engine"
    )


def split_unchanged(
    batch_path: Path,
    *,
    previous: pa.Table,
    run_id: str,
    paths: RunPaths,
    standing: pa.Table | None = None,
) -> Path:
    """Incremental runs: documents whose bytes are already in the current version skip every
    stage and are carried into the new version (ledger: stage `incremental`, kept); unread
    documents whose earlier license or quality decision stands (`standing`, from
    `KnownInputs.standing_decisions`) get that decision again without running the stages.

    A document is unchanged when its `doc_id` (source + path) and the sha256 of its original
    bytes both match a row of the previous version; everything else goes on as new. A standing
    decision is recorded as stage `incremental`, the earlier decision, reason
    `incremental.unchanged`, and the earlier stage, decision, reason and details in details.
    One staged batch in, its survivors out (`carry_unchanged` does a whole run's batches).
    """
    name = f"{Stage.INCREMENTAL}-{batch_name(batch_path)}.parquet"
    if (paths.documents / name).exists() and (paths.ledger / name).exists():
        return paths.documents / name  # finished before the run was interrupted
    carry = _Carry(previous, standing, run_id)
    ledger, rest = carry.split(conform(pq.read_table(batch_path)))
    write_atomic(ledger, paths.ledger / name)
    return write_atomic(rest, paths.documents / name)


def carry_unchanged(
    batches: list[Path],
    *,
    previous: pa.Table,
    run_id: str,
    paths: RunPaths,
    batch_size: int,
    standing: pa.Table | None = None,
) -> list[Path]:
    """`split_unchanged` over every ingested batch of a run, in one step whose survivors are
    packed into batches of up to `batch_size` rows, in ingest order.

    After a small change most ingested batches hold only carried documents: every batch that
    went on would cost each later step a file read and write, and each fused task its fixed
    cost, for a handful of rows or none. Each ingested batch still gets its own ledger part
    (`incremental-<batch>.parquet`); the survivors are `incremental-<n>.parquet`. A resumed
    run skips the step once it finished; one cut off is done again from its start.
    """
    step = str(Stage.INCREMENTAL)
    finished = paths.done(step)
    if finished is not None:
        return finished["outputs"]
    for partial in paths.documents.glob(f"{step}-[0-9][0-9][0-9][0-9][0-9].parquet"):
        partial.unlink()
    carry = _Carry(previous, standing, run_id)
    packed: list[Path] = []
    pending: list[pa.Table] = []
    rows = 0

    def flush(limit: int) -> None:
        nonlocal pending, rows
        table = pa.concat_tables(pending) if len(pending) > 1 else pending[0]
        out = paths.documents / f"{step}-{len(packed):05d}.parquet"
        packed.append(write_atomic(table.slice(0, limit), out))
        rest = table.slice(limit)
        pending, rows = ([rest] if rest.num_rows else []), rest.num_rows

    for batch in batches:
        ledger, rest = carry.split(conform(pq.read_table(batch)))
        write_atomic(ledger, paths.ledger / f"{step}-{batch_name(batch)}.parquet")
        if rest.num_rows:
            pending.append(rest)
            rows += rest.num_rows
        while rows >= batch_size:
            flush(batch_size)
    if rows:
        flush(rows)
    paths.mark_done(step, packed)
    return packed


class _Carry:
    """What decides a batch's carried and standing rows: the previous version's keys and the
    standing decisions, each turned into a lookup set once for the whole run."""

    def __init__(self, previous: pa.Table, standing: pa.Table | None, run_id: str) -> None:
        self.previous = _keys(previous)
        self.standing = standing if standing is not None and standing.num_rows else None
        self.standing_keys = _keys(self.standing) if self.standing is not None else None
        self.run_id = run_id

    def split(self, table: pa.Table) -> tuple[pa.Table, pa.Table]:
        """The ledger rows of `table`'s carried and standing documents, and the rows that go
        on to the stages."""
        import pyarrow.compute as pc

        keys = _keys(table)
        unchanged = pc.fill_null(pc.is_in(keys, value_set=self.previous), False)
        carried = table.filter(unchanged)
        parts = [
            ledger_table(
                self.run_id,
                Stage.INCREMENTAL,
                carried.column("doc_id"),
                [Decision.KEPT.value] * carried.num_rows,
                [UNCHANGED_REASON] * carried.num_rows,
                source_ids=carried.column("source_id"),
                source_uris=carried.column("source_uri"),
            )
        ]
        rest = pc.invert(unchanged)
        if self.standing is not None:
            # only unread documents (no text): one read again is decided again by the stages
            unread = pc.and_(rest, pc.is_null(table.column("text")))
            index = pc.index_in(keys, value_set=self.standing_keys)
            decided = pc.and_(unread, pc.is_valid(index))
            rows = table.filter(decided)
            earlier = self.standing.take(pc.drop_null(index.filter(decided)))
            parts.append(
                ledger_table(
                    self.run_id,
                    Stage.INCREMENTAL,
                    rows.column("doc_id"),
                    earlier.column("decision"),
                    [UNCHANGED_REASON] * rows.num_rows,
                    details=_earlier_details(earlier),
                    source_ids=rows.column("source_id"),
                    source_uris=rows.column("source_uri"),
                )
            )
            rest = pc.and_(rest, pc.invert(decided))
        return concat_ledgers(parts).cast(LEDGER_SCHEMA), table.filter(rest)


def _keys(table: pa.Table) -> pa.Array:
    import pyarrow.compute as pc

    joined = pc.binary_join_element_wise(
        table.column("doc_id"), table.column("content_sha256"), "\x00"
    )
    return joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined


def _earlier_details(earlier: pa.Table) -> list[str]:
    """Ledger details of a standing decision: the stage, decision, reason and details (the
    measured values, never text) of the run that made it."""
    import json

    return [
        details_json(
            stage=row["decision_stage"],
            decision=row["decision"],
            reason=row["decision_reason"],
            details=json.loads(row["decision_details"]) if row["decision_details"] else None,
        )
        for row in earlier.to_pylist()
    ]
