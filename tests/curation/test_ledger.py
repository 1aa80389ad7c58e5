"""The ledger invariant and the stage runner."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from curation.ledger import concat_ledgers, ledger_table, reconcile
from curation.stage import StageDecision, apply_decision


def batch(ids):
    return pa.table(
        {"doc_id": ids, "source_id": ["s"] * len(ids), "source_uri": [f"u/{i}" for i in ids]}
    )


def test_apply_decision_splits_and_records_every_row():
    table = batch(["a", "b", "c", "d"])
    decision = StageDecision.from_masks(
        4,
        drop=np.array([False, True, False, False]),
        quarantine=np.array([False, False, False, True]),
        modified=np.array([True, False, False, False]),
        reason=[None, "quality.too_short", None, "license.unknown"],
    )

    result = apply_decision("quality", table, decision, "r1")

    assert result.table.column("doc_id").to_pylist() == ["a", "c"]
    assert result.ledger.column("decision").to_pylist() == [
        "modified",
        "dropped",
        "kept",
        "quarantined",
    ]
    assert result.ledger.column("reason").to_pylist()[1] == "quality.too_short"


def test_reconcile_counts_and_reasons():
    ingest = ledger_table(
        "r",
        "ingest",
        ["a", "b", "c"],
        ["kept", "kept", "quarantined"],
        [None, None, "ingest.parse_error"],
    )
    quality = ledger_table("r", "quality", ["a", "b"], ["kept", "dropped"], [None, "quality.short"])

    check = reconcile(concat_ledgers([ingest, quality]), ["a", "b", "c"], ["a"])

    assert check.ok, check.problems
    assert (check.inputs, check.kept, check.dropped, check.quarantined) == (3, 1, 1, 1)
    assert check.by_reason == {"ingest.parse_error": 1, "quality.short": 1}
    assert check.by_stage["quality"] == {"kept": 1, "dropped": 1}


def test_reconcile_detects_lost_and_double_counted_documents():
    ledger = ledger_table("r", "quality", ["a", "b"], ["dropped", "dropped"])

    lost = reconcile(ledger, ["a", "b", "c"], [])
    double = reconcile(ledger, ["a", "b"], ["a"])

    assert not lost.ok and any("no outcome" in p for p in lost.problems)
    assert not double.ok and any("also dropped" in p for p in double.problems)


def test_stage_counts_follow_the_data_flow_order():
    ledger = concat_ledgers(
        [
            ledger_table("r", "pii", ["a"], ["modified"]),
            ledger_table("r", "dedup", ["a"], ["kept"]),
            ledger_table("r", "ingest", ["a"], ["kept"]),
        ]
    )
    assert list(reconcile(ledger, ["a"], ["a"]).by_stage) == ["ingest", "dedup", "pii"]
