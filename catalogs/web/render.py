"""How page data becomes HTML: the Jinja environment, its filters, and each page's charts.

Autoescaping is on for every template, so a value from a document is text wherever it lands
(element, attribute, SVG label, textarea). Filters only format numbers, sizes and dates; none
marks anything safe. Links come from `catalogs.web.links`, exposed to templates as globals.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.templating import Jinja2Templates

from catalogs.web import charts, links

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Long texts are cut on the page (the JSON twin has them whole): escaping and laying out
# megabytes of text makes a page nobody reads.
TEXT_DISPLAY_CHARS = 200_000
CELL_DISPLAY_CHARS = 400


def number(value: Any) -> str:
    """Thousands separators for counts; a dash for missing values.

    Examples
    --------
    >>> number(1234567), number(None), number(0.5)
    ('1,234,567', '–', '0.5')
    """
    if value is None or value == "":
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def size(value: Any) -> str:
    """A byte count in B, KB, MB, GB (powers of 1000).

    Examples
    --------
    >>> size(532), size(1_250_000), size(None)
    ('532 B', '1.2 MB', '–')
    """
    if value is None:
        return "–"
    amount = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if amount < 1000 or unit == "GB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1000
    return f"{amount:.1f} TB"


def when(value: Any) -> str:
    """An ISO timestamp as `YYYY-MM-DD HH:MM UTC`; anything else as given.

    Examples
    --------
    >>> when("2026-11-23T09:15:02.123000+00:00")
    '2026-11-23 09:15 UTC'
    """
    if not value:
        return "–"
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    suffix = " UTC" if moment.utcoffset() is not None and not moment.utcoffset() else ""
    return moment.strftime("%Y-%m-%d %H:%M") + suffix


def cell(value: Any) -> str:
    """A SQL result value as short text (the full value is in the downloads)."""
    if value is None:
        return "NULL"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= CELL_DISPLAY_CHARS else text[:CELL_DISPLAY_CHARS] + "…"


def pretty(value: Any) -> str:
    """Indented JSON of a value (ledger details, metadata), as text for a <pre>."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def highlight(snippet: str | None, query: str) -> list[tuple[str, bool]]:
    """`snippet` cut into (text, is_match) parts around case-insensitive matches of `query`.

    Examples
    --------
    >>> highlight("Invoice and INVOICE", "invoice")
    [('Invoice', True), (' and ', False), ('INVOICE', True)]
    """
    if not snippet:
        return []
    if not query:
        return [(snippet, False)]
    lowered, needle = snippet.lower(), query.lower()
    if len(lowered) != len(snippet):  # case folding changed lengths: no safe offsets
        return [(snippet, False)]
    parts: list[tuple[str, bool]] = []
    start = 0
    while (found := lowered.find(needle, start)) >= 0:
        if found > start:
            parts.append((snippet[start:found], False))
        parts.append((snippet[found : found + len(needle)], True))
        start = found + len(needle)
    if start < len(snippet):
        parts.append((snippet[start:], False))
    return parts


def templates() -> Jinja2Templates:
    """The page templates: autoescaped, strict about undefined names, with our helpers."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(num=number, size=size, when=when, cell=cell, pretty=pretty)
    environment.globals.update(
        dataset_url=links.dataset_url,
        version_url=links.version_url,
        document_url=links.document_url,
        diff_url=links.diff_url,
        sql_url=links.sql_url,
        with_query=links.with_query,
        highlight=highlight,
        TEXT_DISPLAY_CHARS=TEXT_DISPLAY_CHARS,
    )
    return Jinja2Templates(env=environment)


def dataset_charts(data: dict[str, Any]) -> dict[str, charts.Chart]:
    sizes = [(v["version"], float(v["documents"] or 0)) for v in data["versions"]]
    return {"sizes": charts.columns("Documents per version", sizes, width=760, height=220)}


def version_charts(data: dict[str, Any]) -> dict[str, charts.Chart]:
    stats = data["stats"]
    return {
        "length": charts.histogram("Length (characters, log₂ bins)", stats["length_histogram"]),
        "quality": charts.histogram("Quality score", stats["quality_histogram"]),
        "language": charts.horizontal_bars("Documents by language", stats["by_language"]),
        "license": charts.horizontal_bars("Documents by license", stats["by_license"]),
        "source": charts.horizontal_bars("Documents by source", stats["by_source"]),
    }


def diff_charts(data: dict[str, Any]) -> dict[str, charts.Chart]:
    return {"why": charts.horizontal_bars("Removed, by why", data.get("removed_by_why") or {})}
