"""`curate license PATH...`: the resolved license of every file, without running the flow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from curation.exceptions import CurationError
from flows.options import fail


def license_command(
    paths: Annotated[
        list[Path], typer.Argument(metavar="PATH", help="Files or folders to report on.")
    ],
    default: Annotated[
        str,
        typer.Option(
            "--default",
            help="SPDX expression declared for the paths, as a source's `license` would be.",
        ),
    ] = "NOASSERTION",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON array of objects on stdout.")
    ] = False,
) -> None:
    """Report each file's license, its evidence (tag, notice, metadata, manifest, default)
    and confidence, as the pipeline would resolve it."""
    from curation.offline import enforce_offline

    enforce_offline()
    from rich.progress import Progress

    from licensing.files import license_report

    console = _stderr()
    try:
        # a progress bar only where someone watches: pipes and CI get clean stderr
        with Progress(transient=True, console=console, disable=not console.is_terminal) as bar:
            task = bar.add_task("resolving licenses", total=None)
            report = license_report(
                paths,
                default=default,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except CurationError as error:
        raise fail(error) from error
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in report], ensure_ascii=False))
        return
    if not report:
        typer.echo("no files found", err=True)
        return
    width = max(len(r.path) for r in report)
    for r in report:
        note = f"  ({len(r.conflicts)} conflict(s))" if r.conflicts else ""
        note += f"  [extraction failed: {r.error}]" if r.error else ""
        typer.echo(f"{r.path:<{width}}  {r.spdx}  {r.evidence}  {r.confidence:.2f}{note}")


def _stderr():
    from rich.console import Console

    return Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add `curate license` to the root app."""
    app.command("license")(license_command)
