"""`curate ingest`: extract one file, or scan a folder / Parquet / JSONL source and count outcomes.

Thin layer: each command calls one library function, prints the result (`--json`: one JSON
value on stdout, nothing else) and turns `CurationError` into a message and exit code 2.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flows.options import fail

if TYPE_CHECKING:
    from curation.ingest.report import IngestReport
    from curation.ingest.sources import SourceConfig

ingest_app = typer.Typer(
    help="Extract text from files and check what a source would ingest.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add the `ingest` sub-app to the root `curate` app."""
    app.add_typer(ingest_app, name="ingest")


@ingest_app.command("extract")
def extract_command(
    path: Annotated[Path, typer.Argument(help="The file to extract.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    max_bytes: Annotated[int, typer.Option(help="Refuse files larger than this.")] = 50_000_000,
) -> None:
    """Extract the text and metadata of one file, as ingest would (in this process)."""
    from curation.exceptions import CurationError
    from curation.ingest import ExtractLimits, extract_file
    from curation.offline import enforce_offline

    enforce_offline()
    try:
        result = extract_file(path, limits=ExtractLimits(max_file_bytes=max_bytes))
    except CurationError as error:
        reason = getattr(error, "reason", None)
        if as_json and reason:
            typer.echo(
                json.dumps({"path": str(path), "reason": str(reason), "message": str(error)})
            )
        raise fail(error) from None
    if as_json:
        payload = {
            "path": str(path),
            "mime_type": result.mime_type,
            "extractor": result.extractor,
            "extractor_version": result.extractor_version,
            "title": result.title,
            "author": result.author,
            "encoding": result.encoding,
            "metadata": result.metadata,
            "chars": len(result.text),
            "text": result.text,
        }
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    typer.echo(
        f"{result.extractor} {result.extractor_version} | {result.mime_type} | "
        f"title: {result.title or '-'} | {len(result.text)} chars",
        err=True,
    )
    typer.echo(result.text)


@ingest_app.command("scan")
def scan_command(
    path: Annotated[Path, typer.Argument(help="A folder, or a Parquet/JSONL file or folder.")],
    source_id: Annotated[str, typer.Option("--id", help="Source id ([a-z0-9_-]+).")] = "scan",
    source_type: Annotated[
        str, typer.Option("--type", help="folder, parquet or jsonl.")
    ] = "folder",
    include: Annotated[list[str] | None, typer.Option(help="Glob to include (repeatable).")] = None,
    exclude: Annotated[list[str] | None, typer.Option(help="Glob to exclude (repeatable).")] = None,
    text_field: Annotated[str, typer.Option(help="Text column of Parquet/JSONL rows.")] = "text",
    id_field: Annotated[str | None, typer.Option(help="Id column of Parquet/JSONL rows.")] = None,
    workers: Annotated[int, typer.Option(help="Extraction worker processes.")] = 2,
    timeout: Annotated[float, typer.Option(help="Seconds allowed per file.")] = 60.0,
    output: Annotated[
        Path | None, typer.Option(help="Write documents.parquet and quarantined.parquet here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Ingest a source without running the pipeline: counts by outcome, reason and extractor."""
    from curation.exceptions import CurationError
    from curation.ingest.report import scan_source
    from curation.ingest.sources import load_sources
    from curation.offline import enforce_offline

    enforce_offline()
    item: dict = {
        "id": source_id,
        "type": source_type,
        "path": str(path),
        "text_field": text_field,
        "id_field": id_field,
        "extract_timeout_s": timeout,
    }
    if include:
        item["include"] = include
    if exclude:
        item["exclude"] = exclude
    try:
        (source,) = load_sources([item], Path.cwd())
        report = _with_progress(source, scan_source, workers=workers, output=output)
    except CurationError as error:
        raise fail(error) from None
    if as_json:
        typer.echo(json.dumps(report.as_dict()))
        return
    typer.echo(
        f"{report.source_id}: {report.inputs} inputs, {report.documents} documents, "
        f"{report.quarantined} quarantined"
    )
    for reason, count in report.by_reason.items():
        typer.echo(f"  {reason}: {count}")
    for written in report.outputs:
        typer.echo(f"wrote {written}")


def _with_progress(
    source: SourceConfig, scan: Callable[..., IngestReport], **kwargs: Any
) -> IngestReport:
    """Run `scan` with a rich counter on stderr (nothing on stdout, so --json stays clean)."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}: {task.completed} files"),
        TimeElapsedColumn(),
    )
    run_id = f"scan-{uuid.uuid4().hex[:12]}"
    with Progress(
        *columns, console=console, transient=True, disable=not sys.stderr.isatty()
    ) as bar:
        task = bar.add_task(f"ingesting {source.id}", total=None)
        return scan(source, run_id=run_id, progress=lambda n: bar.advance(task, n), **kwargs)
