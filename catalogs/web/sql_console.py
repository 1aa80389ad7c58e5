"""A read-only SQL console over one version: the version is the DuckDB view `docs`.

Each query gets a fresh in-memory DuckDB connection. The view is created over the version's
Parquet files, then the connection is shut: those files become the only readable paths
(`allowed_paths`), external access is disabled (no other file, no URL, no extension, no COPY
or ATTACH) and the configuration is locked, so no query can turn any of that back on. Only one
SELECT statement is accepted, its rows are fetched up to a limit, and a timer interrupts a query
that runs too long.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from catalogs.live_rows import live_parquet_sql
from catalogs.web.exceptions import QueryRefused

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

MAX_ROWS = 10_000
# Rows of full documents are large: fetching stops at this much Arrow data too.
MAX_BYTES = 64 * 1024 * 1024
BATCH_ROWS = 512
PAGE_ROWS = 100
TIMEOUT_S = 10.0
MEMORY_LIMIT = "1GB"
MAX_SQL_CHARS = 20_000
EXAMPLE_QUERY = "SELECT source_id, lang, count(*) AS documents\nFROM docs\nGROUP BY ALL\nORDER BY documents DESC"


@dataclass(frozen=True)
class QueryResult:
    """The first rows of a query's result (at most `MAX_ROWS`) and whether there were more."""

    table: pa.Table
    truncated: bool
    max_rows: int

    @property
    def columns(self) -> list[dict[str, str]]:
        return [{"name": f.name, "type": str(f.type)} for f in self.table.schema]

    def page(self, number: int, size: int = PAGE_ROWS) -> list[list[Any]]:
        """Rows of page `number` (1-based) as lists of Python values."""
        start = (max(1, number) - 1) * size
        window = self.table.slice(start, size)
        columns = [column.to_pylist() for column in window.columns]
        return [list(row) for row in zip(*columns, strict=True)] if columns else []


def check_single_select(sql: str) -> str:
    """Return `sql` when it is exactly one SELECT statement; refuse anything else.

    Examples
    --------
    >>> check_single_select("SELECT count(*) FROM docs")
    'SELECT count(*) FROM docs'
    >>> check_single_select("SELECT 1; SELECT 2")
    Traceback (most recent call last):
    ...
    catalogs.web.exceptions.QueryRefused: one statement at a time: this query has 2
    >>> check_single_select("SET enable_external_access = true")
    Traceback (most recent call last):
    ...
    catalogs.web.exceptions.QueryRefused: only SELECT queries run here (this is a SET statement): the console is read-only
    """
    import duckdb

    if not sql.strip():
        raise QueryRefused("write a SELECT query over the view `docs`")
    if len(sql) > MAX_SQL_CHARS:
        raise QueryRefused(f"the query is longer than {MAX_SQL_CHARS} characters")
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise QueryRefused(_first_line(error)) from error
    if len(statements) != 1:
        raise QueryRefused(f"one statement at a time: this query has {len(statements)}")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise QueryRefused(
            f"only SELECT queries run here (this is a {kind.name} statement): the console is "
            "read-only"
        )
    return sql


def sandboxed_connection(
    paths: list[str], deleted: Mapping[str, Sequence[int]] | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory connection whose only readable data is the view `docs` over `paths`, less
    the rows `deleted` names (path -> positions: the version's position deletes)."""
    import duckdb

    connection = duckdb.connect(":memory:")
    try:
        literal = "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"
        connection.execute(f"SET allowed_paths = {literal}")
        connection.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        # Spilling would write files; a query too big for memory fails instead.
        connection.execute("SET temp_directory = ''")
        connection.execute("SET autoinstall_known_extensions = false")
        connection.execute("SET autoload_known_extensions = false")
        if paths:
            connection.execute(
                f"CREATE VIEW docs AS SELECT * FROM {live_parquet_sql(paths, deleted)}"
            )
        else:
            connection.execute("CREATE VIEW docs AS SELECT NULL::VARCHAR AS doc_id WHERE false")
        connection.execute("SET enable_external_access = false")
        connection.execute("SET lock_configuration = true")
    except BaseException:
        connection.close()
        raise
    return connection


def run_query(
    paths: list[str],
    sql: str,
    *,
    deleted: Mapping[str, Sequence[int]] | None = None,
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_BYTES,
    timeout_s: float = TIMEOUT_S,
) -> QueryResult:
    """Run one SELECT over the view `docs` of `paths` (less the `deleted` rows of each path),
    fetching at most `max_rows` rows.

    Fetching also stops once `max_bytes` of results are held; the result says it was cut.
    """
    import duckdb
    import pyarrow as pa

    check_single_select(sql)
    connection = sandboxed_connection(paths, deleted)
    timer = threading.Timer(timeout_s, connection.interrupt)
    timer.daemon = True
    timer.start()
    try:
        reader = connection.execute(sql).fetch_record_batch(min(max_rows + 1, BATCH_ROWS))
        batches: list[pa.RecordBatch] = []
        fetched = held = 0
        for batch in reader:
            batches.append(batch)
            fetched += batch.num_rows
            held += batch.nbytes
            if fetched > max_rows or held > max_bytes:
                break
        cut = fetched > max_rows or (held > max_bytes and _has_more(reader))
        table = pa.Table.from_batches(batches, schema=reader.schema)
    except duckdb.InterruptException as error:
        raise QueryRefused(
            f"the query ran longer than {timeout_s:g} s and was stopped: add a LIMIT or a "
            "narrower WHERE"
        ) from error
    except duckdb.Error as error:
        raise QueryRefused(_first_line(error)) from error
    finally:
        timer.cancel()
        connection.close()
    return QueryResult(table=table.slice(0, max_rows), truncated=cut, max_rows=max_rows)


def _has_more(reader: pa.RecordBatchReader) -> bool:
    try:
        reader.read_next_batch()
    except StopIteration:
        return False
    return True


def to_csv(table: pa.Table) -> bytes:
    """The result as CSV with a header row."""
    import pyarrow.csv as pacsv

    sink = io.BytesIO()
    try:
        pacsv.write_csv(_flat(table), sink)
    except NotImplementedError:  # a type CSV cannot hold (intervals, ...): write it as text
        sink = io.BytesIO()
        pacsv.write_csv(_flat(table, everything=True), sink)
    return sink.getvalue()


def to_parquet(table: pa.Table) -> bytes:
    """The result as one Parquet file (nested types kept)."""
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _flat(table: pa.Table, *, everything: bool = False) -> pa.Table:
    """Nested columns (lists, structs, maps) as JSON text: CSV has no nested types.

    With `everything`, every column that is not a string is written as JSON text.
    """
    import json

    import pyarrow as pa

    columns = []
    for column in table.columns:
        if pa.types.is_nested(column.type) or (everything and not pa.types.is_string(column.type)):
            values = [None if v is None else json.dumps(v, default=str) for v in column.to_pylist()]
            column = pa.array(values, pa.string())
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def _first_line(error: Exception) -> str:
    """DuckDB's message without its caret drawing: one line that names the problem."""
    lines = [line for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__
