"""Shared fixtures: the real corpora beside the checkout, and a guarded CLI runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
EGRESS_GUARD = Path(__file__).resolve().parent / "egress_guard"


def run_cli(
    args: list[str], *, workspace: Path, egress_log: Path | None = None, timeout: int = 900
) -> subprocess.CompletedProcess[str]:
    """Run `curate ARGS` in a subprocess with a private workspace, egress refused and logged."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CURATE_"))}
    env["CURATE_WORKSPACE"] = str(workspace)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(EGRESS_GUARD), env.get("PYTHONPATH")]))
    if egress_log is not None:
        env["CURATE_EGRESS_LOG"] = str(egress_log)
    env["HOME"] = str(workspace.parent / "home")
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_cli_json(args: list[str], *, workspace: Path, egress_log: Path | None = None):
    result = run_cli([*args, "--json"], workspace=workspace, egress_log=egress_log)
    assert result.returncode == 0, f"curate {' '.join(args)} failed:\n{result.stderr[-4000:]}"
    return json.loads(result.stdout)
