"""Diff of two versions on a real SQLite catalog: added, removed with why, changed, deltas."""

from __future__ import annotations

import pyarrow as pa
import pytest

import catalogs.diff
from catalogs.diff import diff_versions, erased_doc_ids
from catalogs.exceptions import VersionNotFound
from catalogs.registry import CatalogSettings, open_catalog
from catalogs.versions import commit_version
from curation.ledger import concat_ledgers, ledger_table
from curation.workspace import Workspace


@pytest.fixture()
def catalog(tmp_path, monkeypatch):
    monkeypatch.delenv("CURATE_CATALOG_URI", raising=False)
    monkeypatch.delenv("CURATE_WAREHOUSE", raising=False)
    return open_catalog(CatalogSettings.for_workspace(Workspace(tmp_path)))


# doc_id -> (sha of the bytes, source, license, language)
V1 = {
    "a": ("sha-a", "hr", "MIT", "en"),
    "b": ("sha-b1", "hr", "MIT", "en"),
    "c": ("sha-c", "hr", "MIT", "de"),
    "d": ("sha-d", "wiki", "CC-BY-4.0", "en"),
    "f": ("sha-f", "wiki", "CC-BY-4.0", None),
}
# a unchanged, b new bytes, c dropped by quality, d gone from its source, f quarantined, e new
V2 = {
    "a": ("sha-a", "hr", "MIT", "en"),
    "b": ("sha-b2", "hr", "MIT", "en"),
    "e": ("sha-e", "mail", None, "fr"),
}


def documents(spec: dict[str, tuple]) -> pa.Table:
    ids = sorted(spec)
    return pa.table(
        {
            "doc_id": ids,
            "text": [f"text of {i}" for i in ids],
            "source_id": [spec[i][1] for i in ids],
            "source_uri": [f"file:///{spec[i][1]}/{i}.txt" for i in ids],
            "content_sha256": [spec[i][0] for i in ids],
            "spdx": [spec[i][2] for i in ids],
            "lang": [spec[i][3] for i in ids],
            "title": [f"Title {i}" for i in ids],
        }
    )


def rows(run: str, stage: str, ids: list[str], decision: str, reason: str | None = None):
    return ledger_table(run, stage, ids, [decision] * len(ids), [reason] * len(ids))


def commit_two_versions(catalog) -> None:
    commit_version(
        catalog,
        "curated.docs",
        documents(V1),
        rows("run-1", "ingest", sorted(V1), "kept"),
        run_id="run-1",
        spec_fingerprint="abc",
        code_version="0.1.0",
        summary={},
    )
    ledger = concat_ledgers(
        [
            rows("run-2", "ingest", ["a", "b", "c", "e"], "kept"),
            rows("run-2", "ingest", ["f"], "quarantined", "ingest.parse_error"),
            rows("run-2", "quality", ["a", "b", "e"], "kept"),
            rows("run-2", "quality", ["c"], "dropped", "quality.too_short"),
        ]
    )
    commit_version(
        catalog,
        "curated.docs",
        documents(V2),
        ledger,
        run_id="run-2",
        spec_fingerprint="abc",
        code_version="0.1.0",
        summary={},
    )


def test_added_removed_and_changed_documents(catalog):
    commit_two_versions(catalog)

    diff = diff_versions(catalog, "docs", "v1", "v2")

    assert (diff["dataset"], diff["a"], diff["b"]) == ("curated.docs", "v1", "v2")
    assert diff["counts"] == {"added": 1, "removed": 3, "changed": 1, "unchanged": 1}
    assert diff["added"] == [
        {"doc_id": "e", "source_id": "mail", "spdx": None, "lang": "fr", "title": "Title e"}
    ]
    assert diff["changed"] == [{"doc_id": "b", "source_id": "hr"}]
    assert diff["truncated"] is False


def test_removed_documents_say_why(catalog):
    commit_two_versions(catalog)

    diff = diff_versions(catalog, "curated.docs", "v1", "v2")

    assert diff["removed"] == [
        {"doc_id": "c", "source_id": "hr", "why": "dropped", "reason": "quality.too_short"},
        {"doc_id": "d", "source_id": "wiki", "why": "deleted_at_source", "reason": None},
        {"doc_id": "f", "source_id": "wiki", "why": "quarantined", "reason": "ingest.parse_error"},
    ]
    assert diff["removed_by_why"] == {"deleted_at_source": 1, "dropped": 1, "quarantined": 1}


def test_deltas_per_source_license_and_language(catalog):
    commit_two_versions(catalog)

    deltas = diff_versions(catalog, "curated.docs", "v1", "v2")["deltas"]

    assert deltas["by_source"] == {
        "hr": {"a": 3, "b": 2, "delta": -1},
        "wiki": {"a": 2, "b": 0, "delta": -2},
        "mail": {"a": 0, "b": 1, "delta": 1},
    }
    assert deltas["by_license"] == {
        "MIT": {"a": 3, "b": 2, "delta": -1},
        "CC-BY-4.0": {"a": 2, "b": 0, "delta": -2},
        "unknown": {"a": 0, "b": 1, "delta": 1},
    }
    assert deltas["by_language"] == {
        "de": {"a": 1, "b": 0, "delta": -1},
        "en": {"a": 3, "b": 2, "delta": -1},
        "fr": {"a": 0, "b": 1, "delta": 1},
        "unknown": {"a": 1, "b": 0, "delta": -1},
    }
    # biggest change first, then by key
    assert list(deltas["by_source"]) == ["wiki", "hr", "mail"]
    assert list(deltas["by_language"]) == ["de", "en", "fr", "unknown"]


def test_lists_are_capped_at_the_limit_while_counts_cover_everything(catalog):
    commit_two_versions(catalog)

    diff = diff_versions(catalog, "curated.docs", "v1", "v2", limit=1)

    assert [r["doc_id"] for r in diff["removed"]] == ["c"]
    assert diff["counts"]["removed"] == 3
    assert sum(diff["removed_by_why"].values()) == 3
    assert diff["truncated"] is True


def test_reversed_diff_swaps_added_and_removed(catalog):
    commit_two_versions(catalog)

    diff = diff_versions(catalog, "curated.docs", "v2", "v1")

    assert diff["counts"] == {"added": 3, "removed": 1, "changed": 1, "unchanged": 1}
    assert [r["doc_id"] for r in diff["added"]] == ["c", "d", "f"]


def test_erasure_trail_is_consulted_for_removed_documents(catalog, monkeypatch):
    commit_two_versions(catalog)
    assert erased_doc_ids(catalog, "curated.docs") == set()
    monkeypatch.setattr(
        catalogs.diff, "erased_doc_ids", lambda catalog, dataset, candidates=(): {"d"}
    )

    diff = diff_versions(catalog, "curated.docs", "v1", "v2")

    assert {r["doc_id"]: r["why"] for r in diff["removed"]}["d"] == "erased"
    assert diff["removed_by_why"]["erased"] == 1


def test_unknown_version_is_an_error(catalog):
    commit_two_versions(catalog)

    with pytest.raises(VersionNotFound, match="versions: v1, v2"):
        diff_versions(catalog, "curated.docs", "v1", "v9")
