"""LSH candidate pairs from band hashes, grouped column-wise (polars), in memory or lazily.

Nodes are integers numbered in representative order (a lower node is a better
representative), so every bucket sorted by node starts with its best member. Buckets of at
most `max_bucket` members yield all their pairs; larger buckets (templates, boilerplate) yield
a star to their first member plus a chain between neighbours, which keeps them connected in
O(size) pairs instead of O(size^2).
"""

from __future__ import annotations

import numpy as np
import polars as pl

MAX_BUCKET = 32


def band_frame(nodes: np.ndarray, bands: np.ndarray) -> pl.DataFrame:
    """Long (node, band, hash) frame from an (n, bands) band-hash matrix."""
    n, b = bands.shape
    return pl.DataFrame(
        {
            "node": np.repeat(nodes.astype(np.int64), b),
            "band": np.tile(np.arange(b, dtype=np.uint16), n),
            "hash": bands.reshape(-1),
        }
    )


def candidate_pairs(
    bands: pl.LazyFrame | pl.DataFrame, *, max_bucket: int = MAX_BUCKET
) -> pl.DataFrame:
    """Unique (left, right) node pairs, left < right, sharing at least one band hash.

    A frame in memory is grouped with numpy (`_bucket_pairs`); a lazy one (out of core) with
    polars, which streams. Both give the same pairs in the same order.
    """
    if isinstance(bands, pl.DataFrame):
        pairs = _bucket_pairs(
            bands["node"].to_numpy(),
            bands["band"].to_numpy(),
            bands["hash"].to_numpy(),
            max_bucket,
        )
        if pairs is not None:
            return pairs
    lazy = bands.lazy() if isinstance(bands, pl.DataFrame) else bands
    buckets = (
        lazy.group_by("band", "hash")
        .agg(pl.col("node").unique().sort().alias("nodes"))
        .select("nodes", pl.col("nodes").list.len().alias("size"))
        .filter(pl.col("size") > 1)
    )
    small = (
        buckets.filter(pl.col("size") <= max_bucket)
        .select(pl.col("nodes").alias("left"), pl.col("nodes").alias("right"))
        .explode("left")
        .explode("right")
        .filter(pl.col("left") < pl.col("right"))
    )
    large = (
        buckets.filter(pl.col("size") > max_bucket)
        .select(
            pl.col("nodes").list.first().alias("first"),
            pl.col("nodes").list.shift(1).alias("prev"),
            pl.col("nodes").alias("right"),
        )
        .explode("prev", "right")
        .filter(pl.col("prev").is_not_null())
    )
    star = large.select(pl.col("first").alias("left"), "right").filter(
        pl.col("left") < pl.col("right")
    )
    chain = large.select(pl.col("prev").alias("left"), "right")
    return (
        pl.concat([small, star, chain])
        .unique()
        .sort("left", "right")
        .collect()
        .cast({"left": pl.Int64, "right": pl.Int64})
    )


def _bucket_pairs(
    node: np.ndarray, band: np.ndarray, hashes: np.ndarray, max_bucket: int
) -> pl.DataFrame | None:
    """`candidate_pairs` of an in-memory frame: one sort of the rows by bucket and node, then
    each bucket's pairs as index arithmetic, deduplicated as one integer key per pair.

    Twice as fast as the polars plan, whose list columns and cross-product explodes dominate
    on revision histories (buckets of tens of members). None when the nodes span too wide a
    range to key a pair in 63 bits (the caller then takes the polars plan).
    """
    node = np.asarray(node, np.int64)
    empty = pl.DataFrame({"left": np.zeros(0, np.int64), "right": np.zeros(0, np.int64)})
    if not len(node):
        return empty
    low = int(node.min())
    width = int(node.max()) - low + 1
    if width > 3_000_000_000:
        return None
    order = np.lexsort((node, hashes, band))
    band, hashes, node = band[order], hashes[order], node[order]
    same = (band[1:] == band[:-1]) & (hashes[1:] == hashes[:-1])
    repeated = same & (node[1:] == node[:-1])  # a node twice in one bucket counts once
    if repeated.any():
        keep = np.concatenate([[True], ~repeated])
        band, hashes, node = band[keep], hashes[keep], node[keep]
        same = (band[1:] == band[:-1]) & (hashes[1:] == hashes[:-1])
    start = np.flatnonzero(np.concatenate([[True], ~same]))
    size = np.diff(np.append(start, len(node)))
    lefts, rights = [], []
    small = (size > 1) & (size <= max_bucket)
    if small.any():
        # every member with each member after it in its bucket (nodes ascend: left < right)
        member = _members(start[small], size[small])
        after = np.repeat(start[small] + size[small], size[small]) - member - 1
        left = np.repeat(member, after)
        lefts.append(node[left])
        rights.append(node[left + 1 + _ranks(after)])
    large = size > max_bucket
    if large.any():
        # a star to the first member plus a chain between neighbours
        member = _members(start[large], size[large])
        rest = member[member != np.repeat(start[large], size[large])]
        lefts += [node[np.repeat(start[large], size[large] - 1)], node[rest - 1]]
        rights += [node[rest], node[rest]]
    if not lefts:
        return empty
    key = np.unique((np.concatenate(lefts) - low) * width + (np.concatenate(rights) - low))
    return pl.DataFrame({"left": key // width + low, "right": key % width + low})


def _ranks(counts: np.ndarray) -> np.ndarray:
    """0, 1, ..., c - 1 for each count c, concatenated."""
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)


def _members(start: np.ndarray, size: np.ndarray) -> np.ndarray:
    """The row numbers of buckets given by their first row and size, bucket after bucket."""
    return np.repeat(start, size) + _ranks(size)
