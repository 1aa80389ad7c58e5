"""What changed between two versions of a dataset, and why documents left.

Documents are matched by `doc_id` (stable per source and place, see `make_doc_id`): an id only
in B was added, only in A removed, in both with another `content_sha256` changed (new bytes at
the source). Each removed document gets a `why`, read from the ledger of B's run:

- `erased`: named by the erasure trail (`erased_doc_ids`),
- `dropped` / `quarantined`: B's run ingested it and a stage removed it (`reason` says which),
- `deleted_at_source`: B's run did not ingest it at all,
- `unknown`: B's run ingested it and kept it, or B names no run (a ledger that does not
  reconcile, or a version made outside `curate run`).

The reasons come from B's run, so they explain a removal when B is the later version.
Only six narrow columns of each version are read, never the text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import polars as pl

from catalogs.stats import UNKNOWN, read_run_decisions
from catalogs.versions import get_version, load_dataset_table

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

DIFF_COLUMNS = ("doc_id", "content_sha256", "source_id", "spdx", "lang", "title")
DELTA_COLUMNS = {"by_source": "source_id", "by_license": "spdx", "by_language": "lang"}
TERMINAL = ("dropped", "quarantined")


def erased_doc_ids(catalog: Catalog, dataset: str, candidates: Iterable[str] = ()) -> set[str]:
    """Those of `candidates` (doc ids) that an erasure of `dataset` removed, per its audit trail.

    The trail names erased documents only by their salted hash, so it cannot list them: the
    caller offers the ids it would label (`diff_versions`: the removed ones) and gets back the
    erased ones. No candidates, no trail, or no erasure: an empty set.
    """
    candidates = list(candidates)
    if not candidates:
        return set()
    from catalogs.erasure.trail_lookup import erased_among, workspace_for_catalog

    return erased_among(workspace_for_catalog(catalog), dataset, candidates)


def diff_versions(
    catalog: Catalog, dataset: str, a: str, b: str, *, limit: int = 1000
) -> dict[str, Any]:
    """Added, removed (with why) and changed documents from version `a` to version `b`.

    Counts and per-key deltas cover every document; the `added`, `removed` and `changed`
    lists hold at most `limit` entries each, sorted by `doc_id`, and `truncated` says whether
    any list was cut.
    """
    version_a = get_version(catalog, dataset, a)
    version_b = get_version(catalog, dataset, b)
    table = load_dataset_table(catalog, dataset)
    rows_a = _read(table, version_a.snapshot_id)
    rows_b = _read(table, version_b.snapshot_id)

    joined = rows_a.join(rows_b, on="doc_id", how="full", suffix="_b", coalesce=True)
    in_a, in_b = pl.col("present").is_not_null(), pl.col("present_b").is_not_null()
    added = joined.filter(in_b & ~in_a).sort("doc_id")
    removed = joined.filter(in_a & ~in_b).sort("doc_id")
    both = joined.filter(in_a & in_b)
    changed_mask = pl.col("content_sha256").ne_missing(pl.col("content_sha256_b"))
    changed = both.filter(changed_mask).sort("doc_id")

    erased = erased_doc_ids(catalog, dataset, removed["doc_id"].to_list())
    removed = _why_removed(removed, catalog, dataset, version_b.run_id, erased)
    why_counts = removed.group_by("why").len().sort(["len", "why"], descending=[True, False])
    lists = {
        "added": added.select(
            "doc_id",
            pl.col("source_id_b").alias("source_id"),
            pl.col("spdx_b").alias("spdx"),
            pl.col("lang_b").alias("lang"),
            pl.col("title_b").alias("title"),
        ),
        "removed": removed.select("doc_id", "source_id", "why", "reason"),
        "changed": changed.select("doc_id", pl.col("source_id_b").alias("source_id")),
    }
    return {
        "dataset": version_a.dataset,
        "a": version_a.name,
        "b": version_b.name,
        "counts": {
            "added": added.height,
            "removed": removed.height,
            "changed": changed.height,
            "unchanged": both.height - changed.height,
        },
        "removed_by_why": dict(why_counts.iter_rows()),
        **{key: frame.head(limit).to_dicts() for key, frame in lists.items()},
        "deltas": {key: _delta(rows_a, rows_b, column) for key, column in DELTA_COLUMNS.items()},
        "truncated": any(frame.height > limit for frame in lists.values()),
    }


def _read(table: Any, snapshot_id: int) -> pl.DataFrame:
    arrow = table.scan(snapshot_id=snapshot_id, selected_fields=DIFF_COLUMNS).to_arrow()
    # a marker that survives the outer join: which side a document was found on
    return pl.from_arrow(arrow.select(list(DIFF_COLUMNS))).with_columns(present=pl.lit(True))


def _why_removed(
    removed: pl.DataFrame, catalog: Catalog, dataset: str, run_id: str | None, erased: set[str]
) -> pl.DataFrame:
    """`removed` with `why` and `reason` columns from B's run's ledger and the erasure trail."""
    decisions = pl.from_arrow(read_run_decisions(catalog, dataset, run_id))
    terminal = (
        decisions.filter(pl.col("decision").is_in(TERMINAL))
        .unique("doc_id", keep="first", maintain_order=True)
        .select("doc_id", pl.col("decision").alias("terminal"), "reason")
    )
    ingested = decisions.select("doc_id").unique().with_columns(pl.lit(True).alias("ingested"))
    why = (
        pl.when(pl.col("doc_id").is_in(pl.Series(sorted(erased), dtype=pl.String)))
        .then(pl.lit("erased"))
        .when(pl.col("terminal").is_not_null())
        .then(pl.col("terminal"))
        .when(pl.col("ingested").is_null() & pl.lit(run_id is not None))
        .then(pl.lit("deleted_at_source"))
        .otherwise(pl.lit(UNKNOWN))
    )
    return (
        removed.join(terminal, on="doc_id", how="left")
        .join(ingested, on="doc_id", how="left")
        .with_columns(why.alias("why"))
        .with_columns(pl.when(pl.col("why").is_in(TERMINAL)).then(pl.col("reason")).alias("reason"))
    )


def _delta(rows_a: pl.DataFrame, rows_b: pl.DataFrame, column: str) -> dict[str, dict[str, int]]:
    """Documents per value of `column` in A and B, biggest change first; nulls as "unknown"."""

    def counts(rows: pl.DataFrame, name: str) -> pl.DataFrame:
        return rows.group_by(pl.col(column).fill_null(UNKNOWN).alias("key")).agg(
            pl.len().alias(name)
        )

    joined = (
        counts(rows_a, "a")
        .join(counts(rows_b, "b"), on="key", how="full", coalesce=True)
        .with_columns(pl.col("a", "b").fill_null(0).cast(pl.Int64))
        .with_columns((pl.col("b") - pl.col("a")).alias("delta"))
        .sort([pl.col("delta").abs(), pl.col("key")], descending=[True, False])
    )
    return {row["key"]: {k: row[k] for k in ("a", "b", "delta")} for row in joined.to_dicts()}
