"""Throughput in the run's Prefect artifact: documents and MB of text per second, per stage and
for the whole run, from a real run through the library call."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

import curation
from catalogs.run_report import throughput_rows

pytestmark = pytest.mark.slow

TEXT = (
    "The quarterly maintenance window moves to the first Saturday of each month. Teams that "
    "deploy on Fridays should plan their releases around it and tell the service desk early."
)


def test_the_run_artifact_reports_docs_and_mb_per_second(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for number, topic in enumerate(("backups", "badges", "laptops", "parking")):
        (docs / f"note-{number}.txt").write_text(f"Notice {number} about {topic}. {TEXT}\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: speedy\nsources:\n  - {id: docs, path: docs, license: CC0-1.0}\n")

    summary = curation.run(spec, workspace=tmp_path / "ws").as_dict()

    rows = {row["stage"]: row for row in throughput_rows(summary)}
    assert {"ingest", "license", "quality", "dedup", "pii", "commit", "run"} <= set(rows)
    assert rows["run"]["docs"] == 4 and rows["ingest"]["docs"] == 4
    assert rows["ingest"]["mb"] > 0 and rows["ingest"]["docs_per_s"] > 0
    assert rows["ingest"]["mb_per_s"] > 0 and rows["run"]["mb_per_s"] > 0
    database = Path(os.environ["PREFECT_HOME"]) / "prefect.db"
    with sqlite3.connect(database) as connection:
        artifacts = connection.execute("SELECT key, data FROM artifact").fetchall()
    published = [data for key, data in artifacts if key == "curated-speedy-version"]
    assert published, "the run published its summary artifact"
    assert "| stage | documents | MB | seconds | docs/s | MB/s |" in published[-1]
    assert "| run | 4 |" in published[-1] and "| pii | 4 |" in published[-1]
