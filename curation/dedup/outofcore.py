"""Dedup of more documents than fit in memory: Parquet partitions grouped out of core.

The in-memory stage holds every signature at once (10 M documents x 128 permutations = 5 GB,
plus text); this variant keeps only one batch of text in memory and writes everything else to
Parquet under `work_dir`, where DuckDB (sorting, exact-text groups, distinct pairs, signature
joins: all able to spill to disk) and polars (one LSH band at a time) group it. It decides
exactly what the in-memory stage decides (same representative order from
`curation.dedup.ranking`, same verification, clustering and copy rule from
`curation.dedup.cluster`), including against a `SignatureIndex` and with `verify: exact`:

1. rank: DuckDB orders the documents by the representative rule reading only the small
   metadata columns; node ids are positions in that order (a lower node wins, as in memory).
2. sketch: batches of text stream through the same column-wise shingling and MinHash code
   as the stage; signatures go to `signatures/`, band hashes to `bands/band=<b>/`, and under
   `verify: exact` each document's distinct shingle hashes to `shingles/`.
3. exact copies: DuckDB groups the 128-bit text keys; only the copies come back (node, best
   node), plus the documents whose text the index already holds; all of them leave the
   near-duplicate search.
4. candidates: DuckDB finds the index rows sharing a band hash with a new document (index
   documents get the negative node ids -m..-1, so they rank before every new document, as
   in memory); then one task per band (a tenth of the rows): polars drops hashes seen once,
   groups the rest into pairs and writes `pairs/band-<b>.parquet`.
5. verify: DuckDB makes the pairs distinct and joins each with both signatures, streamed to
   numpy in batches; under `verify: exact`, pairs near the threshold wait for step 6.
6. cluster: signatures (and shingle sets) loaded only for documents of a remaining pair;
   exact Jaccard where the estimate is near the threshold, union-find components over the
   verified edges (two int64 per edge), then the representative split.
7. write: only the duplicates (node, kept node or index id, reason code, similarity) go back
   to DuckDB, which joins doc ids and writes one row per input row in input order; with
   `keep_signatures`, the kept documents' rows for `SignatureIndex.add` stream to Parquet.

Memory is bounded by one batch of text, one band of hashes, the edge list, the signatures
(and, under `verify: exact`, shingle sets) of documents that have a near-duplicate
candidate, a few arrays of n (80 MB per 10 M documents each) and DuckDB's `memory_limit`;
everything else stays on disk. Measured with `bench/dedup_scale.py` on 10 M synthetic
documents (2.9 GB of Parquet, 2 cores): 284 s (181 s on a two-worker LocalCluster), peak RSS
1.9 GB, 7.6 GB of work files at the peak. With a Dask scheduler the sketch (one task per row
group) and candidate (one task per band) steps run as tasks that exchange only paths and small
values; the DuckDB steps run where `deduplicate_parquet` is called.

In `curate run` the same steps take the run's staged batches without copying them: the sketch
step (`sketch_batch`) runs once per staged batch (a mapped task, the only one reading text),
`deduplicate_sketches` ranks and decides from the sketch files alone, and `split_assignments`
writes each batch's decisions for the pipeline to apply batch by batch.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curation.dedup import cluster
from curation.dedup.candidates import candidate_pairs
from curation.dedup.config import DedupConfig
from curation.dedup.exceptions import DedupInputError
from curation.dedup.index import SignatureIndex, signature_rows_schema, signature_table
from curation.dedup.minhash import band_hashes, signatures
from curation.dedup.ranking import order_by_sql, rank_inputs, rank_select_sql
from curation.dedup.reasons import DedupReason
from curation.dedup.shingles import shingle_batch
from curation.dedup.similarity import NodeSets, list_parts, sets_column
from curation.dedup.stage import DedupOutcome, dedup_details, index_params
from curation.stage import StageDecision

log = logging.getLogger(__name__)

# Bytes of one staging row group, at most: a sketch task reads a whole row group's text, so
# rows alone (100,000 long documents) would not bound it.
ROW_GROUP_BYTES = 64 * 2**20


def group_rows(rows: int, nbytes: int, max_rows: int, max_bytes: int | None = None) -> int:
    """Rows per row group: `max_rows`, fewer where the average row would take a group past
    `max_bytes`.

    Examples
    --------
    >>> group_rows(1_000_000, 10**8, 100_000)  # 100-byte rows: the row cap holds
    100000
    >>> group_rows(1_000_000, 2**30, 100_000, max_bytes=64 * 2**20)  # ~1 KiB rows
    62500
    """
    if max_bytes is None:
        max_bytes = ROW_GROUP_BYTES
    if rows <= 0 or nbytes <= 0:
        return max_rows
    per_row = nbytes / rows
    return max(1, min(max_rows, int(max_bytes // per_row)))


_EXACT, _NEAR = 1, 2  # reason codes of the assignments, mapped to DedupReason in SQL
_FETCH = 65536  # rows per Arrow batch streamed out of DuckDB
# Rows per batch of a stream that carries signatures (512 bytes each at 128 permutations,
# two per candidate pair), which numpy copies a few times: 8 MB of signatures a batch instead
# of 64 MB, so the decision step's peak stays flat as the run grows.
_FETCH_SIGNATURES = 8192


@dataclass(frozen=True)
class OutOfCoreResult:
    """`assignments`: Parquet with doc_id, cluster_id, duplicate, reason, similarity, one row
    per input row in input order. `signatures`: with `keep_signatures`, Parquet of the kept
    documents' rows for `SignatureIndex.add` (`DedupOutcome.signatures`' layout and order)."""

    assignments: Path
    stats: dict[str, Any]
    signatures: Path | None = None


def connect(work_dir: Path, memory_limit: str | None, *, threads: int | None = None):
    """A DuckDB connection that spills to `work_dir/duckdb-tmp` beyond `memory_limit`.

    `threads` caps DuckDB's worker threads: each holds buffers of its own beside the shared
    limit, so a query that must stay within a small one runs on one."""
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
    # DuckDB would keep the bytes of every Parquet file it reads in its buffer pool, up to the
    # memory limit (the run's signatures, read by five queries, grew the flow process by 75 MB
    # at 200,000 documents); the operating system's page cache serves the rereads
    con.execute("SET enable_external_file_cache = false")
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    return con


def sql_path(path: str | Path) -> str:
    """A path as an SQL string literal (file names are data: quotes are escaped)."""
    return "'" + str(path).replace("'", "''") + "'"


def _rank(con, files: list[str], columns: set[str], rule: str, out: Path) -> int:
    """Write (row, node) for every input row, node = position in representative order.

    `row` counts rows across the files in order (file offset + DuckDB's `file_row_number`),
    the numbering the sketch tasks use, whatever order DuckDB scans in. The rank columns and
    their order come from `curation.dedup.ranking`, as the in-memory stage's do.
    """
    select = _rank_select(rule, columns)
    offsets, offset = [], 0
    for file in files:
        offsets.append(offset)
        offset += pq.ParquetFile(file).metadata.num_rows
    # one scan of all the files, each row's file offset joined by name: a UNION ALL of one
    # scan per file (a run has one per staged batch) took DuckDB past a bounded memory_limit
    con.register("rank_files", pa.table({"rank_file": files, "rank_offset": offsets}))
    con.execute(
        f"""
        COPY (
            SELECT row, (row_number() OVER (ORDER BY {order_by_sql(rule)}) - 1)::BIGINT AS node
            FROM (SELECT (f.rank_offset + s.file_row_number)::BIGINT AS row, {select}
                  FROM read_parquet({sql_list(files)}, filename = true, file_row_number = true) s
                  JOIN rank_files f ON f.rank_file = s.filename)
        ) TO {sql_path(out)} (FORMAT parquet)
        """
    )
    con.unregister("rank_files")
    ranked = pq.read_metadata(out).num_rows
    if ranked != offset:  # DuckDB named a file otherwise than it was given (a glob pattern)
        raise DedupInputError(
            f"ranked {ranked} of {offset} input rows: pass input paths without the glob "
            "characters * ? [ ]"
        )
    return offset


def _rank_select(rule: str, columns: set[str]) -> str:
    """`rank_select_sql` over documents, or over sketches (`sketch_batch` files), which carry
    each text's byte length in `length` instead of the text."""
    if "text" in columns or "length" not in columns:
        return rank_select_sql(rule, columns)
    select = rank_select_sql(rule, columns)
    if "0 AS length" in select:
        select = select.replace("0 AS length", "coalesce(length, 0)::BIGINT AS length")
    return select


def sql_list(paths: list[Path] | list[str]) -> str:
    """Paths as an SQL list literal for `read_parquet`."""
    return "[" + ", ".join(sql_path(p) for p in paths) + "]"


def deduplicate_parquet(
    source: str | Path | list[str | Path],
    work_dir: str | Path,
    cfg: DedupConfig,
    *,
    batch_size: int = 20_000,
    memory_limit: str | None = None,
    dask_scheduler: Any = None,
    index: SignatureIndex | None = None,
    keep_signatures: bool = False,
) -> OutOfCoreResult:
    """Deduplicate Parquet file(s) with `doc_id` and `text` (plus the representative rule's
    columns: `modified_at`, `license_category`) without holding them in memory.

    Returns the path of the assignments file inside `work_dir` (the intermediate partitions
    are removed) and stats with `phase_seconds` per phase (rank, sketch, exact, candidates,
    verify, cluster, write). With `index`, documents are matched against the committed set
    as `deduplicate` matches them (index documents always win; `cluster_id` is then the index
    document's id); with `keep_signatures`, the kept documents' signature rows are written too
    (`OutOfCoreResult.signatures`). With `dask_scheduler` (a `distributed.Client`, or
    "threads" / "processes"), shingling and MinHash run as one Dask task per Parquet row group
    and candidate pairs as one task per LSH band; `work_dir` must then be on storage every
    worker can read and write. Decisions equal the in-memory stage's for the same input.
    """
    started = time.perf_counter()
    phase = _Phases()
    files = [str(p) for p in (source if isinstance(source, list) else [source])]
    for file in files:
        if not Path(file).is_file():
            raise DedupInputError(f"input {file} does not exist or is not a file")
    params = index_params(cfg)
    if index is not None:
        index.check_params(params)
    work = Path(work_dir)
    if work.exists():
        shutil.rmtree(work)
    exact_sets = cfg.verify == "exact"
    for sub in ("signatures", "bands", "pairs", "duckdb-tmp") + (
        ("shingles",) if exact_sets else ()
    ):
        (work / sub).mkdir(parents=True)
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
                tasks.append(
                    (file, group, first_row, str(work), name, params, batch_size, exact_sets)
                )
                first_row += metadata.row_group(group).num_rows
        _run_tasks(_sketch_row_group, tasks, dask_scheduler, "sketch")
        (work / "nodes.npy").unlink()
    return _decide(
        con,
        work,
        n,
        cfg,
        index=index,
        phase=phase,
        dask_scheduler=dask_scheduler,
        keep_signatures=keep_signatures,
        started=started,
    )


def _decide(
    con,
    work: Path,
    n: int,
    cfg: DedupConfig,
    *,
    index: SignatureIndex | None,
    phase: _Phases,
    dask_scheduler: Any,
    keep_signatures: bool,
    started: float,
) -> OutOfCoreResult:
    """Steps 3-7 over `signatures/` and `bands/band=<b>/` (and `shingles/` under
    `verify: exact`) in `work`, whichever way they were written: exact copies, candidates,
    verification, clusters and the assignments file."""
    params = index_params(cfg)
    n_bands = params["bands"]
    exact_sets = cfg.verify == "exact"
    sig_glob = sql_path(work / "signatures" / "*.parquet")

    # 3. exact copies: every copy points at the best node with its text key; only the copies
    # leave DuckDB (the join's build side is the duplicated keys). Here and below a CTE is
    # never read twice: DuckDB would materialize it, where two scans of Parquet stream.
    # target: -1 kept; node >= 0 dropped for that node; -2 - k dropped for index document
    # `index_ids[k]` (the in-memory stage's encoding)
    with phase("exact"):
        target = np.full(n, -1, np.int64)
        index_ids: list[str] = []
        if cfg.exact:
            copies = con.execute(
                f"""
                WITH g AS (SELECT key_hi, key_lo, min(node) AS rep FROM read_parquet({sig_glob})
                           GROUP BY key_hi, key_lo HAVING count(*) > 1)
                SELECT s.node, g.rep FROM read_parquet({sig_glob}) s JOIN g USING (key_hi, key_lo)
                WHERE s.node <> g.rep
                """
            ).fetch_arrow_table()
            target[copies.column("node").to_numpy()] = copies.column("rep").to_numpy()
            del copies
            if index is not None and index.files("signatures"):
                _match_index_keys(con, index, sig_glob, target, index_ids)
        excluded = target != -1
        copies_path = work / "copies.parquet"
        pq.write_table(pa.table({"node": np.flatnonzero(excluded)}), copies_path)

    # 4. candidate pairs: index rows sharing a bucket with a new document, then one task per
    # band (exact copies and index matches left out), made distinct later by DuckDB
    with phase("candidates"):
        copies_file = str(copies_path) if excluded.any() else None
        hits_file, matched_ids, index_sig = None, [], np.zeros((0, cfg.num_perm), np.uint32)
        if index is not None and index.files("bands"):
            hits_file, matched_ids, index_sig = _match_index_bands(
                con, index, work, sig_glob, copies_file, cfg.num_perm
            )
        m = len(matched_ids)
        band_tasks = [(str(work), b, copies_file, hits_file) for b in range(n_bands)]
        raw_pairs = sum(_run_tasks(_band_pairs, band_tasks, dask_scheduler, "band"))
        shutil.rmtree(work / "bands")
    pairs_glob = sql_path(work / "pairs" / "*.parquet")
    sig_source = f"read_parquet({sig_glob})"
    if m:
        index_sig_path = work / "index-signatures.parquet"
        pq.write_table(
            pa.table(
                {
                    "node": np.arange(-m, 0, dtype=np.int64),
                    "signature": _fixed_list(index_sig, cfg.num_perm),
                }
            ),
            index_sig_path,
        )
        sig_source = (
            f"(SELECT node, signature FROM read_parquet({sig_glob}) UNION ALL "
            f"SELECT node, signature FROM read_parquet({sql_path(index_sig_path)}))"
        )

    # 5. verification: estimated Jaccard from both signatures, streamed in batches
    with phase("verify"):
        left, right, candidates = _verify(con, cfg, pairs_glob, sig_source)

    # 6. components, then the representative split on the clustered nodes' signatures
    with phase("cluster"):
        code, similarity, verified = _cluster(
            con,
            cfg,
            work,
            n,
            left,
            right,
            target,
            excluded,
            sig_glob,
            index_sig,
            _IndexSets(index, matched_ids) if exact_sets else None,
            len(index_ids),
        )
        index_ids.extend(matched_ids)

    # 7. assignments, joined back to doc ids by node; only duplicates leave numpy
    with phase("write"):
        out = work / "assignments.parquet"
        duplicate = np.flatnonzero(code)
        kept_node = target[duplicate]
        external = kept_node < -1
        kept_id = np.full(len(duplicate), None, dtype=object)
        kept_id[external] = np.asarray(index_ids, dtype=object)[-2 - kept_node[external]]
        con.register(
            "decided",
            pa.table(
                {
                    "node": duplicate,
                    "kept_node": pa.array(kept_node, mask=external),
                    "kept_id": pa.array(kept_id, pa.string()),
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
                SELECT i.doc_id, coalesce(k.doc_id, d.kept_id, i.doc_id) AS cluster_id,
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
        kept_signatures = None
        if keep_signatures:
            kept_signatures = _write_kept_signatures(con, work, sig_glob, params, exact_sets)
        con.close()
        shutil.rmtree(work / "pairs")
        shutil.rmtree(work / "shingles", ignore_errors=True)
        shutil.rmtree(work / "duckdb-tmp", ignore_errors=True)
        copies_path.unlink()
        for extra in ("index-hits.parquet", "index-signatures.parquet"):
            (work / extra).unlink(missing_ok=True)
    stats = {
        "documents": n,
        "exact_duplicates": int((code == _EXACT).sum()),
        "near_duplicates": int((code == _NEAR).sum()),
        "kept": int(n - len(duplicate)),
        "matched_index": int((target < -1).sum()),
        "band_pairs": int(raw_pairs),
        "candidate_pairs": int(candidates),
        "verified_pairs": int(verified),
        "index_candidates": int(m),
        "phase_seconds": phase.seconds,
        "seconds": round(time.perf_counter() - started, 3),
    }
    return OutOfCoreResult(out, stats, kept_signatures)


def _match_index_keys(
    con, index: SignatureIndex, sig_glob: str, target: np.ndarray, index_ids: list[str]
) -> None:
    """Point every document whose text the index holds at that index document (the smallest
    index doc_id per text, leaving out index documents re-ingested in this batch), as
    `deduplicate` does: the committed copy wins over every new one."""
    matched = con.execute(
        f"""
        WITH ik AS (
            SELECT i.key_hi, i.key_lo, min(i.doc_id) AS doc_id
            FROM read_parquet({sql_list(index.files("signatures"))}) i
                 SEMI JOIN read_parquet({sig_glob}) s USING (key_hi, key_lo)
            WHERE i.doc_id NOT IN (SELECT doc_id FROM read_parquet({sig_glob}))
            GROUP BY i.key_hi, i.key_lo)
        SELECT s.node, ik.doc_id FROM read_parquet({sig_glob}) s JOIN ik USING (key_hi, key_lo)
        """
    ).fetch_arrow_table()
    if not matched.num_rows:
        return
    ids, position = np.unique(
        matched.column("doc_id").to_numpy(zero_copy_only=False).astype(str), return_inverse=True
    )
    start = len(index_ids)
    index_ids.extend(ids.tolist())
    target[matched.column("node").to_numpy()] = -2 - (start + position)


def _match_index_bands(
    con,
    index: SignatureIndex,
    work: Path,
    sig_glob: str,
    copies_file: str | None,
    num_perm: int,
) -> tuple[str | None, list[str], np.ndarray]:
    """Index rows sharing a (band, hash) with a new document that is not an exact copy, as
    `index-hits.parquet` (node, band, hash); index documents get nodes -m..-1 in doc_id
    order. Returns that file, the matched doc ids and their signatures (m, num_perm)."""
    band_files = sorted((work / "bands").glob("band=*/*.parquet"))
    if not band_files:
        return None, [], np.zeros((0, num_perm), np.uint32)
    bands_glob = sql_path(work / "bands" / "*" / "*.parquet")
    survivors = (
        f"SELECT band::INTEGER AS band, hash "
        f"FROM read_parquet({bands_glob}, hive_partitioning = true)"
    )
    if copies_file is not None:
        survivors += f" WHERE node NOT IN (SELECT node FROM read_parquet({sql_path(copies_file)}))"
    raw = work / "index-hits-raw.parquet"
    con.execute(
        f"""
        COPY (
            SELECT i.doc_id, i.band::INTEGER AS band, i.hash
            FROM read_parquet({sql_list(index.files("bands"))}) i
                 SEMI JOIN ({survivors}) b
                 ON i.band::INTEGER = b.band AND i.hash = b.hash
            WHERE i.doc_id NOT IN (SELECT doc_id FROM read_parquet({sig_glob}))
        ) TO {sql_path(raw)} (FORMAT parquet)
        """
    )
    matched = con.execute(
        f"SELECT DISTINCT doc_id FROM read_parquet({sql_path(raw)}) ORDER BY doc_id"
    ).fetch_arrow_table()
    ids = matched.column("doc_id").to_pylist()
    m = len(ids)
    if not m:
        raw.unlink()
        return None, [], np.zeros((0, num_perm), np.uint32)
    con.register("index_nodes", pa.table({"doc_id": ids, "node": np.arange(-m, 0, dtype=np.int64)}))
    hits = work / "index-hits.parquet"
    con.execute(
        f"""
        COPY (SELECT n.node, h.band, h.hash FROM read_parquet({sql_path(raw)}) h
              JOIN index_nodes n USING (doc_id))
        TO {sql_path(hits)} (FORMAT parquet)
        """
    )
    con.unregister("index_nodes")
    raw.unlink()
    # signatures in doc_id order, as the in-memory stage loads them
    wanted = pl.Series("doc_id", ids, dtype=pl.String)
    loaded = wanted.to_frame().join(
        index.signatures_of(wanted), on="doc_id", how="left", maintain_order="left"
    )
    index_sig = np.asarray(loaded["signature"].to_numpy(), np.uint32).reshape(m, num_perm)
    return str(hits), ids, index_sig


class _IndexSets:
    """Stored shingle sets of the matched index documents, loaded when first needed."""

    def __init__(self, index: SignatureIndex | None, matched_ids: list[str]) -> None:
        self.index, self.matched_ids = index, matched_ids

    def parts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(node, flat hashes, counts) with index nodes -m..-1, or None without any."""
        if self.index is None or not self.matched_ids:
            return None
        m = len(self.matched_ids)
        stored = (
            pl.DataFrame({"doc_id": self.matched_ids, "node": np.arange(-m, 0, dtype=np.int64)})
            .join(self.index.shingles_of(self.matched_ids), on="doc_id", how="inner")
            .sort("node")
        )
        if not stored.height:
            return None
        return list_parts(stored["node"].to_numpy(), stored["shingles"].to_arrow())


# DuckDB's memory while it sorts the kept documents' signatures into node order: the widest
# rows of the run (512 bytes of signature each at 128 permutations), which the sort otherwise
# holds up to the connection's limit. On synthetic sketches of 50,000 / 200,000 documents the
# decision step's peak grew by 129 / 236 MB under a 256 MB limit, by 107 / 173 MB with this;
# past it the rows spill, one write and read of the kept signatures.
_KEPT_MEMORY_LIMIT = "64MB"


def _write_kept_signatures(
    con, work: Path, sig_glob: str, params: dict[str, Any], with_sets: bool
) -> Path:
    """The kept documents' rows for `SignatureIndex.add`, in node order, streamed to Parquet;
    band hashes are recomputed from each batch's signatures. The sort runs on one thread
    within `_KEPT_MEMORY_LIMIT` (or the connection's limit, if lower)."""
    path = work / "kept-signatures.parquet"
    limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    if _size_bytes(limit) > _size_bytes(_KEPT_MEMORY_LIMIT):
        con.execute(f"SET memory_limit = '{_KEPT_MEMORY_LIMIT}'")
    con.execute("SET threads = 1")
    sets_join = sets_select = ""
    if with_sets:
        sets_join = f"JOIN read_parquet({sql_path(work / 'shingles' / '*.parquet')}) h USING (node)"
        sets_select = ", h.shingles"
    reader = con.execute(
        f"""
        SELECT s.doc_id, s.key_hi, s.key_lo, s.nonempty, s.signature{sets_select}
        FROM read_parquet({sig_glob}) s {sets_join}
        WHERE s.node NOT IN (SELECT node FROM decided)
        ORDER BY s.node
        """
    ).fetch_record_batch(_FETCH_SIGNATURES)
    writer = None
    pool = pa.default_memory_pool()
    try:
        for chunk in reader:
            k = chunk.num_rows
            sig = _matrix(chunk.column("signature"), k, params["num_perm"])
            table = signature_table(
                chunk.column("doc_id"),
                np.column_stack(
                    [chunk.column("key_hi").to_numpy(), chunk.column("key_lo").to_numpy()]
                ),
                sig,
                band_hashes(sig, params["bands"], params["rows"]),
                chunk.column("nonempty").to_numpy(zero_copy_only=False),
                params,
                chunk.column("shingles") if with_sets else None,
            )
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
            del table, sig
            pool.release_unused()
        if writer is None:
            empty = signature_table(
                pa.array([], pa.string()),
                np.zeros((0, 2), np.uint64),
                np.zeros((0, params["num_perm"]), np.uint32),
                np.zeros((0, params["bands"]), np.uint64),
                np.zeros(0, bool),
                params,
                pa.array([], pa.list_(pa.uint32())) if with_sets else None,
            )
            writer = pq.ParquetWriter(path, empty.schema)
            writer.write_table(empty)
    finally:
        if writer is not None:
            writer.close()
    return path


def deduplicate_table(
    table: pa.Table,
    cfg: DedupConfig,
    *,
    index: SignatureIndex | None = None,
    work_dir: str | Path | None = None,
    memory_limit: str | None = None,
    row_group_size: int = 100_000,
) -> DedupOutcome:
    """`deduplicate`'s result for an in-memory table, computed out of core.

    The table's dedup columns (doc_id, text, modified_at, license_category) go to Parquet in a
    fresh folder inside `work_dir` (default: the system's temporary folder), which is removed
    afterwards: it holds unredacted text.
    """
    n = table.num_rows
    staged = rank_inputs(table)
    if work_dir is not None:
        Path(work_dir).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="dedup-", dir=work_dir))
    try:
        rows = group_rows(staged.num_rows, staged.nbytes, row_group_size)
        pq.write_table(staged, work / "input.parquet", row_group_size=rows)
        del staged
        result = deduplicate_parquet(
            work / "input.parquet",
            work / "dedup",
            cfg,
            index=index,
            keep_signatures=True,
            memory_limit=memory_limit,
        )
        assignments = pq.read_table(result.assignments)
        assert result.signatures is not None
        kept_signatures = pq.read_table(result.signatures).cast(
            signature_rows_schema(index_params(cfg), with_shingles=cfg.verify == "exact")
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    drop = assignments.column("duplicate").to_numpy(zero_copy_only=False).astype(bool)
    cluster_id = assignments.column("cluster_id").combine_chunks()
    similarity = assignments.column("similarity").to_numpy()
    decision = StageDecision.from_masks(
        n,
        drop=drop,
        reason=assignments.column("reason"),
        details=dedup_details(cluster_id, similarity, drop, cfg.threshold),
    )
    return DedupOutcome(
        decision, cluster_id, pa.array(similarity, pa.float64()), kept_signatures, result.stats
    )


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


_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGTP]?i?B|bytes)?\s*", re.IGNORECASE)


def _size_bytes(text: str) -> float:
    """A DuckDB memory size ('64MB', '244.1 MiB', '1.5 GiB') in bytes."""
    match = _SIZE.fullmatch(text)
    if match is None:
        raise DedupInputError(f"memory size {text!r}: write it like 16GB or 512MiB")
    unit = (match.group(2) or "B").upper()
    if unit == "BYTES":
        unit = "B"
    base = 1024 if "I" in unit else 1000
    power = "BKMGTP".index(unit[0])
    return float(match.group(1)) * base**power


def _verify(
    con, cfg: DedupConfig, pairs_glob: str, sig_source: str
) -> tuple[np.ndarray, np.ndarray, int]:
    """Distinct candidate pairs and those that may verify (left, right), streamed from DuckDB.

    `sig_source` is a relation of (node, signature). Under `verify: estimated` only pairs
    whose estimate reaches the threshold remain; under `verify: exact` also those near it,
    measured exactly in `_cluster`; under `verify: none` every pair.
    """
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
                     SELECT node, signature FROM {sig_source} SEMI JOIN wanted USING (node))
            SELECT p."left", p."right", a.signature AS sa, b.signature AS sb
            FROM p JOIN s a ON a.node = p."left" JOIN s b ON b.node = p."right"
            """
        ).fetch_record_batch(_FETCH_SIGNATURES)
        for chunk in reader:
            k = chunk.num_rows
            candidates += k
            sa = _matrix(chunk.column("sa"), k, cfg.num_perm)
            sb = _matrix(chunk.column("sb"), k, cfg.num_perm)
            estimate = (sa == sb).mean(axis=1)
            ok = estimate >= cfg.threshold
            if cfg.verify == "exact":
                ok |= cluster.in_margin(estimate, cfg.threshold, cfg.exact_margin)
            left_parts.append(chunk.column("left").to_numpy()[ok])
            right_parts.append(chunk.column("right").to_numpy()[ok])
    left = np.concatenate(left_parts) if left_parts else np.zeros(0, np.int64)
    right = np.concatenate(right_parts) if right_parts else np.zeros(0, np.int64)
    return left, right, candidates


def _cluster(
    con,
    cfg: DedupConfig,
    work: Path,
    n: int,
    left: np.ndarray,
    right: np.ndarray,
    target: np.ndarray,
    excluded: np.ndarray,
    sig_glob: str,
    index_sig: np.ndarray,
    index_sets: _IndexSets | None,
    exact_ids: int,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Reason code (0 kept, `_EXACT`, `_NEAR`) and similarity per node, and the number of
    verified pairs; completes `target`.

    Nodes are shifted by m (the matched index documents, -m..-1) so that index documents are
    0..m-1 and fixed, as in the in-memory stage. Signatures (and shingle sets) are loaded only
    for nodes of a remaining pair: every node a later similarity is asked about.
    """
    m = len(index_sig)
    total = m + n
    wanted = np.union1d(left, right)
    position = np.full(total, -1, np.int64)
    position[wanted + m] = np.arange(len(wanted))
    sub_sig = np.zeros((len(wanted), cfg.num_perm), np.uint32)
    index_wanted = wanted[wanted < 0]
    sub_sig[position[index_wanted + m]] = index_sig[index_wanted + m]
    new_wanted = wanted[wanted >= 0]
    if len(new_wanted):
        con.register("wanted", pa.table({"node": new_wanted}))
        reader = con.execute(
            f"SELECT s.node, s.signature FROM read_parquet({sig_glob}) s SEMI JOIN wanted w "
            "ON s.node = w.node"
        ).fetch_record_batch(_FETCH_SIGNATURES)
        for chunk in reader:
            sub_sig[position[chunk.column("node").to_numpy() + m]] = _matrix(
                chunk.column("signature"), chunk.num_rows, cfg.num_perm
            )
        con.unregister("wanted")
    estimate = cluster.estimated_similarity(sub_sig)

    def estimated(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return estimate(position[a], position[b])

    exact = None
    if index_sets is not None:
        exact = _load_sets(con, work, new_wanted, index_sets, m)
    measure = cluster.verified_similarity(
        estimated,
        exact,
        exact.covers if exact is not None else None,
        cfg.threshold,
        cfg.exact_margin,
    )
    left, right = left + m, right + m
    if cfg.verify == "exact":
        verified = measure(left, right) >= cfg.threshold
        left, right = left[verified], right[verified]
    label = cluster.components(total, left, right)
    fixed = np.arange(total) < m
    centre, score = cluster.assign(label, fixed, measure, cfg.kept_similarity)
    centre, score = centre[m:], score[m:]
    near = (centre != np.arange(m, total)) & ~excluded
    # a kept index document k is `index_ids[exact_ids + k]`: matched ids follow the exact ones
    target[near] = np.where(centre[near] >= m, centre[near] - m, -2 - (exact_ids + centre[near]))
    similarity = np.ones(n)
    similarity[near] = score[near]
    del centre, score
    code = np.zeros(n, np.int8)
    code[excluded] = _EXACT
    code[near] = _NEAR
    code[cluster.follow_copies(target, similarity)] = _NEAR
    return code, similarity, len(left)


def _load_sets(con, work: Path, new_nodes: np.ndarray, index_sets: _IndexSets, m: int) -> NodeSets:
    """Shingle sets of the wanted new nodes (from `shingles/`) and of the matched index
    documents that have a stored one, keyed by shifted node."""
    parts = []
    if len(new_nodes):
        con.register("wanted", pa.table({"node": new_nodes}))
        sets = con.execute(
            f"SELECT h.node, h.shingles FROM read_parquet("
            f"{sql_path(work / 'shingles' / '*.parquet')}) h SEMI JOIN wanted w ON h.node = w.node"
        ).fetch_arrow_table()
        con.unregister("wanted")
        nodes, flat, counts = list_parts(sets.column("node").to_numpy(), sets.column("shingles"))
        parts.append((nodes + m, flat, counts))
    stored = index_sets.parts()
    if stored is not None:
        nodes, flat, counts = stored
        parts.append((nodes + m, flat, counts))
    return NodeSets.concat(parts)


def _band_pairs(work_dir: str, band: int, copies: str | None, index_hits: str | None) -> int:
    """Candidate pairs of one band to `pairs/band-<b>.parquet`; removes the band's partition.

    Hashes seen once cannot pair, so they are dropped before the grouping that builds node
    lists (on 10 M rows nearly all of them). Index rows (negative nodes) join the band's
    buckets; pairs of two index documents are settled already and left out. A plain function
    of paths, like the sketch task.
    """
    work = Path(work_dir)
    folder = work / "bands" / f"band={band}"
    frame = pl.scan_parquet(folder / "*.parquet").select(
        pl.col("node").cast(pl.Int64), pl.col("hash").cast(pl.UInt64)
    )
    if copies is not None:
        frame = frame.join(pl.scan_parquet(copies), on="node", how="anti")
    if index_hits is not None:
        hits = (
            pl.scan_parquet(index_hits)
            .filter(pl.col("band") == band)
            .select(pl.col("node").cast(pl.Int64), pl.col("hash").cast(pl.UInt64))
        )
        frame = pl.concat([hits, frame])
    frame = frame.filter(pl.col("hash").is_duplicated()).with_columns(
        pl.lit(band, pl.UInt16).alias("band")
    )
    pairs = candidate_pairs(frame).filter(pl.col("right") >= 0)
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
    with_sets: bool = False,
) -> int:
    """Signatures of one row group to `signatures/`, its band hashes to `bands/band=<b>/`,
    and with `with_sets` each document's distinct shingle hashes to `shingles/`.

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
                    "signature": _fixed_list(sig, params["num_perm"]),
                }
            ),
            work / "signatures" / f"part-{name}-{part:06d}.parquet",
        )
        if with_sets:
            pq.write_table(
                pa.table({"node": batch_nodes, "shingles": sets_column(batch)}),
                work / "shingles" / f"part-{name}-{part:06d}.parquet",
            )
        bands = band_hashes(sig[nonempty], params["bands"], params["rows"])
        for b in range(params["bands"]):
            pq.write_table(
                pa.table({"node": batch_nodes[nonempty], "hash": bands[:, b]}),
                work / "bands" / f"band={b}" / f"part-{name}-{part:06d}.parquet",
            )
        row += k
    return row


def _fixed_list(sig: np.ndarray, num_perm: int) -> pa.FixedSizeListArray:
    return pa.FixedSizeListArray.from_arrays(
        pa.array(np.ascontiguousarray(sig, np.uint32).reshape(-1), pa.uint32()), num_perm
    )


def _matrix(column: pa.Array | pa.ChunkedArray, rows: int, num_perm: int) -> np.ndarray:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    return np.asarray(column.flatten().to_numpy(zero_copy_only=False), np.uint32).reshape(
        rows, num_perm
    )


# Rows of one staged batch sketched at a time (the kernels' own chunk): with the batch's text,
# its token and shingle arrays are the peak of a sketch task.
SKETCH_ROWS = 16_384


def sketch_schema(params: dict[str, Any], *, with_sets: bool) -> pa.Schema:
    """The columns of a `sketch_batch` file: rank inputs (the text's byte length instead of
    the text), exact-text key, signature, and under `verify: exact` the shingle set."""
    fields = [
        pa.field("doc_id", pa.string()),
        pa.field("modified_at", pa.timestamp("us", tz="UTC")),
        pa.field("license_category", pa.string()),
        pa.field("length", pa.int64()),
        pa.field("key_hi", pa.uint64()),
        pa.field("key_lo", pa.uint64()),
        pa.field("nonempty", pa.bool_()),
        pa.field("signature", pa.list_(pa.uint32(), params["num_perm"])),
    ]
    if with_sets:
        fields.append(pa.field("shingles", pa.list_(pa.uint32())))
    return pa.schema(fields)


def sketch_batch(
    batch: str | Path, out: str | Path, params: dict[str, Any], *, with_sets: bool = False
) -> Path:
    """Sketch one staged batch of documents into `out`: the only dedup step that reads text.

    A plain function of paths and small values, so a flow maps it over batches (on Dask
    workers too); `deduplicate_sketches` decides over the files it writes without any text.
    Rows keep the batch's order. The file is written beside `out` and renamed, so a file at
    `out` is always complete (a resumed run keeps it).
    """
    source = pq.ParquetFile(batch)
    names = set(source.schema_arrow.names)
    wanted = [c for c in ("doc_id", "text", "modified_at", "license_category") if c in names]
    schema = sketch_schema(params, with_sets=with_sets)
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    with pq.ParquetWriter(partial, schema) as writer:
        for record_batch in source.iter_batches(SKETCH_ROWS, columns=wanted):
            chunk = rank_inputs(pa.Table.from_batches([record_batch]))
            n = chunk.num_rows
            text = chunk.column("text")
            shingled = shingle_batch(text, params["ngram"])
            sig = signatures(shingled, params["num_perm"], params["seed"])
            length = pc.fill_null(pc.binary_length(text), 0).cast(pa.int64())
            columns = {
                "doc_id": chunk.column("doc_id"),
                "modified_at": chunk.column("modified_at")
                if "modified_at" in chunk.column_names
                else pa.nulls(n, pa.timestamp("us", tz="UTC")),
                "license_category": chunk.column("license_category")
                if "license_category" in chunk.column_names
                else pa.nulls(n, pa.string()),
                "length": length,
                "key_hi": shingled.text_key[:, 0],
                "key_lo": shingled.text_key[:, 1],
                "nonempty": shingled.counts() > 0,
                "signature": _fixed_list(sig, params["num_perm"]),
            }
            if with_sets:
                columns["shingles"] = sets_column(shingled)
            writer.write_table(pa.table(columns).cast(schema))
            del chunk, text, shingled
    partial.replace(target)
    return target


def deduplicate_sketches(
    sketches: list[str | Path],
    work_dir: str | Path,
    cfg: DedupConfig,
    *,
    memory_limit: str | None = None,
    dask_scheduler: Any = None,
    index: SignatureIndex | None = None,
    keep_signatures: bool = True,
) -> OutOfCoreResult:
    """`deduplicate_parquet`'s decisions over `sketch_batch` files instead of documents.

    The rows of the sketches, in order, are the run's documents; the assignments file has one
    row per sketch row in that order, and the kept documents' signature rows (with their
    shingle sets under `verify: exact`, read from the sketches) go to
    `OutOfCoreResult.signatures`. No text is read: candidate pairs are verified from
    signatures, and under `verify: exact` from the sketches' shingle sets, loaded only for
    documents of a remaining pair. Decisions equal `deduplicate`'s on the same documents.
    """
    started = time.perf_counter()
    phase = _Phases()
    files = [str(p) for p in sketches]
    if not files:
        raise DedupInputError("no sketches to deduplicate")
    params = index_params(cfg)
    if index is not None:
        index.check_params(params)
    work = Path(work_dir)
    if work.exists():
        shutil.rmtree(work)
    exact_sets = cfg.verify == "exact"
    columns = set(pq.read_schema(files[0]).names)
    if exact_sets and "shingles" not in columns:
        raise DedupInputError("verify: exact needs sketches written with their shingle sets")
    for sub in ("signatures", "bands", "pairs", "duckdb-tmp") + (
        ("shingles",) if exact_sets else ()
    ):
        (work / sub).mkdir(parents=True)
    con = connect(work, memory_limit)

    with phase("rank"):
        n = _rank(con, files, columns, cfg.representative, work / "rank.parquet")
        node_of_row = np.empty(n, np.int64)
        ranks = pq.read_table(work / "rank.parquet")
        node_of_row[ranks.column("row").to_numpy()] = ranks.column("node").to_numpy()
        del ranks
        np.save(work / "nodes.npy", node_of_row)
        del node_of_row
        (work / "rank.parquet").unlink()

    # signatures with their node ids, band hashes per band: one task per sketch file
    with phase("sketch"):
        for b in range(params["bands"]):
            (work / "bands" / f"band={b}").mkdir()
        tasks, first_row = [], 0
        for number, file in enumerate(files):
            tasks.append((file, first_row, str(work), f"{number:06d}", params, exact_sets))
            first_row += pq.ParquetFile(file).metadata.num_rows
        _run_tasks(_place_sketch, tasks, dask_scheduler, "place")
        (work / "nodes.npy").unlink()
    return _decide(
        con,
        work,
        n,
        cfg,
        index=index,
        phase=phase,
        dask_scheduler=dask_scheduler,
        keep_signatures=keep_signatures,
        started=started,
    )


def _place_sketch(
    file: str, first_row: int, work_dir: str, name: str, params: dict[str, Any], with_sets: bool
) -> int:
    """One sketch file's rows under their node ids: signatures to `signatures/`, band hashes
    to `bands/band=<b>/`, shingle sets to `shingles/` (`_sketch_row_group`'s layout)."""
    work = Path(work_dir)
    parquet = pq.ParquetFile(file)
    size = parquet.metadata.num_rows
    nodes = np.array(np.load(work / "nodes.npy", mmap_mode="r")[first_row : first_row + size])
    columns = ["doc_id", "key_hi", "key_lo", "nonempty", "signature"]
    row = 0
    for part, record_batch in enumerate(
        parquet.iter_batches(
            _FETCH_SIGNATURES, columns=columns + (["shingles"] if with_sets else [])
        )
    ):
        k = record_batch.num_rows
        batch_nodes = nodes[row : row + k]
        nonempty = record_batch.column("nonempty").to_numpy(zero_copy_only=False).astype(bool)
        sig = _matrix(record_batch.column("signature"), k, params["num_perm"])
        pq.write_table(
            pa.table(
                {
                    "node": batch_nodes,
                    "row": np.arange(first_row + row, first_row + row + k, dtype=np.int64),
                    "doc_id": record_batch.column("doc_id"),
                    "key_hi": record_batch.column("key_hi"),
                    "key_lo": record_batch.column("key_lo"),
                    "nonempty": nonempty,
                    "signature": _fixed_list(sig, params["num_perm"]),
                }
            ),
            work / "signatures" / f"part-{name}-{part:06d}.parquet",
        )
        if with_sets:
            pq.write_table(
                pa.table({"node": batch_nodes, "shingles": record_batch.column("shingles")}),
                work / "shingles" / f"part-{name}-{part:06d}.parquet",
            )
        bands = band_hashes(sig[nonempty], params["bands"], params["rows"])
        for b in range(params["bands"]):
            pq.write_table(
                pa.table({"node": batch_nodes[nonempty], "hash": bands[:, b]}),
                work / "bands" / f"band={b}" / f"part-{name}-{part:06d}.parquet",
            )
        row += k
    return row


def split_assignments(assignments: str | Path, outs: list[tuple[Path, int]]) -> list[Path]:
    """Cut an assignments file (rows in input order) into one file per input batch, given
    each batch's (output path, row count), streaming: a batch's decisions are then applied
    by reading only that file and that batch."""
    reader = pq.ParquetFile(assignments)
    stream = reader.iter_batches(_FETCH)
    pending: list[pa.RecordBatch] = []
    written = []
    for path, count in outs:
        parts, need = [], count
        while need:
            if not pending:
                pending.append(next(stream))
            head = pending.pop(0)
            take = min(need, head.num_rows)
            parts.append(head.slice(0, take))
            if take < head.num_rows:
                pending.insert(0, head.slice(take))
            need -= take
        table = (
            pa.Table.from_batches(parts, reader.schema_arrow)
            if parts
            else reader.schema_arrow.empty_table()
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
        written.append(path)
    return written


ASSIGNMENTS_SCHEMA = pa.schema(
    [
        pa.field("doc_id", pa.string()),
        pa.field("cluster_id", pa.string()),
        pa.field("duplicate", pa.bool_()),
        pa.field("reason", pa.string()),
        pa.field("similarity", pa.float64()),
    ]
)


def write_empty_assignments(path: Path) -> Path:
    """An assignments file without rows (a batch of a run without documents)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(ASSIGNMENTS_SCHEMA.empty_table(), path)
    return path
