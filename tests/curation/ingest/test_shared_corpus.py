"""A few dozen files of the real enterprise share, every format: all accounted for, hashes right."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest

from curation.ingest import SourceConfig, ingest_source

PER_FORMAT = 3


@pytest.fixture(scope="module")
def enterprise() -> Path:
    root = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "enterprise"
    if not (root / "MANIFEST.csv").is_file():
        pytest.skip(
            f"needs the real enterprise share at {root} (../shared/data beside the checkout)"
        )
    return root.resolve()


@pytest.mark.shared
def test_sample_of_every_format_is_accounted_for(enterprise: Path) -> None:
    with (enterprise / "MANIFEST.csv").open(newline="", encoding="utf-8") as handle:
        manifest = list(csv.DictReader(handle))
    by_kind: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in manifest:
        by_kind[(row["format"], row["encoding"])].append(row)
    sample = {row["relative_path"]: row for rows in by_kind.values() for row in rows[:PER_FORMAT]}
    source = SourceConfig(id="enterprise", path=str(enterprise), include=tuple(sorted(sample)))
    documents, quarantined = [], []
    for batch in ingest_source(source, run_id="r", batch_size=16, workers=2):
        documents += batch.documents.to_pylist()
        quarantined += batch.quarantined.to_pylist()
    seen = [row["relative_path"] for row in documents + quarantined]
    assert sorted(seen) == sorted(sample)  # every sampled file exactly once
    assert len(sample) >= 30
    for row in documents:
        assert row["content_sha256"] == sample[row["relative_path"]]["sha256"]
        assert row["size_bytes"] == int(sample[row["relative_path"]]["bytes"])
        assert row["text"].strip()
    reasons = {row["relative_path"]: row["reason"] for row in quarantined}
    assert reasons == {}, reasons
    by_path = {row["relative_path"]: row for row in documents}
    korean = next(p for p in by_path if p.endswith(".euc-kr"))
    german = next(p for p in by_path if p.endswith(".html.de"))
    assert any("\uac00" <= ch <= "\ud7a3" for ch in by_path[korean]["text"])  # Hangul decoded
    assert json.loads(by_path[korean]["metadata_json"])["encoding"] == "euc_kr"
    assert json.loads(by_path[german]["metadata_json"])["encoding"] in {"iso8859-1", "cp1252"}
    extractors = {row["extractor"] for row in documents}
    assert {
        "pypdf",
        "python-docx",
        "openpyxl",
        "python-pptx",
        "trafilatura",
        "text",
        "odf",
    } <= extractors
