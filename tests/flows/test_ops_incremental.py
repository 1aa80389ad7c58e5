"""Incremental runs that cost what changed, through the CLI: unread inputs keep their earlier
drops while bytes and stage configuration stay the same, documents that leave the version say
why, and `--verify` reads everything again."""

from __future__ import annotations

import json

import polars as pl
import pytest
import yaml

from catalogs.registry import CatalogSettings, open_catalog
from catalogs.versions import read_ledger, read_version
from curation.demo_corpus import generate_demo_corpus
from curation.workspace import Workspace
from tests_support import run_cli_json

pytestmark = pytest.mark.slow

ADDENDUM = (
    "\n\nAddendum: the on-call rotation now hands over on Mondays at ten, after the weekly "
    "review of open incidents and pending changes.\n"
)


def ledger_of(catalog, summary) -> pl.DataFrame:
    return pl.from_arrow(read_ledger(catalog, summary["dataset"], summary["run_id"]))


def unread_at_ingest(ledger: pl.DataFrame) -> int:
    """Ledger rows of inputs an incremental run did not read (size and mtime unchanged)."""
    return ledger.filter(
        (pl.col("stage") == "ingest")
        & (pl.col("details").str.json_path_match("$.error_class") == "Unchanged")
    ).height


def test_incremental_runs_keep_drops_explain_removals_and_verify_reads_all(tmp_path):
    corpus = generate_demo_corpus(tmp_path / "demo")
    workspace = tmp_path / "workspace"
    first = run_cli_json(["run", str(corpus.spec_path)], workspace=workspace)
    catalog = open_catalog(CatalogSettings.for_workspace(Workspace(workspace)))
    v1 = pl.from_arrow(read_version(catalog, first["dataset"], first["version"]))
    first_ledger = ledger_of(catalog, first)
    stage_drops = first_ledger.filter(
        pl.col("stage").is_in(["license", "quality"])
        & pl.col("decision").is_in(["dropped", "quarantined"])
    )
    assert (stage_drops["stage"] == "quality").any(), "the demo corpus has quality drops"
    markdown = (
        v1.filter(
            (pl.col("source_id") == "engineering") & pl.col("relative_path").str.ends_with(".md")
        )
        .sort("relative_path")["relative_path"]
        .to_list()
    )
    changed, deleted = markdown[:2]
    root = corpus.root / "corpus" / "engineering"
    (root / changed).write_text((root / changed).read_text() + ADDENDUM)
    (root / deleted).unlink()
    id_of = dict(zip(v1["relative_path"].to_list(), v1["doc_id"].to_list(), strict=True))

    second = run_cli_json(["run", str(corpus.spec_path), "--incremental"], workspace=workspace)
    ledger = ledger_of(catalog, second)

    # documents that left the version say why; the changed one is in the new version
    left = ledger.filter(pl.col("reason").is_in(["source_deleted", "superseded"]))
    assert sorted(left.select("doc_id", "decision", "reason").rows()) == sorted(
        [(id_of[deleted], "dropped", "source_deleted"), (id_of[changed], "modified", "superseded")]
    )
    assert (
        json.loads(left.filter(pl.col("reason") == "superseded")["details"][0])["previous_sha256"]
        == v1.filter(pl.col("relative_path") == changed)["content_sha256"][0]
    )
    assert second["removed"] == {"source_deleted": 1, "superseded": 1}
    assert second["reconciled"] is True
    v2 = pl.from_arrow(read_version(catalog, second["dataset"], second["version"]))
    assert changed in v2["relative_path"].to_list() and deleted not in v2["relative_path"]

    # earlier quality drops of unread inputs stand: same decision, the earlier one in details
    standing = ledger.filter(pl.col("reason") == "incremental.unchanged").filter(
        pl.col("decision") != "kept"
    )
    earlier = {
        row["doc_id"]: (row["stage"], row["decision"], row["reason"])
        for row in stage_drops.iter_rows(named=True)
    }
    assert standing.height > 0
    for row in standing.iter_rows(named=True):
        details = json.loads(row["details"])
        assert row["stage"] == "incremental"
        assert (details["stage"], details["decision"], details["reason"]) == earlier[row["doc_id"]]
        assert row["decision"] == details["decision"]
    assert ledger.filter(
        (pl.col("stage") == "quality") & pl.col("doc_id").is_in(standing["doc_id"].implode())
    ).is_empty()
    assert unread_at_ingest(ledger) > 0

    # --verify reads and hashes every input again, and runs the stages on every new decision
    verified = run_cli_json(
        ["run", str(corpus.spec_path), "--incremental", "--verify"], workspace=workspace
    )
    verified_ledger = ledger_of(catalog, verified)
    assert unread_at_ingest(verified_ledger) == 0
    assert verified_ledger.filter(
        (pl.col("reason") == "incremental.unchanged") & (pl.col("decision") != "kept")
    ).is_empty()
    assert verified["reconciled"] is True and verified["changed"] is False

    # a changed quality section: the earlier quality drops no longer stand, they run again
    spec = yaml.safe_load(corpus.spec_path.read_text())
    spec["quality"] = {**(spec.get("quality") or {}), "min_lang_allowed_frac": 0.79}
    corpus.spec_path.write_text(yaml.safe_dump(spec))
    third = run_cli_json(["run", str(corpus.spec_path), "--incremental"], workspace=workspace)
    third_ledger = ledger_of(catalog, third)
    rerun = third_ledger.filter(pl.col("stage") == "quality")["doc_id"].to_list()
    by_quality = standing.filter(pl.col("details").str.json_path_match("$.stage") == "quality")[
        "doc_id"
    ].to_list()
    assert by_quality and set(by_quality) <= set(rerun)
    assert third_ledger.filter(
        (pl.col("reason") == "incremental.unchanged")
        & (pl.col("details").str.json_path_match("$.stage") == "quality")
    ).is_empty()
    assert third["reconciled"] is True
