"""Inline SVG charts for the audit report: plain markup, no script, labels escaped.

The report must open from a file, print to PDF and be archived, so charts are drawn here as SVG
elements with every label passed through `html.escape` (a source id or reason is text in the
chart, never markup). Coordinates are rounded to one decimal so the same numbers always give
the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

WIDTH = 680
ROW = 26
LABEL_WIDTH = 150
VALUE_WIDTH = 120
FONT = "font-family=\"'Helvetica Neue', Arial, sans-serif\""
# Outcome colours, chosen to stay distinct in greyscale print.
OUTCOME_COLOURS = {
    "kept": "#2f6f5e",
    "modified": "#7fb3a5",
    "dropped": "#c9892b",
    "quarantined": "#9e2a2b",
}
BAR_COLOUR = "#29456b"
MAX_BARS = 14


def _n(value: float) -> str:
    """A coordinate with at most one decimal.

    Examples
    --------
    >>> _n(12.0), _n(3.14159)
    ('12', '3.1')
    """
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _svg(height: float, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_n(height)}" '
        f'width="100%" role="img" aria-label="{escape(title)}" {FONT} font-size="12">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def top_items(counts: Mapping[str, int], limit: int = MAX_BARS) -> list[tuple[str, int]]:
    """Largest first; past `limit`, the rest summed as "(other)".

    Examples
    --------
    >>> top_items({"a": 1, "b": 5, "c": 2}, limit=2)
    [('b', 5), ('(other)', 3)]
    """
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(ordered) <= limit:
        return ordered
    return [*ordered[: limit - 1], ("(other)", sum(v for _, v in ordered[limit - 1 :]))]


def bar_chart(title: str, counts: Mapping[str, int], *, colour: str = BAR_COLOUR) -> str:
    """Labelled horizontal bars, largest first, with the count at each bar's end.

    Examples
    --------
    >>> svg = bar_chart("Languages", {"en": 3, "<b>": 1})
    >>> "&lt;b&gt;" in svg and "<b>" not in svg
    True
    """
    items = top_items(counts)
    if not items:
        return _svg(
            ROW, title, [f'<text x="0" y="17" fill="#555">No {escape(title.lower())}.</text>']
        )
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    peak = max(v for _, v in items) or 1
    body = []
    for i, (label, value) in enumerate(items):
        y = i * ROW
        width = plot * value / peak if value else 0
        shown = label if len(label) <= 24 else label[:23] + "…"
        body.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{_n(y + 17)}" text-anchor="end" fill="#222">'
            f"<title>{escape(label)}</title>{escape(shown)}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{_n(y + 5)}" width="{_n(max(width, 1 if value else 0))}" '
            f'height="{ROW - 10}" fill="{colour}" rx="2"/>'
            f'<text x="{_n(LABEL_WIDTH + width + 6)}" y="{_n(y + 17)}" fill="#222">{value:,}</text>'
        )
    return _svg(len(items) * ROW + 4, title, body)


def waterfall_chart(title: str, stages: Sequence[Mapping[str, Any]]) -> str:
    """One bar per stage, as long as the stage's inputs, split into what it kept, modified,
    dropped and quarantined; a legend underneath.

    Examples
    --------
    >>> svg = waterfall_chart("Stages", [{"stage": "ingest", "inputs": 10, "kept": 8,
    ...     "modified": 0, "dropped": 0, "quarantined": 2}])
    >>> svg.count("<rect") >= 2
    True
    """
    if not stages:
        return _svg(ROW, title, ['<text x="0" y="17" fill="#555">No ledger rows.</text>'])
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    peak = max(int(s["inputs"]) for s in stages) or 1
    body = []
    for i, stage in enumerate(stages):
        y = i * ROW
        x = float(LABEL_WIDTH)
        body.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{_n(y + 17)}" text-anchor="end" fill="#222">'
            f"{escape(str(stage['stage']))}</text>"
        )
        for outcome, colour in OUTCOME_COLOURS.items():
            count = int(stage.get(outcome, 0))
            if not count:
                continue
            width = plot * count / peak
            body.append(
                f'<rect x="{_n(x)}" y="{_n(y + 5)}" width="{_n(max(width, 1))}" '
                f'height="{ROW - 10}" fill="{colour}"><title>{escape(str(stage["stage"]))}: '
                f"{count:,} {outcome}</title></rect>"
            )
            x += width
        survivors = int(stage["inputs"]) - int(stage["dropped"]) - int(stage["quarantined"])
        body.append(
            f'<text x="{_n(x + 6)}" y="{_n(y + 17)}" fill="#222">{int(stage["inputs"]):,} → '
            f"{survivors:,}</text>"
        )
    legend_y = len(stages) * ROW + 10
    x = float(LABEL_WIDTH)
    for outcome, colour in OUTCOME_COLOURS.items():
        body.append(
            f'<rect x="{_n(x)}" y="{_n(legend_y)}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{_n(x + 17)}" y="{_n(legend_y + 10)}" fill="#333">{outcome}</text>'
        )
        x += 110
    return _svg(legend_y + 18, title, body)
