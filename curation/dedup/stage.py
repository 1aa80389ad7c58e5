"""The dedup stage: exact duplicates first, then MinHash-LSH near duplicates, incrementally.

1. Exact: a 128-bit key of each document's normalized text (its lowercase word-token
   sequence, so case, punctuation and whitespace differences do not count) groups exact
   copies; the best-ranked copy stays, unless the index already holds the text.
2. Near: the surviving documents' signatures and band hashes, together with the index rows
   that share a bucket with them, give candidate pairs; pairs are verified (estimated or exact
   Jaccard), joined into union-find components and split around representatives.
Index documents are numbered before new ones, so they always win: they are already in the set.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from curation.dedup import cluster
from curation.dedup.candidates import band_frame, candidate_pairs
from curation.dedup.config import DedupConfig
from curation.dedup.index import SignatureIndex, signature_schema
from curation.dedup.minhash import band_hashes, sketch
from curation.dedup.ranking import representative_order
from curation.dedup.reasons import DedupReason
from curation.dedup.shingles import TOKEN_PATTERN, ShingleBatch, shingle_batch
from curation.dedup.similarity import ShingleSets
from curation.stage import StageDecision

_SIG_EMPTY = np.uint32(0xFFFFFFFF)


@dataclass(frozen=True)
class DedupOutcome:
    """What the dedup stage decided for one batch.

    `decision`: dropped rows carry `dedup.exact_duplicate` / `dedup.near_duplicate` and
    details `{"kept_doc_id", "similarity", "threshold"}`. `cluster_id`: the kept
    representative's doc_id for every row (its own id when kept; an index document's id when
    it matched the committed set). `similarity`: each row's similarity to its representative
    (1.0 for kept rows). `signatures`: the new kept documents' rows for `SignatureIndex.add`.
    """

    decision: StageDecision
    cluster_id: pa.Array
    similarity: pa.Array
    signatures: pa.Table
    stats: dict[str, Any] = field(default_factory=dict)


def index_params(cfg: DedupConfig) -> dict[str, Any]:
    """The MinHash parameters an index must share with a config to be comparable."""
    bands, rows = cfg.band_params()
    return {
        "scheme": "affine32",
        "token_hash": "xxh3_64",
        "tokens": f"lowercase {TOKEN_PATTERN}",
        "ngram": cfg.ngram,
        "num_perm": cfg.num_perm,
        "seed": cfg.seed,
        "bands": bands,
        "rows": rows,
    }


def deduplicate(
    table: pa.Table, cfg: DedupConfig, *, index: SignatureIndex | None = None
) -> DedupOutcome:
    """Decide exact and near duplicates in `table` (DOCUMENT_SCHEMA columns) and against `index`.

    Examples
    --------
    >>> import pyarrow as pa
    >>> base = "the quick brown fox jumps over the lazy dog near the river bank " * 4
    >>> t = pa.table({"doc_id": ["a", "b", "c"], "text": [base, base.upper(), "other words"]})
    >>> out = deduplicate(t, DedupConfig())
    >>> out.decision.decision.to_pylist(), out.cluster_id.to_pylist()
    (['kept', 'dropped', 'kept'], ['a', 'a', 'c'])
    >>> out.decision.reason.to_pylist()[1]
    'dedup.exact_duplicate'
    """
    params = index_params(cfg)
    bands_n, rows_n = params["bands"], params["rows"]
    if index is not None:
        index.check_params(params)
    n = table.num_rows
    doc_ids = pl.Series("doc_id", table.column("doc_id")).cast(pl.String)
    text = table.column("text") if "text" in table.column_names else pa.nulls(n, pa.string())
    sketched = sketch(text, ngram=cfg.ngram, num_perm=cfg.num_perm, seed=cfg.seed)
    order = representative_order(table, cfg.representative)
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n)

    # target: -1 = kept; r >= 0 = row r of the batch; -2 - k = index document k
    target = np.full(n, -1, np.int64)
    similarity = np.ones(n, np.float64)
    reason = np.full(n, None, dtype=object)
    index_ids: list[str] = []

    if cfg.exact:
        _exact(sketched.text_key, rank, doc_ids, index, target, index_ids)
        reason[target != -1] = DedupReason.EXACT_DUPLICATE.value
    survivors = np.flatnonzero(target == -1)
    survivors = survivors[np.argsort(rank[survivors], kind="stable")]
    sig = sketched.signature[survivors]
    bands = band_hashes(sig, bands_n, rows_n)
    nonempty = sketched.shingles[survivors] > 0

    near_stats = _near(
        cfg, text, sig, bands, nonempty, survivors, doc_ids, index, target, similarity, index_ids
    )
    # an exact copy of a row that turned out a near duplicate follows it to the kept document
    via = np.flatnonzero(target >= 0)
    via = via[target[target[via]] != -1]
    target[via], similarity[via] = target[target[via]], similarity[target[via]]
    reason[via] = None
    near_rows = (target != -1) & (reason == None)  # noqa: E711 (object array comparison)
    reason[near_rows] = DedupReason.NEAR_DUPLICATE.value

    all_ids = pa.concat_arrays(
        [doc_ids.to_arrow().cast(pa.string()), pa.array(index_ids, pa.string())]
    )
    pointer = np.where(target == -1, np.arange(n), np.where(target >= 0, target, n - 2 - target))
    cluster_id = all_ids.take(pa.array(pointer))
    drop = target != -1
    details = _details(cluster_id, similarity, drop, cfg.threshold)
    decision = StageDecision.from_masks(n, drop=drop, reason=reason.tolist(), details=details)

    kept_new = target[survivors] == -1
    sig_table = _signature_table(
        doc_ids.to_numpy()[survivors][kept_new],
        sketched.text_key[survivors][kept_new],
        sig[kept_new],
        bands[kept_new],
        nonempty[kept_new],
        params,
    )
    if cfg.verify == "exact":
        # later runs verify their pairs with these documents exactly, not by estimate
        kept_rows = survivors[kept_new]
        sig_table = sig_table.append_column(
            "shingles", shingle_sets(text.take(pa.array(kept_rows, pa.int64())), cfg.ngram)
        )
    stats = {
        "documents": n,
        "exact_duplicates": int((reason == DedupReason.EXACT_DUPLICATE.value).sum()),
        "near_duplicates": int(near_rows.sum()),
        "kept": int((~drop).sum()),
        "matched_index": int((target < -1).sum()),
        **near_stats,
    }
    return DedupOutcome(decision, cluster_id, pa.array(similarity, pa.float64()), sig_table, stats)


def _exact(
    text_key: np.ndarray,
    rank: np.ndarray,
    doc_ids: pl.Series,
    index: SignatureIndex | None,
    target: np.ndarray,
    index_ids: list[str],
) -> None:
    """Point every exact copy at its group's best-ranked row, or at the index's copy."""
    keys = pl.DataFrame(
        {
            "key_hi": text_key[:, 0],
            "key_lo": text_key[:, 1],
            "rank": rank,
            "row": np.arange(len(rank), dtype=np.int64),
        }
    )
    best = keys.group_by("key_hi", "key_lo").agg(pl.col("row").sort_by("rank").first().alias("rep"))
    joined = keys.join(best, on=["key_hi", "key_lo"], how="left").sort("row")
    rep = joined["rep"].to_numpy()
    copies = rep != np.arange(len(rank))
    target[copies] = rep[copies]
    if index is None:
        return
    matches = (
        index.match_keys(text_key[:, 0], text_key[:, 1])
        .filter(~pl.col("doc_id").is_in(doc_ids.implode()))
        .group_by("key_hi", "key_lo")
        .agg(pl.col("doc_id").min())
        .sort("doc_id")
    )
    if not matches.height:
        return
    start = len(index_ids)
    index_ids.extend(matches["doc_id"].to_list())
    matched = keys.join(
        matches.with_columns(pl.int_range(start, start + matches.height).alias("k")),
        on=["key_hi", "key_lo"],
        how="inner",
    )
    rows = matched["row"].to_numpy()
    target[rows] = -2 - matched["k"].to_numpy()


def _near(
    cfg: DedupConfig,
    text: pa.Array | pa.ChunkedArray,
    sig: np.ndarray,
    bands: np.ndarray,
    nonempty: np.ndarray,
    survivors: np.ndarray,
    doc_ids: pl.Series,
    index: SignatureIndex | None,
    target: np.ndarray,
    similarity: np.ndarray,
    index_ids: list[str],
) -> dict[str, Any]:
    """Near-duplicate decisions for `survivors` (rows in representative order)."""
    new_bands = band_frame(np.flatnonzero(nonempty), bands[nonempty])
    index_sig = np.zeros((0, cfg.num_perm), np.uint32)
    m = 0
    if index is not None and new_bands.height:
        hits = index.match_bands(new_bands).filter(~pl.col("doc_id").is_in(doc_ids.implode()))
        matched_ids = hits["doc_id"].unique().sort()
        m = len(matched_ids)
        if m:
            loaded = index.signatures_of(matched_ids)
            loaded = matched_ids.to_frame().join(
                loaded, on="doc_id", how="left", maintain_order="left"
            )
            index_sig = np.asarray(loaded["signature"].to_numpy(), np.uint32).reshape(
                m, cfg.num_perm
            )
            node_of = matched_ids.to_frame().with_columns(pl.int_range(m).alias("node"))
            index_bands = hits.join(node_of, on="doc_id").select(
                pl.col("node").cast(pl.Int64), "band", "hash"
            )
            new_bands = pl.concat(
                [index_bands, new_bands.with_columns(pl.col("node") + m)], how="vertical_relaxed"
            )
    else:
        matched_ids = pl.Series("doc_id", [], dtype=pl.String)
    n_nodes = m + len(survivors)
    all_sig = np.concatenate([index_sig, sig]) if m else sig
    pairs = candidate_pairs(new_bands)
    left, right = pairs["left"].to_numpy(), pairs["right"].to_numpy()
    keep = right >= m  # pairs inside the index are already settled
    left, right = left[keep], right[keep]
    estimate = cluster.estimated_similarity(all_sig)
    exact = None
    if cfg.verify == "exact":
        stored = None
        if index is not None and m:
            stored = (
                matched_ids.to_frame()
                .with_columns(pl.int_range(m).alias("node"))
                .join(index.shingles_of(matched_ids), on="doc_id", how="inner")
                .sort("node")
            )
        exact = _ExactJaccard(text, survivors, np.union1d(left, right), m, cfg.ngram, stored)

    def measure(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        values = estimate(a, b)
        if exact is not None:
            near = (np.abs(values - cfg.threshold) <= cfg.exact_margin) & exact.covers(a, b)
            if near.any():
                values[near] = exact(a[near], b[near])
        return values

    if cfg.verify == "none":
        verified = np.ones(len(left), bool)
    else:
        verified = measure(left, right) >= cfg.threshold
    label = cluster.components(n_nodes, left[verified], right[verified])
    fixed = np.arange(n_nodes) < m
    centre, score = cluster.assign(label, fixed, measure, cfg.kept_similarity)

    new_nodes = np.arange(m, n_nodes)
    dup = centre[new_nodes] != new_nodes
    rows = survivors[dup]
    centres = centre[new_nodes][dup]
    start = len(index_ids)
    index_ids.extend(matched_ids.to_list())
    target[rows] = np.where(
        centres >= m, survivors[np.maximum(centres - m, 0)], -2 - (start + centres)
    )
    similarity[rows] = score[new_nodes][dup]
    return {
        "candidate_pairs": int(len(left)),
        "verified_pairs": int(verified.sum()),
        "index_candidates": int(m),
    }


class _ExactJaccard:
    """True Jaccard of node pairs; shingles the new documents of the candidate pairs once.

    Index documents (nodes below `m`) take their shingle sets from the index, where runs with
    `verify: exact` store them; an index document without a stored set (written by a run with
    another `verify`) is not covered, and its pairs keep the estimate.
    """

    def __init__(
        self,
        text: pa.Array | pa.ChunkedArray,
        survivors: np.ndarray,
        nodes: np.ndarray,
        m: int,
        ngram: int,
        stored: pl.DataFrame | None = None,
    ):
        new_nodes = nodes[nodes >= m]
        batch = shingle_batch(text.take(pa.array(survivors[new_nodes - m], pa.int64())), ngram)
        hashes, counts = [batch.hashes], [batch.counts()]
        index_nodes = np.zeros(0, np.int64)
        if stored is not None and stored.height:
            # stored: doc_id, node, shingles (only the documents that have a stored set)
            index_nodes = stored["node"].to_numpy().astype(np.int64)
            lists = stored["shingles"]
            hashes.insert(0, lists.explode().drop_nulls().to_numpy().astype(np.uint32))
            counts.insert(0, lists.list.len().to_numpy().astype(np.int64))
        self.nodes = np.concatenate([index_nodes, new_nodes])
        all_counts = np.concatenate(counts)
        offsets = np.zeros(len(all_counts) + 1, np.int64)
        np.cumsum(all_counts, out=offsets[1:])
        n = len(all_counts)
        self.sets = ShingleSets(
            ShingleBatch(
                np.concatenate(hashes), offsets, np.zeros(n, np.int64), np.zeros((n, 2), np.uint64)
            )
        )

    def covers(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Pairs whose two documents both have a shingle set here."""
        return self._has(left) & self._has(right)

    def _has(self, nodes: np.ndarray) -> np.ndarray:
        at = np.minimum(np.searchsorted(self.nodes, nodes), max(len(self.nodes) - 1, 0))
        return (self.nodes[at] == nodes) if len(self.nodes) else np.zeros(len(nodes), bool)

    def __call__(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        return self.sets.jaccard(
            np.searchsorted(self.nodes, left), np.searchsorted(self.nodes, right)
        )


def shingle_sets(texts: pa.Array | pa.ChunkedArray, ngram: int) -> pa.Array:
    """Each text's distinct shingle hashes (sorted) as a `list<uint32>` column."""
    batch = shingle_batch(texts, ngram)
    sets = ShingleSets(batch)
    values = pa.array((sets.keys & np.uint64(0xFFFFFFFF)).astype(np.uint32))
    return pa.ListArray.from_arrays(pa.array(sets.offsets.astype(np.int32)), values)


def _details(
    cluster_id: pa.Array, similarity: np.ndarray, drop: np.ndarray, threshold: float
) -> pa.Array:
    """JSON details per dropped row, built column-wise (keys sorted like `details_json`)."""
    frame = pl.DataFrame(
        {
            "kept_doc_id": pl.Series(cluster_id).cast(pl.String),
            "similarity": np.round(similarity, 4),
            "threshold": np.full(len(similarity), threshold),
        }
    )
    encoded = frame.select(
        pl.when(pl.Series(drop)).then(pl.struct(pl.all()).struct.json_encode()).alias("details")
    )["details"]
    return encoded.to_arrow().cast(pa.string())


def _signature_table(
    doc_ids: np.ndarray,
    keys: np.ndarray,
    sig: np.ndarray,
    bands: np.ndarray,
    nonempty: np.ndarray,
    params: dict[str, Any],
) -> pa.Table:
    schema = signature_schema(params["num_perm"], params["bands"]).with_metadata(
        {"curation.dedup.params": json.dumps(params, sort_keys=True)}
    )
    n, num_perm = sig.shape
    band_values = pa.FixedSizeListArray.from_arrays(pa.array(bands.reshape(-1)), params["bands"])
    # documents without tokens have no buckets: their empty signatures would all collide
    band_values = pa.FixedSizeListArray.from_arrays(
        band_values.values, params["bands"], mask=pa.array(~nonempty)
    )
    return pa.Table.from_arrays(
        [
            pa.array(doc_ids.astype(object) if n else [], pa.string()),
            pa.array(keys[:, 0]),
            pa.array(keys[:, 1]),
            pa.FixedSizeListArray.from_arrays(pa.array(sig.reshape(-1)), num_perm),
            band_values,
        ],
        schema=schema.remove_metadata().with_metadata(schema.metadata),
    )
