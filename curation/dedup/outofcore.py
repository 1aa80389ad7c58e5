"""Dedup of more documents than fit in memory: Parquet partitions grouped out of core.

The in-memory stage holds every signature at once (10 M documents x 128 permutations = 5 GB,
plus text); this variant keeps only one batch of text in memory and writes everything else to
Parquet under `work_dir`, where DuckDB (sorting, exact-text groups, distinct pairs, signature
joins: all able to spill to disk) and polars (one LSH band at a time) group it:

1. rank: DuckDB orders the documents by the representative rule reading only the small
   metadata columns; node ids are positions in that order (a lower node wins, as in memory).
2. signatures: batches of text stream through the same column-wise shingling and MinHash code
   as the stage; signatures go to `signatures/`, band hashes to `bands/band=<b>/`.
3. exact copies: DuckDB groups the 128-bit text keys; copies leave the near-duplicate search.
4. candidates: one band at a time (a tenth of the rows), polars groups band hashes into pairs;
   DuckDB makes them distinct across bands.
5. verification: DuckDB joins each pair with both signatures, streamed to numpy in batches.
6. clusters: union-find components over the verified edges (two int64 per edge), then the
   representative split, with signatures loaded only for documents in some component.

Memory is bounded by one batch of text, one band of hashes, the edge list and the signatures
of documents that have a near duplicate; everything else stays on disk.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from curation.dedup import cluster
from curation.dedup.candidates import candidate_pairs
from curation.dedup.config import DedupConfig
from curation.dedup.exceptions import DedupInputError
from curation.dedup.minhash import band_hashes, signatures
from curation.dedup.reasons import DedupReason
from curation.dedup.shingles import shingle_batch
from curation.dedup.stage import index_params

_ORDER_SQL = {
    "oldest": "modified_at ASC NULLS LAST, doc_id",
    "newest": "modified_at DESC NULLS LAST, doc_id",
    "longest": "length DESC, doc_id",
    "most_permissive": "permissiveness ASC, modified_at ASC NULLS LAST, doc_id",
}


@dataclass(frozen=True)
class OutOfCoreResult:
    """`assignments`: Parquet with doc_id, cluster_id, duplicate, reason, similarity, one row
    per input row in input order."""

    assignments: Path
    stats: dict[str, Any]


def _connect(work_dir: Path, memory_limit: str | None):
    import duckdb

    con = duckdb.connect(config={"temp_directory": str(work_dir / "duckdb-tmp")})
    if memory_limit:
        if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", memory_limit):
            raise DedupInputError(f"memory_limit {memory_limit!r}: write it like 16GB or 512MiB")
        con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    return con


def _sql_path(path: str | Path) -> str:
    """A path as an SQL string literal (file names are data: quotes are escaped)."""
    return "'" + str(path).replace("'", "''") + "'"


def _rank(con, files: list[str], columns: set[str], rule: str, out: Path) -> int:
    """Write (row, node) for every input row, node = position in representative order.

    `row` counts rows across the files in order (file offset + DuckDB's `file_row_number`),
    the numbering the sketch tasks use, whatever order DuckDB scans in.
    """
    modified = "modified_at" if "modified_at" in columns else "NULL::TIMESTAMPTZ"
    length = "coalesce(strlen(text), 0)" if rule == "longest" else "0"
    category = "lower(license_category)" if "license_category" in columns else "NULL"
    permissiveness = (
        f"CASE WHEN {category} IS NULL THEN 5 WHEN {category} LIKE '%public%' THEN 0 "
        f"WHEN {category} LIKE '%permissive%' THEN 1 WHEN {category} LIKE '%limited%' "
        f"OR {category} LIKE '%weak%' THEN 2 WHEN {category} LIKE '%copyleft%' THEN 3 ELSE 4 END"
    )
    parts, offset = [], 0
    for file in files:
        parts.append(
            f"SELECT ({offset} + file_row_number)::BIGINT AS row, doc_id::VARCHAR AS doc_id, "
            f"{modified} AS modified_at, {length} AS length, {permissiveness} AS permissiveness "
            f"FROM read_parquet({_sql_path(file)}, file_row_number = true)"
        )
        offset += pq.ParquetFile(file).metadata.num_rows
    con.execute(
        f"""
        COPY (
            SELECT row, (row_number() OVER (ORDER BY {_ORDER_SQL[rule]}) - 1)::BIGINT AS node
            FROM ({" UNION ALL ".join(parts)})
        ) TO {_sql_path(out)} (FORMAT parquet)
        """
    )
    return offset


def deduplicate_parquet(
    source: str | Path | list[str | Path],
    work_dir: str | Path,
    cfg: DedupConfig,
    *,
    batch_size: int = 20_000,
    memory_limit: str | None = None,
    dask_scheduler: Any = None,
) -> OutOfCoreResult:
    """Deduplicate Parquet file(s) with `doc_id` and `text` (plus the representative rule's
    columns: `modified_at`, `license_category`) without holding them in memory.

    Returns the path of the assignments file inside `work_dir` (the intermediate partitions
    are removed). With `dask_scheduler` (a `distributed.Client`, or "threads" / "processes"),
    shingling and MinHash run as one Dask task per Parquet row group; `work_dir` must then be
    on storage every worker can write. Decisions equal the in-memory stage's for the same input with
    `verify="estimated"` (`"exact"` is treated as `"estimated"`: shingle sets are not kept).
    """
    started = time.perf_counter()
    files = [str(p) for p in (source if isinstance(source, list) else [source])]
    for file in files:
        if not Path(file).is_file():
            raise DedupInputError(f"input {file} does not exist or is not a file")
    work = Path(work_dir)
    if work.exists():
        shutil.rmtree(work)
    for sub in ("signatures", "bands", "pairs", "duckdb-tmp"):
        (work / sub).mkdir(parents=True)
    params = index_params(cfg)
    n_bands = params["bands"]
    columns = set(pq.read_schema(files[0]).names)
    if not {"doc_id", "text"} <= columns:
        raise DedupInputError(
            f"input {files[0]} needs columns doc_id and text; it has {sorted(columns)}"
        )
    con = _connect(work, memory_limit)

    # 1. representative order
    n = _rank(con, files, columns, cfg.representative, work / "rank.parquet")
    node_of_row = np.empty(n, np.int64)
    ranks = pq.read_table(work / "rank.parquet")
    node_of_row[ranks.column("row").to_numpy()] = ranks.column("node").to_numpy()
    del ranks

    # 2. signatures and band hashes: one task per row group, in-process or as Dask tasks
    for b in range(n_bands):
        (work / "bands" / f"band={b}").mkdir()
    tasks = []
    first_row = 0
    for number, file in enumerate(files):
        metadata = pq.ParquetFile(file).metadata
        for group in range(metadata.num_row_groups):
            size = metadata.row_group(group).num_rows
            nodes = node_of_row[first_row : first_row + size]
            tasks.append(
                (
                    file,
                    group,
                    first_row,
                    nodes,
                    str(work),
                    f"{number:05d}-{group:06d}",
                    params,
                    batch_size,
                )
            )
            first_row += size
    if dask_scheduler is None:
        for task in tasks:
            _sketch_row_group(*task)
    else:
        import dask

        dask.compute(
            *[dask.delayed(_sketch_row_group)(*t) for t in tasks], scheduler=dask_scheduler
        )
    sig_glob = _sql_path(work / "signatures" / "*.parquet")

    # 3. exact copies: every copy points at the best node with its text key
    exact = con.execute(
        f"""
        SELECT node, min(node) OVER (PARTITION BY key_hi, key_lo) AS rep
        FROM read_parquet({sig_glob})
        """
    ).fetch_arrow_table()
    exact_node = exact.column("node").to_numpy()
    exact_rep = exact.column("rep").to_numpy()
    target = np.full(n, -1, np.int64)
    copies = exact_rep != exact_node
    if cfg.exact:
        target[exact_node[copies]] = exact_rep[copies]
    is_copy = target != -1
    del exact, exact_node, exact_rep

    # 4. candidate pairs, one band at a time, made distinct by DuckDB
    for b in range(n_bands):
        band = pl.scan_parquet(work / "bands" / f"band={b}" / "*.parquet").with_columns(
            pl.lit(b, pl.UInt16).alias("band")
        )
        if is_copy.any():
            band = band.filter(~pl.col("node").is_in(pl.Series(np.flatnonzero(is_copy)).implode()))
        candidate_pairs(band).write_parquet(work / "pairs" / f"band-{b:04d}.parquet")
    shutil.rmtree(work / "bands")
    pairs_glob = _sql_path(work / "pairs" / "*.parquet")

    # 5. verification: estimated Jaccard from both signatures, streamed in batches
    left_parts, right_parts = [], []
    candidates = 0
    if cfg.verify == "none":
        edges = con.execute(
            f'SELECT DISTINCT "left", "right" FROM read_parquet({pairs_glob})'
        ).fetch_arrow_table()
        left_parts.append(edges.column("left").to_numpy())
        right_parts.append(edges.column("right").to_numpy())
        candidates = edges.num_rows
    else:
        reader = con.execute(
            f"""
            WITH p AS (SELECT DISTINCT "left", "right" FROM read_parquet({pairs_glob})),
                 s AS (SELECT node, signature FROM read_parquet({sig_glob}))
            SELECT p."left", p."right", a.signature AS sa, b.signature AS sb
            FROM p JOIN s a ON a.node = p."left" JOIN s b ON b.node = p."right"
            """
        ).fetch_record_batch(65536)
        for chunk in reader:
            k = chunk.num_rows
            candidates += k
            sa = _matrix(chunk.column("sa"), k, cfg.num_perm)
            sb = _matrix(chunk.column("sb"), k, cfg.num_perm)
            ok = (sa == sb).mean(axis=1) >= cfg.threshold
            left_parts.append(chunk.column("left").to_numpy()[ok])
            right_parts.append(chunk.column("right").to_numpy()[ok])
    left = np.concatenate(left_parts) if left_parts else np.zeros(0, np.int64)
    right = np.concatenate(right_parts) if right_parts else np.zeros(0, np.int64)

    # 6. components, then the representative split on the clustered nodes' signatures
    label = cluster.components(n, left, right)
    clustered = np.flatnonzero(np.bincount(label, minlength=n)[label] > 1)
    position = np.full(n, -1, np.int64)
    position[clustered] = np.arange(len(clustered))
    sub_sig = np.zeros((len(clustered), cfg.num_perm), np.uint32)
    if len(clustered):
        con.register("wanted", pa.table({"node": clustered}))
        loaded = con.execute(
            f"SELECT s.node, s.signature FROM read_parquet({sig_glob}) s SEMI JOIN wanted w "
            "ON s.node = w.node"
        ).fetch_arrow_table()
        sub_sig[position[loaded.column("node").to_numpy()]] = _matrix(
            loaded.column("signature"), loaded.num_rows, cfg.num_perm
        )
    estimate = cluster.estimated_similarity(sub_sig)

    def measure(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return estimate(position[a], position[b])

    fixed = np.zeros(n, bool)
    if cfg.kept_similarity <= 0.0:
        centre = cluster.assign_single(label, fixed)
        score = np.ones(n)
        joined = np.flatnonzero(centre != np.arange(n))
        score[joined] = measure(joined, centre[joined])
    else:
        centre, score = cluster.assign_representative(label, fixed, measure, cfg.kept_similarity)
    near = (centre != np.arange(n)) & ~is_copy
    target[near] = centre[near]
    similarity = np.ones(n)
    similarity[near] = score[near]
    reason = np.full(n, None, dtype=object)
    reason[is_copy] = DedupReason.EXACT_DUPLICATE.value
    reason[near] = DedupReason.NEAR_DUPLICATE.value
    # exact copies of a near duplicate follow it to the kept document
    via = np.flatnonzero(is_copy)
    via = via[target[target[via]] != -1]
    target[via], similarity[via] = target[target[via]], similarity[target[via]]
    reason[via] = DedupReason.NEAR_DUPLICATE.value

    # 7. assignments, joined back to doc ids by node
    final = np.where(target == -1, np.arange(n), target)
    con.register(
        "decided",
        pa.table(
            {
                "node": np.arange(n),
                "kept_node": final,
                "reason": pa.array(reason.tolist(), pa.string()),
                "similarity": similarity,
            }
        ),
    )
    out = work / "assignments.parquet"
    con.execute(
        f"""
        COPY (
            WITH ids AS (SELECT node, row, doc_id FROM read_parquet({sig_glob}))
            SELECT i.doc_id, k.doc_id AS cluster_id, d.reason IS NOT NULL AS duplicate,
                   d.reason, d.similarity
            FROM decided d JOIN ids i ON i.node = d.node JOIN ids k ON k.node = d.kept_node
            ORDER BY i.row
        ) TO {_sql_path(out)} (FORMAT parquet)
        """
    )
    con.close()
    shutil.rmtree(work / "pairs")
    shutil.rmtree(work / "duckdb-tmp", ignore_errors=True)
    stats = {
        "documents": n,
        "exact_duplicates": int((reason == DedupReason.EXACT_DUPLICATE.value).sum()),
        "near_duplicates": int((reason == DedupReason.NEAR_DUPLICATE.value).sum()),
        "kept": int((target == -1).sum()),
        "candidate_pairs": int(candidates),
        "verified_pairs": int(len(left)),
        "seconds": round(time.perf_counter() - started, 3),
    }
    return OutOfCoreResult(out, stats)


def _sketch_row_group(
    file: str,
    group: int,
    first_row: int,
    nodes: np.ndarray,
    work_dir: str,
    name: str,
    params: dict[str, Any],
    batch_size: int,
) -> int:
    """Signatures of one row group to `signatures/`, its band hashes to `bands/band=<b>/`.

    A plain function of paths and small arrays, so it runs the same in-process or on a Dask
    worker; returns the rows it read.
    """
    work = Path(work_dir)
    row = 0
    parquet = pq.ParquetFile(file)
    for part, record_batch in enumerate(
        parquet.iter_batches(batch_size, row_groups=[group], columns=["doc_id", "text"])
    ):
        k = record_batch.num_rows
        batch = shingle_batch(record_batch.column("text"), params["ngram"])
        sig = signatures(batch, params["num_perm"], params["seed"])
        batch_nodes = nodes[row : row + k]
        nonempty = batch.counts() > 0
        pq.write_table(
            pa.table(
                {
                    "node": batch_nodes,
                    "row": np.arange(first_row + row, first_row + row + k, dtype=np.int64),
                    "doc_id": record_batch.column("doc_id").cast(pa.string()),
                    "key_hi": batch.text_key[:, 0],
                    "key_lo": batch.text_key[:, 1],
                    "nonempty": nonempty,
                    "signature": pa.FixedSizeListArray.from_arrays(
                        pa.array(sig.reshape(-1)), params["num_perm"]
                    ),
                }
            ),
            work / "signatures" / f"part-{name}-{part:06d}.parquet",
        )
        bands = band_hashes(sig[nonempty], params["bands"], params["rows"])
        for b in range(params["bands"]):
            pq.write_table(
                pa.table({"node": batch_nodes[nonempty], "hash": bands[:, b]}),
                work / "bands" / f"band={b}" / f"part-{name}-{part:06d}.parquet",
            )
        row += k
    return row


def _matrix(column: pa.Array | pa.ChunkedArray, rows: int, num_perm: int) -> np.ndarray:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    return np.asarray(column.flatten().to_numpy(zero_copy_only=False), np.uint32).reshape(
        rows, num_perm
    )
