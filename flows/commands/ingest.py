"""`curate ingest`: extract one file, or scan a source (folder, file, object store prefix, or a
spec's source) and count outcomes.

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
    path: Annotated[
        str | None,
        typer.Argument(
            help="A folder, a Parquet/JSONL file or folder, or s3://bucket/prefix of an object "
            "store. Leave it out with --spec.",
            show_default=False,
        ),
    ] = None,
    spec: Annotated[
        Path | None,
        typer.Option(help="Scan a source of this dataset spec (the one named by --id)."),
    ] = None,
    source_id: Annotated[
        str | None,
        typer.Option(
            "--id", help="Source id ([a-z0-9_-]+; default scan); with --spec, the source to scan."
        ),
    ] = None,
    source_type: Annotated[
        str | None,
        typer.Option(
            "--type",
            help="folder, parquet, jsonl, hf_dataset or s3 (default: s3 for s3:// paths, "
            "else folder).",
            show_default=False,
        ),
    ] = None,
    include: Annotated[list[str] | None, typer.Option(help="Glob to include (repeatable).")] = None,
    exclude: Annotated[list[str] | None, typer.Option(help="Glob to exclude (repeatable).")] = None,
    text_field: Annotated[str, typer.Option(help="Text column of Parquet/JSONL rows.")] = "text",
    id_field: Annotated[str | None, typer.Option(help="Id column of Parquet/JSONL rows.")] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option(
            help="The object store's http(s)://host:port (default: $CURATE_S3_ENDPOINT). "
            "Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or --profile.",
            show_default=False,
        ),
    ] = None,
    region: Annotated[
        str | None, typer.Option(help="The object store's region (default us-east-1).")
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="Profile of the shared AWS credentials file to use.")
    ] = None,
    workers: Annotated[int, typer.Option(help="Extraction worker processes.")] = 2,
    timeout: Annotated[float, typer.Option(help="Seconds allowed per file.")] = 60.0,
    output: Annotated[
        Path | None, typer.Option(help="Write documents.parquet and quarantined.parquet here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Ingest a source without running the pipeline: counts by outcome, reason and extractor.

    The source is a folder or file, an object store prefix (s3://bucket/prefix), or one source
    of a dataset spec (--spec, --id), read exactly as `curate run` would read it.
    """
    from curation.exceptions import CurationError
    from curation.ingest.report import scan_source
    from curation.offline import enforce_offline

    enforce_offline()
    try:
        if spec is not None:
            ad_hoc = {
                "PATH": path,
                "--type": source_type,
                "--include": include,
                "--exclude": exclude,
                "--endpoint-url": endpoint_url,
                "--region": region,
                "--profile": profile,
            }
            source = _spec_source(spec, source_id, [k for k, v in ad_hoc.items() if v])
        else:
            source = _command_line_source(
                path,
                source_id=source_id or "scan",
                source_type=source_type,
                include=include,
                exclude=exclude,
                text_field=text_field,
                id_field=id_field,
                timeout=timeout,
                s3={"endpoint_url": endpoint_url, "region": region, "profile": profile},
            )
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


def _command_line_source(
    path: str | None,
    *,
    source_id: str,
    source_type: str | None,
    include: list[str] | None,
    exclude: list[str] | None,
    text_field: str,
    id_field: str | None,
    timeout: float,
    s3: dict[str, str | None],
) -> SourceConfig:
    """The source the options describe, validated as a spec's source would be."""
    from curation.exceptions import SpecError
    from curation.ingest.sources import load_sources

    if not path:
        raise SpecError(
            "PATH",
            "say what to scan: a folder or file, s3://bucket/prefix, or --spec SPEC --id SOURCE",
        )
    on_store = path.startswith("s3://")
    kind = source_type or ("s3" if on_store else "folder")
    if on_store != (kind == "s3"):
        raise SpecError(
            "--type",
            f"{path!r} needs --type s3 with an s3://bucket/prefix path: fix the path or --type",
        )
    item: dict[str, Any] = {
        "id": source_id,
        "type": kind,
        "path": path,
        "extract_timeout_s": timeout,
    }
    if kind == "s3":
        item.update({key: value for key, value in s3.items() if value})
    else:
        for option, value in s3.items():
            if value:
                raise SpecError(
                    f"--{option.replace('_', '-')}",
                    "only applies to s3://bucket/prefix paths: remove it",
                )
        item.update(text_field=text_field, id_field=id_field)
    if include:
        item["include"] = include
    if exclude:
        item["exclude"] = exclude
    (source,) = load_sources([item], Path.cwd())
    return source


def _spec_source(spec: Path, source_id: str | None, conflicting: list[str]) -> SourceConfig:
    """The spec's source named `source_id` (or its only source), as `curate run` reads it."""
    from curation.exceptions import SpecError
    from curation.spec import load_spec

    if conflicting:
        raise SpecError(
            conflicting[0],
            "the spec's source says what to read: with --spec, leave out "
            f"{', '.join(conflicting)} (or leave out --spec)",
        )
    sources = load_spec(spec).sources
    ids = [source.id for source in sources]
    if source_id is None:
        if len(sources) == 1:
            return sources[0]
        raise SpecError("--id", f"{spec} has sources {', '.join(ids)}: name one with --id")
    for source in sources:
        if source.id == source_id:
            return source
    raise SpecError("--id", f"{spec} has no source {source_id!r}: use one of {', '.join(ids)}")


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
