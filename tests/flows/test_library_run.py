"""`curation.run`, the library's call for a whole run: progress, typed summary, retry safety."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

import catalogs.versions
import curation
from catalogs.registry import CatalogSettings, open_catalog
from catalogs.versions import list_versions, read_ledger, read_version
from curation.spec import load_spec
from curation.workspace import Workspace

pytestmark = pytest.mark.slow

TEXT = (
    "The quarterly maintenance window moves to the first Saturday of each month. Teams that "
    "deploy on Fridays should plan their releases around it and tell the service desk early."
)


def tiny_spec(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    topics = ("backups", "badges", "laptops", "parking", "printers", "travel")
    for number, topic in enumerate(topics):
        (docs / f"note-{number}.txt").write_text(
            f"Notice {number} about {topic}. {TEXT} Questions about {topic} go to the facilities "
            f"team, who answer within two working days and keep a list of common answers.\n"
        )
    (docs / "copy.txt").write_text((docs / "note-1.txt").read_text())
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: tiny\nsources:\n  - {id: docs, path: docs, license: CC0-1.0}\n",
        encoding="utf-8",
    )
    return spec


def test_a_run_from_the_library_reports_progress_and_returns_its_summary(tmp_path):
    seen: dict[str, int] = {}

    def on_progress(stage: str, count: int) -> None:
        seen[stage] = seen.get(stage, 0) + count

    summary = curation.run(
        load_spec(tiny_spec(tmp_path)), workspace=tmp_path / "ws", on_progress=on_progress
    )

    assert summary.version == "v1" and summary.reconciliation["reconciled"]
    assert summary.reconciliation["inputs"] == 7
    assert summary.reconciliation["by_reason"] == {"dedup.exact_duplicate": 1}
    # every stage reported its decisions, one per document it saw
    assert seen["ingest"] == 7 and seen["license"] == 7 and seen["dedup"] == 7
    assert seen["pii"] == 6
    assert set(summary.stage_seconds) >= {"ingest", "license", "quality", "dedup", "pii", "commit"}
    # the run published its summary as a Prefect artifact that links to the catalog page
    database = Path(os.environ["PREFECT_HOME"]) / "prefect.db"
    with sqlite3.connect(database) as connection:
        artifacts = connection.execute("SELECT key, data FROM artifact").fetchall()
    published = [data for key, data in artifacts if key == "curated-tiny-version"]
    assert published and "/datasets/curated.tiny/versions/v1" in published[-1]
    assert "| dedup | 7 | 1 | 0 | 6 |" in published[-1]


def test_a_failure_after_the_catalog_commit_is_retried_into_the_same_version(tmp_path, monkeypatch):
    original = catalogs.versions.commit_version
    calls: list[str] = []

    def commit_then_fail_once(*args, **kwargs):
        version = original(*args, **kwargs)
        calls.append(version.name)
        if len(calls) == 1:
            raise OSError("connection to the catalog lost after the commit")
        return version

    monkeypatch.setattr(catalogs.versions, "commit_version", commit_then_fail_once)
    summary = curation.run(tiny_spec(tmp_path), workspace=tmp_path / "ws", version="2024-q3")

    catalog = open_catalog(CatalogSettings.for_workspace(Workspace(tmp_path / "ws")))
    assert calls == ["2024-q3", "2024-q3"]  # the retry found the version of its run id
    assert summary.version == "2024-q3"
    assert [v.name for v in list_versions(catalog, "curated.tiny")] == ["2024-q3"]
    ledger = read_ledger(catalog, "curated.tiny", summary.run_id)
    assert ledger.num_rows == ledger.group_by(["doc_id", "stage"]).aggregate([]).num_rows
    assert ledger.column("stage").to_pylist().count("ingest") == 7  # one append, not two
    assert read_version(catalog, "curated.tiny", "2024-q3").num_rows == 6


def data_files(catalog, dataset: str, version: str) -> set[str]:
    from catalogs.versions import get_version, load_dataset_table

    snapshot = get_version(catalog, dataset, version).snapshot_id
    scan = load_dataset_table(catalog, dataset).scan(snapshot_id=snapshot)
    return {task.file.file_path for task in scan.plan_files()}


def test_incremental_runs_commit_only_changes_and_nothing_when_nothing_changed(tmp_path):
    spec = tiny_spec(tmp_path)
    workspace = tmp_path / "ws"
    first = curation.run(spec, workspace=workspace)
    catalog = open_catalog(CatalogSettings.for_workspace(Workspace(workspace)))

    unchanged = curation.run(spec, workspace=workspace, incremental=True)

    assert not unchanged.changed and unchanged.version == first.version == "v1"
    assert [v.name for v in list_versions(catalog, "curated.tiny")] == ["v1"]
    assert read_ledger(catalog, "curated.tiny", unchanged.run_id).num_rows > 0  # still audited

    (tmp_path / "docs" / "note-9.txt").write_text(
        "Notice 9 about canteens. " + TEXT + " The canteen opens at half past seven.\n"
    )
    added = curation.run(spec, workspace=workspace, incremental=True)

    assert added.changed and added.version == "v2"
    v2 = read_version(catalog, "curated.tiny", "v2")
    assert v2.num_rows == 7 and "docs-" in v2.column("doc_id")[0].as_py()
    # an append-only change reuses every data file of v1: storage grows with the change
    assert data_files(catalog, "curated.tiny", "v1") < data_files(catalog, "curated.tiny", "v2")
