"""`curate quality score`: signals, language, classifier score and verdict for a file of texts.

Users pick thresholds by looking at distributions, so this writes one row per input with every
signal, `keep`, and the rules that dropped it, and summarizes per-rule drop counts and a
histogram. It calls the stage functions directly (no Prefect: ARCHITECTURE.md).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from curation.tabular import read_records, scan_records, write_atomic
from filters.config import QualityConfig
from filters.exceptions import QualityError
from filters.langmix import ALLOWED_FRAC, MAIN_FRAC, allowed_frac
from filters.reasons import QualityReason
from filters.signals import SIGNALS
from filters.stage import allowed_languages, rule_outcomes, score_quality, signals_from_map

BATCH_ROWS = 2_000


@dataclass(frozen=True)
class Histogram:
    """Counts of one column's values in equal-width bins (`edges` has one more item)."""

    column: str
    edges: list[float]
    counts: list[int]
    missing: int
    # the active rule's threshold on this column, marked on its bin so users see what a
    # change would cut
    threshold: float | None = None

    def render(self, width: int = 40) -> str:
        """Text bars, one line per bin; the bin holding the threshold is marked."""
        top = max(self.counts, default=0) or 1
        title = f"{self.column} ({sum(self.counts)} values, {self.missing} missing)"
        if self.threshold is not None:
            title += f", threshold {self.threshold:g}"
        lines = [title]
        marked = self.threshold is None or not self.edges
        for index, (low, high, count) in enumerate(
            zip(self.edges, self.edges[1:], self.counts, strict=False)
        ):
            bar = "#" * round(width * count / top)
            line = f"  [{low:10.4g}, {high:10.4g}) {count:7d} {bar}"
            last = index == len(self.counts) - 1
            if not marked and (low <= self.threshold < high or (last and self.threshold == high)):
                line += f"  <- threshold {self.threshold:g}"
                marked = True
            lines.append(line)
        if not marked:
            side = "below" if self.threshold < self.edges[0] else "above"
            lines.append(f"  (threshold {self.threshold:g} is {side} every value)")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {
            "column": self.column,
            "edges": self.edges,
            "counts": self.counts,
            "missing": self.missing,
            "threshold": self.threshold,
        }


@dataclass(frozen=True)
class ScoreReport:
    """What `score_file` wrote and how the rows fared."""

    input: str
    output: str
    rows: int
    kept: int
    dropped: int
    by_rule: dict[str, int]
    first_reason: dict[str, int]
    histograms: list[Histogram] = field(default_factory=list)
    thresholds: dict[str, float] = field(default_factory=dict)

    @property
    def histogram(self) -> Histogram | None:
        """The first (default) histogram."""
        return self.histograms[0] if self.histograms else None

    def as_dict(self) -> dict:
        return {
            "input": self.input,
            "output": self.output,
            "rows": self.rows,
            "kept": self.kept,
            "dropped": self.dropped,
            "dropped_by_rule": self.by_rule,
            "first_reason": self.first_reason,
            "thresholds": self.thresholds,
            "histogram": None if self.histogram is None else self.histogram.as_dict(),
            "histograms": [h.as_dict() for h in self.histograms],
        }


def read_texts(path: Path, text_field: str, id_field: str) -> pl.DataFrame:
    """`id` and `text` columns from a JSONL or Parquet file (ids default to the row number)."""
    has_ids = id_field in scan_records(path).collect_schema() or id_field != "id"
    frame = read_records(path, text_field=text_field, id_field=id_field if has_ids else None)
    if has_ids:
        ids = frame[id_field].cast(pl.String)
    else:
        ids = pl.Series(np.arange(frame.height)).cast(pl.String)
    return pl.DataFrame({"id": ids, "text": frame[text_field].cast(pl.String)})


def score_frame(frame: pl.DataFrame, cfg: QualityConfig) -> pl.DataFrame:
    """One output row per input row: id, lang, lang_score, every signal, score, keep, rules."""
    parts = []
    for start in range(0, frame.height, BATCH_ROWS):
        batch = frame.slice(start, BATCH_ROWS)
        scored = score_quality(pa.table({"text": batch["text"].to_arrow()}), cfg)
        signals = signals_from_map(scored.column("quality_signals")).drop("row")
        outcomes = rule_outcomes(scored, cfg)
        parts.append(
            pl.concat(
                [
                    batch.select("id"),
                    pl.DataFrame(
                        {
                            "lang": pl.Series(scored.column("lang").to_pylist(), dtype=pl.String),
                            "lang_score": pl.Series(
                                scored.column("lang_score").to_pylist(), dtype=pl.Float32
                            ),
                        }
                    ),
                    signals.select(*SIGNALS, *_mix_columns(signals, cfg)),
                    pl.DataFrame(
                        {
                            "quality_score": pl.Series(
                                scored.column("quality_score").to_pylist(), dtype=pl.Float32
                            )
                        }
                    ),
                    outcomes.select(
                        pl.col("reason").is_null().alias("keep"),
                        pl.col("failed").alias("dropped_by"),
                    ),
                ],
                how="horizontal",
            )
        )
    if not parts:
        raise QualityError("the input has no rows: nothing to score")
    return pl.concat(parts)


def _mix_columns(signals: pl.DataFrame, cfg: QualityConfig) -> list[pl.Expr]:
    """The language-mix shares, when per-paragraph language id is on."""
    if not cfg.lang_per_paragraph:
        return []
    return [pl.col(MAIN_FRAC), allowed_frac(signals.columns, allowed_languages(cfg))]


def histogram(values: pl.Series, bins: int = 10, threshold: float | None = None) -> Histogram:
    """Equal-width histogram of the non-null values of a column."""
    present = values.drop_nulls().cast(pl.Float64).to_numpy()
    present = present[np.isfinite(present)]
    if len(present) == 0:
        return Histogram(values.name, [], [], len(values), threshold)
    low, high = float(present.min()), float(present.max())
    if low == high:
        high = low + 1.0
    counts, edges = np.histogram(present, bins=bins, range=(low, high))
    return Histogram(
        values.name, edges.tolist(), counts.tolist(), len(values) - len(present), threshold
    )


def column_threshold(column: str, cfg: QualityConfig) -> float | None:
    """The threshold an active rule applies to an output column (None when none does)."""
    if column == "lang_score":
        return cfg.min_score() or None
    if column == ALLOWED_FRAC and cfg.lang_per_paragraph:
        return cfg.min_lang_allowed_frac
    if column == "quality_score":
        return cfg.classifier_min_score
    for rule, threshold in cfg.active_rules():
        if rule.signal == column:
            return threshold
    return None


def score_file(
    input_path: Path,
    output_path: Path,
    cfg: QualityConfig,
    *,
    text_field: str = "text",
    id_field: str = "id",
    histogram_of: str | Sequence[str] | None = None,
) -> ScoreReport:
    """Score a JSONL/Parquet file, write the per-row result (Parquet or JSONL by suffix)."""
    frame = read_texts(Path(input_path), text_field, id_field)
    result = score_frame(frame, cfg)
    write_atomic(result, output_path)
    dropped_by = result.select(pl.col("dropped_by").explode().drop_nulls().value_counts(sort=True))
    by_rule = {
        row["dropped_by"]: row["count"] for row in dropped_by.unnest("dropped_by").to_dicts()
    }
    first = result.filter(~pl.col("keep")).select(pl.col("dropped_by").list.first())
    first_reason = dict(
        sorted(first.to_series().value_counts().iter_rows(), key=lambda kv: (-kv[1], kv[0]))
    )
    if isinstance(histogram_of, str):
        histogram_of = [histogram_of]
    columns = list(histogram_of or [_default_histogram(result, cfg, first_reason)])
    for column in columns:
        if column not in result.columns:
            raise QualityError(
                f"no column {column!r} to histogram: pick one of {', '.join(result.columns[1:-2])}"
            )
    return ScoreReport(
        input=str(input_path),
        output=str(output_path),
        rows=result.height,
        kept=int(result["keep"].sum()),
        dropped=int((~result["keep"]).sum()),
        by_rule=by_rule,
        first_reason=first_reason,
        histograms=[
            histogram(result[column], threshold=column_threshold(column, cfg)) for column in columns
        ],
        thresholds=cfg.thresholds(),
    )


def _default_histogram(result: pl.DataFrame, cfg: QualityConfig, first: dict[str, int]) -> str:
    """The classifier score when there is one, else the signal of the most dropping rule."""
    if cfg.classifier_model:
        return "quality_score"
    signal_of = {rule.reason.value: rule.signal for rule, _ in cfg.active_rules()}
    signal_of[QualityReason.LANG_LOW_SCORE.value] = "lang_score"
    if cfg.lang_per_paragraph:
        signal_of[QualityReason.LANG_MIXED.value] = ALLOWED_FRAC
    for reason in first:
        if reason in signal_of:
            return signal_of[reason]
    return "word_count"


def report_json(report: ScoreReport) -> str:
    return json.dumps(report.as_dict(), sort_keys=True)
