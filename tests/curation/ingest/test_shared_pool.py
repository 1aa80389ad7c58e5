"""One extraction pool for every folder source of a run: started when a file needs it, each
file extracted under its own source's limits."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from curation.ingest import ExtractLimits, SourceConfig
from curation.ingest.files import ingest_folder
from curation.ingest.pool import ExtractionPool, SharedPool, Task
from curation.pipeline import ingest_sources
from curation.runs import RunPaths


def folder(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_a_task_is_extracted_under_its_own_limits(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text("forty bytes of plain text, give or take.", encoding="utf-8")
    strict = ExtractLimits(max_file_bytes=10)

    with ExtractionPool(1, limits=ExtractLimits()) as pool:
        results = list(pool.map([Task(str(page), "page.txt", limits=strict), Task(str(page), "p")]))

    (_, capped), (_, default) = results
    assert capped.reason == "ingest.too_large"
    assert default.extracted is not None
    assert default.extracted.text.startswith("forty bytes")


def test_sources_share_the_pool_s_workers(tmp_path):
    hr = SourceConfig(id="hr", path=str(folder(tmp_path / "hr", {"a.md": "# Leave policy"})))
    wiki = SourceConfig(
        id="wiki", path=str(folder(tmp_path / "wiki", {"b.txt": "Meeting rooms move."}))
    )

    with SharedPool(2) as pool:
        first = list(ingest_folder(hr, run_id="r", batch_size=8, workers=2, pool=pool))
        workers = [w.process.pid for w in pool.get()._workers]
        second = list(ingest_folder(wiki, run_id="r", batch_size=8, workers=2, pool=pool))
        assert [w.process.pid for w in pool.get()._workers] == workers

    texts = [t for b in first + second for t in b.documents.column("text").to_pylist()]
    assert texts == ["# Leave policy", "Meeting rooms move."]
    assert not pool.started  # closed with the block


def test_no_worker_starts_when_no_file_needs_extracting(tmp_path):
    root = tmp_path / "share"
    root.mkdir()
    (root / "outside.md").symlink_to(folder(tmp_path / "elsewhere", {"x.md": "x"}) / "x.md")
    source = SourceConfig(id="hr", path=str(root))

    with SharedPool(2) as pool:
        (batch,) = ingest_folder(source, run_id="r", batch_size=8, workers=2, pool=pool)
        assert not pool.started

    assert batch.quarantined.column("reason").to_pylist() == ["ingest.symlink_outside"]


def test_ingest_sources_stages_what_each_source_alone_would(tmp_path):
    sources = [
        SourceConfig(id="hr", path=str(folder(tmp_path / "hr", {"a.md": "# Leave", "b.md": ""}))),
        SourceConfig(id="wiki", path=str(folder(tmp_path / "wiki", {"c.txt": "Rooms move."}))),
    ]
    together = RunPaths(tmp_path / "together").ensure()
    alone = RunPaths(tmp_path / "alone").ensure()

    staged = ingest_sources(sources, run_id="r", paths=together, batch_size=8, workers=2)
    each = [
        path
        for source in sources
        for path in ingest_sources([source], run_id="r", paths=alone, batch_size=8, workers=2)
    ]

    assert [p.name for p in staged] == [p.name for p in each]
    for mine, theirs in zip(staged, each, strict=True):
        assert pq.read_table(mine).equals(pq.read_table(theirs))
        ledger = pq.read_table(together.ledger / mine.name)
        assert ledger.select(["doc_id", "decision", "reason"]).equals(
            pq.read_table(alone.ledger / theirs.name).select(["doc_id", "decision", "reason"])
        )
