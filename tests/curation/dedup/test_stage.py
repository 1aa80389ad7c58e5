from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest

from curation.config import build_config
from curation.dedup.config import DedupConfig
from curation.dedup.reasons import DedupReason
from curation.dedup.stage import deduplicate
from curation.ledger import reconcile
from curation.schema import DOCUMENT_SCHEMA, conform
from curation.stage import apply_decision


def documents(rows: list[dict]) -> pa.Table:
    """A DOCUMENT_SCHEMA table from partial rows (provenance filled in)."""
    full = [{"source_id": "hr", "source_uri": f"file:///hr/{r['doc_id']}", **r} for r in rows]
    return conform(pa.Table.from_pylist(full))


def at(day: int) -> datetime:
    return datetime(2026, 1, day, tzinfo=UTC)


@pytest.fixture
def family(make_prose, make_edit) -> pa.Table:
    """a: original; b: exact copy (other case/punctuation); c: 1% revision; d: unrelated."""
    base = make_prose(1, 400)
    return documents(
        [
            {
                "doc_id": "c",
                "text": make_edit(base, 0.01, 5),
                "modified_at": at(3),
                "size_bytes": 9,
            },
            {"doc_id": "a", "text": base, "modified_at": at(1), "size_bytes": 5},
            {"doc_id": "d", "text": make_prose(2, 400), "modified_at": at(4), "size_bytes": 1},
            {
                "doc_id": "b",
                "text": base.upper() + " " + "!" * 500,
                "modified_at": at(2),
                "size_bytes": 7,
            },
        ]
    )


def test_exact_and_near_duplicates_point_at_the_oldest(family):
    outcome = deduplicate(family, DedupConfig())
    ids = family.column("doc_id").to_pylist()
    result = dict(zip(ids, outcome.decision.decision.to_pylist(), strict=True))
    assert result == {"c": "dropped", "a": "kept", "d": "kept", "b": "dropped"}
    reasons = dict(zip(ids, outcome.decision.reason.to_pylist(), strict=True))
    assert reasons == {
        "c": DedupReason.NEAR_DUPLICATE,
        "a": None,
        "d": None,
        "b": DedupReason.EXACT_DUPLICATE,
    }
    assert outcome.cluster_id.to_pylist() == ["a", "a", "d", "a"]
    details = [json.loads(d) if d else None for d in outcome.decision.details.to_pylist()]
    assert details[3] == {"kept_doc_id": "a", "similarity": 1.0, "threshold": 0.8}
    assert details[0]["kept_doc_id"] == "a" and 0.8 <= details[0]["similarity"] < 1.0
    assert details[1] is None and details[2] is None
    assert outcome.signatures.column("doc_id").to_pylist() == ["a", "d"]
    assert outcome.stats["exact_duplicates"] == 1 and outcome.stats["near_duplicates"] == 1


@pytest.mark.parametrize(("rule", "kept"), [("oldest", "a"), ("newest", "c"), ("longest", "b")])
def test_representative_rules(family, rule, kept):
    outcome = deduplicate(family, DedupConfig(representative=rule))
    ids = family.column("doc_id").to_pylist()
    clusters = dict(zip(ids, outcome.cluster_id.to_pylist(), strict=True))
    assert clusters["a"] == clusters["b"] == clusters["c"] == kept
    assert clusters["d"] == "d"


def test_most_permissive_license_wins(make_prose):
    text = make_prose(3, 300)
    table = documents(
        [
            {"doc_id": "gpl", "text": text, "license_category": "copyleft", "modified_at": at(1)},
            {
                "doc_id": "pd",
                "text": text,
                "license_category": "public_domain",
                "modified_at": at(5),
            },
            {"doc_id": "none", "text": text, "modified_at": at(1)},
            {"doc_id": "mit", "text": text, "license_category": "permissive", "modified_at": at(2)},
        ]
    )
    outcome = deduplicate(table, DedupConfig(representative="most_permissive"))
    assert outcome.cluster_id.to_pylist() == ["pd"] * 4


@pytest.mark.parametrize(
    ("categories", "kept"),
    [
        # an open license wins over the organization's own copy of the same text
        (("internal", "copyleft"), "copyleft"),
        (("non_commercial", "internal"), "internal"),
        (("proprietary", "non_commercial"), "non_commercial"),
        (("unknown", "proprietary"), "proprietary"),
        ((None, "unknown"), "unknown"),
    ],
)
def test_most_permissive_ranks_every_category_apart(make_prose, categories, kept):
    text = make_prose(4, 300)
    # the less permissive copy is older and has the smaller id: only the license decides
    table = documents(
        [
            {
                "doc_id": f"a-{categories[0]}",
                "text": text,
                "license_category": categories[0],
                "modified_at": at(1),
            },
            {
                "doc_id": f"b-{categories[1]}",
                "text": text,
                "license_category": categories[1],
                "modified_at": at(2),
            },
        ]
    )
    outcome = deduplicate(table, DedupConfig(representative="most_permissive"))
    assert outcome.cluster_id.to_pylist() == [f"b-{kept}"] * 2


def test_same_clusters_whatever_the_row_order(family):
    expected = deduplicate(family, DedupConfig())
    order = np.array([2, 0, 3, 1])
    shuffled = deduplicate(family.take(order), DedupConfig())
    assert shuffled.cluster_id.to_pylist() == expected.cluster_id.take(order).to_pylist()


def test_threshold_and_exact_switch(family):
    strict = deduplicate(family, DedupConfig(threshold=0.99, kept_similarity=0.6))
    assert strict.decision.decision.to_pylist() == ["kept", "kept", "kept", "dropped"]
    no_exact = deduplicate(family, DedupConfig(exact=False))
    reasons = no_exact.decision.reason.to_pylist()
    assert reasons[3] == DedupReason.NEAR_DUPLICATE  # found again, by its MinHash
    assert json.loads(no_exact.decision.details[3].as_py())["similarity"] == 1.0


def test_exact_verification_measures_true_jaccard(make_prose, make_edit, python_shingles):
    base = make_prose(7, 500)
    revised = make_edit(base, 0.02, 9)
    table = documents([{"doc_id": "x", "text": base}, {"doc_id": "y", "text": revised}])
    cfg = build_config(DedupConfig, {"verify": "exact", "exact_margin": 0.5}, "dedup")
    outcome = deduplicate(table, cfg)
    a, b = set(python_shingles(base, 5)), set(python_shingles(revised, 5))
    similarity = json.loads(outcome.decision.details[1].as_py())["similarity"]
    assert similarity == round(len(a & b) / len(a | b), 4)


def test_ledger_reconciles_through_the_shared_runner(family):
    outcome = deduplicate(family, DedupConfig())
    result = apply_decision("dedup", family, outcome.decision, run_id="r1")
    assert result.table.column("doc_id").to_pylist() == ["a", "d"]
    check = reconcile(result.ledger, family.column("doc_id"), result.table.column("doc_id"))
    assert check.ok, check.problems
    assert check.by_reason == {"dedup.exact_duplicate": 1, "dedup.near_duplicate": 1}


def test_empty_and_textless_documents():
    empty = deduplicate(DOCUMENT_SCHEMA.empty_table(), DedupConfig())
    assert len(empty.decision.decision) == 0 and empty.signatures.num_rows == 0
    table = documents(
        [
            {"doc_id": "n1", "text": None},
            {"doc_id": "n2", "text": "!!!"},
            {"doc_id": "w", "text": "one"},
        ]
    )
    outcome = deduplicate(table, DedupConfig(exact=False))
    # documents without words have no buckets: never near duplicates of each other
    assert outcome.decision.decision.to_pylist() == ["kept"] * 3
    exact = deduplicate(table, DedupConfig())
    assert exact.decision.decision.to_pylist() == ["kept", "dropped", "kept"]
