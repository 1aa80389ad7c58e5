"""Deterministic representative order: which document of a cluster is kept.

One table of rules (`RULES`) defines every order as sort keys over four rank columns; the
in-memory engine sorts a polars frame by it and the out-of-core engine renders the same keys as
DuckDB SQL, so both number documents identically. Every rule ends with `doc_id`, so the same
input always keeps the same document, whatever the row order. Missing dates sort last.

Rank columns, derived the same way in both renderings:

- `doc_id`: the document id as a string;
- `modified_at`: the document's timestamp;
- `length`: the UTF-8 byte length of `text` (0 without text);
- `permissiveness`: `licensing.expressions.permissiveness_rank` of `license_category`.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import polars as pl
import pyarrow as pa

# (rank column, descending) per rule, best representative first
RULES: dict[str, tuple[tuple[str, bool], ...]] = {
    "oldest": (("modified_at", False), ("doc_id", False)),
    "newest": (("modified_at", True), ("doc_id", False)),
    "longest": (("length", True), ("doc_id", False)),
    "most_permissive": (("permissiveness", False), ("modified_at", False), ("doc_id", False)),
}


def _rule(rule: str) -> tuple[tuple[str, bool], ...]:
    try:
        return RULES[rule]
    except KeyError:
        raise ValueError(
            f"unknown representative rule {rule!r}; expected one of {', '.join(RULES)}"
        ) from None


def _column(table: pa.Table, name: str, dtype: pl.DataType) -> pl.Series:
    if name in table.column_names:
        series = pl.Series(name, table.column(name))
        return series.cast(dtype, strict=False) if series.dtype != dtype else series
    return pl.Series(name, [None] * table.num_rows, dtype=dtype)


def permissiveness(category: pl.Expr) -> pl.Expr:
    """Rank of a license category column (`licensing.expressions.permissiveness_rank`).

    Examples
    --------
    >>> frame = pl.DataFrame({"c": ["permissive", "internal", "Proprietary", "odd", None]})
    >>> frame.select(permissiveness(pl.col("c"))).to_series().to_list()
    [1, 4, 6, 7, 8]
    """
    from licensing.expressions import MISSING_PERMISSIVENESS, PERMISSIVENESS_RANK

    unknown = PERMISSIVENESS_RANK["unknown"]
    ranked = category.str.to_lowercase().replace_strict(
        PERMISSIVENESS_RANK, default=unknown, return_dtype=pl.Int16
    )
    return (
        pl.when(category.is_null()).then(pl.lit(MISSING_PERMISSIVENESS, pl.Int16)).otherwise(ranked)
    )


def permissiveness_sql(category: str) -> str:
    """The same rank as `permissiveness`, as a DuckDB expression over SQL expression `category`.

    Examples
    --------
    >>> permissiveness_sql("c").startswith("CASE WHEN c IS NULL THEN 8 ")
    True
    """
    from licensing.expressions import MISSING_PERMISSIVENESS, PERMISSIVENESS_RANK

    cases = " ".join(f"WHEN '{name}' THEN {rank}" for name, rank in PERMISSIVENESS_RANK.items())
    return (
        f"CASE WHEN {category} IS NULL THEN {MISSING_PERMISSIVENESS} "
        f"ELSE CASE lower({category}) {cases} ELSE {PERMISSIVENESS_RANK['unknown']} END END"
    )


def rank_frame(table: pa.Table) -> pl.DataFrame:
    """The rank columns of `table` (plus `row`, its position), for sorting in polars."""
    return pl.DataFrame(
        {
            "doc_id": _column(table, "doc_id", pl.String),
            "modified_at": _column(table, "modified_at", pl.Datetime("us", "UTC")),
            "length": _column(table, "text", pl.String).str.len_bytes().fill_null(0),
            "permissiveness": _column(table, "license_category", pl.String),
            "row": np.arange(table.num_rows, dtype=np.int64),
        }
    ).with_columns(permissiveness(pl.col("permissiveness")).alias("permissiveness"))


def rank_inputs(table: pa.Table) -> pa.Table:
    """`doc_id`, `text` and those of `modified_at` / `license_category` that `table` has, typed
    as `rank_frame` reads them, so that DuckDB ranks a Parquet copy of them identically."""
    columns = {
        "doc_id": _column(table, "doc_id", pl.String).to_arrow().cast(pa.string()),
        "text": table.column("text")
        if "text" in table.column_names
        else pa.nulls(table.num_rows, pa.string()),
    }
    if "modified_at" in table.column_names:
        modified = _column(table, "modified_at", pl.Datetime("us", "UTC"))
        columns["modified_at"] = modified.to_arrow().cast(pa.timestamp("us", tz="UTC"))
    if "license_category" in table.column_names:
        category = _column(table, "license_category", pl.String)
        columns["license_category"] = category.to_arrow().cast(pa.string())
    return pa.table(columns)


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
    keys = _rule(rule)
    ordered = rank_frame(table).sort(
        [name for name, _ in keys],
        descending=[descending for _, descending in keys],
        nulls_last=True,
        maintain_order=True,
    )
    return ordered["row"].to_numpy()


def rank_select_sql(rule: str, columns: Collection[str]) -> str:
    """SQL select list of the rank columns `rule` needs, from a relation with `columns`
    (those of the rule's inputs that are absent become NULL, as in `rank_frame`)."""
    needed = {name for name, _ in _rule(rule)}
    expressions = {
        "doc_id": "doc_id::VARCHAR",
        "modified_at": "modified_at" if "modified_at" in columns else "NULL::TIMESTAMPTZ",
        "length": "coalesce(strlen(text), 0)" if "text" in columns else "0",
        "permissiveness": permissiveness_sql(
            "license_category::VARCHAR" if "license_category" in columns else "NULL::VARCHAR"
        ),
    }
    return ", ".join(f"{expressions[name]} AS {name}" for name in expressions if name in needed)


def order_by_sql(rule: str) -> str:
    """`rule` as a DuckDB ORDER BY list over the rank columns (nulls last, as in polars).

    Examples
    --------
    >>> order_by_sql("newest")
    'modified_at DESC NULLS LAST, doc_id ASC NULLS LAST'
    """
    return ", ".join(
        f"{name} {'DESC' if descending else 'ASC'} NULLS LAST" for name, descending in _rule(rule)
    )
