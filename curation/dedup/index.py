"""The persistent signature index of a table: every committed version's kept documents.

Layout under the folder the caller owns (`<workspace>/indexes/<table>/dedup/`):

    _params.json                      MinHash parameters; a mismatching config is refused
    version=<v>/signatures.parquet    doc_id, key_hi, key_lo (exact-text key), signature
    version=<v>/bands.parquet         doc_id, band, hash (long, sorted by band and hash)
    version=<v>/shingles.parquet      doc_id, shingles (distinct shingle hashes; only written
                                      by runs with `verify: exact`, for exact verification)

A later run joins its new documents' band hashes and text keys against these files (polars
lazy scans with semi-joins, so only matching rows are materialized) and loads signatures only
for the documents that matched: its cost grows with the new documents, not with the index.
Adding a version writes into a temporary folder renamed into place, so a crash never leaves
half a version, and re-adding a version replaces it (reruns are idempotent).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from curation.dedup.exceptions import DedupError, IndexMismatchError

PARAMS_FILE = "_params.json"
# Rows per row group of the files polars sinks: its default buffers up to 512^2 rows (a run's
# every signature, at 200,000 documents) before it writes one.
_SINK_ROWS = 16_384
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def signature_schema(num_perm: int, bands: int) -> pa.Schema:
    """Schema of `DedupOutcome.signatures` and of what `SignatureIndex.add` accepts."""
    return pa.schema(
        [
            pa.field("doc_id", pa.string(), nullable=False),
            pa.field("key_hi", pa.uint64(), nullable=False),
            pa.field("key_lo", pa.uint64(), nullable=False),
            pa.field("signature", pa.list_(pa.uint32(), num_perm), nullable=False),
            # null for documents without tokens: they have no LSH buckets
            pa.field("bands", pa.list_(pa.uint64(), bands)),
        ]
    )


def signature_table(
    doc_ids: pa.Array | pa.ChunkedArray | np.ndarray,
    keys: np.ndarray,
    sig: np.ndarray,
    bands: np.ndarray,
    nonempty: np.ndarray,
    params: dict[str, Any],
    shingles: pa.Array | None = None,
) -> pa.Table:
    """Rows for `SignatureIndex.add`, as both dedup engines write them.

    `keys` (n, 2) uint64 exact-text keys, `sig` (n, num_perm) uint32, `bands` (n, bands)
    uint64, `nonempty`: whether each document has shingles (documents without tokens get null
    bands: their empty signatures would all collide); `shingles`: each document's distinct
    shingle hashes, stored by runs with `verify: exact`. The schema carries `params`.
    """
    n_bands = params["bands"]
    if isinstance(doc_ids, np.ndarray):
        ids = pa.array(doc_ids.astype(object) if len(doc_ids) else [], pa.string())
    else:
        ids = doc_ids.cast(pa.string())
        if isinstance(ids, pa.ChunkedArray):
            ids = ids.combine_chunks() if ids.num_chunks else pa.array([], pa.string())
    band_values = pa.FixedSizeListArray.from_arrays(
        pa.array(np.ascontiguousarray(bands, np.uint64).reshape(-1), pa.uint64()),
        n_bands,
        mask=pa.array(~np.asarray(nonempty, bool)),
    )
    columns = [
        ids,
        pa.array(np.ascontiguousarray(keys[:, 0], np.uint64)),
        pa.array(np.ascontiguousarray(keys[:, 1], np.uint64)),
        pa.FixedSizeListArray.from_arrays(
            pa.array(np.ascontiguousarray(sig, np.uint32).reshape(-1), pa.uint32()),
            params["num_perm"],
        ),
        band_values,
    ]
    if shingles is not None:
        columns.append(shingles.cast(pa.list_(pa.uint32())))
    schema = signature_rows_schema(params, with_shingles=shingles is not None)
    return pa.Table.from_arrays(columns, schema=schema)


def signature_rows_schema(params: dict[str, Any], *, with_shingles: bool) -> pa.Schema:
    """The schema of `signature_table`'s rows, carrying `params` (a Parquet round trip
    renames list fields: cast to this to compare or append)."""
    schema = signature_schema(params["num_perm"], params["bands"])
    if with_shingles:
        schema = schema.append(pa.field("shingles", pa.list_(pa.uint32())))
    return schema.with_metadata({"curation.dedup.params": json.dumps(params, sort_keys=True)})


class SignatureIndex:
    """MinHash signatures and LSH band hashes of the documents already in a dataset."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> SignatureIndex:
        """Open (or prepare, if absent) the index in folder `path`; nothing is read yet."""
        folder = Path(path)
        if folder.exists() and not folder.is_dir():
            raise DedupError(f"dedup index path {folder} is a file: pass a folder")
        return cls(folder)

    # -- parameters -------------------------------------------------------------------------
    @property
    def params(self) -> dict[str, Any] | None:
        file = self.path / PARAMS_FILE
        return json.loads(file.read_text()) if file.is_file() else None

    def check_params(self, params: dict[str, Any]) -> None:
        """Refuse an index built with other MinHash parameters (signatures would not compare)."""
        stored = self.params
        if stored is not None and stored != params:
            differing = sorted(
                k for k in set(stored) | set(params) if stored.get(k) != params.get(k)
            )
            raise IndexMismatchError(
                f"dedup index at {self.path} was built with other parameters "
                f"({', '.join(f'{k}: {stored.get(k)} vs {params.get(k)}' for k in differing)}): "
                "restore the spec's dedup settings, or delete the folder to rebuild it from the "
                "committed versions"
            )

    # -- contents ---------------------------------------------------------------------------
    def versions(self) -> list[str]:
        if not self.path.is_dir():
            return []
        return sorted(
            p.name.removeprefix("version=")
            for p in self.path.glob("version=*")
            if (p / "signatures.parquet").is_file()
        )

    def __len__(self) -> int:
        files = self.files("signatures")
        return sum(pq.ParquetFile(f).metadata.num_rows for f in files)

    def files(self, kind: str) -> list[Path]:
        """The existing `<kind>.parquet` files of every version (`signatures`, `bands`,
        `shingles`), for engines that read the index with their own scans (DuckDB)."""
        return [
            path
            for v in self.versions()
            if (path := self.path / f"version={v}" / f"{kind}.parquet").is_file()
        ]

    def _scan(self, kind: str) -> pl.LazyFrame | None:
        files = self.files(kind)
        return pl.scan_parquet(files) if files else None

    def match_keys(self, key_hi: np.ndarray, key_lo: np.ndarray) -> pl.DataFrame:
        """Index documents whose exact-text key is among the given keys: doc_id, key_hi, key_lo."""
        scan = self._scan("signatures")
        empty = pl.DataFrame(schema={"doc_id": pl.String, "key_hi": pl.UInt64, "key_lo": pl.UInt64})
        if scan is None or not len(key_hi):
            return empty
        wanted = pl.LazyFrame({"key_hi": key_hi, "key_lo": key_lo})
        return (
            scan.select("doc_id", "key_hi", "key_lo")
            .join(wanted, on=["key_hi", "key_lo"], how="semi")
            .collect()
        )

    def match_bands(self, bands: pl.DataFrame) -> pl.DataFrame:
        """Index rows (doc_id, band, hash) sharing a (band, hash) with `bands`."""
        scan = self._scan("bands")
        if scan is None or not bands.height:
            return pl.DataFrame(schema={"doc_id": pl.String, "band": pl.UInt16, "hash": pl.UInt64})
        return scan.join(
            bands.lazy().select("band", "hash"), on=["band", "hash"], how="semi"
        ).collect()

    def signatures_of(self, doc_ids: list[str] | pl.Series) -> pl.DataFrame:
        """doc_id and signature of the given index documents (in index order)."""
        scan = self._scan("signatures")
        if scan is None:
            return pl.DataFrame(schema={"doc_id": pl.String, "signature": pl.List(pl.UInt32)})
        wanted = pl.LazyFrame({"doc_id": pl.Series(doc_ids, dtype=pl.String)}).unique()
        return scan.select("doc_id", "signature").join(wanted, on="doc_id", how="semi").collect()

    def shingles_of(self, doc_ids: list[str] | pl.Series) -> pl.DataFrame:
        """doc_id and stored shingle set of those index documents that have one."""
        files = self.files("shingles")
        if not files:
            return pl.DataFrame(schema={"doc_id": pl.String, "shingles": pl.List(pl.UInt32)})
        wanted = pl.LazyFrame({"doc_id": pl.Series(doc_ids, dtype=pl.String)}).unique()
        return (
            pl.scan_parquet(files)
            .select("doc_id", "shingles")
            .join(wanted, on="doc_id", how="semi")
            .collect()
        )

    # -- writes -----------------------------------------------------------------------------
    def add(
        self,
        signatures: pa.Table | str | os.PathLike[str],
        *,
        version: str,
        params: dict[str, Any] | None = None,
    ) -> int:
        """Persist the kept documents' signatures of `version`; returns the rows written.

        `signatures` is `DedupOutcome.signatures`, or a Parquet file of those rows (what a
        run stages): a file is streamed, never read whole, so adding a run's documents costs
        the flow process no more memory at a million documents than at a thousand. Its
        schema metadata carries the parameters (or pass `params`). Re-adding a version
        replaces it atomically.
        """
        if not _VERSION.match(version):
            raise DedupError(
                f"dedup index version {version!r} is not a plain name: use letters, digits, "
                "'.', '_' or '-' (for example v3)"
            )
        if isinstance(signatures, pa.Table):
            schema, rows = signatures.schema, signatures.num_rows
        else:
            metadata = pq.read_metadata(signatures)
            schema, rows = metadata.schema.to_arrow_schema(), metadata.num_rows
        params = params or _params_from_schema(schema)
        if params is None:
            raise DedupError("signatures carry no MinHash parameters: pass DedupOutcome.signatures")
        self.check_params(params)
        self.path.mkdir(parents=True, exist_ok=True)
        if self.params is None:
            _atomic_write_text(
                self.path / PARAMS_FILE, json.dumps(params, sort_keys=True, indent=1)
            )
        staging = self.path / f".staging-{uuid.uuid4().hex}"
        staging.mkdir()
        try:
            if isinstance(signatures, pa.Table):
                # staged as a file, so that DuckDB sorts its band rows the way it sorts a run's
                source = staging / ".rows.parquet"
                pq.write_table(signatures, source, row_group_size=_SINK_ROWS)
            else:
                source = Path(signatures)
            _write_version(source, staging, params, "shingles" in schema.names)
            (staging / ".rows.parquet").unlink(missing_ok=True)
            target = self.path / f"version={version}"
            if target.exists():
                retired = self.path / f".retired-{uuid.uuid4().hex}"
                target.rename(retired)
                staging.rename(target)
                shutil.rmtree(retired)
            else:
                staging.rename(target)
        finally:
            if staging.exists():
                shutil.rmtree(staging)
        return rows

    def remove(self, doc_ids: list[str]) -> int:
        """Delete documents from every version (erasure, documents replaced by an incremental
        run); returns the signature rows removed. Each file is filtered as a polars stream,
        so a version is never read whole."""
        removed = 0
        drop = pl.Series("doc_id", doc_ids, dtype=pl.String)
        leaving = pl.col("doc_id").is_in(drop.implode())
        for version in self.versions():
            folder = self.path / f"version={version}"
            hits = (
                pl.scan_parquet(folder / "signatures.parquet")
                .select(leaving.sum())
                .collect()
                .item()
            )
            if not hits:
                continue
            removed += int(hits)
            staging = self.path / f".staging-{uuid.uuid4().hex}"
            staging.mkdir()
            for kind in ("signatures", "bands", "shingles"):
                if (folder / f"{kind}.parquet").is_file():
                    pl.scan_parquet(folder / f"{kind}.parquet").filter(~leaving).sink_parquet(
                        staging / f"{kind}.parquet", compression="zstd", row_group_size=_SINK_ROWS
                    )
            retired = self.path / f".retired-{uuid.uuid4().hex}"
            folder.rename(retired)
            staging.rename(folder)
            shutil.rmtree(retired)
        return removed


def _write_version(source: Path, folder: Path, params: dict[str, Any], with_shingles: bool) -> None:
    """The files of one index version from a Parquet file of `signature_table` rows, each
    streamed: the signatures (and shingle sets) in row order, a row group at a time, and
    the long band rows sorted by DuckDB (`_write_bands`)."""
    _copy_columns(
        source, folder / "signatures.parquet", ["doc_id", "key_hi", "key_lo", "signature"]
    )
    _write_bands(source, folder / "bands.parquet", params["bands"], folder / ".spill")
    if with_shingles:
        _copy_columns(source, folder / "shingles.parquet", ["doc_id", "shingles"])


def _copy_columns(source: Path, out: Path, columns: list[str]) -> None:
    """`columns` of `source` to `out`, one row group at a time, doc_id as a large string (as
    the band rows store it).

    Row group by row group: `iter_batches` read ahead while the writer compressed (160 MB of
    live Arrow memory at 200,000 documents), and a polars sink grew with the run (66 MB at
    50,000 documents, 100 MB at 200,000). Arrow's pool returns each group's freed pages, so
    the flow process's resident memory does not pile up across the groups.
    """
    file = pq.ParquetFile(source)
    schema = pa.schema(
        [
            field.with_type(pa.large_string()) if field.name == "doc_id" else field
            for field in (file.schema_arrow.field(name) for name in columns)
        ]
    )
    pool = pa.default_memory_pool()
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for group in range(file.num_row_groups):
            writer.write_table(file.read_row_group(group, columns=columns).cast(schema))
            pool.release_unused()


# DuckDB's memory while it sorts the band rows (a version's documents times its bands),
# spilling past it. Measured on synthetic signatures, 50,000 / 200,000 documents, one thread:
# the process grew by 44 / 50 MB at 32 MB, 73 / 80 MB at 64 MB; sorting one band at a time
# in polars, by 38 / 123 MB.
_BANDS_MEMORY_LIMIT = "32MB"
_BANDS_FETCH = 65_536  # band rows per record batch streamed from DuckDB to the writer


def _write_bands(source: Path, out: Path, bands: int, spill: Path) -> None:
    """One row per document and band (doc_id, band, hash) of the documents that have bands,
    sorted by band and hash, ties in row order (a stable sort of each band), as DuckDB sorts
    them out of core: the rows outnumber the documents `bands` times, so the flow process
    holds one record batch of them, never a band."""
    from curation.dedup.outofcore import connect, sql_path

    spill.mkdir(parents=True, exist_ok=True)
    con = connect(spill, _BANDS_MEMORY_LIMIT, threads=1)
    pool = pa.default_memory_pool()
    try:
        reader = con.execute(
            f"""
            SELECT s.doc_id, r.band::USMALLINT AS band, s.bands[r.band + 1] AS hash
            FROM read_parquet({sql_path(source)}, file_row_number = true) s
                 CROSS JOIN range({int(bands)}) r(band)
            WHERE s.bands IS NOT NULL
            ORDER BY r.band, hash, s.file_row_number
            """
        ).fetch_record_batch(_BANDS_FETCH)
        with pq.ParquetWriter(out, _BANDS_SCHEMA, compression="zstd") as writer:
            for batch in reader:
                writer.write_table(pa.Table.from_batches([batch]).cast(_BANDS_SCHEMA))
                pool.release_unused()
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


_BANDS_SCHEMA = pa.schema(
    [
        pa.field("doc_id", pa.large_string()),
        pa.field("band", pa.uint16()),
        pa.field("hash", pa.uint64()),
    ]
)


def _params_from_schema(schema: pa.Schema) -> dict[str, Any] | None:
    raw = (schema.metadata or {}).get(b"curation.dedup.params")
    return json.loads(raw) if raw else None


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    tmp.write_text(text)
    tmp.replace(path)
