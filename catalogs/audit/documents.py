"""The audit table: one row per input document of the run that made a version.

A row says where the document came from without naming it (doc id, source id, sha256 of the
source URI, sha256 of the original bytes), under which license and on what evidence, what each
stage decided and why, how the run ended for it (`final_decision`, `final_stage`,
`final_reason`) and how many PII entities of each type were found. It holds no text and no
value from a document: titles, authors, paths and URIs can name people, so a URI is kept only as
its sha256 (which still lets an auditor who holds a URI check whether it was an input).

Rows are the union of the run's ledger and the version's rows: every ledger document (inputs,
including the documents an incremental run carried with an `incremental` row) and any version
row the ledger does not mention. Everything is joined column-wise in polars; the ledger's JSON
details are read with JSON-path and regex kernels, never parsed per row in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
import pyarrow as pa

from curation.ledger import STAGE_ORDER
from curation.stage import Decision, Stage

# Columns of a version read for the audit table: no text, title, author, path or metadata.
VERSION_COLUMNS = (
    "doc_id",
    "source_id",
    "source_uri",
    "content_sha256",
    "spdx",
    "license_evidence",
    "license_category",
    "lang",
    "pii_counts",
    "run_id",
)
LEDGER_COLUMNS = ("doc_id", "source_id", "source_uri", "stage", "decision", "reason", "details")
PII_PREFIX = "pii_count_"
TERMINAL = (Decision.DROPPED.value, Decision.QUARANTINED.value)
ERASED = "erased"
NOT_COMMITTED = "not_committed"
# The entity counts of the PII stage's details as the ledger writes them: {"counts":{"TYPE":n}}.
_COUNT_PAIR = r'"[^"]+":\d+'

IDENTITY_COLUMNS = (
    "doc_id",
    "source_id",
    "source_uri_sha256",
    "content_sha256",
    "spdx",
    "license_evidence",
    "license_category",
    "lang",
    "in_version",
    "carried",
    "committed_by_run",
    "final_decision",
    "final_stage",
    "final_reason",
)

COLUMN_DESCRIPTIONS: dict[str, str] = {
    "doc_id": "stable document id (source id plus a hash of the document's place in the source)",
    "source_id": "the source the document was read from, as named in the dataset spec",
    "source_uri_sha256": "sha256 of the document's source URI (the URI itself can name people)",
    "content_sha256": "sha256 of the original bytes; known for documents of the version",
    "spdx": "SPDX license expression resolved for the document",
    "license_evidence": "what the license was read from: tag, notice, metadata, manifest or default",
    "license_category": "license category used by the license policy",
    "lang": "language identified by fastText lid.176",
    "in_version": "whether the document is part of the version",
    "carried": "carried unchanged from the previous version by an incremental run",
    "committed_by_run": "the run that processed the document's committed row",
    "final_decision": "kept, dropped, quarantined, erased or not_committed",
    "final_stage": "the stage that dropped or quarantined the document (or erasure)",
    "final_reason": "the named reason of the final decision",
    "pii_method": "how the PII stage looked for entities (patterns, cues, lexicon, NER model)",
}


def stage_names(ledger_stages: Sequence[str]) -> list[str]:
    """Every stage of `STAGE_ORDER`, then any other stage the ledger names (stable schema).

    Examples
    --------
    >>> stage_names(["pii", "custom"])
    ['ingest', 'incremental', 'license', 'quality', 'dedup', 'pii', 'custom']
    """
    extra = sorted({s for s in ledger_stages if s not in STAGE_ORDER})
    return [*STAGE_ORDER, *extra]


def _frame(table: pa.Table, columns: Sequence[str], schema: dict[str, Any]) -> pl.DataFrame:
    """`table`'s `columns` as polars, with nulls of the given type for the missing ones."""
    frame = pl.from_arrow(table.select([c for c in columns if c in table.column_names]))
    assert isinstance(frame, pl.DataFrame)
    missing = [pl.lit(None, dtype=schema[c]).alias(c) for c in columns if c not in frame.columns]
    frame = frame.with_columns(missing) if missing else frame
    return frame.select(columns).cast({c: schema[c] for c in columns if c in schema}, strict=False)


_LEDGER_TYPES: dict[str, Any] = {c: pl.String for c in LEDGER_COLUMNS}
_VERSION_TYPES: dict[str, Any] = {
    **{c: pl.String for c in VERSION_COLUMNS if c != "pii_counts"},
    "pii_counts": pl.List(pl.Struct({"key": pl.String, "value": pl.Int32})),
}


def _stage_pivot(decisions: pl.DataFrame, stages: Sequence[str], value: str) -> pl.DataFrame:
    """doc_id plus `<stage>_<value>` for every stage (null where the stage did not see it)."""
    if decisions.height:
        wide = decisions.pivot(on="stage", index="doc_id", values=value, aggregate_function="first")
    else:
        wide = pl.DataFrame({"doc_id": []}, schema={"doc_id": pl.String})
    columns = [
        (pl.col(s) if s in wide.columns else pl.lit(None, dtype=pl.String)).alias(f"{s}_{value}")
        for s in stages
    ]
    return wide.select("doc_id", *columns)


def _ledger_pii_counts(ledger: pl.DataFrame) -> pl.DataFrame:
    """(doc_id, key, value) from the PII stage's details, one row per entity type found."""
    pii = ledger.filter(pl.col("stage") == Stage.PII.value)
    pairs = (
        pii.select(
            "doc_id",
            pl.col("details")
            .str.json_path_match("$.counts")
            .str.extract_all(_COUNT_PAIR)
            .alias("kv"),
        )
        .explode("kv")
        .drop_nulls("kv")
    )
    return pairs.select(
        "doc_id",
        pl.col("kv").str.extract(r'^"([^"]+)"', 1).alias("key"),
        pl.col("kv").str.extract(r":(\d+)$", 1).cast(pl.Int64).alias("value"),
    )


def _version_pii_counts(rows: pl.DataFrame) -> pl.DataFrame:
    return (
        rows.select("doc_id", "pii_counts")
        .explode("pii_counts")
        .drop_nulls("pii_counts")
        .unnest("pii_counts")
        .select("doc_id", "key", pl.col("value").cast(pl.Int64))
    )


def pii_methods(ledger: pl.DataFrame) -> pl.DataFrame:
    """doc_id, lang, method, ner of every document the PII stage looked at (from its details)."""
    pii = ledger.filter(pl.col("stage") == Stage.PII.value)
    fields = pl.Struct({"lang": pl.String, "method": pl.String, "ner": pl.String})
    return (
        pii.select("doc_id", pl.col("details").str.json_decode(fields).alias("d"))
        .unnest("d")
        .unique("doc_id", keep="first", maintain_order=True)
    )


def _sha256_column(values: pl.Series) -> pl.Series:
    """sha256 (hex) of every string, column-wise in DuckDB (polars and Arrow have no sha256)."""
    import duckdb

    frame = pa.table({"value": values.to_arrow()})
    connection = duckdb.connect(config={"enable_external_access": "false"})
    try:
        connection.register("hashed", frame)
        result = connection.execute("SELECT sha256(value) AS h FROM hashed").fetch_arrow_table()
    finally:
        connection.close()
    return pl.Series(values.name, result.column("h").combine_chunks(), dtype=pl.String)


def build_document_table(
    version_rows: pa.Table, ledger: pa.Table, *, erased: bool = False
) -> pa.Table:
    """The audit table of a version (see the module doc), sorted by doc_id.

    `version_rows` are the version's rows (any of `VERSION_COLUMNS`), `ledger` the ledger rows
    of the run that made it. `erased` says whether erasures were applied to the version: a
    document that survived every stage but is not in the version was then erased.

    Examples
    --------
    >>> from curation.ledger import concat_ledgers, ledger_table
    >>> ledger = concat_ledgers([
    ...     ledger_table("r", "ingest", ["a", "b"], ["kept", "kept"], source_ids=["hr", "hr"]),
    ...     ledger_table("r", "license", ["a", "b"], ["kept", "dropped"],
    ...                  [None, "license.denied"]),
    ... ])
    >>> rows = pa.table({"doc_id": ["a"], "source_id": ["hr"], "spdx": ["MIT"]})
    >>> table = build_document_table(rows, ledger)
    >>> table.select(["doc_id", "final_decision", "final_reason", "license_decision"]).to_pylist()
    [{'doc_id': 'a', 'final_decision': 'kept', 'final_reason': None, 'license_decision': 'kept'}, {'doc_id': 'b', 'final_decision': 'dropped', 'final_reason': 'license.denied', 'license_decision': 'dropped'}]
    """
    runs = _frame(ledger, LEDGER_COLUMNS, _LEDGER_TYPES)
    rows = _frame(version_rows, VERSION_COLUMNS, _VERSION_TYPES).unique(
        "doc_id", keep="first", maintain_order=True
    )
    stages = stage_names(runs.get_column("stage").unique().to_list())
    rank = {s: i for i, s in enumerate(stages)}
    runs = runs.with_columns(
        pl.col("stage")
        .replace_strict(rank, default=len(rank), return_dtype=pl.Int32)
        .alias("_rank")
    ).sort("_rank", "doc_id", maintain_order=True)

    identity = runs.group_by("doc_id", maintain_order=True).agg(
        pl.col("source_id").drop_nulls().first().alias("ledger_source_id"),
        pl.col("source_uri").drop_nulls().first().alias("ledger_source_uri"),
    )
    decisions = runs.unique(["doc_id", "stage"], keep="first", maintain_order=True)
    terminal = (
        decisions.filter(pl.col("decision").is_in(TERMINAL))
        .unique("doc_id", keep="first", maintain_order=True)
        .select(
            "doc_id",
            pl.col("decision").alias("terminal_decision"),
            pl.col("stage").alias("terminal_stage"),
            pl.col("reason").alias("terminal_reason"),
        )
    )
    license_spdx = decisions.filter(pl.col("stage") == Stage.LICENSE.value).select(
        "doc_id", pl.col("details").str.json_path_match("$.spdx").alias("ledger_spdx")
    )
    methods = pii_methods(runs).select(
        "doc_id",
        pl.when(pl.col("ner").is_not_null())
        .then(pl.concat_str(pl.col("method"), pl.lit(":"), pl.col("ner")))
        .otherwise(pl.col("method"))
        .alias("pii_method"),
        pl.lit(True).alias("pii_examined"),
    )

    ids = pl.concat([runs.select("doc_id"), rows.select("doc_id")], how="vertical").unique(
        maintain_order=True
    )
    table = (
        ids.join(identity, on="doc_id", how="left")
        .join(rows.with_columns(pl.lit(True).alias("in_version")), on="doc_id", how="left")
        .join(_stage_pivot(decisions, stages, "decision"), on="doc_id", how="left")
        .join(_stage_pivot(decisions, stages, "reason"), on="doc_id", how="left")
        .join(terminal, on="doc_id", how="left")
        .join(license_spdx, on="doc_id", how="left")
        .join(methods, on="doc_id", how="left")
    )
    in_version = pl.col("in_version").fill_null(False)
    survived = pl.col("terminal_decision").is_null()
    table = table.with_columns(
        in_version.alias("in_version"),
        pl.coalesce("source_id", "ledger_source_id").alias("source_id"),
        pl.coalesce("source_uri", "ledger_source_uri").alias("source_uri"),
        pl.coalesce("spdx", "ledger_spdx").alias("spdx"),
        pl.col(f"{Stage.INCREMENTAL.value}_decision").is_not_null().alias("carried"),
        pl.col("run_id").alias("committed_by_run"),
        pl.when(in_version)
        .then(pl.lit(Decision.KEPT.value))
        .when(~survived)
        .then(pl.col("terminal_decision"))
        .otherwise(pl.lit(ERASED if erased else NOT_COMMITTED))
        .alias("final_decision"),
        pl.when(in_version)
        .then(pl.lit(None, pl.String))
        .when(~survived)
        .then(pl.col("terminal_stage"))
        .when(pl.lit(erased))
        .then(pl.lit("erasure"))
        .alias("final_stage"),
        pl.when(in_version)
        .then(pl.lit(None, pl.String))
        .when(~survived)
        .then(pl.col("terminal_reason"))
        .when(pl.lit(erased))
        .then(pl.lit("erasure.requested"))
        .alias("final_reason"),
        (in_version | pl.col("pii_examined").fill_null(False)).alias("pii_examined"),
    )
    table = table.with_columns(
        _sha256_column(table.get_column("source_uri")).alias("source_uri_sha256")
    )

    counts = pl.concat(
        [
            _version_pii_counts(rows),
            _ledger_pii_counts(runs).join(rows.select("doc_id"), on="doc_id", how="anti"),
        ]
    )
    entity_types = sorted(counts.get_column("key").drop_nulls().unique().to_list())
    if counts.height:
        wide = counts.pivot(on="key", index="doc_id", values="value", aggregate_function="sum")
        table = table.join(wide, on="doc_id", how="left")
    # zero where the PII stage looked and found nothing, null where it never looked
    pii_columns = [
        pl.when(pl.col("pii_examined"))
        .then(
            (pl.col(t) if t in table.columns else pl.lit(None, pl.Int64))
            .fill_null(0)
            .cast(pl.Int64)
        )
        .alias(f"{PII_PREFIX}{t}")
        for t in entity_types
    ]
    stage_columns = [f"{s}_{part}" for s in stages for part in ("decision", "reason")]
    result = table.select(*IDENTITY_COLUMNS, *stage_columns, "pii_method", *pii_columns).sort(
        "doc_id"
    )
    return result.to_arrow()


def column_descriptions(schema: pa.Schema) -> dict[str, str]:
    """A description for every column of an audit table (for Croissant and summary.html)."""
    out = {}
    for name in schema.names:
        if name in COLUMN_DESCRIPTIONS:
            out[name] = COLUMN_DESCRIPTIONS[name]
        elif name.startswith(PII_PREFIX):
            out[name] = f"{name.removeprefix(PII_PREFIX)} entities found (null: not examined)"
        elif name.endswith("_decision"):
            out[name] = f"decision of the {name.removesuffix('_decision')} stage"
        elif name.endswith("_reason"):
            out[name] = f"named reason of the {name.removesuffix('_reason')} stage's decision"
    return out
