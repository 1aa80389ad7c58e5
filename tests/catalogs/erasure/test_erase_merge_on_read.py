"""Erasure of a subject whose old row left a merge-on-read version through a position delete.

The old row's bytes still sit in a data file the newer version shares (it only names the row in
a delete file): the erasure must rewrite that file in every version that uses it, drop the
delete file with it, and leave each version with the rows it had, less the subject.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pytest

from catalogs.erasure import erase
from catalogs.erasure.rewrite import has_position_deletes
from catalogs.live_rows import live_files
from catalogs.registry import CatalogSettings, open_catalog
from catalogs.versions import (
    VersionChanges,
    commit_version,
    get_version,
    list_versions,
    load_dataset_table,
    read_version,
)
from curation.ledger import ledger_table
from curation.workspace import Workspace

DATASET = "curated.mor_demo"
OLD_TEXT = "Jane Roe asked that her chemotherapy schedule stay between her and payroll."
NEW_TEXT = "Jane Roe moved her leave to the ninth of March, her sister Maria Roe confirms."
SUBJECT = "hr:requests/jane_roe.txt"
OTHERS = [f"hr:policies/p{i:02d}.md" for i in range(20)]


def rows(doc_ids: list[str], texts: list[str]) -> pa.Table:
    return pa.table(
        {
            "doc_id": doc_ids,
            "text": texts,
            "source_id": ["hr"] * len(doc_ids),
            "source_uri": [f"file:///share/{d.split(':', 1)[1]}" for d in doc_ids],
            "content_sha256": [hashlib.sha256(t.encode()).hexdigest() for t in texts],
        }
    )


def commit(catalog, documents: pa.Table, run_id: str, changes=None):
    ids = documents.column("doc_id").to_pylist()
    return commit_version(
        catalog,
        DATASET,
        documents,
        ledger_table(run_id, "ingest", ids, ["kept"] * len(ids)),
        run_id=run_id,
        spec_fingerprint="spec",
        code_version="test",
        summary={"inputs": len(ids)},
        changes=changes,
    )


@pytest.fixture()
def setup(tmp_path, monkeypatch):
    monkeypatch.delenv("CURATE_CATALOG_URI", raising=False)
    monkeypatch.delenv("CURATE_WAREHOUSE", raising=False)
    workspace = Workspace(tmp_path / "ws").ensure()
    catalog = open_catalog(CatalogSettings.for_workspace(workspace))
    others = rows(OTHERS, [f"Policy {i}: badges are worn visibly." for i in range(20)])
    v1 = commit(catalog, pa.concat_tables([others, rows([SUBJECT], [OLD_TEXT])]), "run-1")
    return workspace, catalog, others, v1


@pytest.mark.parametrize("reason", ["superseded", "source_deleted"])
def test_a_position_deleted_row_is_erased_from_every_file(setup, scan, reason):
    workspace, catalog, others, v1 = setup
    added = rows([SUBJECT], [NEW_TEXT]) if reason == "superseded" else rows([], [])
    v2 = commit(
        catalog,
        added,
        "run-2",
        VersionChanges(base=v1.snapshot_id, removed=pa.array([SUBJECT]), added=added),
    )
    table = load_dataset_table(catalog, DATASET)
    assert has_position_deletes(table, v2.snapshot_id)
    shared = {f.path for f in live_files(table, v1.snapshot_id)}
    assert shared <= {f.path for f in live_files(table, v2.snapshot_id)}  # the file is reused
    needles = [OLD_TEXT, NEW_TEXT] if reason == "superseded" else [OLD_TEXT]
    assert {n for _, n in scan(workspace.warehouse, needles)} == set(needles)

    receipt = erase(catalog, workspace, DATASET, doc_id=SUBJECT, request_id="DSR-7")

    assert receipt["verified"] is True, receipt["verification"]
    assert scan(workspace.warehouse, [*needles, SUBJECT]) == []
    names = [v.name for v in list_versions(catalog, DATASET)]
    assert names == ["v1-e1", "v2-e1"]
    expected = sorted(OTHERS)
    for name in names:
        result = read_version(catalog, DATASET, name)
        assert sorted(result.column("doc_id").to_pylist()) == expected
        assert get_version(catalog, DATASET, name).row_count == len(expected)
    table = load_dataset_table(catalog, DATASET)
    current = table.current_snapshot()
    assert current.snapshot_id == get_version(catalog, DATASET, "v2-e1").snapshot_id
    # the rewritten file left with its delete file: nothing in the successor points at it
    assert not has_position_deletes(table, current.snapshot_id)
    texts = read_version(catalog, DATASET, "v2-e1").column("text").to_pylist()
    assert sorted(texts) == sorted(others.column("text").to_pylist())


def test_other_deletes_of_a_rewritten_version_still_apply(setup, scan):
    workspace, catalog, others, v1 = setup
    added = rows([SUBJECT, OTHERS[3]], [NEW_TEXT, "Policy 3, revised."])
    v2 = commit(
        catalog,
        added,
        "run-2",
        VersionChanges(base=v1.snapshot_id, removed=pa.array([SUBJECT, OTHERS[3]]), added=added),
    )
    extra = rows(["hr:policies/new.md"], ["A new policy."])
    v3 = commit(
        catalog,
        extra,
        "run-3",
        VersionChanges(base=v2.snapshot_id, removed=pa.array([OTHERS[5]]), added=extra),
    )
    before = sorted(read_version(catalog, DATASET, v3.name).column("text").to_pylist())

    receipt = erase(catalog, workspace, DATASET, doc_id=SUBJECT, request_id="DSR-8")

    assert receipt["verified"] is True, receipt["verification"]
    assert scan(workspace.warehouse, [OLD_TEXT, NEW_TEXT, SUBJECT]) == []
    after = read_version(catalog, DATASET, "v3-e1")
    assert sorted(after.column("text").to_pylist()) == [t for t in before if t != NEW_TEXT]
    assert "Policy 3, revised." in after.column("text").to_pylist()
    assert OTHERS[5] not in after.column("doc_id").to_pylist()
