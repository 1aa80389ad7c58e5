from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from curation.dedup.config import DedupConfig
from curation.dedup.exceptions import DedupError, IndexMismatchError
from curation.dedup.index import SignatureIndex
from curation.dedup.reasons import DedupReason
from curation.dedup.stage import deduplicate
from curation.schema import conform


def documents(rows: list[dict]) -> pa.Table:
    return conform(
        pa.Table.from_pylist(
            [{"source_id": "s", "source_uri": f"u:{r['doc_id']}", **r} for r in rows]
        )
    )


@pytest.fixture
def committed(tmp_path, make_prose):
    """Version v1 (three distinct pages) deduplicated and added to an index."""
    v1 = documents(
        [
            {
                "doc_id": f"p{i}",
                "text": make_prose(10 + i, 300),
                "modified_at": datetime(2026, 1, 9, tzinfo=UTC),
            }
            for i in range(3)
        ]
    )
    outcome = deduplicate(v1, DedupConfig())
    index = SignatureIndex.open(tmp_path / "indexes" / "docs" / "dedup")
    assert index.add(outcome.signatures, version="v1") == 3
    return index


def test_new_documents_match_committed_ones_and_index_wins(committed, make_prose, make_edit):
    older_revision = make_edit(make_prose(11, 300), 0.01, 3)
    v2 = documents(
        [
            # older than the committed page: under "oldest" it would win, but p1 is in the set
            {
                "doc_id": "n1",
                "text": older_revision,
                "modified_at": datetime(2025, 1, 1, tzinfo=UTC),
            },
            {"doc_id": "n2", "text": make_prose(12, 300).upper()},  # exact copy of p2
            {"doc_id": "n3", "text": make_prose(99, 300)},
            {"doc_id": "n4", "text": make_edit(make_prose(99, 300), 0.01, 4)},
        ]
    )
    outcome = deduplicate(v2, DedupConfig(), index=SignatureIndex.open(committed.path))
    assert outcome.cluster_id.to_pylist() == ["p1", "p2", "n3", "n3"]
    assert outcome.decision.reason.to_pylist() == [
        DedupReason.NEAR_DUPLICATE,
        DedupReason.EXACT_DUPLICATE,
        None,
        DedupReason.NEAR_DUPLICATE,
    ]
    assert outcome.stats["matched_index"] == 2
    assert outcome.signatures.column("doc_id").to_pylist() == ["n3"]
    committed.add(outcome.signatures, version="v2")
    assert committed.versions() == ["v1", "v2"] and len(committed) == 4


def test_readding_a_version_replaces_it(committed, make_prose):
    outcome = deduplicate(documents([{"doc_id": "z", "text": make_prose(50)}]), DedupConfig())
    committed.add(outcome.signatures, version="v1")
    assert committed.versions() == ["v1"] and len(committed) == 1


def test_reingested_document_is_not_its_own_duplicate(committed, make_prose, make_edit):
    changed = documents([{"doc_id": "p0", "text": make_edit(make_prose(10, 300), 0.01, 8)}])
    outcome = deduplicate(changed, DedupConfig(), index=committed)
    assert outcome.decision.decision.to_pylist() == ["kept"]


def test_removed_documents_no_longer_match(committed, make_prose):
    assert committed.remove(["p1"]) == 1
    again = documents([{"doc_id": "x", "text": make_prose(11, 300)}])
    outcome = deduplicate(again, DedupConfig(), index=committed)
    assert outcome.decision.decision.to_pylist() == ["kept"]
    assert len(committed) == 2


def test_other_parameters_are_refused(committed, make_prose):
    table = documents([{"doc_id": "x", "text": make_prose(1)}])
    with pytest.raises(IndexMismatchError, match="num_perm: 128 vs 64"):
        deduplicate(table, DedupConfig(num_perm=64), index=committed)


def test_version_names_are_not_paths(committed, make_prose):
    outcome = deduplicate(documents([{"doc_id": "x", "text": make_prose(1)}]), DedupConfig())
    with pytest.raises(DedupError, match="not a plain name"):
        committed.add(outcome.signatures, version="../escape")


def test_empty_index_folder_is_fine(tmp_path, make_prose):
    index = SignatureIndex.open(tmp_path / "missing")
    outcome = deduplicate(
        documents([{"doc_id": "x", "text": make_prose(1)}]), DedupConfig(), index=index
    )
    assert outcome.decision.decision.to_pylist() == ["kept"] and len(index) == 0


def test_signatures_survive_a_parquet_round_trip(tmp_path, make_prose):
    """The flow stages signatures as Parquet before the version commits, then adds them."""
    import pyarrow.parquet as pq

    outcome = deduplicate(documents([{"doc_id": "x", "text": make_prose(1)}]), DedupConfig())
    pq.write_table(outcome.signatures, tmp_path / "signatures.parquet")
    index = SignatureIndex.open(tmp_path / "index")
    index.add(pq.read_table(tmp_path / "signatures.parquet"), version="v7")
    again = deduplicate(
        documents([{"doc_id": "y", "text": make_prose(1)}]), DedupConfig(), index=index
    )
    assert again.cluster_id.to_pylist() == ["x"]
    assert index.params["num_perm"] == 128 and index.versions() == ["v7"]


def test_exact_verification_reaches_index_documents(
    tmp_path, make_prose, make_edit, python_shingles
):
    """With `verify: exact` the index keeps shingle sets, so a new revision's similarity to a
    committed page is its true Jaccard, not the MinHash estimate."""
    cfg = DedupConfig(verify="exact", exact_margin=0.5)
    page = make_prose(21, 400)
    v1 = documents([{"doc_id": "p", "text": page}])
    index = SignatureIndex.open(tmp_path / "idx")
    first = deduplicate(v1, cfg)
    assert first.signatures.column_names[-1] == "shingles"
    index.add(first.signatures, version="v1")
    revision = make_edit(page, 0.02, 5)
    outcome = deduplicate(documents([{"doc_id": "r", "text": revision}]), cfg, index=index)
    a, b = set(python_shingles(page, 5)), set(python_shingles(revision, 5))
    detail = json.loads(outcome.decision.details[0].as_py())
    assert detail["kept_doc_id"] == "p"
    assert detail["similarity"] == round(len(a & b) / len(a | b), 4)
    # an index written without shingle sets falls back to the estimate for its documents
    plain = SignatureIndex.open(tmp_path / "plain")
    plain.add(deduplicate(v1, DedupConfig()).signatures, version="v1")
    estimated = deduplicate(documents([{"doc_id": "r", "text": revision}]), cfg, index=plain)
    fallback = json.loads(estimated.decision.details[0].as_py())
    assert fallback["kept_doc_id"] == "p"
    k = fallback["similarity"] * 128  # an estimate is k / num_perm (details round to 4 places)
    assert abs(k - round(k)) < 0.01
    assert fallback["similarity"] != detail["similarity"]
    # erasure removes the stored set with the signature
    assert index.remove(["p"]) == 1 and index.shingles_of(["p"]).height == 0


@pytest.mark.parametrize("verify", ["estimated", "exact"])
def test_adding_a_staged_file_writes_what_adding_its_table_writes(tmp_path, make_prose, verify):
    """A run hands `add` its staged Parquet file, which is streamed instead of read whole."""
    import polars as pl
    import pyarrow.parquet as pq

    rows = [{"doc_id": f"d{i}", "text": make_prose(30 + i % 7, 200)} for i in range(40)]
    rows.append({"doc_id": "empty", "text": ""})  # no tokens: null bands, no band rows
    outcome = deduplicate(documents(rows), DedupConfig(verify=verify))
    staged = tmp_path / "signatures.parquet"
    pq.write_table(outcome.signatures, staged)
    from_table, from_file = SignatureIndex.open(tmp_path / "a"), SignatureIndex.open(tmp_path / "b")

    assert from_table.add(outcome.signatures, version="v1") == outcome.signatures.num_rows
    assert from_file.add(staged, version="v1") == outcome.signatures.num_rows

    kinds = ["signatures", "bands"] + (["shingles"] if verify == "exact" else [])
    for kind in kinds:
        (expected,), (result,) = from_table.files(kind), from_file.files(kind)
        assert pq.read_schema(result) == pq.read_schema(expected)
        assert pl.read_parquet(result).equals(pl.read_parquet(expected))
    bands = pl.read_parquet(from_file.files("bands")[0])
    assert bands.height == (outcome.signatures.num_rows - 1) * from_file.params["bands"]
    assert bands.select("band", "hash").equals(bands.select("band", "hash").sort("band", "hash"))


def test_an_incremental_commit_without_new_signatures_keeps_the_index_in_step(
    committed, make_prose
):
    """Only deletions (or every new document dropped): the index still records the version,
    so the next incremental run does not rebuild it from the whole committed set."""
    from catalogs.signature_index import update_signature_index

    update_signature_index(committed.path, None, "v2", incremental=True, replaced=["p0"])

    index = SignatureIndex.open(committed.path)
    assert index.versions() == ["v1", "v2"]
    assert len(index) == 2  # p0 left; p1 and p2 stay under v1
    # the empty version reads like any other when new documents are matched
    again = documents([{"doc_id": "n1", "text": make_prose(11, 300).upper()}])
    assert deduplicate(again, DedupConfig(), index=index).cluster_id.to_pylist() == ["p1"]
