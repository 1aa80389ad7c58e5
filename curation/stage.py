"""The stage contract: what every stage of a run is, and the one runner that applies it.

A stage has a name (`Stage`, used by the ledger, progress, timings and staged file names), a
scope (`Scope.BATCH`: decides each batch alone, so batches run in parallel; `Scope.RUN`: decides
over every batch of the run at once, as dedup must) and one method, `process(table) ->
StageOutput`. `process` may annotate the rows (add or fill columns: resolved license, quality
signals, dedup cluster, redacted text) and decides keep / modify / drop / quarantine for every
row, with a named reason from the stage's own `reasons.py` for every row that is not kept
unchanged. It never filters rows itself: `run_stage` splits the batch and writes one ledger row
per input row, so no stage can lose a document (datatrove's base-filter shape).

Where each stage's decision code lives:

============  ==========================  =====================================
stage         class                        reasons
============  ==========================  =====================================
ingest        `IngestBatch.as_stage_output`  `curation/ingest/reasons.py`
license       `licensing.stage.LicenseStage`  `licensing/reasons.py`
quality       `filters.stage.QualityStage`    `filters/reasons.py`
dedup         `curation.dedup.stage.DedupStage`  `curation/dedup/reasons.py`
pii           `curation.pii.stage.PiiStage`   `curation/pii/reasons.py`
============  ==========================  =====================================

`curation.pipeline.build_stage(name, spec)` makes the configured stage for a dataset spec.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


class Stage(StrEnum):
    """The stages of a run, in the order documents meet them: cheapest decisions first, PII
    (NER) last on the survivors. `INCREMENTAL` records documents carried unchanged from the
    previous version of an incremental run."""

    INGEST = "ingest"
    INCREMENTAL = "incremental"
    LICENSE = "license"
    QUALITY = "quality"
    DEDUP = "dedup"
    PII = "pii"


class Scope(StrEnum):
    """How much of the run a stage must see to decide."""

    BATCH = "batch"
    RUN = "run"


class Decision(StrEnum):
    """What a stage did with one document."""

    KEPT = "kept"
    MODIFIED = "modified"
    DROPPED = "dropped"
    QUARANTINED = "quarantined"


SURVIVING = (Decision.KEPT, Decision.MODIFIED)


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
        """Build from boolean masks; quarantine wins over drop, drop over modified.

        Examples
        --------
        >>> d = StageDecision.from_masks(3, drop=np.array([False, True, False]),
        ...                              reason=[None, "quality.too_short", None])
        >>> d.decision.to_pylist(), d.surviving_mask().to_pylist()
        (['kept', 'dropped', 'kept'], [True, False, True])
        """
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
        return pc.is_in(self.decision, value_set=pa.array([d.value for d in SURVIVING]))

    def __len__(self) -> int:
        return len(self.decision)


def _as_string_array(values: Any, n: int) -> pa.Array:
    if values is None:
        return pa.nulls(n, pa.string())
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks().cast(pa.string())
    if isinstance(values, pa.Array):
        return values.cast(pa.string())
    return pa.array(list(values), pa.string())


@dataclass(frozen=True)
class StageOutput:
    """What `process` returns: the input rows (annotated; same rows in the same order), the
    decision for each, and artifacts the run keeps beyond the rows (dedup's signatures)."""

    table: pa.Table
    decision: StageDecision
    artifacts: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class CurationStage(Protocol):
    """A stage of a run. Implementations are plain classes built from their config section."""

    name: ClassVar[Stage]
    scope: ClassVar[Scope]

    def process(self, table: pa.Table) -> StageOutput:
        """Annotate `table` and decide every row; never drop rows here."""
        ...


@dataclass(frozen=True)
class StageResult:
    """Rows that go on to the next stage, this stage's ledger rows, and its artifacts."""

    table: pa.Table
    ledger: pa.Table
    artifacts: dict[str, Any] = field(default_factory=dict)


def run_stage(stage: CurationStage, table: pa.Table, run_id: str) -> StageResult:
    """Run one stage over `table`: annotate, decide, split, and record a ledger row per input.

    An empty table is not handed to the stage (some stages load models or indexes).
    """
    if table.num_rows == 0:
        from curation.ledger import empty_ledger

        return StageResult(table=table, ledger=empty_ledger())
    output = stage.process(table)
    result = apply_decision(stage.name, output.table, output.decision, run_id)
    return StageResult(table=result.table, ledger=result.ledger, artifacts=output.artifacts)


def apply_decision(
    stage: str | Stage, table: pa.Table, decision: StageDecision, run_id: str
) -> StageResult:
    """Split `table` by `decision` and record one ledger row per input row."""
    from curation.ledger import ledger_table

    if len(decision.decision) != table.num_rows:
        raise ValueError(
            f"stage {stage}: decision has {len(decision.decision)} rows, batch {table.num_rows}"
        )
    ledger = ledger_table(
        run_id,
        str(stage),
        table.column("doc_id"),
        decision.decision,
        decision.reason,
        decision.details,
        source_ids=table.column("source_id"),
        source_uris=table.column("source_uri"),
    )
    return StageResult(table=table.filter(decision.surviving_mask()), ledger=ledger)
