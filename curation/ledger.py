"""The ledger: one row per document per stage decision, and the reconciliation invariant.

Every document that enters a run leaves exactly one terminal decision (kept at the end,
dropped or quarantined at some stage); modifications (PII redaction) are recorded too. The
invariant `inputs = kept + dropped + quarantined` is checked per stage and overall on every run.
Details carry measured values and thresholds, never document text or PII values.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from curation.stage import Decision, Stage

LEDGER_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("source_id", pa.string()),
        pa.field("source_uri", pa.string()),
        pa.field("stage", pa.string(), nullable=False),
        pa.field("decision", pa.string(), nullable=False),
        pa.field("reason", pa.string()),
        pa.field("details", pa.string()),
    ]
)

TERMINAL = (Decision.DROPPED, Decision.QUARANTINED)

# The data flow's order (`Stage`'s declaration order): cheapest decisions first, PII last.
STAGE_ORDER = tuple(stage.value for stage in Stage)


def _stage_rank(stage: str) -> int:
    return STAGE_ORDER.index(stage) if stage in STAGE_ORDER else len(STAGE_ORDER)


def ledger_table(
    run_id: str,
    stage: str,
    doc_ids: pa.Array | Sequence[str],
    decisions: pa.Array | Sequence[str],
    reasons: pa.Array | Sequence[str | None] | None = None,
    details: pa.Array | Sequence[str | None] | None = None,
    source_ids: pa.Array | Sequence[str] | None = None,
    source_uris: pa.Array | Sequence[str] | None = None,
) -> pa.Table:
    """Build ledger rows column-wise for one stage over a batch."""
    n = len(doc_ids)

    def column(values: Any, type_: pa.DataType) -> pa.Array:
        if values is None:
            return pa.nulls(n, type=type_)
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        return (
            pa.array(values, type=type_) if not isinstance(values, pa.Array) else values.cast(type_)
        )

    return pa.Table.from_arrays(
        [
            pa.array([run_id] * n, pa.string()),
            column(doc_ids, pa.string()),
            column(source_ids, pa.string()),
            column(source_uris, pa.string()),
            pa.array([stage] * n, pa.string()),
            column(decisions, pa.string()),
            column(reasons, pa.string()),
            column(details, pa.string()),
        ],
        schema=LEDGER_SCHEMA,
    )


def details_json(**values: Any) -> str:
    """Serialize decision details (measured value, threshold, kept id) compactly and stably."""
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)


def empty_ledger() -> pa.Table:
    return LEDGER_SCHEMA.empty_table()


def concat_ledgers(parts: Iterable[pa.Table]) -> pa.Table:
    parts = [p for p in parts if p is not None and p.num_rows]
    return pa.concat_tables(parts) if parts else empty_ledger()


@dataclass(frozen=True)
class Reconciliation:
    """Counts of one run; `ok` when every input has exactly one outcome."""

    inputs: int
    kept: int
    dropped: int
    quarantined: int
    by_stage: dict[str, dict[str, int]]
    by_reason: dict[str, int]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "inputs": self.inputs,
            "kept": self.kept,
            "dropped": self.dropped,
            "quarantined": self.quarantined,
            "by_stage": self.by_stage,
            "by_reason": self.by_reason,
            "reconciled": self.ok,
            "problems": list(self.problems),
        }


def reconcile(
    ledger: pa.Table, input_ids: pa.Array | Sequence[str], kept_ids: pa.Array | Sequence[str]
) -> Reconciliation:
    """Check `inputs = kept + dropped + quarantined`, overall and per stage.

    A document is *terminal* at the first stage that drops or quarantines it; it must not
    appear in the kept set, and it must not be decided again by a later stage.
    """
    inputs = pa.array(input_ids, pa.string()) if not isinstance(input_ids, pa.Array) else input_ids
    kept = pa.array(kept_ids, pa.string()) if not isinstance(kept_ids, pa.Array) else kept_ids
    problems: list[str] = []

    decision = ledger.column("decision")
    terminal_mask = pc.is_in(decision, value_set=pa.array([d.value for d in TERMINAL]))
    terminal = ledger.filter(terminal_mask)
    terminal_ids = terminal.column("doc_id").combine_chunks()
    n_dropped = int(
        pc.sum(pc.equal(terminal.column("decision"), Decision.DROPPED.value)).as_py() or 0
    )
    n_quarantined = terminal.num_rows - n_dropped

    if len(pc.unique(terminal_ids)) != len(terminal_ids):
        problems.append("a document has more than one terminal decision")
    if len(pc.unique(inputs)) != len(inputs):
        problems.append("duplicate doc_id among inputs")
    if pc.any(pc.is_in(kept, value_set=terminal_ids)).as_py():
        problems.append("a kept document was also dropped or quarantined")
    n_accounted = len(kept) + len(terminal_ids)
    if n_accounted != len(inputs):
        problems.append(
            f"inputs {len(inputs)} != kept {len(kept)} + dropped {n_dropped} + quarantined {n_quarantined}"
        )
    # column-wise membership (hash sets in Arrow), not Python lists: ledgers reach 10^7 rows
    accounted = pa.chunked_array([kept.cast(pa.string()), terminal_ids.cast(pa.string())])
    missing = pc.invert(pc.is_in(inputs.cast(pa.string()), value_set=accounted.combine_chunks()))
    n_missing = int(pc.sum(missing).as_py() or 0)
    if n_missing:
        problems.append(f"{n_missing} input documents have no outcome in the ledger")

    by_stage: dict[str, dict[str, int]] = {}
    by_reason: dict[str, int] = {}
    grouped = ledger.group_by(["stage", "decision"]).aggregate([("doc_id", "count")])
    for row in grouped.to_pylist():
        by_stage.setdefault(row["stage"], {})[row["decision"]] = row["doc_id_count"]
    if terminal.num_rows:
        reasons = terminal.group_by(["reason"]).aggregate([("doc_id", "count")])
        for row in reasons.to_pylist():
            by_reason[row["reason"] or "unknown"] = row["doc_id_count"]
    return Reconciliation(
        inputs=len(inputs),
        kept=len(kept),
        dropped=n_dropped,
        quarantined=n_quarantined,
        by_stage=dict(sorted(by_stage.items(), key=lambda kv: _stage_rank(kv[0]))),
        by_reason=dict(sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0]))),
        problems=tuple(problems),
    )
