"""Acceptance through the CLI: names in file metadata and file names never reach training data.

A CC0 folder of PDF, DOCX, HTML, EML and text files whose authors, titles, sender names and
file names hold people's names: after `curate run` the names are in no column of the version
except the provenance identifiers `source_uri` / `relative_path`, and after `curate catalog
export` nowhere in the export folder.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from catalogs.registry import CatalogSettings, open_catalog
from curation.workspace import Workspace
from tests_support import run_cli_json

pytestmark = pytest.mark.slow

NAMES = ("Ingrid Halvorsen", "Rafael Montoya", "Yuki Tanaka", "Oluwaseun Adeyemi", "Jane Doe")
WHEN = datetime(2024, 3, 4, 9, 30, tzinfo=UTC)

BODY = [
    "The quarterly planning cycle starts with a review of every open commitment. Each team lists "
    "the work it promised last quarter, marks what shipped, and explains in two sentences what "
    "slipped and why. The review is short on purpose: it exists to surface dependencies early.",
    "Budgets follow the same rhythm. Spending is compared against the plan per cost centre, and "
    "any line that deviates by more than ten percent gets a written note. Notes are collected in "
    "the shared finance folder so that the next planning round can start from facts.",
    "Hiring requests are reviewed together with the budget. A request states the role, the "
    "problem the role solves, the expected start date and the cost for the remaining months of "
    "the fiscal year. Requests without a named problem are sent back for another iteration.",
]
SPEC = """\
name: people-metadata
output: {{table: curated.people_metadata}}
sources:
  - {{id: share, type: folder, path: {path}, license: CC0-1.0}}
license: {{use: commercial_training, allow_categories: [public_domain, permissive]}}
quality: {{}}
dedup: {{threshold: 0.8}}
pii: {{}}
runner: {{workers: 1, batch_size: 64}}
"""


def _paragraphs(topic: str) -> list[str]:
    return [f"{topic}. {p}" for p in BODY]


def _write_share(root: Path) -> None:
    from curation.demo.writers import pdf_bytes

    root.mkdir(parents=True)
    lines = [("title", "Budget review by Ingrid Halvorsen")]
    lines += [("body", sentence) for p in _paragraphs("Budget review") for sentence in [p]]
    (root / "budget_review_ingrid_halvorsen.pdf").write_bytes(
        pdf_bytes(lines, title="Budget review by Ingrid Halvorsen", author=NAMES[0], created=WHEN)
    )

    import docx

    document = docx.Document()
    props = document.core_properties
    props.author = props.last_modified_by = NAMES[1]
    props.title = "Onboarding plan by Rafael Montoya"
    props.comments = "Draft reviewed by Rafael Montoya"
    document.add_heading("Onboarding plan", level=0)
    for paragraph in _paragraphs("Onboarding plan"):
        document.add_paragraph(paragraph)
    document.save(root / "rafael_montoya_onboarding.docx")

    body = "".join(f"<p>{p}</p>" for p in _paragraphs("Team notes"))
    (root / "team_notes_yuki_tanaka.html").write_text(
        f"<html><head><title>Team notes from Yuki Tanaka</title>"
        f'<meta name="author" content="{NAMES[2]}"></head>'
        f"<body><article><h1>Team notes</h1>{body}</article></body></html>",
        encoding="utf-8",
    )

    (root / "hiring_update.eml").write_text(
        f"From: {NAMES[3]} <o.adeyemi@example.com>\nTo: Planning <planning@example.com>\n"
        f"Subject: Hiring update\nDate: Mon, 04 Mar 2024 09:30:00 +0000\n\n"
        + "\n\n".join(_paragraphs("Hiring update")),
        encoding="utf-8",
    )
    (root / "jane_doe_cv.txt").write_text(
        "\n\n".join(_paragraphs("Curriculum vitae and planning practice")), encoding="utf-8"
    )


def _string_values(table: pa.Table, skip: set[str]) -> list[str]:
    values = []
    for field in table.schema:
        if field.name not in skip and field.type in (pa.string(), pa.large_string()):
            values += [v for v in table.column(field.name).to_pylist() if v]
    return values


def _names_in(values: list[str]) -> list[str]:
    """Name words found as whole words (file names split on `_`, `-`, `.` count too)."""
    blob = re.sub(r"[_.\-/]", " ", "\n".join(values).casefold())
    words = {w.casefold() for name in NAMES for w in name.split()}
    return sorted(w for w in words if re.search(rf"\b{re.escape(w)}\b", blob))


def test_metadata_and_file_names_hold_no_name_after_run_and_export(tmp_path):
    share = tmp_path / "share"
    _write_share(share)
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(path=share), encoding="utf-8")
    workspace = tmp_path / "workspace"

    summary = run_cli_json(["run", str(spec)], workspace=workspace)
    catalog = open_catalog(CatalogSettings.for_workspace(Workspace(workspace)))
    version = catalog.load_table(summary["dataset"]).scan().to_arrow()
    out = tmp_path / "export"
    run_cli_json(["catalog", "export", summary["dataset"], "--out", str(out)], workspace=workspace)
    exported = pq.read_table(out / "data")
    export_files = [p.read_text(encoding="utf-8") for p in out.iterdir() if p.is_file()]

    assert summary["kept"] == 5, summary
    frame = pl.from_arrow(version)
    assert frame["author"].null_count() == 5
    # the names are still where audit and erasure need them
    assert _names_in(version.column("relative_path").to_pylist()) != []
    assert _names_in(_string_values(version, {"source_uri", "relative_path"})) == []
    assert _names_in(_string_values(exported, set()) + export_files) == []
    counts = Counter()
    for cell in frame["pii_counts"].to_list():
        counts.update({row["key"]: row["value"] for row in cell or []})
    assert counts.get("PERSON", 0) >= 4
    facts = [json.loads(v) for v in frame["attribution"].to_list()]
    assert all(f["credit"].startswith("none kept") and "path" not in f for f in facts)
