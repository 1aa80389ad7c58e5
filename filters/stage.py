"""The quality stage: score every document, then filter on the spec's thresholds.

Score, then filter: `score_quality` fills `lang`, `lang_score`, `quality_signals` (every
heuristic signal, whatever the spec enables) and `quality_score` (the classifier, when one is
configured); `filter_quality` only compares those columns with thresholds, so changing a
threshold never recomputes a score. `QualityStage` is the two as one stage of the contract in
`curation.stage`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from curation.schema import SIGNALS_TYPE
from curation.stage import Scope, Stage, StageDecision, StageOutput
from filters.classifier import score_texts
from filters.config import QualityConfig
from filters.exceptions import SignalsMissingError
from filters.langid import identify_languages
from filters.langmix import MAIN_FRAC, allowed_frac, language_mix_signals
from filters.reasons import QualityReason
from filters.signals import compute_signals


def signals_to_map(frame: pl.DataFrame, extra: pl.DataFrame | None = None) -> pa.Array:
    """Wide signal columns -> one list of {key, value} per row (`curation.schema.SIGNALS_TYPE`,
    an Arrow map's layout that every reader understands); null values stay null.

    `extra` adds per-row entries from a long frame `row`, `key`, `value` (sorted by row), for
    signals whose keys differ between rows (the language mix's `lang_frac.<code>`).
    """
    names = list(frame.columns)
    n, k = frame.height, len(names)
    flat = frame.to_numpy(order="c").astype(np.float64).reshape(-1) if n else np.zeros(0)
    counts = np.full(n, k, dtype=np.int64)
    if extra is None or not extra.height:
        return _map_array(
            pl.Series(names, dtype=pl.String).gather(np.tile(np.arange(k), n)), flat, counts
        )
    keys = np.tile(np.array(names, dtype=object), n)
    if extra is not None and extra.height:
        rows = extra["row"].to_numpy()
        extra_counts = np.bincount(rows, minlength=n)
        # each row's wide entries, then its extra entries, rows in order
        order = np.argsort(np.concatenate([np.repeat(np.arange(n), k), rows]), kind="stable")
        keys = np.concatenate([keys, extra["key"].to_numpy().astype(object)])[order]
        flat = np.concatenate([flat, extra["value"].cast(pl.Float64).fill_null(np.nan).to_numpy()])[
            order
        ]
        counts = counts + extra_counts
    return _map_array(pl.Series(keys, dtype=pl.String), flat, counts)


def _map_array(keys: pl.Series, flat: np.ndarray, counts: np.ndarray) -> pa.Array:
    """The list-of-{key, value} array from flat keys, flat values and entries per row.

    Built through polars: pyarrow's pa.array() imports pandas (0.15 s of start-up) to inspect
    its input, and polars takes the keys without a Python string object per entry.
    """
    # signals never hold NaN (compute_signals turns undefined ratios into nulls)
    values = pl.Series("value", flat, dtype=pl.Float64).fill_nan(None).to_arrow()
    entries = pa.StructArray.from_arrays(
        [keys.to_arrow().cast(pa.string()), values], fields=list(SIGNALS_TYPE.value_type)
    )
    offsets = pl.Series("offsets", np.concatenate([[0], np.cumsum(counts)]).astype(np.int32))
    return pa.ListArray.from_arrays(offsets.to_arrow(), entries, type=SIGNALS_TYPE)


def signals_from_map(column: pa.Array | pa.ChunkedArray) -> pl.DataFrame:
    """Signals per row (list of {key, value}, or an Arrow map) -> one Float64 column each."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    n = len(column)
    entries = column.cast(pa.list_(pa.struct([("key", pa.string()), ("value", pa.float64())])))
    lengths = pl.Series(pc.list_value_length(entries)).fill_null(0).to_numpy()
    flat = pc.list_flatten(entries)
    long = pl.DataFrame(
        {
            "row": pl.Series(np.repeat(np.arange(n), lengths), dtype=pl.Int64),
            "key": pl.Series(flat.field("key"), dtype=pl.String),
            "value": pl.Series(flat.field("value"), dtype=pl.Float64).fill_nan(None),
        }
    )
    if long.height == 0:
        return pl.DataFrame({"row": np.arange(n)})
    wide = long.pivot(on="key", index="row", values="value", aggregate_function="first")
    return pl.DataFrame({"row": np.arange(n)}).join(
        wide, on="row", how="left", maintain_order="left"
    )


def _series(name: str, column: pa.Array | pa.ChunkedArray, dtype: pl.DataType) -> pl.Series:
    """An Arrow column as a polars Series of `dtype`, without Python objects."""
    return pl.Series(name, column).cast(dtype)


def _replace(table: pa.Table, name: str, values: pa.Array, type_: pa.DataType) -> pa.Table:
    values = values.cast(type_)
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), pa.field(name, type_), values)
    return table.append_column(pa.field(name, type_), values)


def score_quality(table: pa.Table, cfg: QualityConfig) -> pa.Table:
    """Fill `lang`, `lang_score`, `quality_signals` and `quality_score` for every row.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from filters.config import QualityConfig
    >>> scored = score_quality(pa.table({"text": ["The cat sat on the mat."]}), QualityConfig())
    >>> scored.column("lang").to_pylist(), scored.column("quality_signals")[0].as_py()[1]
    (['en'], {'key': 'dup_para_frac', 'value': 0.0})
    """
    texts = table.column("text")
    lang, lang_score = identify_languages(texts)
    text_series = _series("text", texts, pl.String)
    mix = None
    if cfg.lang_per_paragraph:
        mix = language_mix_signals(text_series)
    signals = signals_to_map(compute_signals(text_series), mix)
    if cfg.classifier_model:
        quality_score = score_texts(texts, cfg.classifier_model)
    else:
        quality_score = pa.nulls(table.num_rows, pa.float32())
    table = _replace(table, "lang", lang, pa.string())
    table = _replace(table, "lang_score", lang_score, pa.float32())
    table = _replace(table, "quality_signals", signals, SIGNALS_TYPE)
    return _replace(table, "quality_score", quality_score, pa.float32())


def _failure(reason: str, value: pl.Expr, threshold: float, bound: str) -> pl.Expr:
    """One `{"bound":..,"rule":..,"threshold":..,"value":..}` JSON fragment (sorted keys)."""
    return pl.concat_str(
        [
            pl.lit(f'{{"bound":"{bound}","rule":"{reason}","threshold":{threshold!r},"value":'),
            value.cast(pl.String),
            pl.lit("}"),
        ]
    )


def rule_outcomes(table: pa.Table, cfg: QualityConfig) -> pl.DataFrame:
    """Per row: `reason` (first failing rule, null when kept), `failed` (every failing rule)
    and `details` (JSON with each failing rule's measured value and threshold, null when kept).

    Null signals (undefined for the document, e.g. a ratio over zero lines) never fail a rule.
    """
    n = table.num_rows
    if (
        "quality_signals" not in table.column_names
        or table.column("quality_signals").null_count == n
    ):
        raise SignalsMissingError(
            "the table has no quality_signals: run filters.stage.score_quality before filter_quality"
        )
    signals = signals_from_map(table.column("quality_signals"))
    missing = [rule.signal for rule, _ in cfg.active_rules() if rule.signal not in signals.columns]
    if missing:
        raise SignalsMissingError(
            f"quality_signals lacks {missing[0]!r}: re-score the table with this version "
            "(filters.stage.score_quality)"
        )
    text = _series("text", table.column("text"), pl.String)
    frame = signals.with_columns(
        text.alias("_text"),
        _series("_lang", table.column("lang"), pl.String)
        if "lang" in table.column_names
        else pl.lit(None, pl.String).alias("_lang"),
        _series("_lang_score", table.column("lang_score"), pl.Float64)
        if "lang_score" in table.column_names
        else pl.lit(None, pl.Float64).alias("_lang_score"),
        _series("_quality_score", table.column("quality_score"), pl.Float64)
        if "quality_score" in table.column_names
        else pl.lit(None, pl.Float64).alias("_quality_score"),
    )
    checks: list[tuple[str, pl.Expr, pl.Expr]] = []  # (reason, failed, details fragment)
    blank = pl.col("_text").fill_null("").str.strip_chars() == ""
    checks.append(
        (
            QualityReason.EMPTY_TEXT.value,
            blank,
            _failure(QualityReason.EMPTY_TEXT, pl.lit(0.0), 1.0, "min"),
        )
    )
    allowed = allowed_languages(cfg)
    if allowed:
        failed = ~pl.col("_lang").is_in(allowed).fill_null(False) & ~blank
        fragment = pl.concat_str(
            [
                pl.lit(
                    f'{{"allowed":{_json_list(allowed)},"rule":"{QualityReason.LANG_NOT_ALLOWED}","value":"'
                ),
                pl.col("_lang").fill_null(""),
                pl.lit('"}'),
            ]
        )
        checks.append((QualityReason.LANG_NOT_ALLOWED.value, failed, fragment))
    min_score = cfg.min_score()
    if min_score > 0:
        value = pl.col("_lang_score")
        checks.append(
            (
                QualityReason.LANG_LOW_SCORE.value,
                (value < min_score).fill_null(False) & ~blank,
                _failure(QualityReason.LANG_LOW_SCORE, value.round(4), min_score, "min"),
            )
        )
    if cfg.lang_per_paragraph:
        if MAIN_FRAC not in signals.columns:
            raise SignalsMissingError(
                "quality.lang_per_paragraph is on but quality_signals has no language mix: "
                "re-score the table with it on (filters.stage.score_quality)"
            )
        value = allowed_frac(signals.columns, allowed)
        threshold = cfg.min_lang_allowed_frac
        checks.append(
            (
                QualityReason.LANG_MIXED.value,
                (value < threshold).fill_null(False) & ~blank,
                _failure(QualityReason.LANG_MIXED, value.round(4), threshold, "min"),
            )
        )
    english_only = bool(cfg.setting("gopher_quality", "english_only"))
    for rule, threshold in cfg.active_rules():
        value = pl.col(rule.signal)
        if rule.reason == QualityReason.FINEWEB_LINE_PUNCT_RATIO and cfg.setting(
            "fineweb", "line_punct_exclude_zero"
        ):
            failed = (value < threshold) & (value != 0)
        else:
            failed = value < threshold if rule.bound == "min" else value > threshold
        if english_only and rule.family == "gopher_quality":
            failed = failed & (pl.col("_lang") == "en")
        checks.append(
            (
                rule.reason.value,
                failed.fill_null(False),
                _failure(rule.reason, value, threshold, rule.bound),
            )
        )
    if cfg.classifier_model and cfg.classifier_min_score is not None:
        value = pl.col("_quality_score")
        checks.append(
            (
                QualityReason.CLASSIFIER_LOW_SCORE.value,
                (value < cfg.classifier_min_score).fill_null(False),
                _failure(
                    QualityReason.CLASSIFIER_LOW_SCORE,
                    value.round(4),
                    cfg.classifier_min_score,
                    "min",
                ),
            )
        )
    fragments = pl.concat_str(
        [pl.when(failed).then(fragment) for _, failed, fragment in checks],
        separator=",",
        ignore_nulls=True,
    )
    reason = pl.coalesce([pl.when(failed).then(pl.lit(name)) for name, failed, _ in checks])
    return frame.select(
        reason.alias("reason"),
        pl.concat_list([pl.when(failed).then(pl.lit(name)) for name, failed, _ in checks])
        .list.drop_nulls()
        .alias("failed"),
        pl.when(reason.is_not_null())
        .then(pl.concat_str([pl.lit('{"failed":['), fragments, pl.lit("]}")]))
        .alias("details"),
    )


def allowed_languages(cfg: QualityConfig) -> list[str]:
    """The spec's allowed languages as lid.176 labels: base languages, so "pt-BR" means "pt"."""
    return sorted({code.lower().replace("_", "-").split("-")[0] for code in cfg.languages})


def filter_quality(table: pa.Table, cfg: QualityConfig) -> StageDecision:
    """Drop the rows that fail any active rule; reason = first failing rule in check order.

    Details (JSON) list every failing rule with its measured value and threshold, never text.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from filters.config import QualityConfig
    >>> cfg = QualityConfig(preset="datatrove", min_lang_score=0.0)
    >>> decision = filter_quality(score_quality(pa.table({"text": ["Too short."]}), cfg), cfg)
    >>> decision.decision.to_pylist(), decision.reason.to_pylist()
    (['dropped'], ['quality.gopher_top_2gram'])
    """
    if table.num_rows == 0:
        return StageDecision.keep_all(0)
    outcomes = rule_outcomes(table, cfg)
    return StageDecision.from_masks(
        table.num_rows,
        drop=outcomes["reason"].is_not_null().to_numpy(),
        reason=outcomes["reason"].to_arrow(),
        details=outcomes["details"].to_arrow(),
    )


def _json_list(values: list[str]) -> str:
    import json

    return json.dumps(values, separators=(",", ":"))


@dataclass(frozen=True)
class QualityStage:
    """Score every document (language, heuristic signals, classifier), then drop those that
    fail a rule of `cfg`, with the first failing rule as the reason.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from filters.config import QualityConfig
    >>> out = QualityStage(QualityConfig(preset="datatrove", min_lang_score=0.0)).process(
    ...     pa.table({"text": ["Too short."]}))
    >>> out.table.column("lang").to_pylist(), out.decision.reason.to_pylist()
    (['en'], ['quality.gopher_top_2gram'])
    """

    name: ClassVar[Stage] = Stage.QUALITY
    scope: ClassVar[Scope] = Scope.BATCH

    cfg: QualityConfig

    def process(self, table: pa.Table) -> StageOutput:
        scored = score_quality(table, self.cfg)
        return StageOutput(scored, filter_quality(scored, self.cfg))
