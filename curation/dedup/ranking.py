"""Deterministic representative order: which document of a cluster is kept.

Every rule ends with `doc_id` as the tie-breaker, so the same input always keeps the same
document, whatever the row order.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

# Lower is more permissive. Category names as license-expression's index spells them, matched
# case-insensitively on words so "Copyleft Limited" ranks before "Copyleft".
_PERMISSIVENESS = (
    ("public", 0),
    ("permissive", 1),
    ("limited", 2),
    ("weak", 2),
    ("copyleft", 3),
)
_OTHER_LICENSE = 4
_NO_LICENSE = 5


def _column(table: pa.Table, name: str, dtype: pl.DataType) -> pl.Series:
    if name in table.column_names:
        series = pl.Series(name, table.column(name))
        return series.cast(dtype, strict=False) if series.dtype != dtype else series
    return pl.Series(name, [None] * table.num_rows, dtype=dtype)


def permissiveness(category: pl.Expr) -> pl.Expr:
    """Rank of a license category: public domain 0 ... copyleft 3, other 4, missing 5."""
    lowered = category.str.to_lowercase()
    expr = pl.when(category.is_null()).then(pl.lit(_NO_LICENSE))
    for word, rank in _PERMISSIVENESS:
        expr = expr.when(lowered.str.contains(word, literal=True)).then(pl.lit(rank))
    return expr.otherwise(pl.lit(_OTHER_LICENSE)).cast(pl.Int8)


def representative_order(table: pa.Table, rule: str) -> np.ndarray:
    """Row indices of `table`, best representative first, under `rule`.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table({"doc_id": ["b", "a", "c"], "text": ["xx", "x", "xxx"]})
    >>> representative_order(t, "longest").tolist()
    [2, 0, 1]
    >>> representative_order(t, "oldest").tolist()  # no dates: doc_id decides
    [1, 0, 2]
    """
    frame = pl.DataFrame(
        {
            "doc_id": _column(table, "doc_id", pl.String),
            "modified_at": _column(table, "modified_at", pl.Datetime("us", "UTC")),
            "length": _column(table, "text", pl.String).str.len_bytes().fill_null(0),
            "license": _column(table, "license_category", pl.String),
            "row": np.arange(table.num_rows, dtype=np.int64),
        }
    ).with_columns(permissiveness(pl.col("license")).alias("license"))
    if rule == "oldest":
        keys, descending = ["modified_at", "doc_id"], [False, False]
    elif rule == "newest":
        keys, descending = ["modified_at", "doc_id"], [True, False]
    elif rule == "longest":
        keys, descending = ["length", "doc_id"], [True, False]
    elif rule == "most_permissive":
        keys, descending = ["license", "modified_at", "doc_id"], [False, False, False]
    else:
        raise ValueError(f"unknown representative rule {rule!r}")
    ordered = frame.sort(keys, descending=descending, nulls_last=True, maintain_order=True)
    return ordered["row"].to_numpy()
