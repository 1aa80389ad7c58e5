"""`curate dedup` on a file: JSONL or Parquet in, one row per input document out.

The library function behind the CLI command; users run it to try thresholds on their data.
In memory by default; `out_of_core=True` streams the file to a Parquet staging copy and runs
`deduplicate_parquet` (DuckDB and Parquet partitions under a work folder, optionally on a
Dask cluster), for files larger than memory. Both write the same rows.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from curation.dedup.config import DedupConfig
from curation.dedup.exceptions import DedupInputError
from curation.dedup.stage import representatives
from curation.tabular import read_records, scan_records, table_format, write_atomic

_NEWEST = pl.CompatLevel.newest()


def _scan(path: Path, text_field: str, id_field: str) -> pl.LazyFrame:
    """A lazy scan of a JSONL/Parquet input whose id and text columns are checked to exist."""
    lazy = scan_records(path, fields=(id_field, text_field))
    if lazy.collect_schema()[text_field] not in (pl.String, pl.Null):
        raise DedupInputError(f"input {path}: column {text_field!r} is not text")
    return lazy


def _read(path: Path, text_field: str, id_field: str) -> pl.DataFrame:
    return read_records(path, text_field=text_field, id_field=id_field).select(id_field, text_field)


def _write(frame: pl.DataFrame, path: Path) -> None:
    write_atomic(frame, path)


def dedup_file(
    input_path: str | Path,
    output_path: str | Path,
    *,
    text_field: str = "text",
    id_field: str = "id",
    threshold: float | None = None,
    config: DedupConfig | None = None,
    out_of_core: bool = False,
    work_dir: str | Path | None = None,
    memory_limit: str | None = "8GB",
    dask_address: str | None = None,
) -> dict[str, Any]:
    """Find exact and near duplicates in a JSONL/Parquet file; write `id, cluster_id, duplicate`.

    `cluster_id` is the id of the kept representative (the row's own id when kept). Returns a
    summary (counts, output path, seconds). The representative rule is `oldest`, which without
    dates means the smallest id. With `out_of_core`, intermediate files go to a fresh folder
    inside `work_dir` (default: beside the output), removed afterwards; `memory_limit` bounds
    DuckDB (it spills beyond it); `dask_address` runs the sketch and candidate tasks on that
    Dask scheduler, whose workers must see `work_dir`.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> text = "a handbook page about travel policy and how to book a trip " * 3
    >>> rows = [{"id": 1, "text": text}, {"id": 2, "text": text + "!"}, {"id": 3, "text": "x"}]
    >>> _ = (folder / "in.jsonl").write_text("\\n".join(json.dumps(r) for r in rows))
    >>> dedup_file(folder / "in.jsonl", folder / "out.jsonl")["duplicates"]
    1
    >>> (folder / "out.jsonl").read_text().splitlines()[1]
    '{"id":2,"cluster_id":1,"duplicate":true}'
    """
    started = time.perf_counter()
    cfg = config or DedupConfig()
    if threshold is not None:
        cfg = replace(cfg, threshold=threshold, kept_similarity=min(cfg.kept_similarity, threshold))
    source, target = Path(input_path), Path(output_path)
    table_format(target, role="output")
    if not out_of_core and (work_dir is not None or dask_address is not None):
        raise DedupInputError("a work folder and a Dask address need out-of-core mode")
    if out_of_core:
        return _dedup_out_of_core(
            source,
            target,
            cfg,
            text_field=text_field,
            id_field=id_field,
            work_dir=(Path(work_dir) if work_dir is not None else target.parent).resolve(),
            memory_limit=memory_limit,
            dask_address=dask_address,
            started=started,
        )
    frame = _read(source, text_field, id_field)
    ids = frame[id_field]
    table = pa.table(
        {
            "doc_id": ids.cast(pl.String).to_arrow().cast(pa.string()),
            # as polars holds it (string views), without a copy of the whole text: the
            # sketch converts one batch of documents at a time
            "text": frame[text_field].cast(pl.String).to_arrow(compat_level=_NEWEST),
        }
    )
    # without an index every representative is a row of the file: its id, in the id's type
    pointer, stats = representatives(table, cfg)
    duplicate = pl.Series("duplicate", pointer != np.arange(len(pointer)))
    result = pl.DataFrame({"id": ids, "cluster_id": ids.gather(pointer), "duplicate": duplicate})
    _write(result, target)
    return {
        "input": str(source),
        "output": str(target),
        "documents": frame.height,
        "duplicates": int(duplicate.sum()),
        "exact_duplicates": stats["exact_duplicates"],
        "near_duplicates": stats["near_duplicates"],
        "kept": stats["kept"],
        "threshold": cfg.threshold,
        "seconds": round(time.perf_counter() - started, 3),
    }


def _dedup_out_of_core(
    source: Path,
    target: Path,
    cfg: DedupConfig,
    *,
    text_field: str,
    id_field: str,
    work_dir: Path,
    memory_limit: str | None,
    dask_address: str | None,
    started: float,
) -> dict[str, Any]:
    """`dedup_file` through `deduplicate_parquet`: nothing larger than a batch in memory."""
    from curation.dedup.outofcore import deduplicate_parquet

    work_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".dedup-", dir=work_dir))
    client = None
    try:
        staging = work / "input.parquet"
        _stage(source, staging, text_field, id_field, memory_limit, work)
        if dask_address is not None:
            from distributed import Client

            try:
                client = Client(dask_address, timeout="30s")
            except (OSError, TimeoutError) as error:
                raise DedupInputError(
                    f"no Dask scheduler answers at {dask_address}: {error}"
                ) from error
        result = deduplicate_parquet(
            staging, work / "dedup", cfg, memory_limit=memory_limit, dask_scheduler=client
        )
        _write_assignments(result.assignments, staging, target, work, memory_limit)
    finally:
        if client is not None:
            client.close()
        shutil.rmtree(work, ignore_errors=True)
    stats = result.stats
    return {
        "input": str(source),
        "output": str(target),
        "documents": stats["documents"],
        "duplicates": stats["documents"] - stats["kept"],
        "exact_duplicates": stats["exact_duplicates"],
        "near_duplicates": stats["near_duplicates"],
        "kept": stats["kept"],
        "threshold": cfg.threshold,
        "out_of_core": True,
        "phase_seconds": stats["phase_seconds"],
        "seconds": round(time.perf_counter() - started, 3),
    }


# rows per staging row group at most (one sketch task each); `group_rows` caps it by bytes too
_STAGE_ROW_GROUP = 100_000


def _stage(
    path: Path, staging: Path, text_field: str, id_field: str, memory_limit: str | None, work: Path
) -> None:
    """Stream the input to Parquet with `doc_id` (string), `text` and the original `source_id`,
    then check ids (present, unique) with DuckDB, which spills where a hash set would not fit.
    """
    from curation.dedup.outofcore import connect, group_rows, sql_path

    try:
        lazy = _scan(path, text_field, id_field)
        # a cheap streaming pass sizes the row groups by bytes as well as rows
        counts = lazy.select(
            pl.len().alias("rows"),
            pl.col(text_field).cast(pl.String).str.len_bytes().sum().alias("bytes"),
        ).collect(engine="streaming")
        rows_per_group = group_rows(
            int(counts["rows"][0]), int(counts["bytes"][0] or 0), _STAGE_ROW_GROUP
        )
        lazy.select(
            pl.col(id_field).cast(pl.String).alias("doc_id"),
            pl.col(text_field).cast(pl.String).alias("text"),
            pl.col(id_field).alias("source_id"),
        ).sink_parquet(staging, row_group_size=rows_per_group)
    except DedupInputError:
        raise
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        raise DedupInputError(f"input {path} could not be read: {error}") from error
    staged = sql_path(staging)
    con = connect(work, memory_limit)
    try:
        nulls, repeated = con.execute(
            f"""
            SELECT (SELECT count(*) FROM read_parquet({staged}) WHERE doc_id IS NULL),
                   (SELECT count(*) FROM (SELECT doc_id FROM read_parquet({staged})
                                          WHERE doc_id IS NOT NULL
                                          GROUP BY doc_id HAVING count(*) > 1))
            """
        ).fetchone()
    finally:
        con.close()
    if nulls:
        raise DedupInputError(f"input {path}: {nulls} rows have no {id_field!r}")
    if repeated:
        raise DedupInputError(f"input {path}: values of {id_field!r} must be unique")


def _write_assignments(
    assignments: Path, staging: Path, target: Path, work: Path, memory_limit: str | None
) -> None:
    """`id, cluster_id, duplicate` in input order, ids in their original type.

    Assignments and staging rows are both in input order, so they pair up positionally; only
    the kept representatives of duplicates are looked up by id.
    """
    from curation.dedup.outofcore import connect, sql_path

    fmt = table_format(target, role="output")
    ordered = work / "output.parquet"
    assigned_sql, staging_sql = sql_path(assignments), sql_path(staging)
    # no CTE is read twice: DuckDB would materialize it where two Parquet scans stream
    con = connect(work, memory_limit)
    try:
        con.execute(
            f"""
            COPY (
                WITH k AS (SELECT doc_id, source_id FROM read_parquet({staging_sql})
                           WHERE doc_id IN (SELECT cluster_id FROM read_parquet({assigned_sql})
                                            WHERE duplicate)),
                     p AS (SELECT * FROM (SELECT cluster_id, duplicate, file_row_number AS r
                                          FROM read_parquet({assigned_sql},
                                                            file_row_number = true))
                           POSITIONAL JOIN
                           (SELECT source_id FROM read_parquet({staging_sql})))
                SELECT p.source_id AS id, coalesce(k.source_id, p.source_id) AS cluster_id,
                       p.duplicate
                FROM p LEFT JOIN k ON p.duplicate AND k.doc_id = p.cluster_id
                ORDER BY p.r
            ) TO {sql_path(ordered)} (FORMAT parquet)
            """
        )
    finally:
        con.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.partial")
    frame = pl.scan_parquet(ordered)
    if fmt == "parquet":
        frame.sink_parquet(tmp)
    else:
        frame.sink_ndjson(tmp)
    tmp.replace(target)
