"""The stage contract: every stage annotates and decides; one runner splits and records."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pyarrow as pa
import pytest

from curation.ledger import reconcile
from curation.schema import conform
from curation.stage import (
    CurationStage,
    Scope,
    Stage,
    StageDecision,
    StageOutput,
    run_stage,
)


def batch(n: int = 4) -> pa.Table:
    return conform(
        pa.table(
            {
                "doc_id": [f"d{i}" for i in range(n)],
                "source_id": ["s"] * n,
                "source_uri": [f"file:///d{i}" for i in range(n)],
                "text": ["short", "a longer text here", "", "another longer text"][:n],
            }
        )
    )


class ShortTextStage:
    """A toy batch stage: annotates nothing, drops texts under ten characters."""

    name: ClassVar[Stage] = Stage.QUALITY
    scope: ClassVar[Scope] = Scope.BATCH

    def process(self, table: pa.Table) -> StageOutput:
        lengths = np.array([len(t or "") for t in table.column("text").to_pylist()])
        drop = lengths < 10
        reason = np.where(drop, "quality.too_short", None)
        return StageOutput(
            table, StageDecision.from_masks(table.num_rows, drop=drop, reason=reason)
        )


def test_run_stage_splits_the_batch_and_records_one_ledger_row_per_input():
    stage = ShortTextStage()
    assert isinstance(stage, CurationStage)

    result = run_stage(stage, batch(), "run-1")

    assert result.table.column("doc_id").to_pylist() == ["d1", "d3"]
    assert result.ledger.column("stage").to_pylist() == ["quality"] * 4
    assert result.ledger.column("reason").to_pylist() == [
        "quality.too_short",
        None,
        "quality.too_short",
        None,
    ]
    check = reconcile(result.ledger, batch().column("doc_id"), result.table.column("doc_id"))
    assert check.ok and check.by_reason == {"quality.too_short": 2}


def test_a_stage_whose_decision_does_not_match_its_rows_is_refused():
    class Broken(ShortTextStage):
        def process(self, table):
            return StageOutput(table, StageDecision.keep_all(table.num_rows - 1))

    with pytest.raises(ValueError, match="decision has 3 rows, batch 4"):
        run_stage(Broken(), batch(), "run-1")


def test_ingest_decisions_go_through_the_same_runner():
    from curation.ingest.records import QUARANTINE_SCHEMA, IngestBatch
    from curation.stage import apply_decision

    bad = pa.Table.from_pylist(
        [
            {
                "doc_id": "bad",
                "source_id": "s",
                "source_uri": "file:///bad",
                "reason": "ingest.corrupt",
                "details": '{"error_class":"PdfReadError"}',
            }
        ],
        schema=QUARANTINE_SCHEMA,
    )
    output = IngestBatch(documents=batch(2), quarantined=bad).as_stage_output()
    result = apply_decision(Stage.INGEST, output.table, output.decision, "run-1")

    assert result.table.column("doc_id").to_pylist() == ["d0", "d1"]
    assert result.ledger.column("decision").to_pylist() == ["kept", "kept", "quarantined"]
    assert result.ledger.column("reason").to_pylist() == [None, None, "ingest.corrupt"]


def test_every_configured_stage_implements_the_contract(tmp_path):
    from curation.pipeline import STAGES, build_stage, stage_class
    from curation.spec import load_spec

    (tmp_path / "docs").mkdir()
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text("name: t\nsources:\n  - {id: docs, path: docs, license: MIT}\n")
    spec = load_spec(spec_path)

    for name in STAGES:
        stage = build_stage(name, spec)
        assert isinstance(stage, CurationStage) and stage.name is name
        assert stage_class(name).scope is (Scope.RUN if name is Stage.DEDUP else Scope.BATCH)
    assert [s.value for s in Stage] == [
        "ingest",
        "incremental",
        "license",
        "quality",
        "dedup",
        "pii",
    ]
