from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.dedup.config import DedupConfig
from curation.dedup.exceptions import DedupInputError
from curation.dedup.outofcore import deduplicate_parquet
from curation.dedup.stage import deduplicate


@pytest.fixture
def corpus(make_prose, make_edit) -> pa.Table:
    """Five page families (original, two revisions, one exact copy) and ten unique pages."""
    rows = []
    for family in range(5):
        base = make_prose(family, 250)
        versions = [base, make_edit(base, 0.01, family), make_edit(base, 0.015, family + 50)]
        versions.append(base.lower())
        rows += [(f"f{family}-{v}", text) for v, text in enumerate(versions)]
    rows += [(f"u{i}", make_prose(100 + i, 250)) for i in range(10)]
    rows.reverse()  # input order must not decide anything
    return pa.table(
        {
            "doc_id": [r[0] for r in rows],
            "text": [r[1] for r in rows],
            "modified_at": [datetime(2026, 1, 1 + i % 20, tzinfo=UTC) for i in range(len(rows))],
        }
    )


@pytest.mark.parametrize("representative", ["oldest", "newest", "longest", "most_permissive"])
def test_out_of_core_equals_in_memory(tmp_path, corpus, representative):
    half = corpus.num_rows // 2
    files = [tmp_path / "a.parquet", tmp_path / "b.parquet"]
    pq.write_table(corpus.slice(0, half), files[0])
    pq.write_table(corpus.slice(half), files[1])
    cfg = DedupConfig(representative=representative)
    result = deduplicate_parquet(files, tmp_path / "work", cfg, batch_size=7)
    expected = deduplicate(corpus, cfg)
    got = pl.read_parquet(result.assignments)
    assert got.columns == ["doc_id", "cluster_id", "duplicate", "reason", "similarity"]
    assert got["doc_id"].to_list() == corpus.column("doc_id").to_pylist()
    assert got["cluster_id"].to_list() == expected.cluster_id.to_pylist()
    assert got["reason"].to_list() == expected.decision.reason.to_pylist()
    assert result.stats["kept"] == 10 + 5
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == [
        "assignments.parquet",
        "rank.parquet",
        "signatures",
    ]


def test_missing_columns_are_reported(tmp_path):
    pq.write_table(pa.table({"id": ["x"], "body": ["y"]}), tmp_path / "bad.parquet")
    with pytest.raises(DedupInputError, match="needs columns doc_id and text"):
        deduplicate_parquet(tmp_path / "bad.parquet", tmp_path / "work", DedupConfig())


def test_dask_tasks_give_the_same_assignments(tmp_path, corpus):
    pq.write_table(corpus, tmp_path / "docs.parquet", row_group_size=6)
    cfg = DedupConfig()
    local = deduplicate_parquet(tmp_path / "docs.parquet", tmp_path / "local", cfg, batch_size=4)
    dask = deduplicate_parquet(
        tmp_path / "docs.parquet", tmp_path / "dask", cfg, batch_size=4, dask_scheduler="threads"
    )
    assert pl.read_parquet(dask.assignments).equals(pl.read_parquet(local.assignments))
    assert dask.stats["kept"] == 15
    with pytest.raises(DedupInputError, match="memory_limit"):
        deduplicate_parquet(tmp_path / "docs.parquet", tmp_path / "x", cfg, memory_limit="1; DROP")


def test_distributed_cluster_runs_sketch_and_band_tasks(tmp_path, corpus):
    """Worker processes of a real LocalCluster give the local run's assignments."""
    from distributed import Client, LocalCluster, get_task_stream

    pq.write_table(corpus, tmp_path / "docs.parquet", row_group_size=6)
    cfg = DedupConfig()
    local = deduplicate_parquet(tmp_path / "docs.parquet", tmp_path / "local", cfg, batch_size=4)
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
        get_task_stream(client) as stream,
    ):
        result = deduplicate_parquet(
            tmp_path / "docs.parquet", tmp_path / "dask", cfg, batch_size=4, dask_scheduler=client
        )
    assert pl.read_parquet(result.assignments).equals(pl.read_parquet(local.assignments))
    assert {k: v for k, v in result.stats.items() if not k.endswith("seconds")} == {
        k: v for k, v in local.stats.items() if not k.endswith("seconds")
    }
    keys = [str(task["key"]) for task in stream.data]
    assert any("_sketch_row_group" in key for key in keys)
    assert sum("_band_pairs" in key for key in keys) == 14  # one task per LSH band
    workers = {task["worker"] for task in stream.data}
    assert len(workers) == 2
