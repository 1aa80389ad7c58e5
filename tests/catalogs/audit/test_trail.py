"""The audit trail: salted subject hashes, the hash chain, tamper detection, concurrent appends."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import stat

import pytest

from catalogs.audit.exceptions import TrailError
from catalogs.audit.trail import (
    append_entry,
    erasures_for_version,
    read_trail,
    subject_hash,
    trail_path,
    verify_chain,
)
from curation.workspace import Workspace

DATASET = "curated.docs"


def erasure(request_id: str, old: str, new: str, **extra) -> dict:
    return {
        "kind": "erasure",
        "request_id": request_id,
        "subject_sha256": "0" * 64,
        "versions_affected": [{"old": old, "new": new}],
        "files_deleted": [],
        "verified": True,
        **extra,
    }


def test_subject_hash_is_keyed_by_a_private_per_workspace_salt(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"

    value = "file:///shares/hr/jane_doe_cv.docx"
    result = subject_hash(first, value)

    assert result == subject_hash(Workspace(first), value)  # stable, path or Workspace
    assert result != subject_hash(second, value)  # another workspace, another salt
    assert result != hashlib.sha256(value.encode()).hexdigest()  # not a plain hash
    assert result != subject_hash(first, value + " ")
    salt = first / "audit" / "salt"
    assert stat.S_IMODE(salt.stat().st_mode) == 0o600
    assert len(salt.read_bytes()) == 32


def test_a_damaged_salt_is_refused_rather_than_replaced(tmp_path):
    subject_hash(tmp_path, "x")
    (tmp_path / "audit" / "salt").write_bytes(b"short")

    with pytest.raises(TrailError, match="restore it from a backup"):
        subject_hash(tmp_path, "x")


def test_each_entry_chains_to_the_bytes_of_the_line_before(tmp_path):
    first = append_entry(tmp_path, DATASET, erasure("R1", "v1", "v1-e1"))
    second = append_entry(tmp_path, "docs", {"kind": "model", "version": "v1", "model": "m"})

    lines = trail_path(tmp_path, DATASET).read_bytes().splitlines()
    assert len(lines) == 2
    assert first["prev_sha256"] == ""
    assert second["prev_sha256"] == hashlib.sha256(lines[0]).hexdigest()
    assert json.loads(lines[1])["at"] == second["at"]
    report = verify_chain(tmp_path, DATASET)
    assert report.ok and report.entries == 2
    assert report.head_sha256 == hashlib.sha256(lines[1]).hexdigest()
    assert [e["kind"] for e in read_trail(tmp_path, DATASET)] == ["erasure", "model"]


def test_a_caller_cannot_choose_the_chain_link_or_an_unknown_kind(tmp_path):
    append_entry(tmp_path, DATASET, erasure("R1", "v1", "v1-e1"))
    entry = append_entry(tmp_path, DATASET, {"kind": "model", "prev_sha256": "forged"})

    assert entry["prev_sha256"] != "forged"
    assert verify_chain(tmp_path, DATASET).ok
    with pytest.raises(TrailError, match="kind must be one of"):
        append_entry(tmp_path, DATASET, {"kind": "note"})
    with pytest.raises(TrailError, match="cannot name an audit trail folder"):
        append_entry(tmp_path, "curated/../../etc", {"kind": "model"})


def _three_entries(root) -> list[bytes]:
    for i in range(3):
        append_entry(root, DATASET, {"kind": "model", "version": f"v{i}", "model": f"m{i}"})
    return trail_path(root, DATASET).read_bytes().splitlines(keepends=True)


def test_editing_a_line_breaks_the_chain_at_the_next_line(tmp_path):
    lines = _three_entries(tmp_path)
    lines[0] = lines[0].replace(b'"m0"', b'"m9"')
    trail_path(tmp_path, DATASET).write_bytes(b"".join(lines))

    report = verify_chain(tmp_path, DATASET)

    assert not report.ok
    assert report.problems == (
        "line 2 does not chain to line 1: the trail was edited at or before line 1",
    )


def test_removing_a_line_breaks_the_chain(tmp_path):
    lines = _three_entries(tmp_path)
    trail_path(tmp_path, DATASET).write_bytes(lines[0] + lines[2])

    assert "line 2 does not chain to line 1" in verify_chain(tmp_path, DATASET).problems[0]


def test_editing_the_last_line_changes_the_head_recorded_elsewhere(tmp_path):
    lines = _three_entries(tmp_path)
    head = verify_chain(tmp_path, DATASET).head_sha256
    lines[2] = lines[2].replace(b'"m2"', b'"m7"')
    trail_path(tmp_path, DATASET).write_bytes(b"".join(lines))

    report = verify_chain(tmp_path, DATASET)

    assert report.ok  # nothing follows the last line ...
    assert report.head_sha256 != head  # ... so a head kept elsewhere (an audit bundle) shows it


def test_a_torn_last_line_is_reported_and_blocks_appending(tmp_path):
    lines = _three_entries(tmp_path)
    trail_path(tmp_path, DATASET).write_bytes(b"".join(lines) + b'{"kind":"mo')

    assert verify_chain(tmp_path, DATASET).problems == (
        "line 4 is incomplete (an interrupted write)",
    )
    with pytest.raises(TrailError, match="incomplete line"):
        append_entry(tmp_path, DATASET, {"kind": "model"})


def _append_many(root: str, worker: int) -> None:
    for i in range(15):
        append_entry(root, DATASET, {"kind": "model", "model": f"w{worker}-{i}", "version": "v1"})


def test_concurrent_appends_from_processes_keep_one_chain(tmp_path):
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(str(tmp_path), w)) for w in range(3)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
        assert process.exitcode == 0

    report = verify_chain(tmp_path, DATASET)

    assert report.ok and report.entries == 45
    models = sorted(e["model"] for e in read_trail(tmp_path, DATASET))
    assert models == sorted(f"w{w}-{i}" for w in range(3) for i in range(15))


def test_erasures_apply_to_the_version_they_produced_and_its_successors(tmp_path):
    append_entry(tmp_path, DATASET, erasure("R1", "v3", "v3-e1"))
    append_entry(tmp_path, DATASET, erasure("R2", "v1", "v1-e1"))
    append_entry(tmp_path, DATASET, erasure("R3", "v3-e1", "v3-e2"))
    append_entry(tmp_path, DATASET, {"kind": "model", "version": "v3-e2", "model": "m"})

    def requests(version: str) -> list[str]:
        return [e["request_id"] for e in erasures_for_version(tmp_path, DATASET, version)]

    assert requests("v3-e2") == ["R1", "R3"]
    assert requests("v3-e1") == ["R1"]
    assert requests("v1-e1") == ["R2"]
    assert requests("v3") == []
    assert requests("v2") == []
