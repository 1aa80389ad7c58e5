"""`catalogs.load` and `catalogs.scan` read one version of a workspace catalog for training."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import datasets
import polars as pl
import pyarrow as pa
import pytest

import catalogs
from catalogs.exceptions import CatalogError, VersionNotFound
from catalogs.registry import CatalogSettings, open_catalog
from catalogs.versions import commit_version
from curation.ledger import ledger_table
from curation.workspace import Workspace


@pytest.fixture()
def workspace(tmp_path, monkeypatch):
    monkeypatch.delenv("CURATE_CATALOG_URI", raising=False)
    monkeypatch.delenv("CURATE_WAREHOUSE", raising=False)
    catalog = open_catalog(CatalogSettings.for_workspace(Workspace(tmp_path)))
    # committed out of doc_id order: `load` sorts, as an export does
    commit(catalog, ["c", "a", "b"], "run-1")
    commit(catalog, ["d", "a"], "run-2")
    return tmp_path


def commit(catalog, ids: list[str], run_id: str) -> None:
    documents = pa.table(
        {
            "doc_id": ids,
            "text": [f"text of {i}" for i in ids],
            "source_id": ["hr"] * len(ids),
            "source_uri": [f"file:///shares/hr/jane_doe_{i}.txt" for i in ids],
            "relative_path": [f"jane_doe_{i}.txt" for i in ids],
            "lang": ["en"] * len(ids),
        }
    )
    commit_version(
        catalog,
        "curated.docs",
        documents,
        ledger_table(run_id, "ingest", ids, ["kept"] * len(ids)),
        run_id=run_id,
        spec_fingerprint="abc",
        code_version="0.1.0",
        summary={},
    )


def test_load_returns_the_version_as_a_dataset_without_provenance_paths(workspace):
    train = catalogs.load("curated.docs", "v1", workspace=workspace)

    assert isinstance(train, datasets.Dataset)
    assert train["doc_id"] == ["a", "b", "c"]
    assert train["text"] == ["text of a", "text of b", "text of c"]
    assert "source_uri" not in train.column_names
    assert "relative_path" not in train.column_names
    assert {"source_id", "spdx", "lang", "pii_counts"} <= set(train.column_names)
    assert "curated.docs@v1" in train.info.description


def test_load_reads_the_named_columns_of_the_newest_or_a_referenced_version(workspace):
    newest = catalogs.load("docs", columns=["text", "doc_id"], workspace=str(workspace))
    first = catalogs.load("curated.docs@v1", columns=["doc_id"], workspace=workspace)

    assert newest.column_names == ["text", "doc_id"]
    assert newest["doc_id"] == ["a", "d"]
    assert first["doc_id"] == ["a", "b", "c"]


def test_provenance_columns_only_when_asked_for(workspace):
    with pytest.raises(CatalogError, match="include_provenance=True"):
        catalogs.load("curated.docs@v1", columns=["doc_id", "source_uri"], workspace=workspace)

    audit = catalogs.load("curated.docs@v1", workspace=workspace, include_provenance=True)

    assert audit["relative_path"] == ["jane_doe_a.txt", "jane_doe_b.txt", "jane_doe_c.txt"]


def test_unknown_columns_and_versions_are_errors(workspace):
    with pytest.raises(CatalogError, match="no columns \\['nope'\\]"):
        catalogs.load("curated.docs", columns=["nope"], workspace=workspace)
    with pytest.raises(VersionNotFound, match="versions: v1, v2"):
        catalogs.load("curated.docs", "v9", workspace=workspace)
    with pytest.raises(CatalogError, match="name it once"):
        catalogs.load("curated.docs@v1", "v2", workspace=workspace)


def test_scan_is_a_lazy_frame_over_the_version(workspace):
    frame = catalogs.scan("curated.docs@v1", workspace=workspace)

    assert isinstance(frame, pl.LazyFrame)
    result = frame.filter(pl.col("doc_id") != "b").select("doc_id", "text").sort("doc_id").collect()
    assert result.to_dict(as_series=False) == {
        "doc_id": ["a", "c"],
        "text": ["text of a", "text of c"],
    }
    assert "source_uri" not in frame.collect_schema().names()
    newest = catalogs.scan("curated.docs", columns=["doc_id"], workspace=workspace).collect()
    assert sorted(newest["doc_id"].to_list()) == ["a", "d"]


def test_the_workspace_comes_from_the_environment_when_not_given(workspace, monkeypatch):
    monkeypatch.setenv("CURATE_WORKSPACE", str(workspace))

    assert catalogs.load("curated.docs@v2", columns=["doc_id"])["doc_id"] == ["a", "d"]


def test_importing_the_package_loads_no_reader_library():
    code = (
        "import sys, catalogs; "
        "print(','.join(m for m in ('pyiceberg', 'datasets', 'polars', 'catalogs.readers') "
        "if m in sys.modules)); "
        "print(catalogs.load.__module__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.splitlines() == ["", "catalogs.readers"]
