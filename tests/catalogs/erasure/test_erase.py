"""Erasure on a real SQLite catalog and warehouse: the acceptance test of the erasure request
and what the receipt, the trail, the tags, the ledger and the index say afterwards."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from catalogs.audit.models import record_model
from catalogs.audit.trail import read_trail, subject_hash, trail_path, verify_chain
from catalogs.diff import erased_doc_ids
from catalogs.erasure import erase
from catalogs.erasure.exceptions import (
    InvalidErasureRequest,
    NoDocumentMatched,
    RunInProgress,
    TooManyDocuments,
)
from catalogs.erasure.tombstones import tombstones_path
from catalogs.versions import get_version, list_versions, read_ledger, read_version
from curation.dedup.index import SignatureIndex
from curation.runs import RunPaths

DATASET = "curated.hr_demo"
SENTENCES = (
    "Jane Roe asked that her chemotherapy schedule stay between her and payroll.",
    "Her sick leave runs from the ninth of March until the end of April.",
    "Please route any questions about it to her sister Maria Roe only.",
)


def identifiers(built) -> list[str]:
    return [*SENTENCES, built.subject_doc_id, built.subject_uri, built.subject_sha256]


def test_erasing_by_source_uri_leaves_no_trace_in_any_file_of_the_warehouse(built, scan):
    warehouse = built.workspace.warehouse
    before = scan(warehouse, identifiers(built))
    assert {needle for _, needle in before} >= {*SENTENCES, built.subject_doc_id}

    receipt = erase(
        built.catalog,
        built.workspace,
        DATASET,
        source_uri=built.subject_uri,
        request_id="DSR-2026-0042",
        reason="GDPR Art. 17 request",
    )

    assert scan(warehouse, identifiers(built)) == []
    assert receipt["verified"] is True
    assert receipt["verification"]["findings"] == []
    assert receipt["verification"]["files_by_kind"]["parquet"] > 0
    assert receipt["verification"]["files_by_kind"]["avro"] > 0
    moved = [(v["old"], v["new"], v["rows_removed"]) for v in receipt["versions_affected"]]
    assert moved == [("v1", "v1-e1", 1), ("v2", "v2-e1", 1), ("v3", "v3-e1", 1)]
    deleted = receipt["files_deleted"]
    assert deleted and all(len(f["sha256"]) == 64 and f["bytes"] > 0 for f in deleted)
    assert not any((built.workspace.root / f["path"]).exists() for f in deleted)


def test_tags_move_to_the_erased_snapshots_and_the_newest_version_stays_current(built):
    receipt = erase(
        built.catalog, built.workspace, DATASET, source_uri=built.subject_uri, request_id="R-1"
    )

    table = built.table()
    refs = table.metadata.refs
    assert not {"v1", "v2", "v3"} & set(refs)
    for item in receipt["versions_affected"]:
        assert refs[item["new"]].snapshot_id == item["new_snapshot_id"]
        assert item["old_snapshot_id"] == built.snapshots[item["old"]]
        assert table.snapshot_by_id(item["old_snapshot_id"]) is None  # expired
        rows = read_version(built.catalog, DATASET, item["new"]).column("doc_id").to_pylist()
        assert rows == [d for d in built.rows[item["old"]] if d != built.subject_doc_id]
    assert table.metadata.current_snapshot_id == refs["v3-e1"].snapshot_id
    assert [v.name for v in list_versions(built.catalog, DATASET)] == ["v1-e1", "v2-e1", "v3-e1"]
    newest = get_version(built.catalog, DATASET)
    assert newest.name == "v3-e1" and newest.run_id == "run-3"
    assert newest.row_count == len(built.rows["v3"]) - 1
    properties = table.snapshot_by_id(newest.snapshot_id).summary.additional_properties
    assert properties["curate.erasure_of"] == str(built.snapshots["v3"])
    assert properties["curate.erasure_request_id"] == "R-1"
    assert properties["curate.version"] == "v3-e1"
    assert properties["curate.erased_from_version"] == "v3"
    assert json.loads(properties["curate.stats"])["documents"] == len(built.rows["v3"]) - 1


def test_other_documents_keep_their_rows_unchanged(built):
    table = built.table()
    before = table.scan(snapshot_id=built.snapshots["v3"]).to_arrow()

    erase(built.catalog, built.workspace, DATASET, source_uri=built.subject_uri, request_id="R-1")

    after = read_version(built.catalog, DATASET, "v3-e1")
    expected = before.filter(pc.not_equal(before["doc_id"], built.subject_doc_id))
    assert after.sort_by("doc_id").equals(expected.sort_by("doc_id"))


def test_the_trail_and_tombstones_hold_no_raw_identifier(built):
    receipt = erase(
        built.catalog, built.workspace, DATASET, source_uri=built.subject_uri, request_id="R-1"
    )

    trail = trail_path(built.workspace, DATASET).read_bytes()
    tombstones = tombstones_path(built.workspace, DATASET)
    stored = trail + tombstones.read_bytes()
    stored += json.dumps(pq.read_table(tombstones).to_pylist()).encode()
    for value in identifiers(built):
        assert value.encode() not in stored
        assert value not in json.dumps(receipt)
    assert receipt["subject_sha256"] == subject_hash(built.workspace, built.subject_uri)
    assert receipt["doc_id_hashes"] == [subject_hash(built.workspace, built.subject_doc_id)]
    assert read_trail(built.workspace, DATASET) == [receipt]
    assert verify_chain(built.workspace, DATASET).ok
    assert (built.workspace.root / "audit" / "salt").stat().st_mode & 0o777 == 0o600


def test_the_ledger_keeps_every_decision_under_stand_in_ids(built):
    before = read_ledger(built.catalog, DATASET)

    receipt = erase(
        built.catalog, built.workspace, DATASET, source_uri=built.subject_uri, request_id="R-1"
    )

    after = read_ledger(built.catalog, DATASET)
    assert after.num_rows == before.num_rows
    stand_in = "erased-" + subject_hash(built.workspace, built.subject_doc_id)
    own = after.filter(pc.equal(after["doc_id"], stand_in))
    assert own.num_rows == 6  # ingest, dedup in run 1; ingest, incremental in runs 2 and 3
    assert set(own["decision"].to_pylist()) == {"kept"}
    assert all(uri.startswith("erased-") for uri in own["source_uri"].to_pylist())
    # the forwarded copy was dropped as a duplicate of the request: its details point at it
    copies = after.filter(pc.equal(after["doc_id"], built.copy_doc_id))
    dedup = copies.filter(pc.equal(copies["stage"], "dedup"))
    assert dedup.num_rows == 3
    assert all(stand_in in json.loads(d)["kept_doc_id"] for d in dedup["details"].to_pylist())
    assert receipt["ledger"]["rows_pseudonymized"] == 9
    counts = after.group_by(["stage", "decision"]).aggregate([("doc_id", "count")])
    expected = before.group_by(["stage", "decision"]).aggregate([("doc_id", "count")])
    assert counts.sort_by("stage").equals(expected.sort_by("stage"))


def test_the_dedup_index_forgets_the_document_and_follows_the_tags(built):
    index = SignatureIndex.open(built.index_root)
    assert not index.signatures_of([built.subject_doc_id]).is_empty()
    assert not index.shingles_of([built.subject_doc_id]).is_empty()

    receipt = erase(
        built.catalog, built.workspace, DATASET, source_uri=built.subject_uri, request_id="R-1"
    )

    assert index.signatures_of([built.subject_doc_id]).is_empty()
    assert index.shingles_of([built.subject_doc_id]).is_empty()
    bands = pa.concat_tables(pq.read_table(f) for f in index.files("bands"))
    assert built.subject_doc_id not in bands["doc_id"].to_pylist()
    assert index.versions() == ["v1-e1", "v2-e1", "v3-e1"]
    assert receipt["index"][0]["signatures_removed"] == 1


@pytest.mark.parametrize("option", ["doc_id", "sha256", "text_match"])
def test_every_kind_of_identifier_erases_the_document(built, scan, option):
    value = {
        "doc_id": built.subject_doc_id,
        "sha256": built.subject_sha256.upper(),
        "text_match": "chemotherapy schedule",
    }[option]

    receipt = erase(built.catalog, built.workspace, DATASET, **{option: value}, request_id="R-1")

    assert receipt["verified"] is True
    assert receipt["subject_kind"] == option
    assert [v["new"] for v in receipt["versions_affected"]] == ["v1-e1", "v2-e1", "v3-e1"]
    assert scan(built.workspace.warehouse, identifiers(built)) == []


def test_a_document_nobody_holds_is_refused_without_changing_anything(built):
    table = built.table()
    metadata = table.metadata_location

    with pytest.raises(NoDocumentMatched, match="no document matched --source-uri") as error:
        erase(
            built.catalog,
            built.workspace,
            DATASET,
            source_uri="file:///nowhere/unknown.txt",
            request_id="R-9",
        )

    assert "\n" not in str(error.value) and "unknown.txt" not in str(error.value)
    assert built.table().metadata_location == metadata
    assert not trail_path(built.workspace, DATASET).exists()
    assert not tombstones_path(built.workspace, DATASET).exists()


def test_a_second_erasure_suffixes_again_and_both_receipts_chain(built):
    erase(built.catalog, built.workspace, DATASET, source_uri=built.subject_uri, request_id="R-1")
    other = built.rows["v3"][0]

    second = erase(built.catalog, built.workspace, DATASET, doc_id=other, request_id="R-2")

    assert [(v["old"], v["new"]) for v in second["versions_affected"]] == [
        ("v1-e1", "v1-e2"),
        ("v2-e1", "v2-e2"),
        ("v3-e1", "v3-e2"),
    ]
    assert second["verified"] is True
    assert verify_chain(built.workspace, DATASET).entries == 2
    assert erased_doc_ids(built.catalog, DATASET, [other, built.subject_doc_id, "hr-x"]) == {
        other,
        built.subject_doc_id,
    }


def test_the_receipt_lists_models_trained_on_affected_versions(built):
    record_model(built.catalog, built.workspace, f"{DATASET}@v2", model="hr-assistant-7b")

    receipt = erase(
        built.catalog, built.workspace, DATASET, source_uri=built.subject_uri, request_id="R-1"
    )

    assert [m["model"] for m in receipt["models"]] == ["hr-assistant-7b"]


def test_a_match_wider_than_allowed_is_refused(built):
    metadata = built.table().metadata_location

    with pytest.raises(
        TooManyDocuments, match="2 documents match --text-match .* --max-documents 1"
    ):
        erase(
            built.catalog,
            built.workspace,
            DATASET,
            text_match="are reported at once",
            request_id="R-1",
            max_documents=1,
        )

    assert built.table().metadata_location == metadata


def test_a_live_run_blocks_the_erasure(built):
    paths = RunPaths(built.workspace.runs / "run-live").ensure()
    try:
        with pytest.raises(RunInProgress, match="run-live is writing"):
            erase(
                built.catalog,
                built.workspace,
                DATASET,
                source_uri=built.subject_uri,
                request_id="R-1",
            )
    finally:
        paths.release()


def test_staged_batches_of_a_dead_run_lose_the_document(built):
    staged = built.table().scan().to_arrow()
    folder = built.workspace.runs / "run-dead" / "documents"
    folder.mkdir(parents=True)
    pq.write_table(staged, folder / "ingest-hr-00000.parquet")

    receipt = erase(
        built.catalog, built.workspace, DATASET, source_uri=built.subject_uri, request_id="R-1"
    )

    left = pq.read_table(folder / "ingest-hr-00000.parquet")
    assert built.subject_doc_id not in left["doc_id"].to_pylist()
    assert left.num_rows == staged.num_rows - 1
    assert receipt["staging"]["rows_removed"] == 1
    assert receipt["verified"] is True


def test_a_copy_in_another_dataset_fails_the_verification_and_says_where(built):
    other = built.catalog.create_table("curated.other", schema=built.table().schema())
    other.append(built.table().scan().to_arrow())

    receipt = erase(
        built.catalog, built.workspace, DATASET, source_uri=built.subject_uri, request_id="R-1"
    )

    assert receipt["verified"] is False
    paths = {f["path"] for f in receipt["verification"]["findings"]}
    assert paths and all("/curated/other/" in p for p in paths)
    assert {"doc_id", "source_uri", "text"} <= {
        f["kind"] for f in receipt["verification"]["findings"]
    }
    assert built.subject_uri not in json.dumps(receipt)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "exactly one of"),
        ({"doc_id": "a", "sha256": "b" * 64}, "exactly one of"),
        ({"sha256": "not-a-hash"}, "64 hexadecimal digits"),
        ({"text_match": "short"}, "at least 8 characters"),
    ],
)
def test_malformed_requests_are_refused_with_their_fix(built, options, message):
    with pytest.raises(InvalidErasureRequest, match=message):
        erase(built.catalog, built.workspace, DATASET, request_id="R-1", **options)


def test_a_reason_that_quotes_the_identifier_is_refused(built):
    with pytest.raises(InvalidErasureRequest, match="quotes the identifier"):
        erase(
            built.catalog,
            built.workspace,
            DATASET,
            source_uri=built.subject_uri,
            request_id="R-1",
            reason=f"erase {built.subject_uri}",
        )


def erased_with_newer_clean_version(built, next_run):
    """v4 was made after the file left the source: it never held the document."""
    (built.corpus / "requests" / "jane_roe_leave.txt").unlink()
    (built.corpus / "inbox" / "forwarded_leave.txt").unlink()
    next_run(built, "run-4", incremental=True, version_name="v4")
    v4 = built.table().metadata.refs["v4"].snapshot_id
    receipt = erase(
        built.catalog, built.workspace, DATASET, source_uri=built.subject_uri, request_id="R-1"
    )
    return v4, receipt


def test_a_newer_version_without_the_document_stays_current_and_untouched(built, next_run):
    v4, receipt = erased_with_newer_clean_version(built, next_run)

    table = built.table()
    assert table.metadata.refs["v4"].snapshot_id == v4
    assert table.metadata.current_snapshot_id == v4
    assert [v["new"] for v in receipt["versions_affected"]] == ["v1-e1", "v2-e1", "v3-e1"]
    assert receipt["verified"] is True


def test_the_newest_version_is_still_the_newest_after_older_ones_were_erased(built, next_run):
    erased_with_newer_clean_version(built, next_run)

    assert get_version(built.catalog, DATASET).name == "v4"


def test_only_the_erased_successors_remain_as_snapshots(built):
    receipt = erase(
        built.catalog, built.workspace, DATASET, source_uri=built.subject_uri, request_id="R-1"
    )

    snapshots = {s.snapshot_id for s in built.table().metadata.snapshots}
    assert snapshots == {v["new_snapshot_id"] for v in receipt["versions_affected"]}
    assert len(receipt["snapshots_expired"]) >= 6  # 3 versions, their deletes, the rewrites


def test_leftovers_of_a_failed_write_go_and_a_writer_s_new_file_stays(built):
    import os
    import time

    data = built.workspace.warehouse / "curated" / "hr_demo" / "data"
    orphan = data / "00000-0-crashed-write.parquet"
    pq.write_table(built.table().scan().to_arrow(), orphan)
    os.utime(orphan, (time.time() - 3600, time.time() - 3600))
    fresh = data / "00000-0-being-written.parquet"
    pq.write_table(pa.table({"doc_id": ["hr-other"]}), fresh)
    os.utime(fresh, (time.time() + 3600, time.time() + 3600))

    receipt = erase(
        built.catalog, built.workspace, DATASET, source_uri=built.subject_uri, request_id="R-1"
    )

    assert not orphan.exists() and fresh.exists()
    assert str(orphan) in {f["path"] for f in receipt["files_deleted"]}
    assert receipt["verified"] is True


def test_a_repeated_request_finishes_what_an_interrupted_one_left(built):
    import os
    import time

    subject_rows = built.table().scan().to_arrow()
    erase(built.catalog, built.workspace, DATASET, source_uri=built.subject_uri, request_id="R-1")
    # what an attempt interrupted after expiring the old snapshots leaves: their data files
    leftover = built.workspace.warehouse / "curated" / "hr_demo" / "data" / "00000-0-old.parquet"
    pq.write_table(subject_rows, leftover)
    os.utime(leftover, (time.time() - 60, time.time() - 60))

    again = erase(
        built.catalog, built.workspace, DATASET, source_uri=built.subject_uri, request_id="R-1"
    )

    assert not leftover.exists()
    assert again["verified"] is True
    assert [(v["old"], v["new"]) for v in again["versions_affected"]] == [
        ("v1", "v1-e1"),
        ("v2", "v2-e1"),
        ("v3", "v3-e1"),
    ]


def test_an_audit_lookup_by_any_identifier_finds_the_erasure(built):
    from catalogs.audit.lookup import lookup_document

    erase(built.catalog, built.workspace, DATASET, source_uri=built.subject_uri, request_id="R-1")

    for option, value in (
        ("doc_id", built.subject_doc_id),
        ("source_uri", built.subject_uri),
        ("sha256", built.subject_sha256),
    ):
        found = lookup_document(built.catalog, built.workspace, DATASET, **{option: value})
        assert found["erased"] is True, option
        assert found["versions"] == []
        assert [e["request_id"] for e in found["erasures"]] == ["R-1"]
