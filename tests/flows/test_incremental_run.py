"""Incremental runs through the CLI: only new and changed documents go through the stages."""

from __future__ import annotations

import json

import polars as pl
import pytest

from catalogs.registry import CatalogSettings, open_catalog
from catalogs.versions import read_ledger, read_version
from curation.demo_corpus import generate_demo_corpus
from curation.workspace import Workspace
from tests_support import run_cli_json

pytestmark = pytest.mark.slow


def first_run(tmp_path):
    """A committed demo version: (corpus, workspace, summary, catalog, v1, engineering .md paths)."""
    corpus = generate_demo_corpus(tmp_path / "demo")
    workspace = tmp_path / "workspace"
    first = run_cli_json(["run", str(corpus.spec_path)], workspace=workspace)
    catalog = open_catalog(CatalogSettings.for_workspace(Workspace(workspace)))
    v1 = pl.from_arrow(read_version(catalog, first["dataset"], first["version"]))
    engineering = v1.filter(
        (pl.col("source_id") == "engineering") & pl.col("relative_path").str.ends_with(".md")
    ).sort("relative_path")
    return corpus, workspace, first, catalog, v1, engineering["relative_path"].to_list()


def test_incremental_run_carries_unchanged_and_dedups_new_against_the_set(tmp_path):
    corpus, workspace, first, catalog, v1, markdown = first_run(tmp_path)
    changed, deleted, copied = markdown[:3]
    root = corpus.root / "corpus" / "engineering"
    (root / changed).write_text(
        (root / changed).read_text() + "\n\nAddendum: the on-call rotation now hands over on "
        "Mondays at ten, after the weekly review of open incidents and pending changes.\n"
    )
    (root / deleted).unlink()
    (root / "copies").mkdir()
    (root / "copies" / "copy.md").write_bytes((root / copied).read_bytes())

    second = run_cli_json(["run", str(corpus.spec_path), "--incremental"], workspace=workspace)
    v2 = pl.from_arrow(read_version(catalog, second["dataset"], second["version"]))
    ledger = pl.from_arrow(read_ledger(catalog, second["dataset"], second["run_id"]))
    copy_row = ledger.filter(
        pl.col("source_uri").str.ends_with("copies/copy.md") & (pl.col("stage") == "dedup")
    )
    copied_id = v1.filter(pl.col("relative_path") == copied)["doc_id"][0]

    assert second["reconciled"] is True
    assert second["by_stage"]["incremental"]["kept"] == v1.height - 2
    # only the changed document and the copy (plus earlier drops and quarantines) were processed again
    assert (
        second["by_stage"]["dedup"]["kept"] + second["by_stage"]["dedup"].get("dropped", 0)
        <= first["dropped"] + 2
    )
    assert copy_row["reason"].to_list() == ["dedup.exact_duplicate"]
    assert json.loads(copy_row["details"][0])["kept_doc_id"] == copied_id
    paths_v2 = set(v2["relative_path"].to_list())
    assert deleted not in paths_v2 and changed in paths_v2 and "copies/copy.md" not in paths_v2
    assert v2.height == v1.height - 1
    new_sha = v2.filter(pl.col("relative_path") == changed)["content_sha256"][0]
    assert new_sha != v1.filter(pl.col("relative_path") == changed)["content_sha256"][0]


def test_incremental_run_rebuilds_a_missing_signature_index(tmp_path):
    import shutil

    corpus, workspace, _, catalog, _, markdown = first_run(tmp_path)
    copied = markdown[0]
    root = corpus.root / "corpus" / "engineering"
    (root / "copies").mkdir()
    (root / "copies" / "copy.md").write_bytes((root / copied).read_bytes())
    indexes = workspace / "indexes"
    assert any(indexes.rglob("signatures.parquet"))
    shutil.rmtree(indexes)

    second = run_cli_json(["run", str(corpus.spec_path), "--incremental"], workspace=workspace)
    ledger = pl.from_arrow(read_ledger(catalog, second["dataset"], second["run_id"]))
    copy_row = ledger.filter(
        pl.col("source_uri").str.ends_with("copies/copy.md") & (pl.col("stage") == "dedup")
    )

    assert second["reconciled"] is True
    assert copy_row["reason"].to_list()[0].startswith("dedup.")
    assert any(indexes.rglob("signatures.parquet"))


def test_a_changed_pii_policy_makes_the_incremental_run_a_full_one(tmp_path):
    import yaml

    corpus, workspace, first, catalog, v1, _ = first_run(tmp_path)
    spec = yaml.safe_load(corpus.spec_path.read_text())
    spec["pii"] = {**(spec.get("pii") or {}), "metadata": "redact"}
    corpus.spec_path.write_text(yaml.safe_dump(spec))

    second = run_cli_json(["run", str(corpus.spec_path), "--incremental"], workspace=workspace)

    assert second["reconciled"] is True
    assert "incremental" not in second["by_stage"]
    assert second["by_stage"]["pii"]["kept"] + second["by_stage"]["pii"].get("modified", 0) >= (
        v1.height
    )
