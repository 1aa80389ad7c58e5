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


def wait_for(pattern: str, workspace: Path, count: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if len(list((workspace / "runs").glob(pattern))) >= count:
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


@pytest.mark.parametrize("phase", ["pii", "dedup"])
def test_a_killed_run_resumes_into_the_same_version(tmp_path, phase, uninterrupted):
    corpus, reference, expected = uninterrupted

    workspace = tmp_path / "killed"
    process = start_run(corpus.spec_path, workspace)
    if phase == "pii":
        wait_for("*/ledger/pii-*.parquet", workspace, 3, process)
    else:
        wait_for("*/done/dedup.json", workspace, 1, process)
    children = psutil.Process(process.pid).children(recursive=True)
    assert children, "a run starts its own Prefect server"
    process.send_signal(signal.SIGKILL)
    process.wait()
    # no process of the run outlives it: its server and workers end with it
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []

    catalog = open_catalog(CatalogSettings.for_workspace(Workspace(workspace)))
    from catalogs.exceptions import CatalogError

    with pytest.raises(CatalogError):
        list_versions(catalog, reference["dataset"])  # nothing committed by the killed run
    # a batch is finished when its documents are staged (its ledger part is written first, so
    # a kill between the two leaves a ledger part of a batch the resumed run must redo)
    finished_pii = sum(
        (part.parent.parent / "documents" / part.name).exists()
        for part in (workspace / "runs").glob("*/ledger/pii-*.parquet")
    )

    resumed = run_cli_json(["run", str(corpus.spec_path), "--resume"], workspace=workspace)

    assert resumed["version"] == "v1" and resumed["reconciled"]
    assert resumed["inputs"] == reference["inputs"] and resumed["kept"] == reference["kept"]
    assert resumed["by_reason"] == reference["by_reason"]
    assert resumed["resumed_batches"].get("pii", 0) == finished_pii
    if phase == "pii":
        assert finished_pii >= 2  # three ledger parts were written before the kill
    assert resumed["resumed_batches"]["license"] > 0 and resumed["resumed_batches"]["quality"] > 0
    assert version_content(workspace, resumed["dataset"]).equals(expected)


def test_resume_without_an_interrupted_run_says_so(tmp_path):
    from tests_support import run_cli

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("hello")
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: tiny\nsources:\n  - {id: docs, path: docs, license: CC0-1.0}\n")

    result = run_cli(["run", str(spec), "--resume"], workspace=tmp_path / "ws")

    assert result.returncode == 2
    assert "no interrupted run of curated.tiny under this spec to resume" in result.stderr
