"""Language identification with fastText lid.176, one model load per process, batch predict.

The model file is installed by `make setup` (never downloaded at run time); see
`curation.resources.lid_model_path`. fastText's `predict` takes a list of strings, one line
each, so newlines are replaced by spaces first; it returns labels like `__label__en`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from curation.langid import load_fasttext_model
from curation.langid import prepare_lines as _prepare_lines
from curation.resources import lid_model_path

LABEL_PREFIX = "__label__"
# fastText reads its input up to a newline; long inputs only cost time, not accuracy.
MAX_CHARS = 20_000


def prepare_lines(texts: list[str | None], max_chars: int = MAX_CHARS) -> list[str]:
    """One line per text, at most `max_chars` (see `curation.langid.prepare_lines`)."""
    return _prepare_lines(texts, max_chars)


def identify_languages(
    texts: list[str | None] | pa.Array | pa.ChunkedArray, model: Path | None = None
) -> tuple[pa.Array, pa.Array]:
    """Language code and score of each text; null language and 0 score for blank text.

    Examples
    --------
    >>> lang, score = identify_languages(["The quick brown fox jumps over the lazy dog.", ""])
    >>> lang.to_pylist()
    ['en', None]
    >>> score[0].as_py() > 0.5
    True
    """
    if isinstance(texts, pa.ChunkedArray | pa.Array):
        texts = texts.to_pylist()
    model_path = str(model or lid_model_path())
    lines = prepare_lines(texts)
    blank = np.fromiter((not line.strip() for line in lines), bool, len(lines))
    langs: list[str | None] = [None] * len(lines)
    scores = np.zeros(len(lines), np.float32)
    todo = np.flatnonzero(~blank)
    if len(todo):
        labels, probs = load_fasttext_model(model_path).predict([lines[i] for i in todo], k=1)
        for row, label, prob in zip(todo.tolist(), labels, probs, strict=True):
            langs[row] = label[0].removeprefix(LABEL_PREFIX)
            scores[row] = min(float(prob[0]), 1.0)
    # built through polars: pyarrow's pa.array() imports pandas (0.15 s) to inspect its input
    lang_array = pl.Series("lang", langs, dtype=pl.String).to_arrow().cast(pa.string())
    return lang_array, pl.Series("lang_score", scores).to_arrow().cast(pa.float32())


# Paragraphs shorter than this (headings, list items, one-word lines) are too short for lid.176
# to name a language reliably; they count for no language.
PARAGRAPH_MIN_CHARS = 40
# Blank-line separated blocks are paragraphs (Markdown, reST, plain text and extracted HTML).
_PARAGRAPH_BREAK = r"\n[ \t]*\n"


def paragraph_languages(
    texts: pl.Series | list[str | None], model: Path | None = None
) -> pl.DataFrame:
    """Characters per (document, paragraph language): one fastText call for the whole batch.

    Mixed documents (an English page quoting a German contract, a translated glossary) get one
    whole-document language; this says how much of each document is in which language. Returns
    a long frame `row` (input position), `lang`, `chars` (stripped characters of the document's
    paragraphs identified as `lang`), sorted by row then language.

    Examples
    --------
    >>> mix = paragraph_languages(["The quick brown fox jumps over the lazy dog, twice a day."])
    >>> mix.rows()
    [(0, 'en', 57)]
    """
    texts = pl.Series("text", texts, dtype=pl.String)
    frame = pl.DataFrame({"row": np.arange(len(texts), dtype=np.int64), "text": texts})
    paragraphs = (
        frame.select(
            "row",
            pl.col("text")
            .fill_null("")
            .str.replace_all(r"\r\n?", "\n")
            .str.replace_all(_PARAGRAPH_BREAK, "\x00")
            .str.split("\x00")
            .alias("paragraph"),
        )
        .explode("paragraph")
        .with_columns(pl.col("paragraph").str.strip_chars())
        .with_columns(pl.col("paragraph").str.len_chars().cast(pl.Int64).alias("chars"))
        .filter(pl.col("chars") >= PARAGRAPH_MIN_CHARS)
    )
    schema = {"row": pl.Int64, "lang": pl.String, "chars": pl.Int64}
    if paragraphs.height == 0:
        return pl.DataFrame(schema=schema)
    lines = (
        paragraphs["paragraph"].str.slice(0, MAX_CHARS).str.replace_all(r"[\r\n]", " ").to_list()
    )
    labels, _ = load_fasttext_model(str(model or lid_model_path())).predict(lines, k=1)
    langs = pl.Series("lang", [label[0] for label in labels], dtype=pl.String)
    return (
        paragraphs.select("row", langs.str.strip_prefix(LABEL_PREFIX), "chars")
        .group_by("row", "lang")
        .agg(pl.col("chars").sum())
        .sort("row", "lang")
        .cast(schema)
    )
