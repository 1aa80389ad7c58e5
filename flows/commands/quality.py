"""`curate quality train|score`: the customer's classifier and threshold exploration (no Prefect)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from curation.exceptions import CurationError
from flows.options import fail

quality_app = typer.Typer(
    help="Train a quality classifier on your own examples; score files to pick thresholds.",
    no_args_is_help=True,
)


class VersionTexts:
    """Reads `NAME@VERSION[:COLUMN]` examples from the workspace catalog, opened on first use,
    and remembers which snapshot each came from for the model's sidecar."""

    def __init__(self, workspace: str | None) -> None:
        self.workspace = workspace
        self.catalog: Any = None
        self.read: list[dict[str, Any]] = []

    def __call__(self, reference: Any) -> list[str]:
        import pyarrow as pa

        from catalogs.registry import CatalogSettings, open_catalog
        from catalogs.versions import get_version, read_version
        from curation.workspace import resolve_workspace
        from filters.exceptions import TrainingDataError

        if self.catalog is None:
            settings = CatalogSettings.for_workspace(resolve_workspace(self.workspace))
            self.catalog = open_catalog(settings)
        table = read_version(self.catalog, reference.dataset, reference.version)
        if reference.column not in table.column_names:
            raise TrainingDataError(
                f"{reference.dataset}@{reference.version} has no column {reference.column!r} "
                f"(columns: {', '.join(table.column_names)}): name one as "
                f"{reference.dataset}@{reference.version}:COLUMN"
            )
        column = table.column(reference.column)
        if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
            raise TrainingDataError(
                f"column {reference.column!r} of {reference.dataset}@{reference.version} holds "
                f"{column.type}, not text: name a text column such as text or title"
            )
        version = get_version(self.catalog, reference.dataset, reference.version)
        self.read.append(
            {
                "reference": str(reference),
                "dataset": version.dataset,
                "version": version.name,
                "snapshot_id": version.snapshot_id,
                "run_id": version.run_id,
                "rows": table.num_rows,
            }
        )
        return column.to_pylist()


@quality_app.command("train")
def train(
    positive: list[str] = typer.Option(
        ...,
        "--positive",
        "-p",
        metavar="PATH|NAME@VERSION[:COLUMN]",
        help="Good examples: a folder of documents, a .jsonl or .parquet file, or a column of a "
        "committed version as NAME@VERSION[:COLUMN] (column default: text). Repeatable.",
    ),
    negative: list[str] = typer.Option(
        ...,
        "--negative",
        "-n",
        metavar="PATH|NAME@VERSION[:COLUMN]",
        help="Bad examples, same forms as --positive (repeatable).",
    ),
    workspace: str | None = typer.Option(
        None,
        "--workspace",
        "-w",
        metavar="DIR",
        help="Workspace whose catalog holds NAME@VERSION examples and whose models folder "
        "receives the model. Default: $CURATE_WORKSPACE, else ~/.local/share/curate.",
        show_default=False,
    ),
    name: str = typer.Option(
        "default", "--name", help="Model name: saved as <workspace>/models/quality-NAME.bin."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Model file to write instead of the workspace's models folder."
    ),
    text_field: str = typer.Option("text", "--text-field", help="Text field of JSONL/Parquet."),
    epoch: int = typer.Option(25, "--epoch", min=1, help="fastText training epochs."),
    holdout: float = typer.Option(
        0.2, "--holdout", min=0.05, max=0.5, help="Share of each class held out for evaluation."
    ),
    seed: int = typer.Option(13, "--seed", help="Shuffle and training seed."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Train a fastText quality classifier; report held-out precision/recall; save + sha256."""
    from curation.offline import enforce_offline

    enforce_offline()
    from filters.classifier import TrainParams, default_model_path, read_examples, train_classifier

    versions = VersionTexts(workspace)
    try:
        typer.echo("reading examples...", err=True)
        good = read_examples(positive, text_field, read_version=versions)
        bad = read_examples(negative, text_field, read_version=versions)
        target = out or default_model_path(name, workspace)
        typer.echo(f"training on {len(good)} positive, {len(bad)} negative examples", err=True)
        trained = train_classifier(
            good,
            bad,
            target,
            params=TrainParams(epoch=epoch, holdout=holdout, seed=seed),
            sources={
                "positive": [str(p) for p in positive],
                "negative": [str(p) for p in negative],
                "versions": versions.read,
            },
        )
    except CurationError as error:
        raise fail(error) from error
    result = trained.as_dict()
    if as_json:
        typer.echo(json.dumps(result, sort_keys=True))
        return
    heldout = trained.evaluation
    typer.echo(
        f"held-out ({heldout.n} examples, {heldout.positives} positive): precision "
        f"{heldout.precision:.3f}, recall {heldout.recall:.3f}, F1 {heldout.f1:.3f}\n"
        f"wrote {trained.model_path} (sha256 {trained.sha256[:16]}...) and {trained.sidecar_path.name}"
    )


@quality_app.command("score")
def score(
    input_path: Path = typer.Argument(
        ..., metavar="INPUT", help="JSONL (.jsonl/.ndjson) or Parquet file of documents."
    ),
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        help="Output .parquet or .jsonl: id, lang, lang_score, every signal, quality_score, "
        "keep, dropped_by.",
    ),
    text_field: str = typer.Option("text", "--text-field", help="Column holding the text."),
    id_field: str = typer.Option(
        "id", "--id-field", help="Column holding ids (default: row number)."
    ),
    spec: Path | None = typer.Option(
        None, "--spec", help="Dataset spec (or a YAML of just the quality section) for thresholds."
    ),
    preset: str | None = typer.Option(
        None, "--preset", help="Threshold preset: enterprise (default) or datatrove."
    ),
    language: list[str] = typer.Option(
        [], "--language", "-l", help="Allowed language code (repeatable; default: all)."
    ),
    model: str | None = typer.Option(
        None, "--model", help="Quality classifier: a .bin file or a name from `quality train`."
    ),
    min_score: float | None = typer.Option(
        None, "--min-score", help="Drop documents whose classifier score is below this."
    ),
    histogram_of: list[str] = typer.Option(
        [],
        "--histogram",
        help="Column to histogram (repeatable; default: the classifier score, else the signal "
        "of the rule that drops the most). Printed with its threshold, not with --json.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Score every document of INPUT; write signals and verdicts; print a histogram."""
    from curation.offline import enforce_offline

    enforce_offline()
    from flows.options import keep_freed_memory

    keep_freed_memory()
    from curation.config import build_config
    from curation.spec import read_spec_section
    from filters.config import QualityConfig
    from filters.scoring import score_file

    try:
        section = read_spec_section(spec, "quality")
        if preset is not None:
            section["preset"] = preset
        if language:
            section["languages"] = list(language)
        if model is not None:
            section["classifier_model"] = model
        if min_score is not None:
            section["classifier_min_score"] = min_score
        cfg = build_config(QualityConfig, section, "quality")
        typer.echo(f"scoring {input_path}...", err=True)
        report = score_file(
            input_path,
            out,
            cfg,
            text_field=text_field,
            id_field=id_field,
            histogram_of=histogram_of or None,
        )
    except CurationError as error:
        raise fail(error) from error
    if as_json:
        typer.echo(json.dumps(report.as_dict(), sort_keys=True))
        return
    typer.echo(
        f"{report.rows} documents: {report.kept} kept, {report.dropped} dropped; wrote {report.output}"
    )
    for reason, count in report.first_reason.items():
        typer.echo(f"  {count:7d}  {reason}")
    for chart in report.histograms:
        typer.echo(chart.render())


def register(app: typer.Typer) -> None:
    """Add the `quality` sub-app (`train`, `score`) to the root `curate` app."""
    app.add_typer(quality_app, name="quality")
