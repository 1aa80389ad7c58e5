"""`curate`: the command-line interface, a thin layer over the library.

Each command calls one library function and turns domain errors into a message on stderr and
exit code 2. `--json` prints exactly one JSON value on stdout; progress goes to stderr. Heavy
libraries (Prefect, pyiceberg, Presidio, fastText) are imported inside commands so that
`curate --help` stays fast.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated, Any

from curation.offline import enforce_offline

enforce_offline()

import typer  # noqa: E402
from rich.console import Console  # noqa: E402

from curation.exceptions import CurationError  # noqa: E402
from curation.workspace import Workspace  # noqa: E402
from flows.logs import LogFormat, configure_logging  # noqa: E402  (stdlib only)
from flows.options import (  # noqa: E402
    JsonOption,
    WorkspaceOption,
    fail,
    open_workspace,
    print_json,
    query_catalog,
    stderr,
)

app = typer.Typer(
    name="curate",
    help="Curate enterprise documents into versioned, licensed, PII-free training sets, on premises.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
catalog_app = typer.Typer(
    help="Browse datasets and versions in the workspace catalog.", no_args_is_help=True
)
app.add_typer(catalog_app, name="catalog")


@app.callback()
def main(
    log_format: Annotated[
        LogFormat,
        typer.Option(
            "--log-format",
            case_sensitive=False,
            help="Logs on stderr: text (readable) or json (one JSON object a line: time, "
            "level, logger, message, run names; never document text).",
        ),
    ] = LogFormat.TEXT,
) -> None:
    """Curate enterprise documents into versioned, licensed, PII-free training sets, on premises."""
    configure_logging(log_format)


# Commands contributed by stage packages, each a module with `register(app)`.
COMMAND_MODULES = (
    "ingest",
    "redact",
    "dedup",
    "license",
    "quality",
    "audit",
    "erase",
    "deploy",
    "doctor",
)
# `curate catalog ...` commands kept in their own modules, each with `register(catalog_app)`.
CATALOG_COMMAND_MODULES = ("catalog_stats", "catalog_serve", "catalog_models")


def print_stage_counts(out: Console, by_stage: dict[str, dict[str, int]]) -> None:
    from rich.table import Table

    table = Table("stage", "kept", "modified", "dropped", "quarantined")
    for stage, counts in by_stage.items():
        outcomes = ("kept", "modified", "dropped", "quarantined")
        table.add_row(stage, *(str(counts.get(k, 0)) for k in outcomes))
    out.print(table)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the example spec.")] = Path(
        "dataset.yaml"
    ),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example dataset spec."""
    from flows.example_spec import render_example_spec

    if path.exists() and not force:
        raise fail(FileExistsError(f"{path} exists: pass --force to overwrite it"))
    path.write_text(render_example_spec(), encoding="utf-8")
    stderr.print(f"wrote {path}; edit its sources, then run `curate run {path}`")


@app.command()
def run(
    spec: Annotated[Path, typer.Argument(help="Dataset spec (YAML or TOML).")],
    workspace: WorkspaceOption = None,
    version: Annotated[
        str | None, typer.Option("--version", help="Name of the new version.")
    ] = None,
    incremental: Annotated[
        bool,
        typer.Option(
            help="Process only documents that are new or changed since the newest version; "
            "carry the rest over unchanged."
        ),
    ] = False,
    resume: Annotated[
        bool,
        typer.Option(
            help="Continue the newest run of this dataset whose process died (same spec), "
            "skipping every batch it finished."
        ),
    ] = False,
    verify: Annotated[
        bool,
        typer.Option(
            help="With --incremental: read and hash every input again instead of trusting "
            "an unchanged size and mtime (or ETag)."
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Run the pipeline on SPEC and commit a new version of its dataset."""
    ws = open_workspace(workspace)
    try:
        summary = run_pipeline(
            spec,
            ws,
            version_name=version,
            quiet=as_json,
            incremental=incremental,
            resume=resume,
            verify=verify,
        )
    except CurationError as error:
        raise fail(error) from error
    if as_json:
        print_json(summary)
    else:
        print_summary(summary)


def run_pipeline(
    spec: Path,
    workspace: Workspace,
    *,
    version_name: str | None,
    quiet: bool,
    incremental: bool = False,
    resume: bool = False,
    verify: bool = False,
) -> dict[str, Any]:
    """`curation.run` with progress on stderr (live on a terminal, plain lines elsewhere)."""
    import os

    from flows.run_server import server_process

    # The run's Prefect server starts before anything else, its database in the workspace:
    # loading and checking the spec overlap its start.
    os.environ.setdefault("PREFECT_HOME", str(workspace.prefect_home))
    with server_process() as server:
        from curation.spec import load_spec
        from flows.progress import notice, progress_reporter
        from flows.run import check_before_run, run_spec

        loaded = load_spec(spec)
        if not resume:
            # checked here too, so a bad name fails before the progress display starts
            check_before_run(loaded, workspace, version_name)
        if not quiet:
            notice("starting Prefect (its server, a few seconds)...")
        with progress_reporter() as progress:  # follows --log-format and whether stderr is a tty
            summary = run_spec(
                loaded,
                workspace=workspace,
                incremental=incremental,
                version=version_name,
                on_progress=progress,
                resume=resume,
                verify=verify,
                server=server,
            )
    from flows.progress import summary_throughput

    result = summary.as_dict()
    result["throughput"] = [row.as_dict() for row in summary_throughput(result)]
    return result


def print_summary(summary: dict[str, Any]) -> None:
    from rich.table import Table

    out = Console()
    if not summary.get("changed", True):
        out.print(
            f"no changes: nothing new, changed or deleted at the sources; "
            f"{summary['dataset']}@{summary['version']} stays current (run {summary['run_id']})"
        )
        return
    out.print(
        f"[bold]{summary['dataset']}@{summary['version']}[/]  run {summary['run_id']}  "
        f"({summary['wall_seconds']} s)"
    )
    out.print(
        f"inputs {summary['inputs']}  kept {summary['kept']}  dropped {summary['dropped']}  "
        f"quarantined {summary['quarantined']}  reconciled: {summary['reconciled']}"
    )
    print_stage_counts(out, summary["by_stage"])
    if summary.get("removed"):
        left = ", ".join(f"{reason} {count}" for reason, count in summary["removed"].items())
        out.print(f"left the previous version: {left}")
    from flows.progress import summary_throughput, throughput_table

    out.print(throughput_table(summary_throughput(summary)))
    if summary["by_reason"]:
        reasons = Table("reason", "documents")
        for reason, count in summary["by_reason"].items():
            reasons.add_row(reason, str(count))
        out.print(reasons)
    out.print(f"table: {summary['table_location']}")
    out.print(f"browse: curate catalog show {summary['dataset']}@{summary['version']}")


@app.command()
def demo(
    workspace: WorkspaceOption = None,
    corpus: Annotated[
        Path | None,
        typer.Option(help="Where to generate the demo corpus. Default: <workspace>/demo."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the generated corpus.")] = 7,
    as_json: JsonOption = False,
) -> None:
    """Generate the built-in demo corpus and curate it end to end."""
    from curation.demo_corpus import generate_demo_corpus

    ws = open_workspace(workspace)
    root = corpus or ws.root / "demo"
    try:
        generated = generate_demo_corpus(root, seed=seed)
        if not as_json:
            stderr.print(f"generated the demo corpus in {generated.root}")
        summary = run_pipeline(generated.spec_path, ws, version_name=None, quiet=as_json)
    except CurationError as error:
        raise fail(error) from error
    if as_json:
        print_json({**summary, "corpus": str(generated.root), "spec": str(generated.spec_path)})
        return
    print_summary(summary)
    Console().print(
        f"\nworkspace: {ws.root}\nnext: `curate catalog list`, "
        f"`curate catalog show {summary['dataset']}`"
    )


@catalog_app.command("list")
def catalog_list(workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """List datasets and their versions."""
    from catalogs.query import list_datasets

    ws = open_workspace(workspace)
    datasets = [d.as_dict() for d in query_catalog(workspace, list_datasets)]
    if as_json:
        print_json(datasets)
        return
    from rich.table import Table

    table = Table("dataset", "latest", "rows", "versions", "created")
    for d in datasets:
        table.add_row(
            d["dataset"],
            d["latest"] or "-",
            str(d["rows"]),
            ", ".join(d["versions"]),
            d["created_at"] or "-",
        )
    Console().print(table if datasets else f"no datasets yet in {ws.root}: try `curate demo`")


@catalog_app.command("show")
def catalog_show(
    reference: Annotated[str, typer.Argument(help="NAME or NAME@VERSION (default: newest).")],
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one version: schema, rows, created, run id and stage counts."""
    from catalogs.query import show_dataset

    info = query_catalog(workspace, show_dataset, reference)
    if as_json:
        print_json(info)
        return
    from rich.table import Table

    out = Console()
    out.print(f"[bold]{info['dataset']}@{info['version']}[/]  ({', '.join(info['versions'])})")
    for key in (
        "row_count",
        "created_at",
        "run_id",
        "snapshot_id",
        "spec_fingerprint",
        "code_version",
        "location",
    ):
        out.print(f"{key}: {info[key]}")
    print_stage_counts(out, info["summary"].get("by_stage", {}))
    schema = Table("column", "type")
    for field in info["schema"]:
        schema.add_row(field["name"], field["type"])
    out.print(schema)


@catalog_app.command("sources")
def catalog_sources(
    reference: Annotated[str, typer.Argument(help="NAME or NAME@VERSION (default: newest).")],
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the sources of a version with document counts and licenses."""
    from catalogs.provenance import version_sources

    sources = query_catalog(workspace, version_sources, reference)
    if as_json:
        print_json(sources)
        return
    from rich.table import Table

    table = Table("source", "documents", "licenses")
    for s in sources:
        licenses = ", ".join(f"{k} ({v})" for k, v in s["licenses"].items())
        table.add_row(s["source_id"], str(s["documents"]), licenses)
    Console().print(table)


@catalog_app.command("export")
def catalog_export(
    reference: Annotated[str, typer.Argument(help="NAME or NAME@VERSION (default: newest).")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write (must be empty).")],
    overwrite: Annotated[bool, typer.Option(help="Write into a non-empty folder.")] = False,
    include_provenance: Annotated[
        bool,
        typer.Option(
            "--include-provenance",
            help="Keep source_uri and relative_path (left out by default: paths can name people).",
        ),
    ] = False,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Export a version as plain Parquet with a dataset card and an attribution file."""
    from catalogs.export import export_version

    result = query_catalog(
        workspace,
        lambda c, r: export_version(
            c, r, out, overwrite=overwrite, include_provenance=include_provenance
        ),
        reference,
    )
    if as_json:
        print_json(result)
        return
    Console().print(
        f"exported {result['rows']} rows of {result['dataset']}@{result['version']} to {out}"
    )


@app.command()
def provenance(
    reference: Annotated[str, typer.Argument(help="NAME@VERSION (or NAME for the newest).")],
    doc_id: Annotated[str, typer.Argument(help="Document id.")],
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print a document's provenance chain: source, original bytes, extractor, run, decisions."""
    from catalogs.provenance import document_provenance

    chain = query_catalog(workspace, document_provenance, reference, doc_id)
    if as_json:
        print_json(chain)
        return
    out = Console()
    doc = chain["document"]
    out.print(f"[bold]{doc['doc_id']}[/] in {chain['dataset']}@{chain['version']}")
    out.print(f"source      {doc['source_id']}: {doc['source_uri']}")
    out.print(
        f"bytes       sha256 {doc['content_sha256']} ({doc['size_bytes']} bytes, {doc['mime_type']})"
    )
    out.print(f"extractor   {doc['extractor']} {doc['extractor_version']}")
    out.print(
        f"license     {doc['spdx']} (evidence: {doc['license_evidence']}, {doc['license_category']})"
    )
    out.print(
        f"run         {chain['run']['run_id']} spec {chain['run']['spec_fingerprint']} code {chain['run']['code_version']}"
    )
    for d in chain["decisions"]:
        out.print(f"  {d['stage']:<8} {d['decision']:<11} {d['reason'] or ''}")


def _register_commands() -> None:
    for names, parent in ((COMMAND_MODULES, app), (CATALOG_COMMAND_MODULES, catalog_app)):
        for name in names:
            try:
                module = importlib.import_module(f"flows.commands.{name}")
            except ModuleNotFoundError as error:
                if error.name != f"flows.commands.{name}":
                    raise
                continue
            module.register(parent)


_register_commands()


def entry_point() -> None:
    """The `curate` command: the app, then `flows.exit.exit_now` with its exit status, so the
    process does not spend most of a second tearing down the interpreter after its output."""
    from flows.exit import exit_now

    try:
        app()
    except SystemExit as done:
        exit_now(done.code)
    exit_now(0)


if __name__ == "__main__":
    entry_point()
