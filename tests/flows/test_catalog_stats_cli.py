"""`curate catalog stats` and `curate catalog diff` on versions committed in a tmp workspace."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from catalogs.registry import CatalogSettings, open_catalog
from catalogs.versions import commit_version
from curation.ledger import concat_ledgers, ledger_table
from curation.workspace import Workspace
from flows.cli import app


@pytest.fixture()
def workspace(tmp_path, monkeypatch):
    monkeypatch.delenv("CURATE_CATALOG_URI", raising=False)
    monkeypatch.delenv("CURATE_WAREHOUSE", raising=False)
    # the CLI points Prefect's home into the workspace; keep that out of the test process
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    catalog = open_catalog(CatalogSettings.for_workspace(Workspace(tmp_path)))
    commit(
        catalog,
        {"a": "sha-a", "b": "sha-b1", "c": "sha-c"},
        concat_ledgers(
            [
                rows("run-1", "ingest", ["a", "b", "c", "x"], "kept"),
                rows("run-1", "license", ["a", "b", "c"], "kept"),
                rows("run-1", "license", ["x"], "dropped", "license.not_allowed"),
            ]
        ),
        "run-1",
    )
    commit(
        catalog,
        {"a": "sha-a", "b": "sha-b2", "d": "sha-d"},
        concat_ledgers(
            [
                rows("run-2", "ingest", ["a", "b", "d"], "kept"),
                rows("run-2", "ingest", ["c"], "quarantined", "ingest.parse_error"),
                rows("run-2", "license", ["a", "b", "d"], "kept"),
            ]
        ),
        "run-2",
    )
    return tmp_path


def rows(run: str, stage: str, ids: list[str], decision: str, reason: str | None = None):
    return ledger_table(run, stage, ids, [decision] * len(ids), [reason] * len(ids))


def commit(catalog, shas: dict[str, str], ledger: pa.Table, run_id: str) -> None:
    ids = sorted(shas)
    documents = pa.table(
        {
            "doc_id": ids,
            "text": [f"text of {i} [bold]" for i in ids],
            "source_id": ["hr" if i != "d" else "wiki" for i in ids],
            "source_uri": [f"file:///s/{i}" for i in ids],
            "content_sha256": [shas[i] for i in ids],
            "spdx": ["MIT"] * len(ids),
            "lang": ["en"] * len(ids),
            "title": [f"[red]Title {i}[/red]" for i in ids],
        }
    )
    commit_version(
        catalog,
        "curated.docs",
        documents,
        ledger,
        run_id=run_id,
        spec_fingerprint="abc",
        code_version="0.1.0",
        summary={},
    )


def invoke(*args: str):
    # wide enough that rich does not wrap a cell the assertions look for
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def test_stats_json(workspace):
    result = invoke("catalog", "stats", "curated.docs@v1", "--workspace", str(workspace), "--json")

    assert result.exit_code == 0, result.stderr
    stats = json.loads(result.stdout)
    assert (stats["dataset"], stats["version"], stats["run_id"]) == ("curated.docs", "v1", "run-1")
    assert stats["documents"] == 3
    assert stats["tokens"] == 3 * 4
    assert stats["by_source"] == {"hr": 3}
    assert stats["by_license"] == {"MIT": 3}
    assert [(s["stage"], s["inputs"], s["kept"], s["dropped"]) for s in stats["waterfall"]] == [
        ("ingest", 4, 4, 0),
        ("license", 4, 3, 1),
    ]
    assert stats["waterfall"][1]["reasons"] == {"license.not_allowed": 1}
    assert stats["computed_at_commit"] is True


def test_stats_tables(workspace):
    result = invoke("catalog", "stats", "curated.docs", "--workspace", str(workspace))

    assert result.exit_code == 0, result.stderr
    assert "curated.docs@v2" in result.stdout
    for cell in ("documents", "MIT", "wiki", "ingest.parse_error", "quarantined"):
        assert cell in result.stdout


def test_diff_json(workspace):
    result = invoke(
        "catalog", "diff", "curated.docs@v1", "docs@v2", "--workspace", str(workspace), "--json"
    )

    assert result.exit_code == 0, result.stderr
    diff = json.loads(result.stdout)
    assert (diff["dataset"], diff["a"], diff["b"]) == ("curated.docs", "v1", "v2")
    assert diff["counts"] == {"added": 1, "removed": 1, "changed": 1, "unchanged": 1}
    assert diff["removed"] == [
        {"doc_id": "c", "source_id": "hr", "why": "quarantined", "reason": "ingest.parse_error"}
    ]
    assert diff["added"] == [
        {
            "doc_id": "d",
            "source_id": "wiki",
            "spdx": "MIT",
            "lang": "en",
            "title": "[red]Title d[/red]",
        }
    ]
    assert diff["changed"] == [{"doc_id": "b", "source_id": "hr"}]
    assert diff["deltas"]["by_source"]["wiki"] == {"a": 0, "b": 1, "delta": 1}


def test_diff_limit_and_newest_by_bare_name(workspace):
    result = invoke(
        "catalog", "diff", "curated.docs@v1", "curated.docs", "--limit", "0", "-w", str(workspace)
    )
    as_json = invoke(
        "catalog",
        "diff",
        "curated.docs@v1",
        "curated.docs",
        "--limit",
        "0",
        "-w",
        str(workspace),
        "--json",
    )

    diff = json.loads(as_json.stdout)
    assert diff["b"] == "v2"
    assert diff["added"] == diff["removed"] == diff["changed"] == []
    assert diff["truncated"] is True
    assert result.exit_code == 0, result.stderr
    assert "v1 -> v2" in result.stdout and "raise --limit" in result.stdout


def test_diff_tables_show_titles_as_written(workspace):
    result = invoke("catalog", "diff", "curated.docs@v1", "curated.docs@v2", "-w", str(workspace))

    assert result.exit_code == 0, result.stderr
    assert "[red]Title d[/red]" in result.stdout
    assert "deleted_at_source" not in result.stdout and "quarantined" in result.stdout


def test_diff_of_two_datasets_is_refused_in_one_line(workspace):
    result = invoke("catalog", "diff", "curated.docs@v1", "curated.other@v1", "-w", str(workspace))

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "curated.docs and curated.other" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_version_is_a_clean_error(workspace):
    result = invoke("catalog", "stats", "curated.docs@v9", "-w", str(workspace), "--json")

    assert result.exit_code == 2
    assert "versions: v1, v2" in result.stderr
