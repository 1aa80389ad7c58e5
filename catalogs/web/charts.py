"""Chart geometry for the pages' inline SVG: numbers here, markup in `_charts.html`.

Charts are computed on the server so pages need no JavaScript; the template draws the shapes
with autoescaped labels, so a label taken from the data (a source id, a license) is text in the
SVG, never markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Categories past this many are summed into one "other" bar: a chart of 300 sources says less
# than the top dozen and the rest.
MAX_BARS = 12
OTHER = "(other)"


@dataclass(frozen=True)
class Bar:
    """One bar: its label, value, and box in the chart's coordinates."""

    label: str
    value: float
    x: float
    y: float
    width: float
    height: float
    caption: str = ""


@dataclass(frozen=True)
class Chart:
    """A chart's size, bars, axis ticks and title, ready for the SVG template."""

    kind: str
    title: str
    width: int
    height: int
    bars: list[Bar]
    ticks: list[dict[str, Any]] = field(default_factory=list)
    label_width: int = 0
    empty: bool = False


def compact(value: float) -> str:
    """A short number for axis ticks and bar ends.

    Examples
    --------
    >>> [compact(v) for v in (7, 1234, 56_000, 3_400_000, 0.25)]
    ['7', '1.2k', '56k', '3.4M', '0.25']
    """
    if value != int(value):
        return f"{value:.2g}"
    value = int(value)
    for size, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if abs(value) >= size:
            scaled = value / size
            return f"{scaled:.1f}{suffix}" if scaled < 10 else f"{scaled:.0f}{suffix}"
    return str(value)


def top_counts(counts: Mapping[str, float], limit: int = MAX_BARS) -> list[tuple[str, float]]:
    """The `limit - 1` largest entries and the rest summed as one "other" entry.

    Examples
    --------
    >>> top_counts({"a": 5, "b": 3, "c": 1, "d": 1}, limit=3)
    [('a', 5), ('b', 3), ('(other)', 2)]
    """
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    if len(ordered) <= limit:
        return [(str(k), v) for k, v in ordered]
    head = [(str(k), v) for k, v in ordered[: limit - 1]]
    return [*head, (OTHER, sum(v for _, v in ordered[limit - 1 :]))]


def horizontal_bars(
    title: str, counts: Mapping[str, float], *, width: int = 340, row: int = 22
) -> Chart:
    """Labelled horizontal bars, largest first: for categories (sources, licenses, languages).

    Examples
    --------
    >>> chart = horizontal_bars("by language", {"en": 30, "de": 10})
    >>> [(b.label, b.value, round(b.width)) for b in chart.bars]
    [('en', 30, 172), ('de', 10, 57)]
    """
    items = top_counts(counts)
    label_width = 124
    plot = width - label_width - 44
    peak = max((v for _, v in items), default=0) or 1
    bars = [
        Bar(
            label=label,
            value=value,
            x=label_width,
            y=i * row + 4,
            width=max(1.0, plot * value / peak) if value else 0.0,
            height=row - 8,
            caption=compact(value),
        )
        for i, (label, value) in enumerate(items)
    ]
    return Chart(
        kind="hbar",
        title=title,
        width=width,
        height=max(row, len(items) * row) + 4,
        bars=bars,
        label_width=label_width,
        empty=not items,
    )


def columns(
    title: str,
    items: Iterable[tuple[str, float]],
    *,
    width: int = 560,
    height: int = 200,
    label_every: int | None = None,
) -> Chart:
    """Vertical columns over labelled slots: histograms and sizes per version.

    Examples
    --------
    >>> chart = columns("size", [("v1", 10), ("v2", 20)], width=200, height=100)
    >>> [(b.label, round(b.height)) for b in chart.bars]
    [('v1', 32), ('v2', 64)]
    """
    items = list(items)
    left, right, top, bottom = 48, 8, 10, 26
    plot_width = width - left - right
    plot_height = height - top - bottom
    peak = max((v for _, v in items), default=0) or 1
    slot = plot_width / max(1, len(items))
    gap = min(6.0, slot * 0.15)
    every = label_every or max(1, -(-len(items) // 12))
    bars = []
    for i, (label, value) in enumerate(items):
        h = plot_height * value / peak if value else 0.0
        bars.append(
            Bar(
                label=label if i % every == 0 else "",
                value=value,
                x=left + i * slot + gap / 2,
                y=top + plot_height - h,
                width=max(1.0, slot - gap),
                height=h,
                caption=f"{label}: {compact(value)}",
            )
        )
    ticks = [
        {"y": top + plot_height - plot_height * f, "label": compact(round(peak * f))}
        for f in (0.0, 0.5, 1.0)
    ]
    return Chart(
        kind="columns",
        title=title,
        width=width,
        height=height,
        bars=bars,
        ticks=ticks,
        label_width=left,
        empty=not items,
    )


def histogram(title: str, bins: Sequence[Mapping[str, Any]], *, width: int = 480) -> Chart:
    """Columns for `[{"lo", "hi", "documents"}]` bins, labelled by their lower edge.

    Examples
    --------
    >>> chart = histogram("length", [{"lo": 0, "hi": 100, "documents": 4},
    ...                              {"lo": 100, "hi": 1000, "documents": 2}])
    >>> [b.label for b in chart.bars]
    ['0', '100']
    """
    items = [(compact(b["lo"]), float(b["documents"])) for b in bins]
    chart = columns(title, items, width=width)
    captions = [
        f"{compact(b['lo'])}–{compact(b['hi'])}: {compact(b['documents'])} documents" for b in bins
    ]
    bars = [
        Bar(**{**bar.__dict__, "caption": caption})
        for bar, caption in zip(chart.bars, captions, strict=True)
    ]
    return Chart(**{**chart.__dict__, "bars": bars})
