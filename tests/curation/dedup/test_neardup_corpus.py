"""The stage on real revision histories (../shared/data/neardup), against exact Jaccard."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pytest

from curation.dedup.config import DedupConfig
from curation.dedup.shingles import tokenize
from curation.dedup.stage import deduplicate

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def corpus(request) -> tuple[pl.DataFrame, pl.DataFrame]:
    shared = request.getfixturevalue("shared_data") / "neardup"
    if not (shared / "docs.jsonl").is_file():
        pytest.skip(f"needs {shared}/docs.jsonl")
    docs = pl.read_ndjson(shared / "docs.jsonl").select(
        "id", "text", "commit_time", "lineage", "n_tokens"
    )
    lineages = docs["lineage"].unique().sort().head(40)
    docs = docs.filter(pl.col("lineage").is_in(lineages.implode()))
    pairs = pl.read_csv(shared / "pairs.csv", columns=["doc_a", "doc_b", "jaccard"]).filter(
        pl.col("doc_a").is_in(docs["id"].implode()) & pl.col("doc_b").is_in(docs["id"].implode())
    )
    return docs, pairs


def test_tokens_match_the_ground_truth_tokenizer(corpus):
    docs, _ = corpus
    counts = tokenize(docs["text"]).list.len()
    assert (counts == docs["n_tokens"]).all()


def test_clusters_reach_the_issue_targets(corpus):
    docs, pairs = corpus
    table = pa.table(
        {
            "doc_id": docs["id"].to_arrow().cast(pa.string()),
            "text": docs["text"].to_arrow(),
            "modified_at": docs["commit_time"].str.to_datetime(time_zone="UTC").to_arrow(),
        }
    )
    outcome = deduplicate(table, DedupConfig())
    assignment = pl.DataFrame({"doc": docs["id"], "cluster": pl.Series(outcome.cluster_id)})
    predicted = (
        assignment.join(assignment, on="cluster", suffix="_b")
        .filter(pl.col("doc") < pl.col("doc_b"))
        .select(a="doc", b="doc_b")
    )
    truth = pairs.select(
        a=pl.min_horizontal("doc_a", "doc_b"), b=pl.max_horizontal("doc_a", "doc_b"), j="jaccard"
    )
    hits = truth.join(predicted.with_columns(hit=pl.lit(True)), on=["a", "b"], how="left")
    hits = hits.with_columns(pl.col("hit").fill_null(False))
    assert hits.filter(pl.col("j") >= 0.9)["hit"].mean() >= 0.97
    assert hits.filter(pl.col("j") >= 0.8)["hit"].mean() >= 0.90
    scored = predicted.join(truth, on=["a", "b"], how="left").fill_null(0.0)
    assert predicted.height > 1000
    assert (scored["j"] < 0.5).mean() < 0.01


def test_whole_corpus_token_counts(shared_data):
    """Superscript digits and other non-decimal numbers are words, as for Python's re."""
    docs = pl.read_ndjson(shared_data / "neardup" / "docs.jsonl").select("text", "n_tokens")
    assert (tokenize(docs["text"]).list.len() == docs["n_tokens"]).all()
