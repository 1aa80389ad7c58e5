"""`curate dedup` on a file: JSONL or Parquet in, one row per input document out.

The library function behind the CLI command; users run it to try thresholds on their data.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from curation.dedup.config import DedupConfig
from curation.dedup.exceptions import DedupInputError
from curation.dedup.stage import deduplicate

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
PARQUET_SUFFIXES = (".parquet", ".pq")


def _read(path: Path, text_field: str, id_field: str) -> pl.DataFrame:
    if not path.is_file():
        raise DedupInputError(f"input {path} does not exist or is not a file")
    suffix = path.suffix.lower()
    try:
        if suffix in PARQUET_SUFFIXES:
            lazy = pl.scan_parquet(path)
        elif suffix in JSONL_SUFFIXES:
            lazy = pl.scan_ndjson(path, infer_schema_length=None)
        else:
            raise DedupInputError(
                f"input {path}: unknown file type {suffix!r}; use .jsonl/.ndjson or .parquet"
            )
        columns = lazy.collect_schema().names()
        missing = [name for name in (id_field, text_field) if name not in columns]
        if missing:
            raise DedupInputError(
                f"input {path} has no column {', '.join(map(repr, missing))}; its columns are "
                f"{', '.join(columns)}: pass --id-field / --text-field"
            )
        frame = lazy.select(id_field, text_field).collect()
    except DedupInputError:
        raise
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        raise DedupInputError(f"input {path} could not be read: {error}") from error
    ids = frame[id_field]
    if ids.null_count():
        raise DedupInputError(f"input {path}: {ids.null_count()} rows have no {id_field!r}")
    if ids.n_unique() != frame.height:
        raise DedupInputError(f"input {path}: values of {id_field!r} must be unique")
    if frame[text_field].dtype not in (pl.String, pl.Null):
        raise DedupInputError(f"input {path}: column {text_field!r} is not text")
    return frame


def _write(frame: pl.DataFrame, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix not in PARQUET_SUFFIXES + JSONL_SUFFIXES:
        raise DedupInputError(f"output {path}: use a .parquet or .jsonl file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    if suffix in PARQUET_SUFFIXES:
        frame.write_parquet(tmp)
    else:
        frame.write_ndjson(tmp)
    tmp.replace(path)


def dedup_file(
    input_path: str | Path,
    output_path: str | Path,
    *,
    text_field: str = "text",
    id_field: str = "id",
    threshold: float | None = None,
    config: DedupConfig | None = None,
) -> dict[str, Any]:
    """Find exact and near duplicates in a JSONL/Parquet file; write `id, cluster_id, duplicate`.

    `cluster_id` is the id of the kept representative (the row's own id when kept). Returns a
    summary (counts, output path, seconds). The representative rule is `oldest`, which without
    dates means the smallest id.

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
    if target.suffix.lower() not in PARQUET_SUFFIXES + JSONL_SUFFIXES:
        raise DedupInputError(f"output {target}: use a .parquet or .jsonl file name")
    frame = _read(source, text_field, id_field)
    ids = frame[id_field]
    table = pa.table(
        {
            "doc_id": ids.cast(pl.String).to_arrow().cast(pa.string()),
            "text": frame[text_field].cast(pl.String).to_arrow(),
        }
    )
    outcome = deduplicate(table, cfg)
    keys = pl.DataFrame({"key": table.column("doc_id"), id_field: ids})
    cluster = pl.Series("key", outcome.cluster_id).cast(pl.String).to_frame()
    cluster_ids = cluster.join(keys, on="key", how="left", maintain_order="left")[id_field]
    duplicate = pl.Series("duplicate", outcome.decision.decision).cast(pl.String) == "dropped"
    result = pl.DataFrame(
        {"id": ids, "cluster_id": cluster_ids, "duplicate": duplicate.alias("duplicate")}
    )
    _write(result, target)
    stats = outcome.stats
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
