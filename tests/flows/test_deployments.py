"""Scheduled runs through a local Prefect server: `curate server`, `curate deploy`, `deployments`.

The end-to-end test is also the zero-egress check under a schedule: the server, the serving
process and every flow-run process it starts load the egress guard, and its log must stay empty.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests_support import EGRESS_GUARD, REPO

NOTES = [
    "The quarterly review covers the support backlog and the release calendar for the year.",
    "Every open action in the minutes has an owner and a date by which it is due to close.",
    "The on-call rotation changes hands on Monday mornings after the weekly incident review.",
    "A new runbook explains how to restore the search index from the nightly snapshot copy.",
]


def write_spec(tmp_path: Path, version: str | None = None) -> Path:
    """A dataset of three short notes in a folder."""
    share = tmp_path / "share"
    share.mkdir()
    for i in range(3):
        text = " ".join(NOTES[i:] + NOTES[:i])
        (share / f"note-{i}.txt").write_text(f"Note {i}. {text}\n", encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    output = f"output: {{version: {version}}}\n" if version else ""
    source = f"  - {{id: notes, path: {share}, license: CC0-1.0}}\n"
    spec.write_text(f"name: nightly-notes\n{output}sources:\n{source}", encoding="utf-8")
    return spec


def guarded_env(workspace: Path, egress_log: Path) -> dict[str, str]:
    """The environment of `tests_support.run_cli`, for commands that keep running."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CURATE_"))}
    env["CURATE_WORKSPACE"] = str(workspace)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(EGRESS_GUARD), env.get("PYTHONPATH")]))
    env["CURATE_EGRESS_LOG"] = str(egress_log)
    env["HOME"] = str(workspace.parent / "home")
    return env


def curate(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class Background:
    """`curate ARGS` left running, its output in files (a full pipe would block it)."""

    def __init__(self, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.out, self.err = logs.with_suffix(".out"), logs.with_suffix(".err")
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flows.cli", *args],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=err,
            )

    def running(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return self.err.read_text(encoding="utf-8", errors="replace")[-6000:]

    def descendants(self) -> dict[int, tuple[psutil.Process, str]]:
        """Its child processes alive now, each with its command line."""
        found: dict[int, tuple[psutil.Process, str]] = {}
        with contextlib.suppress(psutil.NoSuchProcess):
            for child in psutil.Process(self.process.pid).children(recursive=True):
                with contextlib.suppress(psutil.Error):  # ended in between
                    found[child.pid] = (child, " ".join(child.cmdline()))
        return found

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=90)

    def kill(self) -> None:
        if self.running():
            self.process.kill()
            self.process.wait(30)


def alive(processes: dict[int, tuple[psutil.Process, str]]) -> list[str]:
    survivors = []
    for process, cmdline in processes.values():
        with contextlib.suppress(psutil.NoSuchProcess):
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                survivors.append(f"{process.pid} {cmdline}")
    return survivors


def wait_for(condition: Callable[[], Any], timeout: float, what: Callable[[], str]) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(1)
    pytest.fail(f"timed out waiting for {what()}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scheduled_runs(url: str) -> list[dict]:
    """The flow runs of served deployments, oldest first (REST, so no Prefect settings here)."""
    body = {"flows": {"name": {"any_": ["curate-scheduled"]}}, "sort": "EXPECTED_START_TIME_ASC"}
    return httpx.post(f"{url}/flow_runs/filter", json=body, timeout=10).json()


def flow_run_processes(deploy: Background) -> dict[int, tuple[psutil.Process, str]]:
    return {p: c for p, c in deploy.descendants().items() if "spawn_main" in c[1]}


@pytest.mark.slow
def test_scheduled_runs_on_a_local_server_with_zero_egress(tmp_path):
    from catalogs.query import list_datasets
    from catalogs.registry import CatalogSettings, open_catalog
    from curation.workspace import Workspace

    spec = write_spec(tmp_path)
    workspace = tmp_path / "workspace"
    egress = tmp_path / "egress.log"
    env = guarded_env(workspace, egress)
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    deploy_args = ["deploy", str(spec), "--interval", "5s", "--incremental"]
    seen: dict[int, tuple[psutil.Process, str]] = {}
    server = Background(["server", "--port", str(port)], env, tmp_path / "server")
    deploy = second = None
    try:
        wait_for(
            lambda: not server.running() or "PREFECT_API_URL=" in server.out.read_text(),
            120,
            lambda: f"the server\n{server.log()}",
        )
        assert server.running(), server.log()
        assert f"PREFECT_API_URL={url}" in server.out.read_text()
        assert (workspace / "prefect" / "server.db").is_file()
        again = curate(["server", "--port", str(free_port())], env)
        assert again.returncode == 2 and "already running" in again.stderr

        deploy = Background(deploy_args, env, tmp_path / "deploy")

        def two_completed() -> list[dict] | None:
            assert deploy.running(), deploy.log()
            seen.update(deploy.descendants() | server.descendants())
            runs = scheduled_runs(url)
            failed = [r for r in runs if r["state_type"] in ("FAILED", "CRASHED")]
            assert not failed, f"{failed}\n{deploy.log()}"
            done = [r for r in runs if r["state_type"] == "COMPLETED"]
            return done if len(done) >= 2 else None

        completed = wait_for(two_completed, 180, lambda: f"two runs\n{deploy.log()}")
        twice = curate(deploy_args, env)
        assert twice.returncode == 2 and "already served" in twice.stderr, twice.stderr
        assert all(r["parameters"]["incremental"] and r["auto_scheduled"] for r in completed)
        catalog = open_catalog(CatalogSettings.for_workspace(Workspace(workspace)))
        (dataset,) = [d.as_dict() for d in list_datasets(catalog)]
        assert dataset["dataset"] == "curated.nightly_notes" and dataset["versions"]

        # the serving process first: SIGTERM cancels a run in flight, pauses, exits 0
        seen.update(deploy.descendants())
        assert deploy.stop() == 0, deploy.log()
        listed = curate(["deployments", "--json"], env)
        assert listed.returncode == 0, listed.stderr
        (entry,) = json.loads(listed.stdout)
        assert entry["deployment"] == "curate-scheduled/nightly-notes"
        assert entry["schedules"] == ["every 5s"]
        assert entry["paused"] is True and entry["status"] == "paused"
        assert entry["next_run"] is None  # pausing dropped the due runs nobody serves
        assert entry["last_run"]["state"] in ("Completed", "Cancelled", "Cancelling")

        # a serving process killed outright takes its flow-run process along, mid-run
        second = Background(deploy_args, env, tmp_path / "second")
        children = wait_for(
            lambda: "Beginning subflow run" in second.log() and flow_run_processes(second),
            120,
            lambda: f"a run\n{second.log()}",
        )
        seen.update(second.descendants())
        second.stop(signal.SIGKILL)
        wait_for(lambda: not alive(children), 15, lambda: f"the run to end: {alive(children)}")

        seen.update(server.descendants())
        assert server.stop() == 0, server.log()
        assert not (workspace / "prefect" / "server.json").exists()
    finally:
        for command in (second, deploy, server):
            if command is not None:
                command.kill()

    assert any("spawn_main" in cmdline for _, cmdline in seen.values()), seen
    wait_for(lambda: not alive(seen), 15, lambda: f"child processes to exit: {alive(seen)}")
    assert not egress.exists() or egress.read_text() == ""


def test_deploy_and_deployments_refuse_in_one_line(tmp_path):
    spec = write_spec(tmp_path)
    env = guarded_env(tmp_path / "workspace", tmp_path / "egress.log")
    env["PREFECT_API_URL"] = f"http://127.0.0.1:{free_port()}/api"  # nothing listens there
    cases = {
        ("deploy", str(spec), "--interval", "5x"): "not a duration",
        ("deploy", str(spec), "--interval", "1h"): "start `curate server` first",
        ("deployments",): "start `curate server` first",
    }
    for args, expected in cases.items():
        result = curate(list(args), env)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2, (args, result.stderr)
        assert len(lines) == 1 and expected in lines[0], (args, result.stderr)


def test_schedule_parsing(monkeypatch):
    from flows.deploy import DeployError, format_duration, parse_duration, parse_schedule

    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("1d") == timedelta(days=1)
    assert format_duration(timedelta(days=1, seconds=5)) == "1d5s"
    for bad in ("", "0s", "1.5h", "h", "10", "1h 30x"):
        with pytest.raises(DeployError, match="not a duration"):
            parse_duration(bad)
    monkeypatch.setenv("TZ", "Europe/Berlin")
    nightly = parse_schedule(cron="0 2 * * *", interval=None)
    assert nightly.describe() == "cron 0 2 * * * (Europe/Berlin)"
    assert parse_schedule(cron=None, interval="30m", timezone="UTC").describe() == "every 30m"
    refused = {
        (None, None, None): "pass --cron",
        ("0 2 * * *", "1h", None): "not both",
        ("0 2 * *", None, None): "not a cron expression",
        (None, "1h", "Mars/Olympus"): "not an IANA time zone",
    }
    for (cron, interval, timezone), message in refused.items():
        with pytest.raises(DeployError, match=message):
            parse_schedule(cron=cron, interval=interval, timezone=timezone)


def test_deploy_refuses_a_spec_with_a_fixed_version_name(tmp_path):
    from curation.spec import load_spec
    from curation.workspace import Workspace
    from flows.deploy import DeployError, check_schedulable

    spec = load_spec(write_spec(tmp_path, version="v1"))
    with pytest.raises(DeployError, match="remove output.version"):
        check_schedulable(spec, Workspace(tmp_path / "workspace").ensure())
