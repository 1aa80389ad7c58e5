"""A failed or killed run leaves no unredacted text behind in the workspace."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from curation.runs import RunPaths, sweep_dead_runs
from tests_support import run_cli

pytestmark = pytest.mark.slow

SENTENCES = [
    "The quarterly review covers the support backlog and the release calendar.",
    "Contact Heather Dunton at heather.dunton@example.com for the minutes of the meeting.",
    "Every open action in the minutes has an owner and a date by which it is due.",
    "The on-call rotation changes hands on Monday mornings after the incident review.",
    "Two services missed their latency objective in October because of a faulty cache.",
    "Customers in the northern region reported slower invoices during the migration.",
    "The finance team asked for a summary of licence costs before the budget meeting.",
    "A new runbook explains how to restore the search index from the nightly snapshot.",
    "Training for the new ticketing tool starts in the second week of January.",
    "Please send questions about the travel policy to the office of the controller.",
]


def test_failed_run_discards_staged_text_and_keeps_the_error(tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    for i in range(3):
        text = " ".join(SENTENCES[i:] + SENTENCES[:i])
        (share / f"note-{i}.txt").write_text(f"Note {i}. {text}\n", encoding="utf-8")
    (tmp_path / "not-a-folder").write_text("", encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    # the warehouse cannot be created, so the run fails at its last step, the commit
    spec.write_text(
        f"name: broken\noutput: {{table: curated.broken, warehouse: {tmp_path}/not-a-folder/wh}}\n"
        f"sources:\n  - {{id: notes, path: {share}, license: CC0-1.0}}\n",
        encoding="utf-8",
    )
    workspace = tmp_path / "workspace"
    result = run_cli(["run", str(spec)], workspace=workspace)
    assert result.returncode != 0
    runs = [p for p in (workspace / "runs").iterdir() if p.is_dir()]
    assert len(runs) == 1
    assert not (runs[0] / "documents").exists()  # staged batches held the unredacted text
    assert (runs[0] / "ledger").is_dir()  # ids and reasons stay for the post-mortem
    error = json.loads((runs[0] / "error.json").read_text())
    assert error["error"] == "NotADirectoryError" and "raised_at" in error
    assert "not-a-folder" not in error["message"]  # a library message may quote values
    leftovers = " ".join(
        p.read_bytes().decode("latin-1") for p in runs[0].rglob("*") if p.is_file()
    )
    assert "heather.dunton@example.com" not in leftovers


def test_missing_pseudonymization_key_fails_before_any_staging(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        f"name: keyless\noutput: {{table: curated.keyless}}\n"
        f"sources:\n  - {{id: notes, path: {tmp_path}, license: CC0-1.0}}\n"
        "pii: {default_action: pseudonymize, key_env: CURATE_TEST_ABSENT_KEY}\n",
        encoding="utf-8",
    )
    workspace = tmp_path / "workspace"
    result = run_cli(["run", str(spec)], workspace=workspace)
    assert result.returncode != 0
    assert "export CURATE_TEST_ABSENT_KEY" in result.stderr.replace("\n", "")
    assert not list((workspace / "runs").glob("*/documents"))


def test_sweep_removes_staging_of_dead_runs_only(tmp_path):
    runs = tmp_path / "runs"
    dead, alive = RunPaths(runs / "dead").ensure(), RunPaths(runs / "alive").ensure()
    for paths in (dead, alive):
        (paths.documents / "batch.parquet").write_bytes(b"unredacted")
        paths.release()  # as if this process had ended
    # another process holds the live run's lock, as a running flow does
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time\n"
            f"f = open({str(alive.owner)!r}, 'a'); fcntl.flock(f, fcntl.LOCK_EX)\n"
            "print('locked', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert sweep_dead_runs(runs) == ["dead"]
    finally:
        holder.kill()
        holder.wait()
    assert not (runs / "dead" / "documents").exists()
    assert (runs / "alive" / "documents" / "batch.parquet").exists()
    assert sweep_dead_runs(runs) == ["alive"]  # its process is gone now
