"""Lookups of one document across the versions and runs of a real catalog."""

from __future__ import annotations

import pytest
from audit_corpus import DATASET, PERSON_URI, erase_document, sha, uri

from catalogs.audit import lookup_document, record_model
from catalogs.audit.exceptions import AuditError


def lookup(corpus, **identifier):
    return lookup_document(corpus.catalog, corpus.workspace, DATASET, **identifier)


def decisions(result, run_id: str, doc_id: str) -> list[tuple[str, str, str | None]]:
    (run,) = [r for r in result["runs"] if r["run_id"] == run_id]
    (doc,) = [d for d in run["documents"] if d["doc_id"] == doc_id]
    return [(d["stage"], d["decision"], d["reason"]) for d in doc["decisions"]]


@pytest.mark.parametrize(
    "identifier",
    [{"doc_id": "hr-cv"}, {"source_uri": PERSON_URI}, {"sha256": sha("hr-cv")}],
    ids=["doc_id", "source_uri", "sha256"],
)
def test_each_identifier_finds_the_document_in_both_versions(corpus, identifier):
    result = lookup(corpus, **identifier)

    assert result["found"] is True
    assert [(v["version"], v["doc_ids"]) for v in result["versions"]] == [
        ("v1", ["hr-cv"]),
        ("v2", ["hr-cv"]),
    ]
    assert result["absent_from"] == []
    assert result["documents"] == [
        {
            "doc_id": "hr-cv",
            "source_id": "hr",
            "source_uri": PERSON_URI,
            "content_sha256": [sha("hr-cv")],
        }
    ]
    assert [(r["run_id"], r["version"]) for r in result["runs"]] == [
        ("run-1", "v1"),
        ("run-2", "v2"),
    ]
    assert decisions(result, "run-1", "hr-cv") == [
        ("ingest", "kept", None),
        ("license", "kept", None),
        ("quality", "kept", None),
        ("dedup", "kept", None),
        ("pii", "modified", "pii.redacted"),
    ]
    assert decisions(result, "run-2", "hr-cv") == [
        ("ingest", "kept", None),
        ("incremental", "kept", "incremental.unchanged"),
    ]
    assert result["erased"] is False


def test_a_revised_document_is_found_by_each_revision_in_its_own_version(corpus):
    first = lookup(corpus, sha256=sha("hr-pay", 1))
    second = lookup(corpus, sha256=sha("hr-pay", 2))

    assert [v["version"] for v in first["versions"]] == ["v1"]
    assert first["absent_from"] == ["v2"]
    assert [v["version"] for v in second["versions"]] == ["v2"]


def test_a_document_no_version_kept_is_found_through_the_ledger(corpus):
    by_id = lookup(corpus, doc_id="wiki-nc")
    by_uri = lookup(corpus, source_uri=uri("wiki-nc"))

    for result in (by_id, by_uri):
        assert result["found"] is True and result["versions"] == []
        (run,) = result["runs"]
        assert run["documents"][0]["outcome"] == "dropped at license (license.denied)"
    assert lookup(corpus, sha256="f" * 64)["found"] is False


def test_an_erasure_is_found_by_any_identifier_of_the_document(corpus):
    record_model(corpus.catalog, corpus.workspace, f"{DATASET}@v2", model="assistant-2")
    erase_document(corpus, "hr-cv")

    for identifier in ({"doc_id": "hr-cv"}, {"source_uri": PERSON_URI}):
        result = lookup(corpus, **identifier)
        assert result["erased"] is True, identifier
        assert [e["request_id"] for e in result["erasures"]] == ["DSR-1"]
    # still in the versions the erasure has not rewritten here, with the models trained on them
    result = lookup(corpus, doc_id="hr-cv")
    assert [v["version"] for v in result["versions"]] == ["v1", "v2"]
    assert result["absent_from"] == ["v2-e1"]
    assert [m["model"] for m in result["models"]] == ["assistant-2"]
    assert result["audit_trail_ok"] is True


def test_exactly_one_identifier_is_required(corpus):
    with pytest.raises(AuditError, match="exactly one"):
        lookup(corpus, doc_id="hr-cv", sha256="x")
    with pytest.raises(AuditError, match="exactly one"):
        lookup(corpus)


def test_an_erasure_by_one_identifier_is_found_through_the_doc_id_hashes_it_records(corpus):
    from catalogs.audit.trail import append_entry, subject_hash

    append_entry(
        corpus.workspace,
        DATASET,
        {
            "kind": "erasure",
            "request_id": "DSR-9",
            "subject_sha256": subject_hash(corpus.workspace, "some text of the person"),
            "doc_id_hashes": [subject_hash(corpus.workspace, "wiki-nc")],
            "versions_affected": [],
            "verified": True,
        },
    )

    assert [e["request_id"] for e in lookup(corpus, doc_id="wiki-nc")["erasures"]] == ["DSR-9"]
    assert lookup(corpus, doc_id="wiki-a")["erased"] is False
