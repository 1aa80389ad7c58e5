"""A version committed from staged files, one bounded group at a time: the same rows, stats and
reconciliation as the in-memory path, with a peak allocation far below the run's text."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyiceberg.catalog.sql import SqlCatalog

from catalogs.reconcile import reconcile_files
from catalogs.stats import StatsAccumulator, _decision_counts, compute_version_stats
from catalogs.versions import commit_version, read_ledger, read_version
from curation.ledger import ledger_table, reconcile
from curation.schema import conform

BATCHES = 40
DOCS_PER_BATCH = 25
TEXT_PER_DOC = 40_000  # 40 batches x 1 MB of text


def batch(index: int, *, text_bytes: int = TEXT_PER_DOC) -> pa.Table:
    """One staged batch; doc ids interleave across batches so no batch is a sorted range."""
    ids = [f"doc-{(i * BATCHES + index):06d}" for i in range(DOCS_PER_BATCH)][::-1]
    words = [f"w{index}x{i} " * (text_bytes // 5 + 1) for i in range(DOCS_PER_BATCH)]
    return conform(
        pa.table(
            {
                "doc_id": ids,
                "text": [w[:text_bytes] for w in words],
                "source_id": ["hr" if i % 3 else "legal" for i in range(DOCS_PER_BATCH)],
                "source_uri": [f"file:///{index}/{i}" for i in range(DOCS_PER_BATCH)],
                "content_sha256": [f"{index:02x}{i:04x}" for i in range(DOCS_PER_BATCH)],
                "size_bytes": pa.array([text_bytes + i for i in range(DOCS_PER_BATCH)], pa.int64()),
                "lang": ["en" if i % 4 else None for i in range(DOCS_PER_BATCH)],
                "quality_score": pa.array(
                    [None if i % 5 == 0 else (i % 11) / 10 for i in range(DOCS_PER_BATCH)],
                    pa.float32(),
                ),
                "pii_counts": [
                    [{"key": "EMAIL", "value": i % 3}, {"key": "PERSON", "value": 1}]
                    if i % 2
                    else []
                    for i in range(DOCS_PER_BATCH)
                ],
            }
        )
    )


def stage(folder: Path, *, batches: int, text_bytes: int) -> tuple[list[Path], list[Path]]:
    """Staged final batches and ledger parts of a run whose every input was kept but one batch's
    worth of drops recorded at quality."""
    (folder / "documents").mkdir(parents=True)
    (folder / "ledger").mkdir(parents=True)
    documents, ledgers = [], []
    for index in range(batches):
        rows = batch(index, text_bytes=text_bytes)
        documents.append(folder / "documents" / f"final-{index:05d}.parquet")
        pq.write_table(rows, documents[-1])
        ids = rows.column("doc_id")
        for stage_name, decision in (("ingest", "kept"), ("quality", "kept")):
            ledgers.append(folder / "ledger" / f"{stage_name}-{index:05d}.parquet")
            pq.write_table(ledger_table("r1", stage_name, ids, [decision] * len(ids)), ledgers[-1])
    dropped = ledger_table("r1", "ingest", ["gone-1", "gone-2"], ["kept", "kept"])
    pq.write_table(dropped, folder / "ledger" / "ingest-zz.parquet")
    quality = ledger_table("r1", "quality", ["gone-1", "gone-2"], ["dropped"] * 2, ["short"] * 2)
    pq.write_table(quality, folder / "ledger" / "quality-zz.parquet")
    ledgers += [folder / "ledger" / "ingest-zz.parquet", folder / "ledger" / "quality-zz.parquet"]
    return documents, ledgers


def catalog_at(folder: Path) -> SqlCatalog:
    folder.mkdir(parents=True, exist_ok=True)
    return SqlCatalog(
        "t", uri=f"sqlite:///{folder}/catalog.db", warehouse=f"file://{folder}/warehouse"
    )


COMMIT = dict(run_id="r1", spec_fingerprint="f", code_version="0", summary={"kept": 1})


def test_stats_merged_per_batch_equal_the_stats_of_the_whole_table():
    tables = [batch(i, text_bytes=300) for i in range(5)]
    ledger = pa.concat_tables(
        [ledger_table("r", "ingest", t.column("doc_id"), ["kept"] * t.num_rows) for t in tables]
        + [ledger_table("r", "quality", ["x"], ["dropped"], ["short"])]
    )
    merged = StatsAccumulator()
    for table in tables:
        merged.add(table)
    whole = compute_version_stats(pa.concat_tables(tables), ledger, at_commit=True)
    assert json.dumps(merged.result(_decision_counts(ledger))) == json.dumps(whole)


def test_stats_of_no_rows_equal_those_of_an_empty_table():
    ledger = ledger_table("r", "ingest", [], [])
    whole = compute_version_stats(conform(pa.table({"doc_id": pa.array([], pa.string())})), ledger)
    assert StatsAccumulator().result(_decision_counts(ledger)) == {
        **whole,
        "computed_at_commit": True,
    }


@pytest.mark.parametrize(
    "kept, extra",
    [
        (["a", "b"], []),  # reconciles
        (["a", "b", "c"], []),  # a dropped document is kept too
        (["a"], []),  # an input without an outcome
        (["a", "b"], [("quality", "c", "quarantined", None)]),  # two terminal decisions
    ],
)
def test_the_file_reconciliation_equals_the_in_memory_one(tmp_path, kept, extra):
    ledger = pa.concat_tables(
        [
            ledger_table("r", "ingest", ["a", "b", "c"], ["kept"] * 3),
            ledger_table("r", "license", ["c"], ["dropped"], ["license.denied"]),
        ]
        + [ledger_table("r", s, [d], [o], [r]) for s, d, o, r in extra]
    )
    pq.write_table(ledger, tmp_path / "ledger.parquet")
    pq.write_table(pa.table({"doc_id": kept}), tmp_path / "kept.parquet")
    streamed = reconcile_files([tmp_path / "ledger.parquet"], [tmp_path / "kept.parquet"])
    assert streamed.as_dict() == reconcile(ledger, ledger.column("doc_id")[:3], kept).as_dict()


MEASURE = """
import json, sys
from pathlib import Path
import pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog
import catalogs.versions as versions
folder = Path(sys.argv[1])
catalog = SqlCatalog("t", uri=f"sqlite:///{folder}/catalog.db",
                     warehouse=f"file://{folder}/warehouse")
documents = sorted((folder / "run" / "documents").glob("*.parquet"))
ledger = sorted((folder / "run" / "ledger").glob("*.parquet"))
versions.WRITE_GROUP_BYTES = 2 * 2**20
pool = pa.default_memory_pool()
before = pool.max_memory()
versions.commit_version(catalog, "curated.big", documents, ledger, run_id="r1",
    spec_fingerprint="f", code_version="0", summary={"kept": 1})
print(json.dumps({"before": before, "peak": pool.max_memory(), "backend": pool.backend_name}))
"""


def test_a_run_larger_than_the_commits_memory_commits_the_same_version(tmp_path):
    documents, ledgers = stage(tmp_path / "run", batches=BATCHES, text_bytes=TEXT_PER_DOC)
    text_size = sum(
        pq.read_table(p, columns=["text"]).column("text").combine_chunks().nbytes for p in documents
    )
    assert text_size >= 40 * 2**20 * 0.95
    streamed_at = tmp_path / "streamed"
    catalog_at(streamed_at)
    (streamed_at / "run").symlink_to(tmp_path / "run")
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(MEASURE), str(streamed_at)],
        capture_output=True,
        text=True,
        check=True,
    )
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    # one group (2 MB plus a batch) of text, its sorted copy, the Parquet writer's pages and the
    # stats' per-batch columns: 16 MB measured, against 42 MB of text that the run holds
    assert measured["peak"] < min(18 * 2**20, text_size / 2), measured

    reference = catalog_at(tmp_path / "reference")
    commit_version(
        reference,
        "curated.big",
        pa.concat_tables([pq.read_table(p) for p in documents]),
        pa.concat_tables([pq.read_table(p) for p in ledgers]),
        **COMMIT,
    )
    streamed = catalog_at(streamed_at)
    rows = read_version(streamed, "curated.big").sort_by("doc_id")
    assert rows.equals(read_version(reference, "curated.big").sort_by("doc_id"))
    assert rows.num_rows == BATCHES * DOCS_PER_BATCH
    stats = [
        c.load_table("curated.big").current_snapshot().summary.additional_properties
        for c in (streamed, reference)
    ]
    assert stats[0]["curate.stats"] == stats[1]["curate.stats"]
    assert read_ledger(streamed, "curated.big").num_rows == 2 * BATCHES * DOCS_PER_BATCH + 4
    # each data file is sorted by doc_id and holds a bounded group, not the run
    table = streamed.load_table("curated.big")
    files = list(table.scan().plan_files())
    assert len(files) > 1
    for task in files:
        ids = pq.read_table(task.file.file_path.removeprefix("file://"), columns=["doc_id"])
        assert ids.column("doc_id").to_pylist() == sorted(ids.column("doc_id").to_pylist())
