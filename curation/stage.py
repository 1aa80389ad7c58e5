"""The shared stage runner: a stage decides, the runner applies and writes the ledger.

A stage is a pure function that returns a `StageDecision` for a batch: one outcome per row
(kept / modified / dropped / quarantined), a reason code for every row that is not kept
unchanged, and JSON details. `apply_decision` splits the batch and produces the ledger rows, so
no stage can drop a document without a ledger row (datatrove's base-filter shape).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.ledger import Decision, ledger_table


@dataclass(frozen=True)
class StageDecision:
    """Per-row outcome of one stage over one batch.

    `decision` holds `Decision` values; `reason` is null for rows kept unchanged; `details` is
    a JSON string or null. All three have the batch's length.
    """

    decision: pa.Array
    reason: pa.Array
    details: pa.Array

    @classmethod
    def keep_all(cls, n: int) -> StageDecision:
        return cls(
            decision=pa.array([Decision.KEPT.value] * n, pa.string()),
            reason=pa.nulls(n, pa.string()),
            details=pa.nulls(n, pa.string()),
        )

    @classmethod
    def from_masks(
        cls,
        n: int,
        *,
        drop: np.ndarray | None = None,
        quarantine: np.ndarray | None = None,
        modified: np.ndarray | None = None,
        reason: list[str | None] | np.ndarray | pa.Array | None = None,
        details: list[str | None] | np.ndarray | pa.Array | None = None,
    ) -> StageDecision:
        """Build from boolean masks; quarantine wins over drop, drop over modified."""
        outcome = np.full(n, Decision.KEPT.value, dtype=object)
        if modified is not None:
            outcome[np.asarray(modified, bool)] = Decision.MODIFIED.value
        if drop is not None:
            outcome[np.asarray(drop, bool)] = Decision.DROPPED.value
        if quarantine is not None:
            outcome[np.asarray(quarantine, bool)] = Decision.QUARANTINED.value
        return cls(
            decision=pa.array(outcome, pa.string()),
            reason=_as_string_array(reason, n),
            details=_as_string_array(details, n),
        )

    def surviving_mask(self) -> pa.Array:
        return pc.is_in(
            self.decision, value_set=pa.array([Decision.KEPT.value, Decision.MODIFIED.value])
        )


def _as_string_array(values, n: int) -> pa.Array:
    if values is None:
        return pa.nulls(n, pa.string())
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks().cast(pa.string())
    if isinstance(values, pa.Array):
        return values.cast(pa.string())
    return pa.array(list(values), pa.string())


@dataclass(frozen=True)
class StageResult:
    """Rows that go on to the next stage, and the ledger rows of this stage."""

    table: pa.Table
    ledger: pa.Table


def apply_decision(
    stage: str, table: pa.Table, decision: StageDecision, run_id: str
) -> StageResult:
    """Split `table` by `decision` and record one ledger row per input row."""
    if len(decision.decision) != table.num_rows:
        raise ValueError(
            f"stage {stage}: decision has {len(decision.decision)} rows, batch {table.num_rows}"
        )
    ledger = ledger_table(
        run_id,
        stage,
        table.column("doc_id"),
        decision.decision,
        decision.reason,
        decision.details,
        source_ids=table.column("source_id"),
        source_uris=table.column("source_uri"),
    )
    return StageResult(table=table.filter(decision.surviving_mask()), ledger=ledger)
