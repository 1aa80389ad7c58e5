"""A real workspace catalog with three versions of one dataset, and hostile documents.

A pyiceberg SQLite catalog in a workspace folder, versions committed through `commit_version`
with ledgers from `ledger_table`.
The hostile documents carry script, event-handler, `javascript:` and textarea-breakout payloads
in their text, title, author, source URI, source id, license, metadata and ledger details; each
payload would set `window.__pwned` if it ever ran.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from catalogs.registry import CatalogSettings, open_catalog
from catalogs.versions import commit_version
from curation.ledger import details_json, ledger_table
from curation.schema import DOCUMENT_SCHEMA
from curation.workspace import Workspace

DATASET = "curated.handbook"
SCRIPT = "<script>window.__pwned=1;alert(1)</script>"
IMG = '<img src=x onerror="window.__pwned=2;alert(2)">'
JS_LINK = "javascript:window.__pwned=3;alert(3)"
BREAKOUT = "</textarea><script>window.__pwned=4;alert(4)</script>"
HOSTILE_TEXT = (
    f"Quarterly hostile report {SCRIPT}\n\n"
    f"An image: {IMG}\n\n"
    f'A Markdown link: [click me]({JS_LINK}) and an HTML one: <a href="{JS_LINK}">click</a>\n\n'
    f"A breakout: {BREAKOUT}\n"
)
HOSTILE_ID = "hr-hostile-0001"
# An id that needs quoting in a path: a slash, markup, a query and a fragment.
HOSTILE_ODD_ID = 'evil/"><svg onload=alert(6)>?x=1#frag'
HOSTILE_SOURCE = 'web"><svg onload="window.__pwned=7">'
SOURCES = {
    "hr": ("MIT", "permissive"),
    "wiki": ("CC-BY-4.0", "permissive"),
    "legal": ("LicenseRef-internal", "proprietary"),
}
LANGS = ("en", "de", "fr")
WORDS = [
    *("policy", "leave", "travel", "expense", "onboarding", "security", "laptop"),
    *("contract", "invoice", "audit", "holiday", "payroll", "pension", "training"),
    *("safety", "quality", "customer", "supplier", "archive"),
]


@dataclass(frozen=True)
class CatalogFixture:
    """The workspace, its catalog settings, and what the versions hold."""

    workspace: Path
    settings: CatalogSettings
    dataset: str
    versions: tuple[str, ...]
    added_in_v2: str
    removed_in_v2: str
    changed_in_v2: str


def _text(i: int, revision: int = 0) -> str:
    words = [WORDS[(i * 7 + k * 3 + revision) % len(WORDS)] for k in range(12 + i % 30)]
    return f"Document {i} about {WORDS[i % len(WORDS)]}. " + " ".join(words) + "."


def _row(i: int, *, revision: int = 0) -> dict:
    source = list(SOURCES)[i % len(SOURCES)]
    spdx, category = SOURCES[source]
    text = _text(i, revision)
    return {
        "doc_id": f"{source}-{i:04d}",
        "text": text,
        "source_id": source,
        "source_uri": f"file:///shares/{source}/doc-{i:04d}.md",
        "relative_path": f"doc-{i:04d}.md",
        "content_sha256": f"{i * 10 + revision:064x}",
        "size_bytes": len(text) + 40,
        "modified_at": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=i),
        "mime_type": "text/markdown",
        "extractor": "markdown",
        "extractor_version": "1.0",
        "title": f"{WORDS[i % len(WORDS)].title()} handbook, part {i}",
        "author": None,
        "metadata_json": json.dumps({"pages": 1 + i % 4}),
        "spdx": spdx,
        "license_evidence": "manifest",
        "license_confidence": 1.0,
        "license_category": category,
        "attribution": None,
        "lang": LANGS[i % len(LANGS)],
        "lang_score": 0.9,
        "quality_signals": [{"key": "mean_word_length", "value": 5.0 + (i % 3)}],
        "quality_score": round(0.35 + (i % 13) / 20, 3),
        "dedup_cluster": None,
        "pii_counts": [{"key": "EMAIL_ADDRESS", "value": 1}] if i % 5 == 0 else [],
    }


def _hostile_rows() -> list[dict]:
    base = _row(0)
    hostile = {
        **base,
        "doc_id": HOSTILE_ID,
        "text": HOSTILE_TEXT,
        "title": f"{SCRIPT} Hostile title {IMG}",
        "author": SCRIPT,
        "source_uri": f"{JS_LINK}//{SCRIPT}",
        "relative_path": BREAKOUT,
        "metadata_json": json.dumps({"subject": IMG, "link": JS_LINK, "x": BREAKOUT}),
        "attribution": IMG,
        "spdx": f"MIT{SCRIPT}",
        "extractor": SCRIPT,
        "dedup_cluster": IMG,
    }
    odd = {
        **_row(1),
        "doc_id": HOSTILE_ODD_ID,
        "source_id": HOSTILE_SOURCE,
        "title": f"Odd id {IMG}",
        "text": f"An odd document. {IMG} {BREAKOUT}",
        "lang": f"x{SCRIPT}",
    }
    return [hostile, odd]


def _documents(rows: list[dict], run_id: str) -> pa.Table:
    return pa.Table.from_pylist([{**row, "run_id": run_id} for row in rows], schema=DOCUMENT_SCHEMA)


def _ledger(run_id: str, kept: list[dict], dropped_ids: list[str]) -> pa.Table:
    kept_ids = [row["doc_id"] for row in kept]
    inputs = kept_ids + dropped_ids
    parts = [
        ledger_table(run_id, "ingest", inputs, ["kept"] * len(inputs)),
        ledger_table(
            run_id,
            "quality",
            inputs,
            ["kept"] * len(kept_ids) + ["dropped"] * len(dropped_ids),
            [None] * len(kept_ids) + ["quality.gopher_short_doc"] * len(dropped_ids),
            [None] * len(kept_ids) + [details_json(value=12, threshold=50)] * len(dropped_ids),
        ),
    ]
    redacted = [row["doc_id"] for row in kept if row["pii_counts"]]
    parts.append(
        ledger_table(
            run_id,
            "pii",
            redacted,
            ["modified"] * len(redacted),
            ["pii.redacted"] * len(redacted),
            [details_json(entities=1, note=SCRIPT if d == HOSTILE_ID else "ok") for d in redacted],
        )
    )
    return pa.concat_tables(parts)


def _commit(catalog, rows: list[dict], dropped: list[str], run_id: str) -> None:
    commit_version(
        catalog,
        DATASET,
        _documents(rows, run_id),
        _ledger(run_id, rows, dropped),
        run_id=run_id,
        spec_fingerprint=f"spec-{run_id}",
        code_version="0.1.0",
        summary={
            "inputs": len(rows) + len(dropped),
            "kept": len(rows),
            "dropped": len(dropped),
            "quarantined": 0,
        },
    )


def build_catalog(root: Path) -> CatalogFixture:
    """Commit v1, v2 (one added, one removed, one changed) and v3 (five added) under `root`."""
    workspace = Workspace(root).ensure()
    settings = CatalogSettings(
        uri=f"sqlite:///{workspace.catalog_db}", warehouse=workspace.warehouse.as_uri()
    )
    catalog = open_catalog(settings)

    v1 = [_row(i) for i in range(2, 80)] + _hostile_rows()
    _commit(catalog, v1, [f"hr-junk-{i}" for i in range(5)], "run-0001")

    removed, changed = "wiki-0004", "hr-0006"
    v2 = [r for r in v1 if r["doc_id"] != removed]
    v2 = [_row(6, revision=1) if r["doc_id"] == changed else r for r in v2]
    v2.append(_row(90))
    _commit(catalog, v2, [f"hr-junk-{i}" for i in range(3)], "run-0002")

    v3 = v2 + [_row(i) for i in range(91, 96)]
    _commit(catalog, v3, [], "run-0003")
    return CatalogFixture(
        workspace=root,
        settings=settings,
        dataset=DATASET,
        versions=("v1", "v2", "v3"),
        added_in_v2=_row(90)["doc_id"],
        removed_in_v2=removed,
        changed_in_v2=changed,
    )
