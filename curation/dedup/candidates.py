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
    """Unique (left, right) node pairs, left < right, sharing at least one band hash."""
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
