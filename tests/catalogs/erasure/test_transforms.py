"""What erasure writes instead of the rows it changes: versions lose rows, the ledger keeps them."""

from __future__ import annotations

import json

import pyarrow as pa

from catalogs.erasure.hashing import pseudonym, subject_hasher
from catalogs.erasure.subject import Subject, SubjectKind
from catalogs.erasure.transforms import pseudonymize_ledger, remove_subject
from curation.ledger import details_json, ledger_table


def test_a_version_loses_the_subject_and_keeps_rows_that_pointed_at_it(tmp_path):
    hasher = subject_hasher(tmp_path)
    rows = pa.table(
        {
            "doc_id": ["hr-subject", "hr-near-copy", "hr-other"],
            "source_id": ["hr"] * 3,
            "source_uri": ["file:///s/jane.txt", "file:///s/copy.txt", "file:///s/x.txt"],
            "dedup_cluster": ["hr-subject", "hr-subject", "hr-other"],
        }
    )
    subject = Subject(SubjectKind.SOURCE_URI, "file:///s/jane.txt")

    result = remove_subject(subject, {"hr-subject"}, hasher)(rows)

    assert result["doc_id"].to_pylist() == ["hr-near-copy", "hr-other"]
    assert result["dedup_cluster"].to_pylist() == [pseudonym(hasher, "hr-subject"), "hr-other"]
    assert result.schema.field("text").type == pa.large_string()  # the document schema


def test_the_ledger_keeps_decisions_and_loses_every_spelling_of_the_identifiers(tmp_path):
    hasher = subject_hasher(tmp_path)
    uri = "file:///share/Jos%C3%A9%20Roe.pdf"
    rows = ledger_table(
        "run-1",
        "ingest",
        ["hr-subject", "hr-copy"],
        ["quarantined", "dropped"],
        ["ingest.parse_error", "dedup.exact_duplicate"],
        [
            details_json(message="cannot parse /share/José Roe.pdf"),
            details_json(kept_doc_id="hr-subject"),
        ],
        source_ids=["hr", "hr"],
        source_uris=[uri, "file:///share/copy.pdf"],
    )
    subject = Subject(SubjectKind.SOURCE_URI, uri)

    result = pseudonymize_ledger(subject, set(), set(), hasher)(rows)

    assert result.schema == rows.schema
    assert result["decision"].to_pylist() == ["quarantined", "dropped"]
    assert result["doc_id"].to_pylist() == [pseudonym(hasher, "hr-subject"), "hr-copy"]
    assert result["source_uri"].to_pylist() == [pseudonym(hasher, uri), "file:///share/copy.pdf"]
    written = json.dumps(result.to_pylist())
    assert "Jos" not in written and "hr-subject" not in written
    assert json.loads(result["details"][1].as_py())["kept_doc_id"].startswith("erased-")
