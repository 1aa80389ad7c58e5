"""What a previous run saw of each input, so an incremental run skips the unchanged ones unread.

A run records one row per document of every input (`batch_inputs`, collected by
`inputs_table`): the input's locator (path relative to the source root, or key relative to the
prefix), its size and mtime (files) or ETag (objects), and each document's id, sha256 and
ingest decision. The next run builds `KnownInputs` from that table; an input whose size and
mtime (or ETag) still match is not read, extracted or hashed: its documents come back as rows
of `IngestBatch.unchanged`, so every input is still accounted for.

What counts as unchanged, by source type:
- folder: same size and same mtime (to the microsecond: the document schema's unit);
- s3: same ETag and size (the ETag is the store's digest of the content);
- parquet, jsonl, hf_dataset: the whole file, when its mtime matches (its documents are rows,
  so the file's size is not among them). An export rewritten in place gets a new mtime.

An input is read again whenever the earlier result may not stand: the source's ingest settings
or this code changed (`ingest_fingerprint`), it was quarantined for a reason that may pass
(timeout, worker crash, unreadable), a row of it lost a duplicate-id contest to another file,
or its rows disagree on size, mtime or ETag. `verify=True` in `ingest_source` reads everything.

Containers (archives, mailboxes, e-mails, Maildir message files) are one input with many
documents: their members are located under the file's path (`a.zip!/b.pdf`, `box.mbox#<id>`)
with their own sizes and hashes. Each member row therefore also records the container file's
own locator and stat (`container_*`), and the container is the unit: when the file matches,
every member (and member-level quarantine row) comes back unchanged without opening it; when
it does not, the whole file is read again. Rows of a table written before those columns
existed have them null: their containers are read again once, which records them.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.ingest.reasons import IngestReason
from curation.schema import TIMESTAMP, conform

if TYPE_CHECKING:
    import polars as pl

    from curation.ingest.pool import SharedPool
    from curation.ingest.records import IngestBatch
    from curation.ingest.sources import SourceConfig

INPUTS_SCHEMA = pa.schema(
    [
        pa.field("source_id", pa.string(), nullable=False),
        pa.field("locator", pa.string(), nullable=False),
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("source_uri", pa.string()),
        pa.field("content_sha256", pa.string()),
        pa.field("size_bytes", pa.int64()),  # the input's size; null for row sources
        pa.field("mtime_ns", pa.int64()),  # microsecond precision, in nanoseconds
        pa.field("etag", pa.string()),
        pa.field("reason", pa.string()),  # ingest quarantine reason; null: a document
        pa.field("fingerprint", pa.string()),  # `ingest_fingerprint` of the source
        # The container file a member row came from (null: the row is its own input), with the
        # file's own size, mtime and ETag: what decides whether its members are unchanged.
        pa.field("container_locator", pa.string()),
        pa.field("container_size_bytes", pa.int64()),
        pa.field("container_mtime_ns", pa.int64()),
        pa.field("container_etag", pa.string()),
    ]
)
CONTAINER_COLUMNS = (
    "container_locator",
    "container_size_bytes",
    "container_mtime_ns",
    "container_etag",
)
# What a committed run adds to each row: the document's last terminal decision by a stage that
# decides from the document alone (license, quality), and the fingerprint of that stage's
# configuration then; null when the document was kept or another stage decided
# (`with_decisions`). The persisted table is KNOWN_SCHEMA.
DECISION_FIELDS = [
    pa.field("decision_stage", pa.string()),
    pa.field("decision", pa.string()),
    pa.field("decision_reason", pa.string()),
    pa.field("decision_details", pa.string()),
    pa.field("decision_fingerprint", pa.string()),
]
KNOWN_SCHEMA = pa.schema([*INPUTS_SCHEMA, *DECISION_FIELDS])
# A table written before the decision columns existed still serves (they are read as null).
DECISION_COLUMNS = tuple(f.name for f in DECISION_FIELDS)
# `_load_decided`'s candidate rows: a document's first in (kind, part, row) order stands.
_CANDIDATES_SCHEMA = pa.schema(
    [
        pa.field("doc_id", pa.string()),
        *DECISION_FIELDS,
        pa.field("candidate_kind", pa.int8()),
        pa.field("candidate_part", pa.int32()),
        pa.field("candidate_row", pa.int64()),
    ]
)
# The ledger reason of a document whose earlier decision stands (it is carried or decided again
# without reading it); its details name the earlier decision.
UNCHANGED_REASON = "incremental.unchanged"
# Sources whose documents are rows of a data file: unchanged is decided per file.
ROW_SOURCES = ("parquet", "jsonl", "hf_dataset")
# Reasons that may not hold on a second try: such inputs are always read again.
TRANSIENT_REASONS = (
    IngestReason.TIMEOUT.value,
    IngestReason.WORKER_CRASH.value,
    IngestReason.UNREADABLE.value,
)
# Settings that do not change what one input yields: changing them re-reads nothing.
_NOT_FINGERPRINTED = ("license", "license_manifest", "include", "exclude")
_NULL = np.iinfo(np.int64).min
_FORMAT = 1  # bumped when what a row means changes: older tables are then ignored


def ingest_fingerprint(source: SourceConfig) -> str:
    """A hash of what decides an input's ingest result: the source's extraction settings and
    this code's version. Known rows under another fingerprint are not trusted."""
    from curation.config import fingerprint

    settings = {
        key: value
        for key, value in dataclasses.asdict(source).items()
        if key not in _NOT_FINGERPRINTED
    }
    return fingerprint({"source": settings, "code": _code_version(), "format": _FORMAT})


def _code_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sovereign-curate")
    except PackageNotFoundError:
        return "0+unknown"


def batch_inputs(batch: IngestBatch, source: SourceConfig) -> pa.Table:
    """The known-input rows of one ingest batch (documents, quarantined and unchanged rows),
    for the next run's `KnownInputs`.

    Examples
    --------
    >>> from curation.ingest.records import IngestBatch, rows_to_documents, rows_to_quarantined
    >>> from curation.ingest.sources import SourceConfig
    >>> source = SourceConfig(id="hr", path="/srv/hr")
    >>> row = {"doc_id": "hr-1", "source_uri": "file:///srv/hr/a.md", "relative_path": "a.md",
    ...        "content_sha256": "ab", "size_bytes": 5, "modified_at": 1_700_000_000_000_001,
    ...        "text": "hello"}
    >>> batch = IngestBatch(rows_to_documents([row], "r1", "hr"), rows_to_quarantined([], "r1", "hr"))
    >>> batch_inputs(batch, source).select(["locator", "size_bytes", "mtime_ns"]).to_pylist()
    [{'locator': 'a.md', 'size_bytes': 5, 'mtime_ns': 1700000000000001000}]
    """
    parts = []
    for table, has_reason in (
        (batch.documents, False),
        (batch.quarantined, True),
        (batch.unchanged, True),
    ):
        if table.num_rows == 0:
            continue
        reason = (
            table.column("reason").cast(pa.string())
            if has_reason
            else pa.nulls(table.num_rows, pa.string())
        )
        parts.append(_input_rows(conform(table), reason, source))
    if not parts:
        return INPUTS_SCHEMA.empty_table()
    return _with_containers(pa.concat_tables(parts), batch.containers)


def _with_containers(rows: pa.Table, containers: pa.Table) -> pa.Table:
    """`rows` (INPUTS_SCHEMA, container columns null) with the container file of each member
    row filled in from a batch's CONTAINERS_SCHEMA table, joined on doc_id."""
    if containers.num_rows == 0:
        return rows
    import polars as pl

    frame = pl.from_arrow(rows.drop_columns(list(CONTAINER_COLUMNS)))
    named = pl.from_arrow(containers.select(["doc_id", *CONTAINER_COLUMNS]))
    assert isinstance(frame, pl.DataFrame) and isinstance(named, pl.DataFrame)
    joined = frame.join(
        named.unique("doc_id", keep="first", maintain_order=True),
        on="doc_id",
        how="left",
        maintain_order="left",
    )
    return joined.select(INPUTS_SCHEMA.names).to_arrow().cast(INPUTS_SCHEMA)


def _input_rows(
    table: pa.Table, reason: pa.Array | pa.ChunkedArray, source: SourceConfig
) -> pa.Table:
    n = table.num_rows
    # Rows of a data file carry their own text size, not the file's: only the mtime counts.
    size = pa.nulls(n, pa.int64()) if source.type in ROW_SOURCES else table.column("size_bytes")
    micros = table.column("modified_at").cast(pa.int64())
    if source.type == "s3":
        etag = _json_field(table.column("metadata_json"), "etag")
    else:
        etag = pa.nulls(n, pa.string())
    return pa.Table.from_arrays(
        [
            table.column("source_id"),
            pc.fill_null(table.column("relative_path"), table.column("doc_id")),
            table.column("doc_id"),
            table.column("source_uri"),
            table.column("content_sha256"),
            size,
            pc.multiply(micros, 1000),
            etag,
            reason,
            pa.array([ingest_fingerprint(source)] * n, pa.string()),
            pa.nulls(n, pa.string()),
            pa.nulls(n, pa.int64()),
            pa.nulls(n, pa.int64()),
            pa.nulls(n, pa.string()),
        ],
        schema=INPUTS_SCHEMA,
    )


def _json_field(column: pa.ChunkedArray, key: str) -> pa.Array:
    import polars as pl

    series = pl.from_arrow(column)
    assert isinstance(series, pl.Series)
    return series.str.json_path_match(f"$.{key}").to_arrow().cast(pa.string())


def inputs_table(parts: Iterable[pa.Table]) -> pa.Table:
    """One table of known inputs from the parts of a run (`batch_inputs` of every batch),
    sorted by source and locator: what the run should persist for the next one."""
    tables = [
        _with_container_columns(part).select(INPUTS_SCHEMA.names).cast(INPUTS_SCHEMA)
        for part in parts
    ]
    if not tables:
        return INPUTS_SCHEMA.empty_table()
    table = pa.concat_tables(tables)
    return table.sort_by(
        [("source_id", "ascending"), ("locator", "ascending"), ("doc_id", "ascending")]
    )


def _with_container_columns(table: pa.Table) -> pa.Table:
    """`table` with null container columns where it lacks them (a table of an older run:
    its containers are then read again, once)."""
    for name in CONTAINER_COLUMNS:
        if name not in table.column_names:
            type_ = INPUTS_SCHEMA.field(name).type
            table = table.append_column(name, pa.nulls(table.num_rows, type_))
    return table


def _with_decision_columns(table: pa.Table) -> pa.Table:
    """`table` with null decision columns where it lacks them (a table of an older run)."""
    for name in DECISION_COLUMNS:
        if name not in table.column_names:
            table = table.append_column(name, pa.nulls(table.num_rows, pa.string()))
    return table


def with_decisions(inputs: pa.Table, ledger: pa.Table, fingerprints: dict[str, str]) -> pa.Table:
    """`inputs` with each document's terminal decision by a stage of `fingerprints` (license,
    quality) taken from a run's `ledger`, and that stage's fingerprint.

    A decision carried as `incremental.unchanged` names the stage that made it in its details,
    so it keeps standing run after run while the document's bytes and the stage's
    configuration stay the same. Decisions of other stages (dedup sees the whole set, PII
    changes the text) are not recorded: such documents are read and decided again.

    Examples
    --------
    >>> from curation.ledger import ledger_table
    >>> row = {name: None for name in INPUTS_SCHEMA.names}
    >>> inputs = pa.Table.from_pylist(
    ...     [dict(row, source_id="hr", locator=p, doc_id=p) for p in ("a", "b")], INPUTS_SCHEMA)
    >>> ledger = ledger_table("r1", "quality", ["a", "b"], ["kept", "dropped"],
    ...                       [None, "quality.too_short"])
    >>> out = with_decisions(inputs, ledger, {"quality": "f1"})
    >>> out.select(["doc_id", "decision", "decision_reason", "decision_fingerprint"]).to_pylist()[1]
    {'doc_id': 'b', 'decision': 'dropped', 'decision_reason': 'quality.too_short', 'decision_fingerprint': 'f1'}
    """
    import polars as pl

    inputs = _with_container_columns(_with_decision_columns(inputs))
    inputs = inputs.select(KNOWN_SCHEMA.names).cast(KNOWN_SCHEMA)
    if inputs.num_rows == 0 or ledger.num_rows == 0:
        return inputs
    decided = standing_rows(terminal_rows(ledger), fingerprints)
    frame = pl.from_arrow(inputs.drop_columns(list(DECISION_COLUMNS)))
    assert isinstance(frame, pl.DataFrame)
    # only documents take a later stage's decision; an input quarantined at ingest has its own
    joined = frame.with_columns(pl.col("reason").is_null().alias("_document")).join(
        decided.with_columns(pl.lit(True).alias("_document")),
        on=["doc_id", "_document"],
        how="left",
        maintain_order="left",
    )
    return joined.select(KNOWN_SCHEMA.names).to_arrow().cast(KNOWN_SCHEMA)


_LEDGER_COLUMNS = ["doc_id", "stage", "decision", "reason", "details"]


def terminal_rows(ledger: pa.Table) -> pa.Table:
    """The ledger rows that drop or quarantine a document (the only ones `standing_rows`
    reads): a run's ledger cut down part by part before anything is joined."""
    rows = ledger.select(_LEDGER_COLUMNS)
    return rows.filter(pc.is_in(rows.column("decision"), pa.array(["dropped", "quarantined"])))


def standing_rows(terminal: pa.Table, fingerprints: dict[str, str]) -> pl.DataFrame:
    """One row per document with a terminal decision by a stage of `fingerprints`, from a
    ledger's terminal rows in ledger order: doc_id and the DECISION_FIELDS."""
    decided = _candidate_rows(terminal, fingerprints)
    return decided.unique("doc_id", keep="first").drop("candidate_kind")


def _candidate_rows(
    terminal: pa.Table, fingerprints: dict[str, str], keep: tuple[str, ...] = ()
) -> pl.DataFrame:
    """The rows `standing_rows` picks from: doc_id, the DECISION_FIELDS and `candidate_kind`
    (0: a decision of a stage of `fingerprints`, 1: a decision carried as
    `incremental.unchanged`), kind 0 first, each kind in ledger order. A document's first row
    stands; over a ledger read part by part, first in (kind, part, row) order. `keep`: more
    columns of `terminal` to pass through."""
    import polars as pl

    rows = pl.from_arrow(terminal.select([*_LEDGER_COLUMNS, *keep]))
    assert isinstance(rows, pl.DataFrame)
    terminal = rows.filter(pl.col("decision").is_in(["dropped", "quarantined"]))
    earlier = pl.col("details").str.json_path_match
    decided = pl.concat(
        [
            terminal.filter(pl.col("stage").is_in(list(fingerprints))).select(
                "doc_id",
                pl.col("stage").alias("decision_stage"),
                "decision",
                pl.col("reason").alias("decision_reason"),
                pl.col("details").alias("decision_details"),
                pl.lit(0, pl.Int8).alias("candidate_kind"),
                *keep,
            ),
            terminal.filter(pl.col("reason") == UNCHANGED_REASON).select(
                "doc_id",
                earlier("$.stage").alias("decision_stage"),
                earlier("$.decision").alias("decision"),
                earlier("$.reason").alias("decision_reason"),
                earlier("$.details").alias("decision_details"),
                pl.lit(1, pl.Int8).alias("candidate_kind"),
                *keep,
            ),
        ]
    ).filter(pl.col("decision_stage").is_in(list(fingerprints)))
    return decided.with_columns(
        pl.col("decision_stage")
        .replace_strict(fingerprints, return_dtype=pl.String)
        .alias("decision_fingerprint")
    ).select("doc_id", *DECISION_COLUMNS, "candidate_kind", *keep)


# DuckDB's memory while it sorts a run's known inputs, spilling past it: the table has one
# row per input document, so it grows with the run and must not be held by the flow process.
# Measured on synthetic runs (one thread): at 128 MB the flow process grew by 190 MB at
# 200,000 documents against 96 MB at 50,000; at 64 MB by 98 MB at both.
KNOWN_MEMORY_LIMIT = "64MB"
_WRITE_ROWS = 8_192  # rows per record batch streamed from DuckDB to the Parquet writer
# DuckDB's memory for the known inputs' join: its decisions (measured: a join of 11.7 MB of
# decision details failed at 32 MB and passed at 48 MB) beside the sort's own buffers.
_JOIN_HEADROOM = 4
_JOIN_BASE = 16 * 2**20


def _mebibytes(limit: str) -> int:
    """A `KNOWN_MEMORY_LIMIT` like '64MB' in MiB (MB and MiB alike: a bound, not a size).

    >>> _mebibytes("64MB"), _mebibytes("1GB")
    (64, 1024)
    """
    found = re.fullmatch(r"(\d+)\s*([MG])i?B", limit.strip())
    if found is None:
        raise ValueError(f"memory limit {limit!r}: write it like 64MB or 1GB")
    return int(found[1]) * (1024 if found[2] == "G" else 1)


def write_known_inputs(
    parts: list[Path],
    target: Path,
    *,
    ledger: list[Path] | None = None,
    fingerprints: dict[str, str] | None = None,
    spill_dir: Path,
) -> Path:
    """`inputs_table(parts)` (with `fingerprints`: `with_decisions` over the `ledger` parts)
    written to `target`; the inputs are never held in memory.

    The ledger's terminal rows (the documents a stage dropped or quarantined) are picked by
    one DuckDB scan over its parts and streamed to a file in `spill_dir` (`_load_decided`);
    DuckDB joins them to the input parts and sorts by source, locator and doc_id, on one
    thread, spilling the sort to `spill_dir` past `KNOWN_MEMORY_LIMIT` (raised to hold the
    joined decisions, which its join keeps in memory), and the sorted rows stream to Parquet.
    Ties keep the parts' order, as the stable in-memory sort
    does, so the file holds the same rows in the same order. Written beside `target` and
    renamed, like `write_atomic`.
    """
    import pyarrow.parquet as pq

    from curation.tabular import replacing

    schema = KNOWN_SCHEMA if fingerprints else INPUTS_SCHEMA
    parts = [p for p in parts if pq.read_metadata(p).num_rows]
    target.parent.mkdir(parents=True, exist_ok=True)
    if not parts:
        with replacing(target) as temporary:
            pq.write_table(schema.empty_table(), temporary, compression="zstd")
        return target
    con = _connect(spill_dir)
    pool = pa.default_memory_pool()
    try:
        select = ", ".join(f"i.{_quoted(name)}" for name in INPUTS_SCHEMA.names)
        join = ""
        if fingerprints:
            _load_decided(con, ledger or [], fingerprints, spill_dir)
            # only documents take a later stage's decision; an input quarantined at ingest
            # keeps its own (tested in the select list: a condition on `i` alone in the join
            # would make DuckDB compare every pair of rows)
            select += ", " + ", ".join(
                f"CASE WHEN i.reason IS NULL THEN d.{_quoted(name)} END AS {_quoted(name)}"
                for name in DECISION_COLUMNS
            )
            join = "LEFT JOIN decided d ON d.doc_id = i.doc_id"
        files = "[" + ", ".join(_literal(p) for p in parts) + "]"
        reader = con.execute(
            f"""
            SELECT {select}
            FROM read_parquet({files}, filename = true, file_row_number = true) i
            {join}
            ORDER BY i.source_id, i.locator, i.doc_id, i.filename, i.file_row_number
            """
        ).fetch_record_batch(_WRITE_ROWS)
        with (
            replacing(target) as temporary,
            pq.ParquetWriter(temporary, schema, compression="zstd") as writer,
        ):
            for batch in reader:
                writer.write_table(pa.Table.from_batches([batch]).cast(schema))
                # the pool would otherwise keep each batch's freed pages
                pool.release_unused()
    finally:
        con.close()
    return target


def _load_decided(con, ledger: list[Path], fingerprints: dict[str, str], spill_dir: Path) -> None:
    """`standing_rows` of the ledger parts as DuckDB's view `decided`.

    One DuckDB scan over every ledger part keeps the terminal rows of the stages that count
    (a part at a time in Python cost seconds per thousand parts); `_candidate_rows` of each
    streamed batch go to a Parquet file in `spill_dir`; the view keeps each document's first
    candidate in (kind, part, row) order with a grouped minimum and a join, operators that
    spill past the memory limit (a temporary table or a window over the candidates is held
    in memory, and decision details make them outgrow the limit at 10^5 documents). The
    join that attaches them to the inputs does hold them: the limit is raised to fit.
    """
    import pyarrow.parquet as pq

    candidates = spill_dir / "known-candidates.parquet"
    schema = _CANDIDATES_SCHEMA
    size = 0  # the candidates' bytes in memory
    with pq.ParquetWriter(candidates, schema) as writer:
        if ledger:
            con.register(
                "ledger_parts",
                pa.table(
                    {
                        "filename": [str(p) for p in ledger],
                        "candidate_part": pa.array(range(len(ledger)), pa.int32()),
                    }
                ),
            )
            files = "[" + ", ".join(_literal(p) for p in ledger) + "]"
            stages = ", ".join(_literal(stage) for stage in [*fingerprints, ""])
            reader = con.execute(
                f"""
                SELECT l.doc_id, l.stage, l.decision, l.reason, l.details,
                       p.candidate_part, l.file_row_number AS candidate_row
                FROM read_parquet({files}, filename = true, file_row_number = true) l
                JOIN ledger_parts p USING (filename)
                WHERE l.decision IN ('dropped', 'quarantined')
                  AND (l.stage IN ({stages}) OR l.reason = {_literal(UNCHANGED_REASON)})
                """
            ).fetch_record_batch(_WRITE_ROWS)
            for batch in reader:
                rows = _candidate_rows(
                    pa.Table.from_batches([batch]),
                    fingerprints,
                    keep=("candidate_part", "candidate_row"),
                )
                if rows.height:
                    table = rows.to_arrow().select(schema.names).cast(schema)
                    writer.write_table(table)
                    size += table.nbytes
            con.unregister("ledger_parts")
    # DuckDB's join keeps the decisions it attaches (their details are the bulk) in memory
    # whatever its limit: the limit grows to hold them rather than fail the run's end
    needed = -(-(_JOIN_HEADROOM * size + _JOIN_BASE) // 2**20)
    if needed > _mebibytes(KNOWN_MEMORY_LIMIT):
        con.execute(f"SET memory_limit = '{needed}MiB'")
    names = ", ".join(f"c.{_quoted(name)}" for name in ("doc_id", *DECISION_COLUMNS))
    order = "(c.candidate_kind::BIGINT << 56) | (c.candidate_part::BIGINT << 32) | c.candidate_row"
    con.execute(
        f"""
        CREATE TEMP VIEW decided AS
        WITH c AS (SELECT *, {order} AS k FROM read_parquet({_literal(candidates)}) c),
             first AS (SELECT doc_id, min(k) AS k FROM c GROUP BY doc_id)
        SELECT {names} FROM c JOIN first f ON f.doc_id = c.doc_id AND f.k = c.k
        """
    )


def _connect(spill_dir: Path):
    import duckdb

    spill_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        config={
            "temp_directory": str(spill_dir),
            "autoinstall_known_extensions": False,
        }
    )
    con.execute(f"SET memory_limit = '{KNOWN_MEMORY_LIMIT}'")
    # each thread holds buffers of its own beside the shared limit; the ORDER BY keeps the
    # output order whatever the scan order
    con.execute("SET threads = 1")
    con.execute("SET preserve_insertion_order = false")
    # the input parts are read once: DuckDB's cache of file bytes would only fill its limit
    con.execute("SET enable_external_file_cache = false")
    return con


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


@dataclass(frozen=True)
class KnownInputs:
    """The inputs a previous run saw (INPUTS_SCHEMA rows), ready to answer per source, and
    row for row the documents' standing decisions (DECISION_FIELDS; all null when none were
    recorded)."""

    table: pa.Table
    decisions: pa.Table | None = None

    def __post_init__(self) -> None:
        if self.decisions is None:
            empty = _with_decision_columns(pa.table({"_": pa.nulls(self.table.num_rows)}))
            decisions = empty.select(list(DECISION_COLUMNS))
        else:
            decisions = _with_decision_columns(self.decisions).select(list(DECISION_COLUMNS))
        object.__setattr__(self, "decisions", decisions.cast(pa.schema(DECISION_FIELDS)))

    @classmethod
    def empty(cls) -> KnownInputs:
        return cls(INPUTS_SCHEMA.empty_table())

    @property
    def _decisions(self) -> pa.Table:
        assert self.decisions is not None  # set by __post_init__
        return self.decisions

    @classmethod
    def read(cls, path: str | Path) -> KnownInputs:
        """The table a run persisted at `path`; empty when there is none or it is from an
        older format (everything is then read, which is always safe)."""
        import pyarrow.parquet as pq

        path = Path(path)
        if not path.is_file():
            return cls.empty()
        table = _with_container_columns(_with_decision_columns(pq.read_table(path)))
        if set(KNOWN_SCHEMA.names) - set(table.column_names):
            return cls.empty()
        return cls(
            table.select(INPUTS_SCHEMA.names).cast(INPUTS_SCHEMA),
            table.select(list(DECISION_COLUMNS)),
        )

    def __len__(self) -> int:
        return self.table.num_rows

    def restricted_to(
        self, keys: pa.Table, fingerprints: dict[str, str] | None = None
    ) -> KnownInputs:
        """Only the inputs whose every document is in `keys` (`doc_id`, `content_sha256`: the
        previous version's), was quarantined at ingest, or was dropped or quarantined by a
        stage whose fingerprint in `fingerprints` is the one recorded with the decision.

        An unchanged document has no text, so it must be carried from the previous version or
        keep its earlier decision (`standing_decisions`); inputs with a document that neither
        covers (dropped by dedup, or by a stage configured differently now) are read again.
        """
        import polars as pl

        if self.table.num_rows == 0:
            return self
        wanted = pc.binary_join_element_wise(
            keys.column("doc_id"), keys.column("content_sha256"), "\x00"
        )
        mine = pc.binary_join_element_wise(
            self.table.column("doc_id"), self.table.column("content_sha256"), "\x00"
        )
        ok = pc.or_(
            pc.or_(
                pc.is_valid(self.table.column("reason")),
                pc.fill_null(pc.is_in(mine, value_set=wanted.combine_chunks()), False),
            ),
            self._standing_mask(fingerprints or {}),
        )
        # the unit is the input: a container file with all its members, or a plain input
        unit = pc.coalesce(self.table.column("container_locator"), self.table.column("locator"))
        frame = pl.from_arrow(
            self.table.select(["source_id"]).append_column("_unit", unit).append_column("_ok", ok)
        )
        assert isinstance(frame, pl.DataFrame)
        mask = frame.select(pl.col("_ok").all().over("source_id", "_unit"))["_ok"].to_arrow()
        return KnownInputs(self.table.filter(mask), self._decisions.filter(mask))

    def _standing_mask(self, fingerprints: dict[str, str]) -> pa.Array:
        """Rows whose recorded decision was made under the stage's current fingerprint."""
        if not fingerprints:
            return pa.array([False] * self.table.num_rows, pa.bool_())
        stages = pa.array(list(fingerprints), pa.string())
        wanted = pa.array(list(fingerprints.values()), pa.string())
        index = pc.index_in(self._decisions.column("decision_stage"), value_set=stages)
        current = pc.take(wanted, index)
        same = pc.equal(self._decisions.column("decision_fingerprint"), current)
        return pc.fill_null(same, False).combine_chunks()

    def standing_decisions(self, fingerprints: dict[str, str]) -> pa.Table:
        """`doc_id`, `content_sha256` and the earlier decision of every document whose
        decision still stands under `fingerprints`: an incremental run decides an unread
        document from these instead of running the stages again."""
        both = self.table.select(["doc_id", "content_sha256"])
        for name in DECISION_COLUMNS[:4]:
            both = both.append_column(name, self._decisions.column(name))
        return both.filter(self._standing_mask(fingerprints))

    def for_source(self, source: SourceConfig) -> SourceKnown | None:
        """What is known of `source` under its current settings; None when nothing is."""
        if self.table.num_rows == 0:
            return None
        mask = pc.and_(
            pc.equal(self.table.column("source_id"), source.id),
            pc.equal(self.table.column("fingerprint"), ingest_fingerprint(source)),
        )
        rows = self.table.filter(pc.fill_null(mask, False))
        if rows.num_rows == 0:
            return None
        known = SourceKnown.build(rows, source)
        return known if len(known) else None


class SourceKnown:
    """One source's known inputs, indexed by input (a plain input's locator, or a container
    file's); `match` says whether one is unchanged."""

    def __init__(
        self,
        table: pa.Table,
        groups: dict[str, int],
        bounds: np.ndarray,
        stat: pa.Table | None = None,
    ) -> None:
        self.table = table
        self._groups = groups  # input -> group number, only for groups that may be skipped
        self._bounds = bounds  # (start, stop) row range of each group
        # What decides "unchanged" per row: the container file's stat for a member row, the
        # row's own otherwise (`stat`: size_bytes, mtime_ns, etag; default the row's own).
        stat = stat if stat is not None else table.select(["size_bytes", "mtime_ns", "etag"])
        # Nulls become a sentinel: a float array (with NaN) would round nanosecond mtimes.
        self._size = pc.fill_null(stat.column("size_bytes"), _NULL).to_numpy()
        self._mtime = pc.fill_null(stat.column("mtime_ns"), _NULL).to_numpy()
        self._etag = stat.column("etag")
        # Rows of a container: they keep their own recorded size and time when unchanged.
        self.member_rows = pc.is_valid(table.column("container_locator")).to_numpy(
            zero_copy_only=False
        )
        self.own_size = pc.fill_null(table.column("size_bytes"), _NULL).to_numpy()
        self.own_mtime = pc.fill_null(table.column("mtime_ns"), _NULL).to_numpy()

    @classmethod
    def build(cls, rows: pa.Table, source: SourceConfig) -> SourceKnown:
        import polars as pl

        rows = _with_container_columns(rows)
        frame = pl.from_arrow(rows)
        assert isinstance(frame, pl.DataFrame)
        member = pl.col("container_locator").is_not_null()
        frame = frame.with_columns(
            pl.coalesce("container_locator", "locator").alias("_input"),
            pl.when(member)
            .then(pl.col("container_size_bytes"))
            .otherwise(pl.col("size_bytes"))
            .alias("_size"),
            pl.when(member)
            .then(pl.col("container_mtime_ns"))
            .otherwise(pl.col("mtime_ns"))
            .alias("_mtime"),
            pl.when(member).then(pl.col("container_etag")).otherwise(pl.col("etag")).alias("_etag"),
        ).sort(["_input", "locator", "doc_id"], maintain_order=True)
        table = frame.select(INPUTS_SCHEMA.names).to_arrow().cast(INPUTS_SCHEMA)
        stat = frame.select(
            pl.col("_size").alias("size_bytes"),
            pl.col("_mtime").alias("mtime_ns"),
            pl.col("_etag").alias("etag"),
        ).to_arrow()
        refused = list(TRANSIENT_REASONS)
        if source.type in ROW_SOURCES:
            refused.append(IngestReason.DUPLICATE_ID.value)
        groups = (
            frame.with_row_index("row")
            .group_by("_input", maintain_order=True)
            .agg(
                pl.col("row").min().alias("start"),
                pl.col("row").max().alias("last"),
                pl.col("_size").n_unique().alias("sizes"),
                pl.col("_mtime").n_unique().alias("mtimes"),
                pl.col("_etag").n_unique().alias("etags"),
                pl.col("reason").is_in(refused).any().alias("refused"),
                pl.col("_size").is_not_null().all().alias("has_size"),
                pl.col("_mtime").is_not_null().all().alias("has_mtime"),
                pl.col("_etag").is_not_null().all().alias("has_etag"),
            )
        )
        # What decides "unchanged" for this type must have been seen (module docstring).
        if source.type == "s3":
            seen = pl.col("has_etag")
        elif source.type in ROW_SOURCES:
            seen = pl.col("has_mtime")
        else:
            seen = pl.col("has_size") & pl.col("has_mtime")
        # Rows of an older table name no container: a file whose members are located under it
        # (`a.zip!/b.pdf`, `box.mbox#<id>`) has no recorded stat then, so it is read again, even
        # when the row at its own path (a failure as a whole) would match.
        containers = (
            frame.filter(~member)
            .select(pl.col("locator").str.extract(r"^(.*?)(?:!/|#)", 1).alias("base"))
            .drop_nulls()
            .unique()
            .get_column("base")
        )
        usable = groups.filter(
            (pl.col("sizes") == 1)
            & (pl.col("mtimes") == 1)
            & (pl.col("etags") == 1)
            & ~pl.col("refused")
            & ~pl.col("_input").is_in(containers.implode())
            & seen
        )
        bounds = np.stack(
            [usable["start"].to_numpy(), usable["last"].to_numpy() + 1], axis=1
        ).astype(np.int64)
        index = {name: number for number, name in enumerate(usable["_input"].to_list())}
        return cls(table, index, bounds, stat)

    def __len__(self) -> int:
        return len(self._groups)

    def match(
        self,
        locator: str,
        *,
        size: int | None = None,
        mtime_ns: int | None = None,
        etag: str | None = None,
    ) -> tuple[int, int] | None:
        """The row range of `locator`'s documents if it is unchanged, else None.

        With a known ETag the ETag decides (and the size, when both are known); otherwise the
        mtime (to the microsecond), and the size when the previous run knew it.
        """
        number = self._groups.get(locator)
        if number is None:
            return None
        start, stop = (int(v) for v in self._bounds[number])
        known_size = int(self._size[start])
        if known_size != _NULL and size != known_size:
            return None
        known_etag = self._etag[start].as_py()
        if known_etag is not None:
            return (start, stop) if etag == known_etag else None
        known_mtime = int(self._mtime[start])
        if known_mtime == _NULL or mtime_ns is None:
            return None
        return (start, stop) if known_mtime // 1000 == mtime_ns // 1000 else None

    def number_of(self, locator: str) -> int | None:
        """The group number of an input that may be skipped (None: it is read anyway)."""
        return self._groups.get(locator)

    def unseen(self, seen: np.ndarray) -> list[str]:
        """The skippable inputs whose group number is not marked in `seen` (gone since)."""
        count = len(self._groups)
        names = np.fromiter(self._groups.keys(), object, count)
        numbers = np.fromiter(self._groups.values(), np.int64, count)
        return names[~seen[numbers]].tolist()

    def doc_ids(self, start: int, stop: int, *, documents_only: bool = True) -> list[str]:
        """The document ids of a row range (only those that were documents, by default)."""
        rows = self.table.slice(start, stop - start)
        if documents_only:
            rows = rows.filter(pc.is_null(rows.column("reason")))
        return rows.column("doc_id").to_pylist()


class UnchangedRows:
    """Collects the documents of unchanged inputs and builds `IngestBatch.unchanged` tables."""

    def __init__(self, known: SourceKnown, *, run_id: str, source_id: str) -> None:
        self.known = known
        self.run_id = run_id
        self.source_id = source_id
        self._rows: list[int] = []
        self._modified: list[int | None] = []
        self._size: list[int | None] = []
        self._containers: list[tuple[str, int | None, int | None, str | None]] = []

    def __len__(self) -> int:
        return len(self._rows)

    def add(
        self,
        locator: str,
        *,
        size: int | None = None,
        mtime_ns: int | None = None,
        etag: str | None = None,
        modified_us: int | None = None,
    ) -> bool:
        """Take `locator`'s documents if it is unchanged; False when it must be read.

        For a container file, those are all its members: each keeps its own recorded size and
        time, and the file's current stat is recorded beside it for the next run.
        """
        found = self.known.match(locator, size=size, mtime_ns=mtime_ns, etag=etag)
        if found is None:
            return False
        start, stop = found
        if modified_us is None and mtime_ns is not None:
            modified_us = mtime_ns // 1000
        self._rows.extend(range(start, stop))
        known = self.known
        if not known.member_rows[start:stop].any():
            self._modified.extend([modified_us] * (stop - start))
            self._size.extend([size] * (stop - start))
            return True
        truncated = None if mtime_ns is None else mtime_ns // 1000 * 1000
        for row in range(start, stop):
            if known.member_rows[row]:
                own_size, own_mtime = int(known.own_size[row]), int(known.own_mtime[row])
                self._modified.append(None if own_mtime == _NULL else own_mtime // 1000)
                self._size.append(None if own_size == _NULL else own_size)
                self._containers.append((locator, size, truncated, etag))
            else:
                self._modified.append(modified_us)
                self._size.append(size)
        return True

    def table(self) -> pa.Table:
        """The collected rows as an UNCHANGED_SCHEMA table (and start collecting anew)."""
        from curation.ingest.records import UNCHANGED_SCHEMA

        known = self.known.table.take(pa.array(self._rows, pa.int64()))
        metadata = pa.array(
            [
                json.dumps({"etag": etag}, ensure_ascii=False) if etag is not None else None
                for etag in known.column("etag").to_pylist()
            ],
            pa.string(),
        )
        size = pa.array(self._size, pa.int64())
        documents = conform(
            pa.table(
                {
                    "doc_id": known.column("doc_id"),
                    "source_id": known.column("source_id"),
                    "source_uri": known.column("source_uri"),
                    "relative_path": known.column("locator"),
                    "content_sha256": known.column("content_sha256"),
                    "size_bytes": pc.if_else(
                        pc.is_valid(known.column("size_bytes")),
                        size,
                        pa.nulls(len(size), pa.int64()),
                    ),
                    "modified_at": pa.array(self._modified, pa.int64()).cast(TIMESTAMP),
                    "metadata_json": metadata,
                    "run_id": pa.array([self.run_id] * known.num_rows, pa.string()),
                }
            )
        )
        self._rows, self._modified, self._size = [], [], []
        return documents.append_column(UNCHANGED_SCHEMA.field("reason"), known.column("reason"))

    def _container_table(self, rows: list[int]) -> pa.Table:
        """CONTAINERS_SCHEMA rows of the collected member rows (`rows`: their known rows)."""
        from curation.ingest.records import CONTAINERS_SCHEMA

        members = [row for row in rows if self.known.member_rows[row]]
        stats, self._containers = self._containers, []
        return pa.Table.from_pydict(
            {
                "doc_id": self.known.table.column("doc_id").take(pa.array(members, pa.int64())),
                "container_locator": [stat[0] for stat in stats],
                "container_size_bytes": [stat[1] for stat in stats],
                "container_mtime_ns": [stat[2] for stat in stats],
                "container_etag": [stat[3] for stat in stats],
            },
            schema=CONTAINERS_SCHEMA,
        )

    def batch(self) -> IngestBatch:
        """An ingest batch holding only the collected unchanged rows."""
        from curation.ingest.records import IngestBatch, rows_to_documents, rows_to_quarantined

        containers = self._container_table(self._rows)
        return IngestBatch(
            documents=rows_to_documents([], self.run_id, self.source_id),
            quarantined=rows_to_quarantined([], self.run_id, self.source_id),
            unchanged=self.table(),
            containers=containers,
        )


def ingest_folder_skipping(
    source: SourceConfig,
    known: SourceKnown,
    *,
    run_id: str,
    batch_size: int,
    workers: int,
    pool: SharedPool | None = None,
) -> Iterator[IngestBatch]:
    """A folder source with unchanged files left unread: those come back as unchanged rows,
    the others go through the folder ingest in chunks (so neither list outgrows a chunk while
    the walk goes on), extracted by `pool`, the run's shared pool, or else one pool per
    chunk."""
    from curation.ingest.files import ingest_folder
    from curation.ingest.folder import walk_folder

    def extract(entries: list) -> Iterator[IngestBatch]:
        return ingest_folder(
            source,
            run_id=run_id,
            batch_size=batch_size,
            workers=workers,
            entries=entries,
            pool=pool,
        )

    root = Path(source.path).resolve()
    dirty = changed_stems(folder_listing(root, source), known)
    unchanged = UnchangedRows(known, run_id=run_id, source_id=source.id)
    changed = []
    chunk = batch_size * 16
    for entry in walk_folder(root, source.include, source.exclude):
        if (
            entry.problem is None
            and not follows_a_change(entry.relative_path, dirty)
            and unchanged.add(entry.relative_path, size=entry.size, mtime_ns=entry.mtime_ns)
        ):
            if len(unchanged) >= batch_size:
                yield unchanged.batch()
            continue
        changed.append(entry)
        if len(changed) >= chunk:
            yield from extract(changed)
            changed = []
    if changed:
        yield from extract(changed)
    if len(unchanged):
        yield unchanged.batch()


# One input of a listing: (relative path, size, mtime_ns, etag, readable). A folder walk gives
# the mtime, an object store listing the ETag; an entry the walk could not stat is unreadable.
Listed = tuple[str, int | None, int | None, str | None, bool]


def changed_stems(listing: Iterable[Listed], known: SourceKnown) -> frozenset[str]:
    """The stems (path without its suffix) of the inputs added, changed or deleted since `known`
    was recorded, from one listing of the source (a folder walk, an object store listing) that
    reads nothing but the listing.

    A document without license evidence of its own inherits the notice of a companion, a
    document it is named after (`pep-0602-calendar.pptx` of `pep-0602.rst`, `pep-0639/x.odp`
    of `pep-0639.md`; `licensing.resolve.companion_stems`). An unchanged input whose companion
    changed must be decided again, so the skipping ingests (`ingest_folder_skipping`,
    `curation.ingest.s3.ingest_s3`) read it again; that needs every change known before the
    first input is skipped, hence a listing of its own.
    """
    seen = np.zeros(len(known), bool)
    stems: set[str] = set()
    for path, size, mtime_ns, etag, readable in listing:
        number = known.number_of(path)
        if number is not None:
            seen[number] = True
        if not readable or known.match(path, size=size, mtime_ns=mtime_ns, etag=etag) is None:
            stems.add(_stem(path))
    stems.update(_stem(path) for path in known.unseen(seen))
    return frozenset(stems)


def folder_listing(root: Path, source: SourceConfig) -> Iterator[Listed]:
    """A folder source's inputs as `changed_stems` reads them (a walk, no file opened)."""
    from curation.ingest.folder import walk_folder

    for entry in walk_folder(root, source.include, source.exclude):
        yield entry.relative_path, entry.size, entry.mtime_ns, None, entry.problem is None


def follows_a_change(relative_path: str, stems: frozenset[str]) -> bool:
    """True when a companion `relative_path` may inherit a license from is among `stems`.

    Examples
    --------
    >>> follows_a_change("a/pep-0602-calendar.pptx", frozenset({"a/pep-0602"}))
    True
    >>> follows_a_change("a/pep-0639/x.odp", frozenset({"a/pep-0639"}))
    True
    >>> follows_a_change("a/pep-0700.md", frozenset({"a/pep-0602"}))
    False
    """
    # every companion stem is a prefix of the path (its folder, or a name it starts with):
    # most paths share a prefix with no changed stem and are decided without computing them
    if not stems or not relative_path.startswith(tuple(stems)):
        return False
    from licensing.resolve import companion_stems

    return any(stem in stems for stem in companion_stems(relative_path))


def _stem(relative_path: str) -> str:
    from pathlib import PurePosixPath

    return str(PurePosixPath(relative_path).with_suffix(""))
