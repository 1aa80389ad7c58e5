"""The reconciliation of a run's ledger, as DuckDB queries over its Parquet parts.

`curation.ledger.reconcile` checks `inputs = kept + dropped + quarantined` on Arrow tables in
memory. A run of 10^7 documents has a ledger of several times that many rows, and its kept set
lives in staged batches next to their text; here the same checks are anti-joins and group-bys
over the files, which DuckDB streams (spilling to `spill_dir` past `MEMORY_LIMIT`), so the flow
process holds counts only. The result, problem messages included, is the `Reconciliation` that
`reconcile` returns for the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from curation.ledger import TERMINAL, Reconciliation, _stage_rank
from curation.stage import Decision, Stage

if TYPE_CHECKING:
    import duckdb

# DuckDB's own memory, outside Arrow's pool; it spills to disk past it.
MEMORY_LIMIT = "256MB"
_EMPTY_IDS = "SELECT CAST(NULL AS VARCHAR) AS doc_id WHERE false"


def connect(spill_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with bounded memory that spills to `spill_dir`."""
    import duckdb

    connection = duckdb.connect()
    connection.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    connection.execute("SET preserve_insertion_order = false")
    if spill_dir is not None:
        spill_dir.mkdir(parents=True, exist_ok=True)
        connection.execute(f"SET temp_directory = '{spill_dir.as_posix()}'")
    return connection


def parquet_relation(files: Sequence[Path], columns: str = "doc_id") -> str:
    """A SQL relation over Parquet `files` (`columns` of them); an empty one when there are none."""
    if not files:
        return _EMPTY_IDS if columns == "doc_id" else "SELECT * FROM (SELECT 1) WHERE false"
    listed = ", ".join("'" + str(p).replace("'", "''") + "'" for p in files)
    return f"SELECT {columns} FROM read_parquet([{listed}])"


def reconcile_files(
    ledger_files: Sequence[Path],
    kept_files: Sequence[Path],
    *,
    spill_dir: Path | None = None,
) -> Reconciliation:
    """`curation.ledger.reconcile` over Parquet files: the inputs are the ledger's `ingest`
    rows, the kept set the `doc_id`s of `kept_files`.

    A document is *terminal* at the first stage that drops or quarantines it; it must not
    appear in the kept set, and it must not be decided again by a later stage.
    """
    terminal_values = ", ".join(f"'{d.value}'" for d in TERMINAL)
    with connect(spill_dir) as db:
        if ledger_files:
            db.execute(
                "CREATE VIEW ledger AS "
                + parquet_relation(ledger_files, "doc_id, stage, decision, reason")
            )
        else:
            db.execute(
                "CREATE VIEW ledger AS SELECT CAST(NULL AS VARCHAR) AS doc_id, "
                "CAST(NULL AS VARCHAR) AS stage, CAST(NULL AS VARCHAR) AS decision, "
                "CAST(NULL AS VARCHAR) AS reason WHERE false"
            )
        db.execute(f"CREATE VIEW kept AS {parquet_relation(kept_files)}")
        db.execute(
            f"CREATE VIEW inputs AS SELECT doc_id FROM ledger WHERE stage = '{Stage.INGEST.value}'"
        )
        db.execute(
            "CREATE VIEW terminal AS SELECT doc_id, decision, reason FROM ledger "
            f"WHERE decision IN ({terminal_values})"
        )
        n_inputs, n_unique_inputs = _one(db, "SELECT count(*), count(DISTINCT doc_id) FROM inputs")
        n_kept = _one(db, "SELECT count(*) FROM kept")[0]
        n_terminal, n_unique_terminal, n_dropped = _one(
            db,
            "SELECT count(*), count(DISTINCT doc_id), "
            f"count(*) FILTER (WHERE decision = '{Decision.DROPPED.value}') FROM terminal",
        )
        kept_and_terminal = _one(db, "SELECT count(*) FROM kept SEMI JOIN terminal USING (doc_id)")[
            0
        ]
        n_missing = _one(
            db,
            "SELECT count(*) FROM inputs ANTI JOIN "
            "(SELECT doc_id FROM kept UNION ALL SELECT doc_id FROM terminal) USING (doc_id)",
        )[0]
        by_stage: dict[str, dict[str, int]] = {}
        for stage, decision, count in db.execute(
            "SELECT stage, decision, count(*) FROM ledger GROUP BY ALL ORDER BY ALL"
        ).fetchall():
            by_stage.setdefault(stage, {})[decision] = count
        by_reason: dict[str, int] = {}
        for reason, count in db.execute(
            "SELECT coalesce(reason, 'unknown'), count(*) FROM terminal GROUP BY ALL"
        ).fetchall():
            by_reason[reason] = by_reason.get(reason, 0) + count
    n_quarantined = n_terminal - n_dropped
    problems: list[str] = []
    if n_unique_terminal != n_terminal:
        problems.append("a document has more than one terminal decision")
    if n_unique_inputs != n_inputs:
        problems.append("duplicate doc_id among inputs")
    if kept_and_terminal:
        problems.append("a kept document was also dropped or quarantined")
    if n_kept + n_terminal != n_inputs:
        problems.append(
            f"inputs {n_inputs} != kept {n_kept} + dropped {n_dropped} + "
            f"quarantined {n_quarantined}"
        )
    if n_missing:
        problems.append(f"{n_missing} input documents have no outcome in the ledger")
    return Reconciliation(
        inputs=n_inputs,
        kept=n_kept,
        dropped=n_dropped,
        quarantined=n_quarantined,
        by_stage=dict(sorted(by_stage.items(), key=lambda kv: _stage_rank(kv[0]))),
        by_reason=dict(sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0]))),
        problems=tuple(problems),
    )


def _one(db: duckdb.DuckDBPyConnection, query: str) -> tuple[int, ...]:
    row = db.execute(query).fetchone()
    assert row is not None
    return tuple(int(v or 0) for v in row)
