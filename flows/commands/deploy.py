"""`curate server`, `curate deploy`, `curate deployments`: scheduled runs on a local Prefect server.

A thin layer over `flows.deploy`, which is imported inside each command: it imports Prefect,
and `curate --help` should not pay for that.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from curation.exceptions import CurationError
from flows.options import JsonOption, WorkspaceOption, fail, open_workspace, print_json, stderr

DEFAULT_PORT = 4200  # flows.deploy.DEFAULT_PORT, repeated so that --help needs no Prefect


def server_command(
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.")] = DEFAULT_PORT,
    workspace: WorkspaceOption = None,
) -> None:
    """Run a local Prefect server for scheduled runs, until Ctrl-C or SIGTERM.

    It listens on 127.0.0.1 only, keeps its database in the workspace and sends no analytics.
    """
    # first: Prefect reads PREFECT_HOME, which this sets, when it is imported
    ws = open_workspace(workspace)
    from flows.deploy import serve_server

    def announce(url: str) -> None:
        typer.echo(f"PREFECT_API_URL={url}")
        stderr.print(
            f"Prefect server for {ws.root} is up (database in {ws.prefect_home}); `curate "
            "deploy` in this workspace finds it. Ctrl-C stops it.",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )

    try:
        serve_server(ws, port=port, announce=announce)
    except CurationError as error:
        raise fail(error) from error
    stderr.print("Prefect server stopped", highlight=False)


def deploy_command(
    spec: Annotated[Path, typer.Argument(help="Dataset spec (YAML or TOML).")],
    cron: Annotated[
        str | None,
        typer.Option("--cron", help='Cron schedule, such as "0 2 * * *" (02:00 every night).'),
    ] = None,
    interval: Annotated[
        str | None, typer.Option("--interval", help="Fixed interval: 90s, 30m, 1h, 1d.")
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            help="IANA time zone of --cron, such as Europe/Berlin. Default: this machine's.",
            show_default=False,
        ),
    ] = None,
    incremental: Annotated[
        bool,
        typer.Option(help="Each run processes only new and changed documents."),
    ] = False,
    name: Annotated[
        str | None,
        typer.Option(
            "--name", help="Deployment name. Default: the spec's name.", show_default=False
        ),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Register SPEC as a scheduled deployment and serve its runs until Ctrl-C or SIGTERM.

    Needs a running `curate server` (or $PREFECT_API_URL). Stopping pauses the schedule.
    """
    # first: Prefect reads PREFECT_HOME, which this sets, when it is imported
    ws = open_workspace(workspace)
    from flows.deploy import parse_schedule, serve_deployment

    try:
        schedule = parse_schedule(cron=cron, interval=interval, timezone=timezone)
        serve_deployment(
            spec,
            ws,
            schedule,
            incremental=incremental,
            name=name,
            announce=lambda line: stderr.print(line, highlight=False, markup=False, soft_wrap=True),
        )
    except CurationError as error:
        raise fail(error) from error
    stderr.print("stopped serving; the deployment's schedule is paused", highlight=False)


def deployments_command(workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """List deployments: schedule, paused or active, next scheduled run, last run."""
    # first: Prefect reads PREFECT_HOME, which this sets, when it is imported
    ws = open_workspace(workspace)
    from flows.deploy import list_deployments

    try:
        deployments = list_deployments(ws)
    except CurationError as error:
        raise fail(error) from error
    if as_json:
        print_json(deployments)
        return
    from rich.console import Console
    from rich.table import Table

    if not deployments:
        Console().print('no deployments yet: `curate deploy SPEC --cron "0 2 * * *"`')
        return
    table = Table("deployment", "schedule", "status", "next run", "last run")
    for d in deployments:
        last = d["last_run"]
        table.add_row(
            d["deployment"],
            ", ".join(d["schedules"]) or "-",
            d["status"],
            d["next_run"] or "-",
            f"{last['state']} {last['time']}" if last else "-",
        )
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add `curate server`, `curate deploy` and `curate deployments`."""
    app.command("server")(server_command)
    app.command("deploy")(deploy_command)
    app.command("deployments")(deployments_command)
