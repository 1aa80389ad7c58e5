"""`curate doctor`: can this machine run the pipeline tonight, offline? One report, one exit code.

Exit codes: 0 when every check passed or only warned (a warning never stops a run, so
`curate doctor && curate run SPEC` goes ahead), 1 when a check failed (a run would fail or
break a rule, e.g. data leaving the premises), 2 when the doctor itself could not run (a spec
that does not load), as for every other command's usage errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from curation.exceptions import CurationError
from flows.options import JsonOption, WorkspaceOption, fail, open_workspace, print_json

if TYPE_CHECKING:
    from curation.workspace import Workspace
    from flows.doctor import Check

EXIT_FAILED = 1
_STYLES = {"ok": "green", "warn": "yellow", "fail": "bold red"}


def doctor_command(
    spec: Annotated[
        Path | None,
        typer.Option(
            "--spec",
            help="Dataset spec: also check its NER models, quality classifier, catalog location "
            "and the disk its sources need.",
        ),
    ] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check models, catalog, disk, egress switches, the Prefect server and version pins.

    Exit code 0: all checks passed or only warned; 1: a check failed; 2: the spec did not load.
    """
    from curation.spec import load_spec
    from flows.doctor import overall_status, run_checks

    try:
        loaded = load_spec(spec) if spec is not None else None
    except CurationError as error:
        raise fail(error) from error
    ws = _workspace(workspace)
    checks = run_checks(ws, spec=loaded)
    status = overall_status(checks)
    if as_json:
        print_json(
            {
                "status": status.value,
                "workspace": str(ws.root),
                "spec": str(spec) if spec is not None else None,
                "checks": [check.as_dict() for check in checks],
            }
        )
    else:
        _print_table(checks, status.value)
    if status.value == "fail":
        raise typer.Exit(EXIT_FAILED)


def _workspace(option: str | None) -> Workspace:
    """The workspace, created when possible; when not, the workspace check reports why."""
    from curation.workspace import resolve_workspace

    try:
        return open_workspace(option)
    except OSError:
        return resolve_workspace(option)


def _print_table(checks: list[Check], status: str) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    with_fixes = any(check.fix for check in checks)
    table = Table("check", "status", "detail", *(["fix"] if with_fixes else []))
    for check in checks:
        cells = [
            Text(check.name),
            Text(check.status.value, style=_STYLES[check.status.value]),
            Text(check.detail),
        ]
        table.add_row(*cells, *([Text(check.fix or "")] if with_fixes else []))
    out = Console()
    out.print(table)
    counts = {s: sum(c.status.value == s for c in checks) for s in ("ok", "warn", "fail")}
    out.print(
        Text(
            f"{status}: {counts['ok']} ok, {counts['warn']} warning(s), {counts['fail']} failed",
            style=_STYLES[status],
        )
    )


def register(app: typer.Typer) -> None:
    """Add `curate doctor` to the root app."""
    app.command("doctor")(doctor_command)
