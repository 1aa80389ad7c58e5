"""`curate dedup --out-of-core` writes what the in-memory command writes, through the real CLI."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from tests_support import run_cli, run_cli_json

WORDS = [f"w{i}" for i in range(400)]


def page(seed: int, n_words: int = 120) -> str:
    rng = np.random.RandomState(seed)
    return " ".join(WORDS[i] for i in rng.randint(0, len(WORDS), n_words))


def revise(text: str, seed: int, substitutions: int) -> str:
    rng = np.random.RandomState(seed)
    words = text.split(" ")
    for i in rng.randint(0, len(words), substitutions):
        words[i] = f"edit{rng.randint(1_000_000)}"
    return " ".join(words)


@pytest.fixture
def corpus(tmp_path):
    """Eight families (revisions, an exact upper-case copy) and thirty unique pages; int ids."""
    rows = []
    for family in range(8):
        base = page(family)
        rows += [base, revise(base, family, 1), revise(base, family + 100, 2), base.upper()]
    rows += [page(1000 + i) for i in range(30)]
    order = np.random.RandomState(3).permutation(len(rows))
    records = [{"doc": int(900 - i), "body": rows[i]} for i in order]
    path = tmp_path / "docs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return path


def test_out_of_core_output_equals_in_memory(tmp_path, corpus):
    fields = ["--id-field", "doc", "--text-field", "body"]
    workspace = tmp_path / "ws"
    memory = run_cli_json(
        ["dedup", str(corpus), "--out", str(tmp_path / "memory.parquet"), *fields],
        workspace=workspace,
    )
    work = tmp_path / "scratch"
    disk = run_cli_json(
        [
            "dedup",
            str(corpus),
            "--out",
            str(tmp_path / "disk.jsonl"),
            *fields,
            "--out-of-core",
            "--work-dir",
            str(work),
            "--memory-limit",
            "256MB",
        ],
        workspace=workspace,
    )
    expected = pl.read_parquet(tmp_path / "memory.parquet")
    result = pl.read_ndjson(tmp_path / "disk.jsonl")
    assert result.columns == ["id", "cluster_id", "duplicate"]
    assert result.equals(expected)
    assert expected["duplicate"].sum() >= 16
    assert disk["out_of_core"] is True
    assert set(disk["phase_seconds"]) == {
        "rank",
        "sketch",
        "exact",
        "candidates",
        "verify",
        "cluster",
        "write",
    }
    same = ["documents", "duplicates", "exact_duplicates", "near_duplicates", "kept"]
    assert {k: disk[k] for k in same} == {k: memory[k] for k in same}
    assert list(work.iterdir()) == []  # intermediate files are removed


def test_out_of_core_parquet_input_and_clean_errors(tmp_path, corpus):
    frame = pl.read_ndjson(corpus)
    frame.write_parquet(tmp_path / "docs.parquet")
    out = tmp_path / "out" / "clusters.parquet"
    result = run_cli(
        ["dedup", str(tmp_path / "docs.parquet"), "--out", str(out), "--id-field", "doc"]
        + ["--text-field", "body", "--out-of-core"],
        workspace=tmp_path / "ws",
    )
    assert result.returncode == 0, result.stderr
    written = pl.read_parquet(out)
    assert written["id"].to_list() == frame["doc"].to_list()
    assert written.schema["cluster_id"] == pl.Int64
    assert [p.name for p in out.parent.iterdir()] == ["clusters.parquet"]

    frame.with_columns(pl.lit(7).alias("doc")).write_parquet(tmp_path / "same_ids.parquet")
    repeated = run_cli(
        ["dedup", str(tmp_path / "same_ids.parquet"), "--out", str(tmp_path / "x.parquet")]
        + ["--id-field", "doc", "--text-field", "body", "--out-of-core"],
        workspace=tmp_path / "ws",
    )
    assert repeated.returncode == 2 and "must be unique" in repeated.stderr
    in_memory = run_cli(
        ["dedup", str(corpus), "--out", str(tmp_path / "y.parquet"), "--work-dir", "w"],
        workspace=tmp_path / "ws",
    )
    assert in_memory.returncode == 2 and "out-of-core" in in_memory.stderr


def test_out_of_core_on_a_dask_scheduler_address(tmp_path, corpus):
    """`--dask-address` sends the sketch and band tasks to an existing cluster's workers."""
    from distributed import LocalCluster

    fields = ["--id-field", "doc", "--text-field", "body"]
    egress = tmp_path / "egress.log"
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        summary = run_cli_json(
            ["dedup", str(corpus), "--out", str(tmp_path / "dask.parquet"), *fields]
            + ["--out-of-core", "--dask-address", cluster.scheduler_address],
            workspace=tmp_path / "ws",
            egress_log=egress,
        )
        done = {
            name: prefix.state_counts["memory"]
            for name, prefix in cluster.scheduler.task_prefixes.items()
        }
    memory = run_cli_json(
        ["dedup", str(corpus), "--out", str(tmp_path / "memory.parquet"), *fields],
        workspace=tmp_path / "ws",
    )
    assert pl.read_parquet(tmp_path / "dask.parquet").equals(
        pl.read_parquet(tmp_path / "memory.parquet")
    )
    assert summary["duplicates"] == memory["duplicates"]
    assert done["band_pairs"] == 14 and done["sketch_row_group"] >= 1  # key_split drops "_"
    assert not egress.exists() or egress.read_text() == ""
