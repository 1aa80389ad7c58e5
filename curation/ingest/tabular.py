"""Parquet and JSONL sources: one document per row, read column-wise with pyarrow.

A source path is one file or a folder of such files (`include`/`exclude` apply to the folder's
files). Text comes from `text_field`; the row's locator is `id_field`'s value when given,
else `<file>#row=<n>`; every other column goes to `metadata_json`. A file that cannot be read
(or lacks the text field) is quarantined as one row named after the file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from curation.exceptions import ExtractionError
from curation.ingest.extract.base import parse_error
from curation.ingest.folder import walk_folder
from curation.ingest.reasons import IngestReason
from curation.ingest.records import IngestBatch, micros_from_ns, rows_to_quarantined
from curation.ingest.sources import SourceConfig
from curation.ledger import details_json
from curation.schema import TIMESTAMP, conform, make_doc_id
from curation.tabular import TABLE_FORMATS

# A source's files, by its type: the suffixes every tabular reader accepts (`curation.tabular`).
SUFFIXES = {
    fmt: tuple(suffix for suffix, of in TABLE_FORMATS.items() if of == fmt)
    for fmt in ("parquet", "jsonl")
}
MIME = {"parquet": "application/vnd.apache.parquet", "jsonl": "application/x-ndjson"}
EXTRACTOR = {"parquet": "pyarrow.parquet", "jsonl": "pyarrow.json"}


def data_files(source: SourceConfig) -> list[tuple[Path, str]]:
    """(absolute path, relative name) of every data file of the source, sorted."""
    root = Path(source.path).resolve()
    if root.is_file():
        return [(root, root.name)]
    files = []
    for entry in walk_folder(root, source.include, source.exclude):
        if entry.problem is None and entry.relative_path.lower().endswith(SUFFIXES[source.type]):
            files.append((entry.path, entry.relative_path))
    return files


def ingest_table_source(
    source: SourceConfig, *, run_id: str, batch_size: int
) -> Iterator[IngestBatch]:
    seen_ids: set[str] = set()  # id_field values already used: a repeat would repeat a doc_id
    for path, relative in data_files(source):
        stat = path.stat()
        try:
            for offset, batch in _read_batches(path, source, batch_size):
                yield _rows_batch(
                    batch, offset, source, path, relative, stat.st_mtime_ns, run_id, seen_ids
                )
        except ExtractionError as error:
            yield _file_failure(source, path, relative, stat, run_id, error)


def _read_batches(
    path: Path, source: SourceConfig, batch_size: int
) -> Iterator[tuple[int, pa.Table]]:
    """Tables of at most `batch_size` rows with their first row number; errors name the file."""
    what = repr(path.name)
    try:
        if source.type == "parquet":
            import pyarrow.parquet as pq

            reader = pq.ParquetFile(path)
            _require_fields(reader.schema_arrow.names, source, what)
            batches = reader.iter_batches(batch_size=batch_size)
        else:
            import pyarrow.json as pj

            reader = pj.open_json(path)
            _require_fields(reader.schema.names, source, what)
            batches = iter(reader)
        offset = 0
        for record_batch in batches:
            table = pa.Table.from_batches([record_batch])
            for start in range(0, table.num_rows, batch_size):
                piece = table.slice(start, batch_size)
                yield offset, piece
                offset += piece.num_rows
    except ExtractionError:
        raise
    except (pa.ArrowException, OSError, ValueError) as error:
        raise parse_error(error, what) from error


def _require_fields(names: list[str], source: SourceConfig, what: str) -> None:
    for field in (source.text_field, source.id_field):
        if field is not None and field not in names:
            raise ExtractionError(
                IngestReason.MISSING_FIELD,
                f"{what} has no column {field!r} (columns: {', '.join(names[:20])}): "
                f"set text_field / id_field of source {source.id!r}",
            )


def _rows_batch(
    batch: pa.Table,
    offset: int,
    source: SourceConfig,
    path: Path,
    relative: str,
    mtime_ns: int,
    run_id: str,
    seen_ids: set[str],
) -> IngestBatch:
    """One table of rows -> documents, and quarantined rows (empty, too large, repeated id)."""
    n = batch.num_rows
    frame = pl.from_arrow(batch)
    assert isinstance(frame, pl.DataFrame)
    rows = range(offset, offset + n)
    row_locators = [f"{relative}#row={row}" for row in rows]
    repeated = np.zeros(n, dtype=bool)
    if source.id_field is not None:
        ids = frame.get_column(source.id_field).cast(pl.Utf8, strict=False).to_list()
        locators = []
        for index, value in enumerate(ids):
            if value is None or value == "":
                locators.append(row_locators[index])
            elif value in seen_ids:
                repeated[index] = True
                locators.append(row_locators[index])
            else:
                seen_ids.add(value)
                locators.append(value)
    else:
        locators = row_locators
    others = [c for c in frame.columns if c not in {source.text_field, source.id_field}]
    metadata = (
        frame.select(pl.struct(others).struct.json_encode()).to_series().to_arrow()
        if others
        else pa.nulls(n, pa.string())
    )
    texts = frame.get_column(source.text_field).cast(pl.Utf8, strict=False).to_list()
    encoded = [t.encode("utf-8") if t is not None else b"" for t in texts]
    base_uri = path.as_uri()
    table = pa.table(
        {
            "doc_id": [make_doc_id(source.id, loc) for loc in locators],
            "text": pa.array(texts, pa.large_string()),
            "source_id": [source.id] * n,
            "source_uri": [f"{base_uri}#row={row}" for row in rows],
            "relative_path": [relative] * n,
            "content_sha256": [hashlib.sha256(b).hexdigest() for b in encoded],
            "size_bytes": pa.array([len(b) for b in encoded], pa.int64()),
            "modified_at": pa.array([micros_from_ns(mtime_ns)] * n, pa.int64()).cast(TIMESTAMP),
            "mime_type": [MIME[source.type]] * n,
            "extractor": [EXTRACTOR[source.type]] * n,
            "extractor_version": [pa.__version__] * n,
            "metadata_json": metadata.cast(pa.string()),
            "run_id": [run_id] * n,
        }
    )
    stripped = pc.utf8_trim_whitespace(pc.fill_null(table.column("text"), ""))
    empty = pc.equal(pc.utf8_length(stripped), 0).to_numpy(zero_copy_only=False)
    too_large = pc.greater(table.column("size_bytes"), source.max_file_bytes).to_numpy(
        zero_copy_only=False
    )
    reason = np.select(
        [repeated, too_large, empty],
        [IngestReason.DUPLICATE_ID.value, IngestReason.TOO_LARGE.value, IngestReason.EMPTY.value],
        default="",
    )
    bad = reason != ""
    messages = {
        IngestReason.DUPLICATE_ID.value: f"{source.id_field} value already used by an earlier row",
        IngestReason.TOO_LARGE.value: f"row text exceeds {source.max_file_bytes} bytes",
        IngestReason.EMPTY.value: "row text is null or blank",
    }
    failed = table.filter(pa.array(bad))
    failed_reasons = reason[bad].tolist()
    details = [details_json(error_class="Refused", message=messages[r]) for r in failed_reasons]
    quarantined = conform(
        failed.set_column(1, "text", pa.nulls(failed.num_rows, pa.large_string()))
    )
    quarantined = quarantined.append_column(
        pa.field("reason", pa.string(), nullable=False), pa.array(failed_reasons, pa.string())
    ).append_column("details", pa.array(details, pa.string()))
    return IngestBatch(documents=conform(table.filter(pa.array(~bad))), quarantined=quarantined)


def _file_failure(
    source: SourceConfig,
    path: Path,
    relative: str,
    stat: object,
    run_id: str,
    error: ExtractionError,
) -> IngestBatch:
    cause = error.__cause__
    row = {
        "doc_id": make_doc_id(source.id, relative),
        "source_uri": path.as_uri(),
        "relative_path": relative,
        "content_sha256": _file_sha256(path),
        "size_bytes": getattr(stat, "st_size", None),
        "modified_at": micros_from_ns(getattr(stat, "st_mtime_ns", None)),
        "mime_type": MIME[source.type],
        "extractor": EXTRACTOR[source.type],
        "extractor_version": pa.__version__,
        "reason": error.reason,
        "details": details_json(
            error_class=type(cause).__name__ if cause is not None else "ExtractionError",
            message=str(error),
        ),
    }
    from curation.ingest.records import rows_to_documents

    return IngestBatch(
        documents=rows_to_documents([], run_id, source.id),
        quarantined=rows_to_quarantined([row], run_id, source.id),
    )


def _file_sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()
