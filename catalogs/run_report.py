"""The markdown summary of a committed version: what a run publishes as its Prefect artifact.

Stage counts as a waterfall table (inputs, then what each stage removed and why, then kept),
throughput per stage and for the whole run (documents and MB of text per second), and the
version's page in the web catalog, so whoever looks at a run in Prefect's UI sees what it made,
where the time went, and where to browse it.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

# Where `curate catalog serve` listens by default; set CURATE_CATALOG_URL when it runs elsewhere.
DEFAULT_CATALOG_URL = "http://127.0.0.1:8765"


def catalog_url(dataset: str, version: str, base_url: str | None = None) -> str:
    """The web catalog's page of one version.

    >>> catalog_url("curated.acme_demo", "v1", "http://catalog:8765/")
    'http://catalog:8765/datasets/curated.acme_demo/versions/v1'
    """
    base = (base_url or os.environ.get("CURATE_CATALOG_URL") or DEFAULT_CATALOG_URL).rstrip("/")
    return f"{base}/datasets/{quote(dataset, safe='')}/versions/{quote(version, safe='')}"


def version_markdown(summary: dict[str, Any], base_url: str | None = None) -> str:
    """A run summary (`RunSummary.as_dict()`) as markdown: counts, waterfall, reasons, link.

    >>> text = version_markdown({"dataset": "curated.d", "version": "v2", "run_id": "r1",
    ...     "inputs": 3, "kept": 2, "dropped": 1, "quarantined": 0,
    ...     "by_stage": {"ingest": {"kept": 3}, "quality": {"kept": 2, "dropped": 1}},
    ...     "by_reason": {"quality.too_short": 1}})
    >>> "| quality | 3 | 1 | 0 | 2 |" in text and "quality.too_short" in text
    True
    """
    lines = [
        f"# {summary['dataset']}@{summary['version']}",
        "",
        f"Run `{summary['run_id']}`: {summary['inputs']} inputs, {summary['kept']} kept, "
        f"{summary['dropped']} dropped, {summary['quarantined']} quarantined.",
        "",
        "| stage | in | dropped | quarantined | out |",
        "|---|---:|---:|---:|---:|",
    ]
    for stage, counts in summary.get("by_stage", {}).items():
        # each stage's ledger has one row per document it saw (carried documents skip them)
        dropped, quarantined = counts.get("dropped", 0), counts.get("quarantined", 0)
        seen = sum(counts.values())
        lines.append(
            f"| {stage} | {seen} | {dropped} | {quarantined} | {seen - dropped - quarantined} |"
        )
    if summary.get("by_reason"):
        lines += ["", "| reason | documents |", "|---|---:|"]
        lines += [f"| `{reason}` | {count} |" for reason, count in summary["by_reason"].items()]
    if summary.get("removed"):
        lines += ["", "| left the previous version | documents |", "|---|---:|"]
        lines += [f"| `{reason}` | {count} |" for reason, count in summary["removed"].items()]
    rows = throughput_rows(summary)
    if rows:
        lines += [
            "",
            "| stage | documents | MB | seconds | docs/s | MB/s |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {r['stage']} | {r['docs']} | {_number(r['mb'])} | {_number(r['seconds'])} "
            f"| {_number(r['docs_per_s'])} | {_number(r['mb_per_s'])} |"
            for r in rows
        ]
    url = catalog_url(summary["dataset"], summary["version"], base_url)
    lines += ["", f"Browse: [{url}]({url}) (`curate catalog serve`)"]
    return "\n".join(lines) + "\n"


def throughput_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Per stage and for the whole run: documents, MB of text, seconds, docs/s and MB/s.

    A stage's documents are its ledger rows (carried documents skip the stages after ingest);
    its MB are the uncompressed text it took in (`stage_bytes`); the whole run counts every
    input over the run's wall time, Prefect's start included. Rates are None without time.

    >>> rows = throughput_rows({"inputs": 4, "wall_seconds": 4.0,
    ...     "by_stage": {"ingest": {"kept": 4}, "pii": {"kept": 2, "modified": 1}},
    ...     "stage_seconds": {"ingest": 2.0, "pii": 1.5, "commit": 0.5},
    ...     "stage_bytes": {"ingest": 4_000_000, "pii": 3_000_000, "commit": 2_000_000}})
    >>> [(r["stage"], r["docs"], r["docs_per_s"], r["mb_per_s"]) for r in rows]
    [('ingest', 4, 2.0, 2.0), ('pii', 3, 2.0, 2.0), ('commit', 3, 6.0, 4.0), ('run', 4, 1.0, 1.0)]
    """
    seconds = summary.get("stage_seconds") or {}
    volume = summary.get("stage_bytes") or {}
    by_stage = summary.get("by_stage") or {}
    if not seconds:
        return []
    docs = {stage: sum(counts.values()) for stage, counts in by_stage.items()}
    last = [s for s in by_stage if s != "incremental"]
    # the commit writes what the last stage let through
    if last:
        final = by_stage[last[-1]]
        docs["commit"] = sum(final.values()) - final.get("dropped", 0) - final.get("quarantined", 0)
    stages = [s for s in seconds if s in docs]
    rows = [_rate(stage, docs[stage], volume.get(stage), seconds[stage]) for stage in stages]
    first = next(iter(volume.values()), None) if volume else None
    total = volume.get("ingest", first)
    rows.append(_rate("run", int(summary.get("inputs") or 0), total, summary.get("wall_seconds")))
    return rows


def _rate(stage: str, docs: int, volume: int | None, seconds: float | None) -> dict[str, Any]:
    mb = None if volume is None else volume / 1_000_000
    timed = bool(seconds and seconds > 0)
    return {
        "stage": stage,
        "docs": docs,
        "mb": None if mb is None else _significant(mb),
        "seconds": None if seconds is None else round(seconds, 2),
        "docs_per_s": _significant(docs / seconds) if timed and seconds else None,
        "mb_per_s": _significant(mb / seconds) if timed and seconds and mb is not None else None,
    }


def _significant(value: float) -> float:
    """Four significant digits: a small run's MB/s is a few thousandths, a large one's hundreds."""
    return float(f"{value:.4g}")


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"
