"""Tombstones keep an erased document out of later runs, even while the source still holds it."""

from __future__ import annotations

import hashlib
import json
import os
import pickle

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from catalogs.audit.trail import subject_hash
from catalogs.erasure import apply_tombstones, erase, tombstones_for
from catalogs.erasure.reasons import ErasureReason
from catalogs.erasure.tombstones import add_tombstones
from catalogs.versions import read_ledger, read_version
from curation.ingest import SourceConfig, ingest_source
from curation.ledger import reconcile
from curation.stage import Stage, StageDecision, apply_decision

DATASET = "curated.hr_demo"
SENTENCES = (
    "Jane Roe asked that her chemotherapy schedule stay between her and payroll.",
    "Her sick leave runs from the ninth of March until the end of April.",
    "Please route any questions about it to her sister Maria Roe only.",
)


def ingest(corpus, run_id: str = "run-4"):
    """Every ingest batch of the corpus as the pipeline hands it to the ingest decision."""
    source = SourceConfig(id="hr", path=str(corpus))
    return [b.as_stage_output() for b in ingest_source(source, run_id=run_id, workers=0)]


@pytest.fixture()
def erased(built):
    erase(built.catalog, built.workspace, DATASET, source_uri=built.subject_uri, request_id="R-1")
    return built


def test_the_next_ingest_drops_the_erased_file_still_at_the_source(erased):
    tombstones = tombstones_for(erased.workspace, DATASET)
    assert (erased.corpus / "requests" / "jane_roe_leave.txt").is_file()

    results = []
    for output in ingest(erased.corpus):
        decided = apply_tombstones(output.table, tombstones, decision=output.decision)
        results.append(apply_decision(Stage.INGEST, decided.table, decided.decision, "run-4"))
    kept = pa.concat_tables(r.table for r in results)
    ledger = pa.concat_tables(r.ledger for r in results)

    assert erased.subject_doc_id not in kept["doc_id"].to_pylist()
    assert erased.copy_doc_id not in kept["doc_id"].to_pylist()  # the same bytes, another name
    dropped = ledger.filter(pc.equal(ledger["reason"], ErasureReason.TOMBSTONED.value))
    assert dropped.num_rows == 2
    assert set(dropped["decision"].to_pylist()) == {"dropped"}
    assert set(dropped["stage"].to_pylist()) == {"ingest"}
    assert {json.loads(d)["matched"] for d in dropped["details"].to_pylist()} == {"content_sha256"}
    stand_in = "erased-" + subject_hash(erased.workspace, erased.subject_doc_id)
    assert stand_in in dropped["doc_id"].to_pylist()
    written = json.dumps(ledger.to_pylist())
    assert erased.subject_doc_id not in written and erased.subject_uri not in written
    assert "ingest.empty" in ledger["reason"].to_pylist()  # other decisions stand


def test_a_later_incremental_run_commits_a_version_without_the_document(erased, scan, next_run):
    name = next_run(
        erased,
        "run-4",
        incremental=True,
        tombstones=tombstones_for(erased.workspace, DATASET),
        version_name="v4",
    )

    rows = read_version(erased.catalog, DATASET, name)
    assert erased.subject_doc_id not in rows["doc_id"].to_pylist()
    assert rows.num_rows == len(erased.rows["v3"]) - 1
    ledger = read_ledger(erased.catalog, DATASET, "run-4")
    ingest_rows = ledger.filter(pc.equal(ledger["stage"], "ingest"))
    check = reconcile(
        ledger, ingest_rows["doc_id"].combine_chunks(), rows["doc_id"].combine_chunks()
    )
    assert check.ok, check.problems
    assert check.by_reason[ErasureReason.TOMBSTONED.value] == 2
    needles = [*SENTENCES, erased.subject_doc_id, erased.subject_uri, erased.subject_sha256]
    assert scan(erased.workspace.warehouse, needles) == []


def test_a_changed_file_at_the_erased_uri_is_excluded_by_its_uri(erased):
    (erased.corpus / "requests" / "jane_roe_leave.txt").write_text(
        "A new text in the same place.\n"
    )
    (erased.corpus / "inbox" / "forwarded_leave.txt").unlink()

    tombstones = tombstones_for(erased.workspace, DATASET)
    decided = [tombstones.apply(output) for output in ingest(erased.corpus)]

    reasons = [
        json.loads(details)["matched"]
        for d in decided
        for reason, details in zip(
            d.decision.reason.to_pylist(), d.decision.details.to_pylist(), strict=True
        )
        if reason == ErasureReason.TOMBSTONED.value
    ]
    assert reasons == ["source_uri"]


def test_without_tombstones_nothing_changes(built):
    assert tombstones_for(built.workspace, DATASET) is None
    output = ingest(built.corpus)[0]

    decided = apply_tombstones(output.table, None, decision=output.decision)

    assert decided.table.equals(output.table)
    assert decided.decision.decision.equals(output.decision.decision)


def test_a_hand_made_batch_and_the_tombstones_travel_to_workers(tmp_path):
    sha = hashlib.sha256(b"the erased bytes").hexdigest()
    add_tombstones(tmp_path, DATASET, content_sha256s=[sha], source_uris=[None], request_id="R-1")
    batch = pa.table(
        {
            "doc_id": ["hr-1", "hr-2", "hr-3"],
            "source_id": ["hr"] * 3,
            "source_uri": ["file:///a.txt", "file:///b.txt", None],
            "content_sha256": [sha.upper(), hashlib.sha256(b"other").hexdigest(), None],
        }
    )
    tombstones = pickle.loads(pickle.dumps(tombstones_for(tmp_path, DATASET)))

    decided = apply_tombstones(batch, tombstones)

    assert decided.decision.decision.to_pylist() == ["dropped", "kept", "kept"]
    assert decided.decision.reason.to_pylist() == ["erasure.tombstoned", None, None]
    assert decided.table["doc_id"].to_pylist()[1:] == ["hr-2", "hr-3"]
    assert decided.table["doc_id"].to_pylist()[0].startswith("erased-")
    assert decided.table["source_uri"].to_pylist()[2] is None


def test_tombstones_are_written_once_and_privately(tmp_path):
    first = add_tombstones(
        tmp_path, DATASET, content_sha256s=["ab" * 32], source_uris=["file:///x"], request_id="R-1"
    )
    again = add_tombstones(
        tmp_path, DATASET, content_sha256s=["AB" * 32], source_uris=["file:///x"], request_id="R-2"
    )

    assert (first, again) == (1, 0)
    path = tmp_path / "audit" / DATASET / "tombstones.parquet"
    assert path.stat().st_mode & 0o777 == 0o600
    assert b"file:///x" not in path.read_bytes()
    assert os.stat(tmp_path / "audit").st_mode & 0o777 == 0o700


def test_a_quarantined_file_that_was_erased_is_dropped_too(tmp_path):
    add_tombstones(
        tmp_path, DATASET, content_sha256s=[None], source_uris=["file:///bad.pdf"], request_id="R"
    )
    batch = pa.table(
        {
            "doc_id": ["hr-9"],
            "source_id": ["hr"],
            "source_uri": ["file:///bad.pdf"],
            "content_sha256": [None],
        },
        schema=pa.schema(
            [
                ("doc_id", pa.string()),
                ("source_id", pa.string()),
                ("source_uri", pa.string()),
                ("content_sha256", pa.string()),
            ]
        ),
    )
    quarantined = StageDecision.from_masks(
        1,
        quarantine=[True],
        reason=["ingest.parse_error"],
        details=['{"message":"file:///bad.pdf"}'],
    )

    decided = apply_tombstones(batch, tombstones_for(tmp_path, DATASET), decision=quarantined)

    assert decided.decision.decision.to_pylist() == ["dropped"]
    assert "bad.pdf" not in json.dumps(decided.decision.details.to_pylist())
