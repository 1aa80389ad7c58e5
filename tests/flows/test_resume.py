"""Crash resume: a run killed with SIGKILL continues from its finished batches.

The killed run leaves the previous version as it was; `curate run --resume` finishes it
without redoing the batches it finished, and commits the same content as a run that was
never interrupted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import psutil
import pytest
import yaml

from catalogs.registry import CatalogSettings, open_catalog
from catalogs.versions import list_versions, read_version
from curation.demo_corpus import generate_demo_corpus
from curation.workspace import Workspace
from tests_support import EGRESS_GUARD, REPO, run_cli_json

pytestmark = pytest.mark.slow


def small_batches(spec_path: Path) -> None:
    spec = yaml.safe_load(spec_path.read_text())
    spec["runner"] = {**spec.get("runner", {}), "batch_size": 24}
    spec_path.write_text(yaml.safe_dump(spec))


def version_content(workspace: Path, dataset: str) -> pl.DataFrame:
    catalog = open_catalog(CatalogSettings.for_workspace(Workspace(workspace)))
    rows = pl.from_arrow(read_version(catalog, dataset))
    return rows.select("doc_id", "text", "pii_counts", "spdx", "dedup_cluster").sort("doc_id")


def start_run(spec: Path, workspace: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CURATE_"))}
    env.update(CURATE_WORKSPACE=str(workspace), HOME=str(workspace.parent / "home"))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(EGRESS_GUARD), env.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "run", str(spec), "--json"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def wait_for(
    pattern: str, workspace: Path, count: int, process: subprocess.Popen[str], under: str = "runs"
) -> None:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if len(list((workspace / under).glob(pattern))) >= count:
            return
        assert process.poll() is None, "the run ended before it reached the phase to kill"
        time.sleep(0.05)
    raise AssertionError(f"no {pattern} after 600 s")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The demo corpus in small batches, and the version an uninterrupted run makes of it."""
    root = tmp_path_factory.mktemp("resume")
    corpus = generate_demo_corpus(root / "demo")
    small_batches(corpus.spec_path)
    reference = run_cli_json(["run", str(corpus.spec_path)], workspace=root / "reference")
    return corpus, reference, version_content(root / "reference", reference["dataset"])


def committed_versions(workspace: Path, dataset: str) -> list[str]:
    """The run ids of the dataset's versions; none when nothing was committed."""
    from catalogs.exceptions import CatalogError

    catalog = open_catalog(CatalogSettings.for_workspace(Workspace(workspace)))
    try:
        return [v.run_id or "" for v in list_versions(catalog, dataset)]
    except CatalogError:
        return []


def kill_in_phase(spec: Path, workspace: Path, phase: str) -> None:
    """Start `curate run SPEC`, SIGKILL it once it is in `phase`, check nothing outlives it."""
    process = start_run(spec, workspace)
    if phase == "commit":
        # the run's ledger is appended first; the version's own commit comes right after
        wait_for("**/*__ledger/data/*.parquet", workspace, 1, process, under="warehouse")
    elif phase == "dedup":
        wait_for("*/done/dedup.json", workspace, 1, process)
    else:
        wait_for(f"*/ledger/{phase}-*.parquet", workspace, 3 if phase == "pii" else 2, process)
    children = psutil.Process(process.pid).children(recursive=True)
    assert children, "a run starts its own Prefect server"
    process.send_signal(signal.SIGKILL)
    process.wait()
    # no process of the run outlives it: its server and workers end with it
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []


def finished(workspace: Path, stage: str) -> int:
    """Batches of `stage` the killed run finished: its documents are staged (its ledger part is
    written first, so a kill between the two leaves a batch the resumed run must redo)."""
    return sum(
        (part.parent.parent / "documents" / part.name).exists()
        for part in (workspace / "runs").glob(f"*/ledger/{stage}-*.parquet")
    )


@pytest.mark.parametrize("phase", ["ingest", "quality", "dedup", "pii", "commit"])
def test_a_killed_run_resumes_into_the_same_version(tmp_path, phase, uninterrupted):
    corpus, reference, expected = uninterrupted

    workspace = tmp_path / "killed"
    kill_in_phase(corpus.spec_path, workspace, phase)
    killed_run = next((workspace / "runs").glob("*/run.json")).parent.name
    # the commit is atomic: the killed run committed its whole version or nothing
    assert committed_versions(workspace, reference["dataset"]) in ([], [killed_run])
    finished_pii, finished_quality = finished(workspace, "pii"), finished(workspace, "quality")

    resumed = run_cli_json(["run", str(corpus.spec_path), "--resume"], workspace=workspace)

    assert resumed["run_id"] == killed_run
    assert resumed["version"] == "v1" and resumed["reconciled"]
    assert resumed["inputs"] == reference["inputs"] and resumed["kept"] == reference["kept"]
    assert resumed["by_reason"] == reference["by_reason"]
    assert resumed["resumed_batches"].get("pii", 0) == finished_pii
    assert resumed["resumed_batches"].get("quality", 0) == finished_quality
    if phase == "pii":
        assert finished_pii >= 2  # three ledger parts were written before the kill
    if phase in ("dedup", "pii", "commit"):
        assert resumed["resumed_batches"]["license"] > 0
        assert resumed["resumed_batches"]["quality"] > 0
    assert committed_versions(workspace, reference["dataset"]) == [killed_run]
    assert version_content(workspace, resumed["dataset"]).equals(expected)


def test_a_deployment_run_continues_an_interrupted_run(tmp_path, uninterrupted):
    """What a scheduled run calls (`flows.deploy.run_scheduled`) resumes a run that died."""
    from flows.deploy import run_scheduled

    corpus, reference, expected = uninterrupted
    workspace = tmp_path / "scheduled"
    kill_in_phase(corpus.spec_path, workspace, "pii")
    killed_run = next((workspace / "runs").glob("*/run.json")).parent.name
    finished_pii = finished(workspace, "pii")

    summary = run_scheduled(corpus.spec_path, workspace, incremental=True).as_dict()

    assert summary["run_id"] == killed_run and summary["version"] == "v1"
    assert summary["resumed_batches"].get("pii", 0) == finished_pii >= 1
    assert "incremental" not in summary["by_stage"]  # the interrupted run's own options
    assert version_content(workspace, summary["dataset"]).equals(expected)


def test_resume_without_an_interrupted_run_says_so(tmp_path):
    from tests_support import run_cli

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("hello")
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: tiny\nsources:\n  - {id: docs, path: docs, license: CC0-1.0}\n")

    result = run_cli(["run", str(spec), "--resume"], workspace=tmp_path / "ws")

    assert result.returncode == 2
    assert "no interrupted run of curated.tiny under this spec to resume" in result.stderr
