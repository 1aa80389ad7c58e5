"""`curate redact`: try a PII policy on one file, outside a full run (no Prefect).

Texts without a `lang` field get one from fastText lid.176 (`filters.langid`, one batch call per
file), so each is read by its language's rules and NER model as in a full run.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Annotated

import typer

from curation.exceptions import CurationError
from flows.options import fail


def load_pii_config(spec: Path | None):
    """The `pii` section of a spec file as a PiiConfig; the default policy without a spec."""
    from curation.pii.config import PiiConfig
    from curation.spec import load_spec_section

    return load_spec_section(spec, "pii", PiiConfig)


# Below this lid.176 probability a text's language counts as unknown (read with English rules,
# as before languages were known): one-line snippets ("Mail jane@x.com") get low, arbitrary
# labels.
MIN_LANG_SCORE = 0.5
# Characters of a text lid.176 reads: `filters.langid.MAX_CHARS`, whose module imports polars
# (0.1 s) for its Arrow columns, which this command does not need.
LID_MAX_CHARS = 20_000


def identify_languages(texts):
    """Language code per text from fastText lid.176, None when unsure or without the model."""
    from curation.exceptions import WorkspaceError
    from curation.langid import LABEL_PREFIX, load_fasttext_model, prepare_lines
    from curation.resources import lid_model_path

    try:
        model = load_fasttext_model(str(lid_model_path()))
    except WorkspaceError as error:
        typer.echo(f"warning: {error}; reading texts as of unknown language", err=True)
        return [None] * len(texts)
    # Plain lists, not Arrow arrays: converting those to Python or numpy imports pandas (0.15 s).
    lines = prepare_lines(list(texts), LID_MAX_CHARS)
    labels, probs = model.predict(lines, k=1)
    return [
        label[0].removeprefix(LABEL_PREFIX) if line.strip() and prob[0] >= MIN_LANG_SCORE else None
        for line, label, prob in zip(lines, labels, probs, strict=True)
    ]


def redact(
    input_path: Annotated[
        Path, typer.Argument(metavar="INPUT", help="JSONL, Parquet or text file.")
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Output file; format from its extension. Text: stdout."),
    ] = None,
    spec: Annotated[
        Path | None, typer.Option("--spec", help="Dataset spec YAML; its `pii` section is used.")
    ] = None,
    text_field: Annotated[
        str, typer.Option("--text-field", help="Field holding the text.")
    ] = "text",
    id_field: Annotated[
        str | None, typer.Option("--id-field", help="Id field that must be present (kept as is).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON summary on stdout.")
    ] = False,
) -> None:
    """Redact PII in a JSONL/Parquet file (or a text file) with a spec's PII policy."""
    from curation.offline import enforce_offline

    enforce_offline()
    # No cyclic garbage collection while the file is redacted: the command leaves few cycles,
    # and each full collection would walk the million objects spaCy, Presidio and the models
    # bring along (0.25-0.35 CPU s on 1M chars of e-mail, a twentieth of the command).
    collecting = gc.isenabled()
    gc.disable()
    try:
        from curation.pii.files import redact_file

        cfg = load_pii_config(spec)
        summary = redact_file(
            input_path,
            out,
            cfg,
            text_field=text_field,
            id_field=id_field,
            identify=identify_languages,
        )
    except CurationError as error:
        raise fail(error) from error
    finally:
        if collecting:
            # What was built (models, recognizers) lives on in the process's caches: frozen,
            # the collections after this command do not walk it again.
            gc.freeze()
            gc.enable()
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), sort_keys=True))
        return
    if summary.text is not None:
        typer.echo(summary.text, nl=not summary.text.endswith("\n"))
        typer.echo(_describe(summary), err=True)
    else:
        typer.echo(_describe(summary))


def _describe(summary) -> str:
    counts = ", ".join(f"{k}={v}" for k, v in summary.counts.items()) or "no PII found"
    langs = ", ".join(f"{k}={v}" for k, v in summary.languages.items())
    target = summary.output or "stdout"
    return (
        f"redacted {summary.rows} row(s), {summary.modified} modified -> {target} ({counts}; "
        f"languages: {langs or 'none'})"
    )


def register(app: typer.Typer) -> None:
    """Add `curate redact` to the root app."""
    app.command("redact")(redact)
