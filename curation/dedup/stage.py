"""The dedup stage: exact duplicates first, then MinHash-LSH near duplicates, incrementally.

`DedupStage` is the stage of a run (`curation.stage` contract, run scope); it hands the batch
to one of two engines that decide identically: `deduplicate` below (in memory) or
`curation.dedup.outofcore.deduplicate_table` (DuckDB over Parquet, for more than memory).

1. Exact: a 128-bit key of each document's normalized text (its lowercase word-token
   sequence, so case, punctuation and whitespace differences do not count) groups exact
   copies; the best-ranked copy stays, unless the index already holds the text.
2. Near: the surviving documents' signatures and band hashes, together with the index rows
   that share a bucket with them, give candidate pairs; pairs are verified (estimated or exact
   Jaccard), joined into union-find components and split around representatives.
Index documents are numbered before new ones, so they always win: they are already in the set.
"""

from __future__ import annotations

import logging
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from curation.dedup import cluster
from curation.dedup.candidates import band_frame, candidate_pairs
from curation.dedup.config import DedupConfig
from curation.dedup.index import SignatureIndex, signature_table
from curation.dedup.minhash import SKETCH_BATCH, band_hashes, sketch
from curation.dedup.ranking import representative_order
from curation.dedup.reasons import DedupReason
from curation.dedup.shingles import TOKEN_PATTERN, shingle_batch
from curation.dedup.similarity import NodeSets, list_parts, sets_column
from curation.stage import Scope, Stage, StageDecision, StageOutput

log = logging.getLogger(__name__)


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
    decided = _decide(table, cfg, index)
    n, target, similarity = decided.n, decided.target, decided.similarity
    all_ids = pa.concat_arrays(
        [decided.doc_ids.to_arrow().cast(pa.string()), _strings(decided.index_ids)]
    )
    cluster_id = all_ids.take(_numpy_to_arrow(decided.pointer()))
    drop = target != -1
    details = dedup_details(cluster_id, similarity, drop, cfg.threshold)
    decision = StageDecision.from_masks(
        n, drop=drop, reason=decided.reason.tolist(), details=details
    )

    survivors = decided.survivors
    kept_new = target[survivors] == -1
    kept_rows = survivors[kept_new]
    sig_table = signature_table(
        decided.doc_ids.to_numpy()[kept_rows],
        decided.text_key[kept_rows],
        decided.sig[kept_new],
        decided.bands[kept_new],
        decided.nonempty[kept_new],
        decided.params,
        # later runs verify their pairs with these documents exactly, not by estimate
        shingle_sets(decided.text, cfg.ngram, kept_rows) if cfg.verify == "exact" else None,
    )
    return DedupOutcome(decision, cluster_id, _numpy_to_arrow(similarity), sig_table, decided.stats)


def representatives(table: pa.Table, cfg: DedupConfig) -> tuple[np.ndarray, dict[str, Any]]:
    """Each row's kept representative as a row number (its own when kept), and the stats.

    `deduplicate`'s decisions without what only a run needs (ledger reasons and details, the
    signatures for the index): what `curate dedup` writes, with no index to match.

    Examples
    --------
    >>> base = "the quick brown fox jumps over the lazy dog near the river bank " * 4
    >>> t = pa.table({"doc_id": ["a", "b", "c"], "text": [base, base.upper(), "other words"]})
    >>> representatives(t, DedupConfig())[0].tolist()
    [0, 0, 2]
    """
    decided = _decide(table, cfg, None)
    return decided.pointer(), decided.stats


@dataclass(frozen=True)
class _Decided:
    """`deduplicate`'s decisions and the sketches they came from (see `_decide`)."""

    n: int
    doc_ids: pl.Series
    text: pa.Array | pa.ChunkedArray
    params: dict[str, Any]
    text_key: np.ndarray
    survivors: np.ndarray  # rows left after exact dedup, in representative order
    sig: np.ndarray  # the survivors' signatures, band hashes and whether they have shingles
    bands: np.ndarray
    nonempty: np.ndarray
    # -1 = kept; r >= 0 = row r of the batch; -2 - k = index document k (`index_ids[k]`)
    target: np.ndarray
    similarity: np.ndarray
    reason: np.ndarray
    index_ids: list[str]
    stats: dict[str, Any]

    def pointer(self) -> np.ndarray:
        """Each row's representative: its row, or n + k for index document k."""
        n, target = self.n, self.target
        return np.where(target == -1, np.arange(n), np.where(target >= 0, target, n - 2 - target))


def _decide(table: pa.Table, cfg: DedupConfig, index: SignatureIndex | None) -> _Decided:
    """Exact then near-duplicate decisions for every row of `table`, against `index`."""
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
    reason[cluster.follow_copies(target, similarity)] = None
    near_rows = (target != -1) & (reason == None)  # noqa: E711 (object array comparison)
    reason[near_rows] = DedupReason.NEAR_DUPLICATE.value
    stats = {
        "documents": n,
        "exact_duplicates": int((reason == DedupReason.EXACT_DUPLICATE.value).sum()),
        "near_duplicates": int(near_rows.sum()),
        "kept": int((target == -1).sum()),
        "matched_index": int((target < -1).sum()),
        **near_stats,
    }
    return _Decided(
        n,
        doc_ids,
        text,
        params,
        sketched.text_key,
        survivors,
        sig,
        bands,
        nonempty,
        target,
        similarity,
        reason,
        index_ids,
        stats,
    )


def _numpy_to_arrow(values: np.ndarray) -> pa.Array:
    """A 1-d numpy array as Arrow, through polars: `pa.array` imports pandas on first use
    (about 0.15 s of CPU), which dedup never needs otherwise."""
    return pl.Series(values).to_arrow()


def _strings(values: list[str]) -> pa.Array:
    """A list of str as an Arrow `string` array, through polars (see `_numpy_to_arrow`)."""
    return pl.Series(values, dtype=pl.String).to_arrow().cast(pa.string())


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
        exact = _exact_sets(text, survivors, np.union1d(left, right), m, cfg.ngram, stored)
    measure = cluster.verified_similarity(
        estimate,
        exact,
        exact.covers if exact is not None else None,
        cfg.threshold,
        cfg.exact_margin,
    )

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


def _exact_sets(
    text: pa.Array | pa.ChunkedArray,
    survivors: np.ndarray,
    nodes: np.ndarray,
    m: int,
    ngram: int,
    stored: pl.DataFrame | None = None,
) -> NodeSets:
    """Shingle sets of candidate `nodes`: new documents shingled once from their text, index
    documents (nodes below `m`) from the sets runs with `verify: exact` stored in the index (an
    index document without one is not covered, and its pairs keep the estimate)."""
    new_nodes = nodes[nodes >= m]
    batch = shingle_batch(_take_texts(text, survivors[new_nodes - m]), ngram)
    parts = [(new_nodes, batch.hashes, batch.counts())]
    if stored is not None and stored.height:
        # stored: doc_id, node, shingles (only the documents that have a stored set)
        parts.append(list_parts(stored["node"].to_numpy(), stored["shingles"].to_arrow()))
    return NodeSets.concat(parts)


def shingle_sets(
    texts: pa.Array | pa.ChunkedArray, ngram: int, rows: np.ndarray | None = None
) -> pa.Array:
    """Each text's (or, with `rows`, each of those rows') distinct shingle hashes (sorted) as a
    `list<uint32>` column.

    Built `SKETCH_BATCH` texts at a time, as signatures are: token lists, unsorted hashes and
    copies of the texts of a whole run would take several times its text.
    """
    n = len(texts) if rows is None else len(rows)
    parts = []
    for lo in range(0, n, SKETCH_BATCH):
        if rows is None:
            chunk = texts.slice(lo, SKETCH_BATCH)
        else:
            chunk = _take_texts(texts, rows[lo : lo + SKETCH_BATCH])
        parts.append(sets_column(shingle_batch(chunk, ngram)))
    if not parts:
        return pa.array([], pa.list_(pa.uint32()))
    return pa.concat_arrays(parts) if len(parts) > 1 else parts[0]


def _take_texts(texts: pa.Array | pa.ChunkedArray, rows: np.ndarray) -> pa.Array:
    """`texts[rows]`; string views (as `curate dedup` passes polars' text without a copy)
    through polars, since Arrow's `take` has no kernel for them."""
    if pa.types.is_string_view(texts.type):
        return pl.Series(texts).gather(rows).to_arrow()
    return texts.take(pa.array(rows, pa.int64()))


def dedup_details(
    cluster_id: pa.Array, similarity: np.ndarray, drop: np.ndarray, threshold: float
) -> pa.Array:
    """JSON details per dropped row, built column-wise (keys sorted, as
    `curation.ledger.details_json` writes them)."""
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


@dataclass(frozen=True)
class DedupStage:
    """Exact and near-duplicate removal over every document of a run, against `index`.

    `process` fills `dedup_cluster` (the kept representative's doc_id; an index document's id
    when a document matched the committed set), drops duplicates with `dedup.exact_duplicate`
    / `dedup.near_duplicate` and details `{"kept_doc_id", "similarity", "threshold"}`, and
    returns artifacts `signatures` (the kept documents' rows for `SignatureIndex.add`, None
    when there are none) and `stats` (counts, and the engine chosen with the reason).

    The engine is `cfg.engine`; `auto` goes out of core above `cfg.out_of_core_above_rows`
    documents or `cfg.out_of_core_above_bytes` of text. Out of core, the batch's dedup
    columns are written to a fresh folder inside `work_dir` (default: the system's temporary
    folder), removed afterwards since it holds unredacted text; DuckDB spills there beyond
    `memory_limit`.

    Examples
    --------
    >>> base = "the quick brown fox jumps over the lazy dog near the river bank " * 4
    >>> t = pa.table({"doc_id": ["a", "b", "c"], "text": [base, base.upper(), "other words"]})
    >>> out = DedupStage(DedupConfig(engine="memory")).process(t)
    >>> out.table.column("dedup_cluster").to_pylist(), out.decision.decision.to_pylist()
    (['a', 'a', 'c'], ['kept', 'dropped', 'kept'])
    >>> out.artifacts["signatures"].column("doc_id").to_pylist()
    ['a', 'c']
    """

    name: ClassVar[Stage] = Stage.DEDUP
    scope: ClassVar[Scope] = Scope.RUN

    cfg: DedupConfig
    _: KW_ONLY
    index: SignatureIndex | None = None
    work_dir: Path | None = None
    memory_limit: str | None = "8GB"

    def engine_for(self, table: pa.Table) -> tuple[str, str]:
        """The engine (`memory` or `out_of_core`) that `process` uses for `table`, and why.

        Examples
        --------
        >>> t = pa.table({"doc_id": ["a", "b"], "text": ["some words", "more words"]})
        >>> DedupStage(DedupConfig(out_of_core_above_rows=1)).engine_for(t)[0]
        'out_of_core'
        >>> DedupStage(DedupConfig()).engine_for(t)[0]
        'memory'
        """
        cfg = self.cfg
        if cfg.engine != "auto":
            return cfg.engine, f"dedup.engine is {cfg.engine}"
        rows, text_bytes = table.num_rows, text_size(table)
        if rows > cfg.out_of_core_above_rows:
            return "out_of_core", (
                f"{rows} documents, above dedup.out_of_core_above_rows "
                f"({cfg.out_of_core_above_rows})"
            )
        if text_bytes > cfg.out_of_core_above_bytes:
            return "out_of_core", (
                f"{text_bytes} bytes of text, above dedup.out_of_core_above_bytes "
                f"({cfg.out_of_core_above_bytes})"
            )
        return "memory", (
            f"{rows} documents and {text_bytes} bytes of text, within "
            "dedup.out_of_core_above_rows and dedup.out_of_core_above_bytes"
        )

    def process(self, table: pa.Table) -> StageOutput:
        engine, why = self.engine_for(table)
        log.info("dedup: %s engine (%s)", engine, why)
        if engine == "out_of_core" and table.num_rows:
            from curation.dedup.outofcore import deduplicate_table

            outcome = deduplicate_table(
                table,
                self.cfg,
                index=self.index,
                work_dir=self.work_dir,
                memory_limit=self.memory_limit,
            )
        else:
            outcome = deduplicate(table, self.cfg, index=self.index)
        cluster_id = outcome.cluster_id.cast(pa.string())
        if "dedup_cluster" in table.column_names:
            annotated = table.set_column(
                table.schema.get_field_index("dedup_cluster"), "dedup_cluster", cluster_id
            )
        else:
            annotated = table.append_column("dedup_cluster", cluster_id)
        signatures = outcome.signatures if outcome.signatures.num_rows else None
        stats = {**outcome.stats, "engine": engine, "engine_reason": why}
        return StageOutput(annotated, outcome.decision, {"signatures": signatures, "stats": stats})


def text_size(table: pa.Table) -> int:
    """UTF-8 bytes of all `text` values (what `auto` weighs against the threshold)."""
    if "text" not in table.column_names or not table.num_rows:
        return 0
    total = pc.sum(pc.binary_length(table.column("text"))).as_py()
    return int(total or 0)
