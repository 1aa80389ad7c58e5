"""Versioned commits on a real pyiceberg SQL catalog in tmp_path."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pytest

from catalogs.exceptions import DatasetNotFound, VersionNotFound
from catalogs.query import list_datasets, parse_reference, show_dataset
from catalogs.registry import CatalogSettings, open_catalog
from catalogs.versions import commit_version, get_version, read_ledger, read_version
from curation.ledger import ledger_table
from curation.workspace import Workspace


@pytest.fixture()
def catalog(tmp_path):
    return open_catalog(CatalogSettings.for_workspace(Workspace(tmp_path)))


def documents(ids: list[str]) -> pa.Table:
    return pa.table(
        {
            "doc_id": ids,
            "text": [f"text of {i}" for i in ids],
            "source_id": ["s"] * len(ids),
            "source_uri": [f"file:///s/{i}" for i in ids],
            "pii_counts": pa.array(
                [[("EMAIL_ADDRESS", 1)]] * len(ids), pa.map_(pa.string(), pa.int32())
            ),
        }
    )


def commit(catalog, ids, run_id, **kwargs):
    ledger = ledger_table(run_id, "ingest", ids, ["kept"] * len(ids))
    return commit_version(
        catalog,
        "curated.docs",
        documents(ids),
        ledger,
        run_id=run_id,
        spec_fingerprint="abc",
        code_version="0.1.0",
        summary={"inputs": len(ids)},
        **kwargs,
    )


def test_each_commit_is_a_tagged_version_readable_by_tag(catalog):
    first = commit(catalog, ["a", "b", "c"], "run-1")
    second = commit(catalog, ["a"], "run-2")

    assert (first.name, second.name) == ("v1", "v2")
    assert read_version(catalog, "curated.docs", "v1").column("doc_id").to_pylist() == [
        "a",
        "b",
        "c",
    ]
    assert read_version(catalog, "curated.docs").column("doc_id").to_pylist() == ["a"]
    assert get_version(catalog, "curated.docs", "v1").run_id == "run-1"
    assert get_version(catalog, "curated.docs", "v2").summary == {"inputs": 1}


def test_ledger_rows_are_kept_per_run(catalog):
    commit(catalog, ["a", "b"], "run-1")
    commit(catalog, ["a"], "run-2")

    assert read_ledger(catalog, "curated.docs", "run-1").num_rows == 2
    assert read_ledger(catalog, "curated.docs").num_rows == 3


def test_named_version_and_duplicate_name_refused(catalog):
    commit(catalog, ["a"], "run-1", version_name="2026-q4")
    with pytest.raises(ValueError, match="already has a version"):
        commit(catalog, ["b"], "run-2", version_name="2026-q4")
    # the refused commit left the dataset as it was
    assert read_version(catalog, "curated.docs").column("doc_id").to_pylist() == ["a"]


def test_list_and_show_exclude_side_tables(catalog):
    commit(catalog, ["a", "b"], "run-1")

    listed = [d.as_dict() for d in list_datasets(catalog)]
    shown = show_dataset(catalog, "curated.docs@v1")

    assert [d["dataset"] for d in listed] == ["curated.docs"]
    assert listed[0]["rows"] == 2
    assert shown["row_count"] == 2 and shown["run_id"] == "run-1"
    assert "pii_counts" in [f["name"] for f in shown["schema"]]


def test_missing_dataset_and_version_errors_say_what_exists(catalog):
    commit(catalog, ["a"], "run-1")
    with pytest.raises(DatasetNotFound, match="curate catalog list"):
        get_version(catalog, "curated.nope")
    with pytest.raises(VersionNotFound, match="versions: v1"):
        get_version(catalog, "curated.docs", "v9")


def test_polars_reads_the_version(catalog):
    commit(catalog, ["a", "b"], "run-1")
    table = catalog.load_table("curated.docs")

    frame = pl.scan_iceberg(table).collect()

    assert sorted(frame["doc_id"].to_list()) == ["a", "b"]


def test_parse_reference():
    assert parse_reference("curated.x@v3") == ("curated.x", "v3")
    assert parse_reference("x") == ("x", None)


def test_a_retried_commit_returns_its_version_without_a_second_ledger_append(catalog):
    first = commit(catalog, ["a", "b"], "run-1")
    retried = commit(catalog, ["a", "b"], "run-1")
    later = commit(catalog, ["a"], "run-2")

    assert retried == first
    assert later.name == "v2"
    assert read_ledger(catalog, "curated.docs", "run-1").num_rows == 2
    assert [
        v for v in ("v1", "v2", "v3") if v in catalog.load_table("curated.docs").metadata.refs
    ] == [
        "v1",
        "v2",
    ]


def test_a_retry_with_a_named_version_finds_it_instead_of_failing(catalog):
    first = commit(catalog, ["a"], "run-1", version_name="v7")
    retried = commit(catalog, ["a"], "run-1", version_name="v7")

    assert retried.name == first.name == "v7"
    with pytest.raises(ValueError, match="already has a version named 'v7'"):
        commit(catalog, ["a"], "run-2", version_name="v7")


def test_a_ledger_appended_before_a_failed_data_commit_is_not_appended_again(catalog, monkeypatch):
    from pyiceberg.table import Transaction

    original = Transaction.overwrite
    calls = {"n": 0}

    def fail_once(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("warehouse write failed")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Transaction, "overwrite", fail_once)
    with pytest.raises(OSError):
        commit(catalog, ["a", "b"], "run-1")
    version = commit(catalog, ["a", "b"], "run-1")

    assert version.name == "v1"
    assert read_ledger(catalog, "curated.docs", "run-1").num_rows == 2
