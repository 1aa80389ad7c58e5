"""`curate dedup`: near-duplicate detection on a JSONL or Parquet file (no Prefect)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from curation.exceptions import CurationError


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
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Find exact and near duplicates; write one row per input with its kept representative."""
    from curation.offline import enforce_offline

    enforce_offline()
    from curation.dedup.files import dedup_file

    try:
        summary = dedup_file(
            input_path, out, text_field=text_field, id_field=id_field, threshold=threshold
        )
    except CurationError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
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
