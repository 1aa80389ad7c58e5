"""Dedup of more documents than fit in memory: Parquet partitions grouped out of core.

The in-memory stage holds every signature at once (10 M documents x 128 permutations = 5 GB,
plus text); this variant keeps only one batch of text in memory and writes everything else to
Parquet under `work_dir`, where DuckDB (sorting, exact-text groups, distinct pairs, signature
joins: all able to spill to disk) and polars (one LSH band at a time) group it:

1. rank: DuckDB orders the documents by the representative rule reading only the small
   metadata columns; node ids are positions in that order (a lower node wins, as in memory).
2. sketch: batches of text stream through the same column-wise shingling and MinHash code
   as the stage; signatures go to `signatures/`, band hashes to `bands/band=<b>/`.
3. exact copies: DuckDB groups the 128-bit text keys; only the copies come back (node, best
   node), and copies leave the near-duplicate search.
4. candidates: one task per band (a tenth of the rows): polars drops hashes seen once, groups
   the rest into pairs and writes `pairs/band-<b>.parquet`.
5. verify: DuckDB makes the pairs distinct and joins each with both signatures, streamed to
   numpy in batches.
6. cluster: union-find components over the verified edges (two int64 per edge), then the
   representative split, with signatures loaded only for documents in some component.
7. write: only the duplicates (node, kept node, reason code, similarity) go back to DuckDB,
   which joins doc ids and writes one row per input row in input order.

Memory is bounded by one batch of text, one band of hashes, the edge list, the signatures of
documents that have a near duplicate, a few arrays of n (80 MB per 10 M documents each) and
DuckDB's `memory_limit`; everything else stays on disk. Measured with `bench/dedup_scale.py`
on 10 M synthetic documents (2.9 GB of Parquet, 2 cores): 284 s (181 s on a two-worker
LocalCluster), peak RSS 1.9 GB, 7.6 GB of work files at the peak. With a Dask scheduler the sketch (one task per row group) and
candidate (one task per band) steps run as tasks that exchange only paths and small values;
the DuckDB steps run where `deduplicate_parquet` is called.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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

log = logging.getLogger(__name__)

_EXACT, _NEAR = 1, 2  # reason codes of the assignments, mapped to DedupReason in SQL
_FETCH = 65536  # rows per Arrow batch streamed out of DuckDB

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


def connect(work_dir: Path, memory_limit: str | None):
    """A DuckDB connection that spills to `work_dir/duckdb-tmp` beyond `memory_limit`."""
    import duckdb

    # no extension is ever downloaded: Parquet is built in, anything else must fail here
    con = duckdb.connect(
        config={
            "temp_directory": str(work_dir / "duckdb-tmp"),
            "autoinstall_known_extensions": False,
        }
    )
    if memory_limit:
        if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", memory_limit):
            raise DedupInputError(f"memory_limit {memory_limit!r}: write it like 16GB or 512MiB")
        con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    return con


def sql_path(path: str | Path) -> str:
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
            f"FROM read_parquet({sql_path(file)}, file_row_number = true)"
        )
        offset += pq.ParquetFile(file).metadata.num_rows
    con.execute(
        f"""
        COPY (
            SELECT row, (row_number() OVER (ORDER BY {_ORDER_SQL[rule]}) - 1)::BIGINT AS node
            FROM ({" UNION ALL ".join(parts)})
        ) TO {sql_path(out)} (FORMAT parquet)
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
    are removed) and stats with `phase_seconds` per phase (rank, sketch, exact, candidates,
    verify, cluster, write). With `dask_scheduler` (a `distributed.Client`, or "threads" /
    "processes"), shingling and MinHash run as one Dask task per Parquet row group and
    candidate pairs as one task per LSH band; `work_dir` must then be on storage every worker
    can read and write. Decisions equal the in-memory stage's for the same input with
    `verify="estimated"` (`"exact"` is treated as `"estimated"`: shingle sets are not kept).
    """
    started = time.perf_counter()
    phase = _Phases()
    if cfg.verify == "exact":
        log.warning("out-of-core dedup verifies by estimated Jaccard: shingle sets are not kept")
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
    con = connect(work, memory_limit)

    # 1. representative order
    with phase("rank"):
        n = _rank(con, files, columns, cfg.representative, work / "rank.parquet")
        node_of_row = np.empty(n, np.int64)
        ranks = pq.read_table(work / "rank.parquet")
        node_of_row[ranks.column("row").to_numpy()] = ranks.column("node").to_numpy()
        del ranks
        # tasks read their slice of this file instead of carrying it in the task graph
        np.save(work / "nodes.npy", node_of_row)
        del node_of_row

    # 2. signatures and band hashes: one task per row group, in-process or as Dask tasks
    with phase("sketch"):
        for b in range(n_bands):
            (work / "bands" / f"band={b}").mkdir()
        tasks = []
        first_row = 0
        for number, file in enumerate(files):
            metadata = pq.ParquetFile(file).metadata
            for group in range(metadata.num_row_groups):
                name = f"{number:05d}-{group:06d}"
                tasks.append((file, group, first_row, str(work), name, params, batch_size))
                first_row += metadata.row_group(group).num_rows
        _run_tasks(_sketch_row_group, tasks, dask_scheduler, "sketch")
        (work / "nodes.npy").unlink()
    sig_glob = sql_path(work / "signatures" / "*.parquet")

    # 3. exact copies: every copy points at the best node with its text key; only the copies
    # leave DuckDB (the join's build side is the duplicated keys). Here and below a CTE is
    # never read twice: DuckDB would materialize it, where two scans of Parquet stream.
    with phase("exact"):
        if cfg.exact:
            copies = con.execute(
                f"""
                WITH g AS (SELECT key_hi, key_lo, min(node) AS rep FROM read_parquet({sig_glob})
                           GROUP BY key_hi, key_lo HAVING count(*) > 1)
                SELECT s.node, g.rep FROM read_parquet({sig_glob}) s JOIN g USING (key_hi, key_lo)
                WHERE s.node <> g.rep
                """
            ).fetch_arrow_table()
        else:
            copies = pa.table({"node": pa.array([], pa.int64()), "rep": pa.array([], pa.int64())})
        target = np.full(n, -1, np.int64)
        target[copies.column("node").to_numpy()] = copies.column("rep").to_numpy()
        is_copy = target != -1
        copies_path = work / "copies.parquet"
        pq.write_table(copies.select(["node"]), copies_path)
        del copies

    # 4. candidate pairs: one task per band (copies left out), made distinct later by DuckDB
    with phase("candidates"):
        copies_file = str(copies_path) if is_copy.any() else None
        band_tasks = [(str(work), b, copies_file) for b in range(n_bands)]
        raw_pairs = sum(_run_tasks(_band_pairs, band_tasks, dask_scheduler, "band"))
        shutil.rmtree(work / "bands")
    pairs_glob = sql_path(work / "pairs" / "*.parquet")

    # 5. verification: estimated Jaccard from both signatures, streamed in batches
    with phase("verify"):
        left, right, candidates = _verify(con, cfg, pairs_glob, sig_glob)

    # 6. components, then the representative split on the clustered nodes' signatures
    with phase("cluster"):
        code, similarity = _cluster(con, cfg, n, left, right, target, is_copy, sig_glob)

    # 7. assignments, joined back to doc ids by node; only duplicates leave numpy
    with phase("write"):
        out = work / "assignments.parquet"
        duplicate = np.flatnonzero(code)
        con.register(
            "decided",
            pa.table(
                {
                    "node": duplicate,
                    "kept_node": target[duplicate],
                    "code": code[duplicate],
                    "similarity": similarity[duplicate],
                }
            ),
        )
        con.execute(
            f"""
            COPY (
                WITH kept AS (SELECT node, doc_id FROM read_parquet({sig_glob})
                              WHERE node IN (SELECT kept_node FROM decided))
                SELECT i.doc_id, coalesce(k.doc_id, i.doc_id) AS cluster_id,
                       d.node IS NOT NULL AS duplicate,
                       CASE d.code WHEN {_EXACT} THEN '{DedupReason.EXACT_DUPLICATE.value}'
                                   WHEN {_NEAR} THEN '{DedupReason.NEAR_DUPLICATE.value}'
                       END AS reason,
                       coalesce(d.similarity, 1.0)::DOUBLE AS similarity
                FROM read_parquet({sig_glob}) i LEFT JOIN decided d ON d.node = i.node
                     LEFT JOIN kept k ON k.node = d.kept_node
                ORDER BY i.row
            ) TO {sql_path(out)} (FORMAT parquet)
            """
        )
        con.close()
        shutil.rmtree(work / "pairs")
        shutil.rmtree(work / "duckdb-tmp", ignore_errors=True)
        copies_path.unlink()
    stats = {
        "documents": n,
        "exact_duplicates": int((code == _EXACT).sum()),
        "near_duplicates": int((code == _NEAR).sum()),
        "kept": int(n - len(duplicate)),
        "band_pairs": int(raw_pairs),
        "candidate_pairs": int(candidates),
        "verified_pairs": int(len(left)),
        "phase_seconds": phase.seconds,
        "seconds": round(time.perf_counter() - started, 3),
    }
    return OutOfCoreResult(out, stats)


class _Phases:
    """Wall seconds per named phase, logged as each one ends."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        log.info("dedup out of core: %s", name)
        yield
        self.seconds[name] = round(time.perf_counter() - start, 3)
        log.info("dedup out of core: %s done in %.1f s", name, self.seconds[name])


def _run_tasks(
    function: Callable[..., int], tasks: list[tuple], scheduler: Any, what: str
) -> list[int]:
    """Run `function(*task)` for every task, in-process or as Dask tasks; results in order."""
    if scheduler is None:
        results = []
        for done, task in enumerate(tasks, 1):
            results.append(function(*task))
            if done % 10 == 0 or done == len(tasks):
                log.info("dedup out of core: %s task %d/%d", what, done, len(tasks))
        return results
    import dask

    return list(
        dask.compute(
            *[dask.delayed(function, pure=False)(*task) for task in tasks], scheduler=scheduler
        )
    )


def _verify(
    con, cfg: DedupConfig, pairs_glob: str, sig_glob: str
) -> tuple[np.ndarray, np.ndarray, int]:
    """Distinct candidate pairs and the verified ones (left, right), streamed from DuckDB."""
    left_parts, right_parts = [], []
    candidates = 0
    if cfg.verify == "none":
        reader = con.execute(
            f'SELECT DISTINCT "left", "right" FROM read_parquet({pairs_glob})'
        ).fetch_record_batch(_FETCH)
        for chunk in reader:
            candidates += chunk.num_rows
            left_parts.append(chunk.column("left").to_numpy())
            right_parts.append(chunk.column("right").to_numpy())
    else:
        # one scan of the signatures keeps only the candidate nodes' rows (DuckDB would
        # otherwise materialize the whole signature table, a CTE used twice: 5 GB at 10 M)
        reader = con.execute(
            f"""
            WITH p AS MATERIALIZED (
                     SELECT DISTINCT "left", "right" FROM read_parquet({pairs_glob})),
                 wanted AS (SELECT "left" AS node FROM p UNION SELECT "right" FROM p),
                 s AS MATERIALIZED (
                     SELECT node, signature FROM read_parquet({sig_glob}) SEMI JOIN wanted
                     USING (node))
            SELECT p."left", p."right", a.signature AS sa, b.signature AS sb
            FROM p JOIN s a ON a.node = p."left" JOIN s b ON b.node = p."right"
            """
        ).fetch_record_batch(_FETCH)
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
    return left, right, candidates


def _cluster(
    con,
    cfg: DedupConfig,
    n: int,
    left: np.ndarray,
    right: np.ndarray,
    target: np.ndarray,
    is_copy: np.ndarray,
    sig_glob: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Reason code (0 kept, `_EXACT`, `_NEAR`) and similarity per node; completes `target`.

    Signatures are loaded only for nodes in a component of two or more.
    """
    label = cluster.components(n, left, right)
    clustered = np.flatnonzero(np.bincount(label, minlength=n)[label] > 1)
    position = np.full(n, -1, np.int64)
    position[clustered] = np.arange(len(clustered))
    sub_sig = np.zeros((len(clustered), cfg.num_perm), np.uint32)
    if len(clustered):
        con.register("wanted", pa.table({"node": clustered}))
        reader = con.execute(
            f"SELECT s.node, s.signature FROM read_parquet({sig_glob}) s SEMI JOIN wanted w "
            "ON s.node = w.node"
        ).fetch_record_batch(_FETCH)
        for chunk in reader:
            sub_sig[position[chunk.column("node").to_numpy()]] = _matrix(
                chunk.column("signature"), chunk.num_rows, cfg.num_perm
            )
        con.unregister("wanted")
    estimate = cluster.estimated_similarity(sub_sig)

    def measure(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return estimate(position[a], position[b])

    fixed = np.zeros(n, bool)
    centre, score = cluster.assign(label, fixed, measure, cfg.kept_similarity)
    near = (centre != np.arange(n)) & ~is_copy
    target[near] = centre[near]
    similarity = np.ones(n)
    similarity[near] = score[near]
    del centre, score
    code = np.zeros(n, np.int8)
    code[is_copy] = _EXACT
    code[near] = _NEAR
    # exact copies of a near duplicate follow it to the kept document
    via = np.flatnonzero(is_copy)
    via = via[target[target[via]] != -1]
    target[via], similarity[via] = target[target[via]], similarity[target[via]]
    code[via] = _NEAR
    return code, similarity


def _band_pairs(work_dir: str, band: int, copies: str | None) -> int:
    """Candidate pairs of one band to `pairs/band-<b>.parquet`; removes the band's partition.

    Hashes seen once cannot pair, so they are dropped before the grouping that builds node
    lists (on 10 M rows nearly all of them). A plain function of paths, like the sketch task.
    """
    work = Path(work_dir)
    folder = work / "bands" / f"band={band}"
    frame = pl.scan_parquet(folder / "*.parquet")
    if copies is not None:
        frame = frame.join(pl.scan_parquet(copies), on="node", how="anti")
    frame = frame.filter(pl.col("hash").is_duplicated()).with_columns(
        pl.lit(band, pl.UInt16).alias("band")
    )
    pairs = candidate_pairs(frame)
    pairs.write_parquet(work / "pairs" / f"band-{band:04d}.parquet")
    shutil.rmtree(folder)
    return pairs.height


def _sketch_row_group(
    file: str,
    group: int,
    first_row: int,
    work_dir: str,
    name: str,
    params: dict[str, Any],
    batch_size: int,
) -> int:
    """Signatures of one row group to `signatures/`, its band hashes to `bands/band=<b>/`.

    A plain function of paths and small values, so it runs the same in-process or on a Dask
    worker; returns the rows it read. Its rows' node ids are a slice of `nodes.npy`.
    """
    work = Path(work_dir)
    row = 0
    parquet = pq.ParquetFile(file)
    size = parquet.metadata.row_group(group).num_rows
    nodes = np.array(np.load(work / "nodes.npy", mmap_mode="r")[first_row : first_row + size])
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
