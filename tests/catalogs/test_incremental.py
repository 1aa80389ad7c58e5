"""The incremental carry over a run's ingested batches: carried and standing documents are
taken out, the rest goes on packed into full batches, each ingested batch keeps its ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from catalogs.incremental import carry_unchanged, split_unchanged
from curation.runs import RunPaths
from curation.schema import conform


def documents(source: str, numbers: range, *, text: bool = True) -> pa.Table:
    ids = [f"{source}-{n}" for n in numbers]
    return conform(
        pa.table(
            {
                "doc_id": ids,
                "source_id": [source] * len(ids),
                "source_uri": [f"file:///{i}" for i in ids],
                "content_sha256": [f"sha-{i}" for i in ids],
                "text": [f"text of {i}" if text else None for i in ids],
            }
        )
    )


@pytest.fixture()
def run(tmp_path: Path):
    """Five ingested batches of two sources; the previous version holds most of their
    documents with the same bytes, and one unread document has a standing quality drop."""
    paths = RunPaths(tmp_path / "run").ensure()
    tables = [
        documents("hr", range(0, 10)),
        documents("hr", range(10, 20)),
        documents("hr", range(20, 23)),
        documents("wiki", range(0, 10)),
        documents("wiki", range(10, 12), text=False),
    ]
    batches = []
    for number, table in enumerate(tables):
        source = table.column("source_id")[0].as_py()
        batches.append(paths.documents / f"ingest-{source}-{number:05d}.parquet")
        pq.write_table(table, batches[-1])
    # hr-3 and hr-15 changed (other bytes before), hr-20..22 are new, wiki-10 and wiki-11 were
    # not in the version (dropped before)
    every = pa.concat_tables(tables)
    absent = {"hr-20", "hr-21", "hr-22", "wiki-10", "wiki-11"}
    previous = pa.Table.from_pylist(
        [
            {"doc_id": d, "content_sha256": "old" if d in ("hr-3", "hr-15") else sha}
            for d, sha in zip(
                every["doc_id"].to_pylist(), every["content_sha256"].to_pylist(), strict=True
            )
            if d not in absent
        ]
    )
    standing = pa.table(
        {
            "doc_id": ["wiki-10"],
            "content_sha256": ["sha-wiki-10"],
            "decision_stage": ["quality"],
            "decision": ["dropped"],
            "decision_reason": ["quality.gopher_short_doc"],
            "decision_details": [json.dumps({"words": 3})],
        }
    )
    return paths, batches, previous, standing


def test_survivors_are_packed_in_ingest_order_and_each_batch_keeps_its_ledger(run):
    paths, batches, previous, standing = run

    result = carry_unchanged(
        batches, previous=previous, run_id="r2", paths=paths, batch_size=4, standing=standing
    )

    # survivors: hr-3, hr-15, hr-20, hr-21, hr-22 (changed or new), wiki-11 (unread, no
    # standing decision): six rows, in ingest order, in batches of four
    assert [p.name for p in result] == ["incremental-00000.parquet", "incremental-00001.parquet"]
    assert [pq.read_table(p).column("doc_id").to_pylist() for p in result] == [
        ["hr-3", "hr-15", "hr-20", "hr-21"],
        ["hr-22", "wiki-11"],
    ]
    parts = sorted(p.name for p in paths.ledger.glob("*.parquet"))
    assert parts == [f"incremental-{b.name.removeprefix('ingest-')}" for b in batches]
    ledger = pa.concat_tables(pq.read_table(p) for p in sorted(paths.ledger.glob("*.parquet")))
    decided = dict(zip(ledger["doc_id"].to_pylist(), ledger["decision"].to_pylist(), strict=True))
    assert decided["wiki-10"] == "dropped"  # the standing decision, without the stages
    assert decided["hr-0"] == "kept" and "hr-3" not in decided
    assert len(decided) == 35 - 6  # one ledger row per document that does not go on


def test_the_packed_survivors_are_those_of_each_batch_split_alone(run, tmp_path):
    paths, batches, previous, standing = run

    packed = carry_unchanged(
        batches, previous=previous, run_id="r2", paths=paths, batch_size=256, standing=standing
    )
    alone_paths = RunPaths(tmp_path / "alone").ensure()
    alone = [
        split_unchanged(b, previous=previous, run_id="r2", paths=alone_paths, standing=standing)
        for b in batches
    ]

    expected = pa.concat_tables(pq.read_table(p) for p in alone)
    assert len(packed) == 1
    assert pq.read_table(packed[0]).equals(expected)
    for batch in batches:
        name = "incremental-" + batch.name.removeprefix("ingest-")
        assert pq.read_table(paths.ledger / name).equals(pq.read_table(alone_paths.ledger / name))


def test_a_finished_carry_is_skipped_and_a_cut_off_one_done_again(run):
    paths, batches, previous, standing = run
    first = carry_unchanged(
        batches, previous=previous, run_id="r2", paths=paths, batch_size=4, standing=standing
    )
    written = [p.stat().st_mtime_ns for p in first]

    again = carry_unchanged(
        batches, previous=previous, run_id="r2", paths=paths, batch_size=4, standing=standing
    )
    assert again == first
    assert [p.stat().st_mtime_ns for p in again] == written

    # cut off before it recorded itself finished, with a stray packed batch left behind
    (paths.steps_done / "incremental.json").unlink()
    stray = paths.documents / "incremental-00007.parquet"
    pq.write_table(documents("hr", range(99, 100)), stray)
    redone = carry_unchanged(
        batches, previous=previous, run_id="r2", paths=paths, batch_size=4, standing=standing
    )
    assert not stray.exists()
    assert [pq.read_table(p).column("doc_id").to_pylist() for p in redone] == [
        ["hr-3", "hr-15", "hr-20", "hr-21"],
        ["hr-22", "wiki-11"],
    ]


def test_nothing_left_to_run_packs_no_batch(run):
    paths, batches, _, _ = run
    every = pa.concat_tables(pq.read_table(b) for b in batches)
    previous = every.select(["doc_id", "content_sha256"])

    result = carry_unchanged(batches, previous=previous, run_id="r2", paths=paths, batch_size=4)

    assert result == []
    assert list(paths.documents.glob("incremental-*")) == []
