"""Dedup of a run from staged batches (`curation.pipeline.run_dedup`) against the in-memory stage.

The streaming path sketches each batch, decides from the sketches alone and applies the
decisions batch by batch; it must keep and drop the same documents, with the same ledger
reasons and details, the same `dedup_cluster` and the same signature rows for the index, as
`DedupStage` with the in-memory engine over the whole run as one table.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.dedup.config import DedupConfig
from curation.dedup.index import SignatureIndex
from curation.dedup.stage import DedupStage
from curation.pipeline import decide_dedup, run_dedup, sketch_dedup_batch
from curation.runs import RunPaths
from curation.schema import conform
from curation.stage import run_stage

from .conftest import edit, prose

LEDGER = ["doc_id", "decision", "reason", "details"]


def corpus(start: int = 0, n: int = 120) -> pa.Table:
    """Documents with planted near duplicates (a few words changed), exact copies (case and
    punctuation changes) and unique ones, spread over several batches, some dated."""
    texts = []
    for i in range(n):
        group = (start + i) // 4
        base = prose(1000 + group, 120 + 40 * (group % 3))
        kind = i % 4
        texts.append(
            base
            if kind == 0
            else edit(base, 0.02, i)
            if kind == 1
            else base.upper() + " ."
            if kind == 2
            else prose(5000 + start + i, 150)
        )
    day = datetime(2025, 1, 1, tzinfo=UTC)
    return conform(
        pa.table(
            {
                "doc_id": [f"d{start + i:05d}" for i in range(n)],
                "text": texts,
                "source_id": ["s"] * n,
                "source_uri": [f"file:///d{i}" for i in range(n)],
                "modified_at": [
                    day + timedelta(days=(i * 7) % 30) if i % 5 else None for i in range(n)
                ],
                "license_category": ["permissive" if i % 3 else "copyleft" for i in range(n)],
            }
        )
    )


def stage_batches(table: pa.Table, paths: RunPaths, size: int = 25) -> list:
    batches = []
    for number, lo in enumerate(range(0, table.num_rows, size)):
        path = paths.documents / f"quality-src-{number:05d}.parquet"
        pq.write_table(table.slice(lo, size), path)
        batches.append(path)
    return batches


def streamed(table: pa.Table, cfg: DedupConfig, root, index=None):
    paths = RunPaths(root).ensure()
    outputs, signatures = run_dedup(
        cfg, stage_batches(table, paths), run_id="r1", paths=paths, index=index
    )
    ledger = pa.concat_tables([pq.read_table(paths.ledger / o.name) for o in outputs])
    kept = pa.concat_tables([pq.read_table(o) for o in outputs])
    sig = pq.read_table(signatures) if signatures is not None else None
    return outputs, ledger, kept, sig


def assert_same(table: pa.Table, cfg: DedupConfig, root, index=None) -> pa.Table:
    memory = run_stage(DedupStage(cfg, index=index), table, "r1")
    outputs, ledger, kept, sig = streamed(table, cfg, root, index)
    assert [o.name for o in outputs] == [f"dedup-src-{k:05d}.parquet" for k in range(len(outputs))]
    assert ledger.sort_by("doc_id").select(LEDGER) == memory.ledger.sort_by("doc_id").select(LEDGER)
    assert kept.sort_by("doc_id") == conform(memory.table).sort_by("doc_id")
    expected = memory.artifacts["signatures"]
    if expected is None:
        assert sig is None
    else:
        assert sig.sort_by("doc_id").equals(expected.sort_by("doc_id"))
    return ledger


@pytest.mark.parametrize(
    ("rule", "verify"), [("oldest", "estimated"), ("longest", "exact"), ("most_permissive", "none")]
)
def test_streaming_decides_as_the_in_memory_engine(tmp_path, rule, verify):
    cfg = DedupConfig(engine="memory", representative=rule, verify=verify, exact_margin=0.2)
    ledger = assert_same(corpus(), cfg, tmp_path / "run")
    reasons = set(ledger.column("reason").to_pylist())
    assert {"dedup.exact_duplicate", "dedup.near_duplicate"} <= reasons


@pytest.mark.parametrize("verify", ["estimated", "exact"])
def test_streaming_against_the_signature_index(tmp_path, verify):
    cfg = DedupConfig(engine="memory", verify=verify, exact_margin=0.2)
    first = corpus(0, 60)
    committed = run_stage(DedupStage(cfg), first, "r0").artifacts["signatures"]
    index = SignatureIndex.open(tmp_path / "index")
    index.add(committed, version="v1")
    # the next run: copies and edits of committed documents, plus new ones
    second = corpus(40, 60)
    ledger = assert_same(second, cfg, tmp_path / "run", SignatureIndex.open(tmp_path / "index"))
    details = "".join(d for d in ledger.column("details").to_pylist() if d)
    assert "d0004" in details  # a committed document kept over new copies


def test_decisions_need_no_text(tmp_path):
    """Only the sketch step reads a batch's text; the decision step works from the sketches
    (the batches can be gone), which hold ids and hashes and are much smaller."""
    cfg = DedupConfig(engine="memory")
    table = corpus(0, 80)
    paths = RunPaths(tmp_path / "run").ensure()
    batches = stage_batches(table, paths, size=20)
    sketches = [sketch_dedup_batch(b, cfg=cfg, paths=paths) for b in batches]
    for sketch in sketches:
        assert "text" not in pq.read_schema(sketch).names
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    for batch in batches:
        batch.rename(hidden / batch.name)
    plan = decide_dedup(sketches, batches, cfg=cfg, paths=paths)
    assert [pq.read_metadata(d).num_rows for d in plan.decisions] == [20, 20, 20, 20]
    assert plan.stats["exact_duplicates"] and plan.stats["near_duplicates"]


def test_reads_the_text_of_one_batch_at_a_time(tmp_path, monkeypatch):
    """Every Parquet read that includes `text` reads one staged batch, and each batch's text
    is read twice at most: once to sketch it, once to apply its decisions."""
    reads: list[str] = []
    read_table, iter_batches = pq.read_table, pq.ParquetFile.iter_batches

    def record_table(source, *args, columns=None, **kwargs):
        table = read_table(source, *args, columns=columns, **kwargs)
        if "text" in table.column_names:
            reads.append(str(source))
        return table

    def record_batches(self, *args, columns=None, **kwargs):
        if "text" in (columns if columns is not None else self.schema_arrow.names):
            reads.append(str(self._source))
        return iter_batches(self, *args, columns=columns, **kwargs)

    monkeypatch.setattr(pq, "read_table", record_table)
    monkeypatch.setattr(pq.ParquetFile, "iter_batches", record_batches)
    monkeypatch.setattr(
        pq.ParquetFile,
        "__init__",
        _remember_source(pq.ParquetFile.__init__),
    )
    paths = RunPaths(tmp_path / "run").ensure()
    batches = stage_batches(corpus(0, 60), paths, size=20)
    run_dedup(DedupConfig(), batches, run_id="r1", paths=paths)
    assert sorted(set(reads)) == sorted(str(b) for b in batches)
    assert all(reads.count(str(b)) <= 2 for b in batches)


def _remember_source(init):
    def wrapped(self, source, *args, **kwargs):
        self._source = source
        init(self, source, *args, **kwargs)

    return wrapped


def test_staging_row_groups_are_capped_by_bytes(tmp_path, monkeypatch):
    import json

    from curation.dedup import files, outofcore

    monkeypatch.setattr(outofcore, "ROW_GROUP_BYTES", 40_000)
    rows = [{"id": i, "text": prose(i, 400)} for i in range(60)]  # about 3 KB each
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    staging = tmp_path / "staging.parquet"
    files._stage(source, staging, "text", "id", None, tmp_path)
    metadata = pq.read_metadata(staging)
    assert metadata.num_rows == 60
    assert metadata.num_row_groups >= 4
    assert max(metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)) <= 15
