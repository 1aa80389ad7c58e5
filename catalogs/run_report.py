"""The markdown summary of a committed version: what a run publishes as its Prefect artifact.

Stage counts as a waterfall table (inputs, then what each stage removed and why, then kept)
and the version's page in the web catalog, so whoever looks at a run in Prefect's UI sees
what it made and where to browse it.
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
    url = catalog_url(summary["dataset"], summary["version"], base_url)
    lines += ["", f"Browse: [{url}]({url}) (`curate catalog serve`)"]
    return "\n".join(lines) + "\n"
