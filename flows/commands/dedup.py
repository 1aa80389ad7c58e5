"""`curate dedup`: near-duplicate detection on a JSONL or Parquet file (no Prefect)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from curation.exceptions import CurationError
from flows.options import fail


def dedup(
    input_path: Path = typer.Argument(
        ..., metavar="INPUT", help="JSONL (.jsonl/.ndjson) or Parquet file of documents."
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Output file, .parquet or .jsonl: id, cluster_id, duplicate."
    ),
    text_field: str = typer.Option("text", "--text-field", help="Column holding the text."),
    id_field: str = typer.Option("id", "--id-field", help="Column holding unique ids."),
    threshold: float = typer.Option(
        0.8, "--threshold", min=0.01, max=1.0, help="Jaccard similarity of word 5-gram sets."
    ),
    out_of_core: bool = typer.Option(
        False,
        "--out-of-core",
        help="For files larger than memory: stage to Parquet and group on disk with DuckDB.",
    ),
    work_dir: Path | None = typer.Option(
        None,
        "--work-dir",
        help="With --out-of-core: folder for intermediate files (a fresh subfolder, removed "
        "afterwards). Default: beside the output.",
    ),
    memory_limit: str = typer.Option(
        "8GB", "--memory-limit", help="With --out-of-core: DuckDB's memory limit (it spills)."
    ),
    dask_address: str | None = typer.Option(
        None,
        "--dask-address",
        help="With --out-of-core: run sketch and candidate tasks on this Dask scheduler "
        "(tcp://host:8786); its workers must see --work-dir.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Find exact and near duplicates; write one row per input with its kept representative."""
    from curation.offline import enforce_offline

    enforce_offline()
    from flows.options import keep_freed_memory

    keep_freed_memory()
    from curation.dedup.files import dedup_file

    try:
        summary = dedup_file(
            input_path,
            out,
            text_field=text_field,
            id_field=id_field,
            threshold=threshold,
            out_of_core=out_of_core,
            work_dir=work_dir,
            memory_limit=memory_limit,
            dask_address=dask_address,
        )
    except CurationError as error:
        raise fail(error) from error
    if as_json:
        typer.echo(json.dumps(summary, sort_keys=True))
        return
    typer.echo(
        f"{summary['documents']} documents: {summary['duplicates']} duplicates "
        f"({summary['exact_duplicates']} exact, {summary['near_duplicates']} near), "
        f"{summary['kept']} kept at threshold {summary['threshold']}; wrote {summary['output']} "
        f"in {summary['seconds']} s"
    )


def register(app: typer.Typer) -> None:
    """Add `dedup` to the root `curate` app."""
    app.command("dedup")(dedup)
