"""Parquet, JSONL and Arrow files as sources: one document per row, read column-wise.

A source path is one file or a folder of such files (`include`/`exclude` apply to the folder's
files). Text comes from `text_field`; the row's locator is `id_field`'s value when given,
else `<file>#row=<n>`; every other column goes to `metadata_json`, except binary ones (images,
blobs: not metadata, and JSON cannot hold them). A file that cannot be read (or lacks the text
field) is quarantined as one row named after the file. `curation.ingest.hf_dataset` reads
`datasets` folders through the same row code.

With what a previous run saw (`curation.ingest.known`), a file whose mtime is unchanged is not
read: its rows come back as unchanged rows. Ids of such files still count as taken, so a
changed file cannot reuse one; a file with a row quarantined as a repeated id is always read
again, since that decision depended on other files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from curation.ingest.known import SourceKnown

# A source's files, by its type: the suffixes every tabular reader accepts (`curation.tabular`).
SUFFIXES = {
    fmt: tuple(suffix for suffix, of in TABLE_FORMATS.items() if of == fmt)
    for fmt in ("parquet", "jsonl")
}
# By file format (Arrow files are what `datasets` writes: the IPC stream format).
MIME = {
    "parquet": "application/vnd.apache.parquet",
    "jsonl": "application/x-ndjson",
    "arrow": "application/vnd.apache.arrow.stream",
}
EXTRACTOR = {"parquet": "pyarrow.parquet", "jsonl": "pyarrow.json", "arrow": "pyarrow.ipc"}


@dataclass(frozen=True)
class DataFile:
    """One file of a row source: where it is, its name in the source, its format, its stat."""

    path: Path
    relative: str
    format: str
    size: int | None
    mtime_ns: int | None

    @classmethod
    def at(cls, path: Path, relative: str, fmt: str) -> DataFile:
        try:
            info = path.stat()
        except OSError:
            return cls(path, relative, fmt, None, None)
        return cls(path, relative, fmt, info.st_size, info.st_mtime_ns)


def data_files(source: SourceConfig) -> list[DataFile]:
    """Every data file of a parquet/jsonl source, sorted."""
    root = Path(source.path).resolve()
    fmt = source.type
    if root.is_file():
        return [DataFile.at(root, root.name, fmt)]
    files = []
    for entry in walk_folder(root, source.include, source.exclude):
        if entry.problem is None and entry.relative_path.lower().endswith(SUFFIXES[fmt]):
            files.append(DataFile(entry.path, entry.relative_path, fmt, entry.size, entry.mtime_ns))
    return files


def ingest_table_source(
    source: SourceConfig, *, run_id: str, batch_size: int, known: SourceKnown | None = None
) -> Iterator[IngestBatch]:
    """Every row of every data file of a parquet/jsonl source."""
    yield from ingest_data_files(
        source, data_files(source), run_id=run_id, batch_size=batch_size, known=known
    )


def ingest_data_files(
    source: SourceConfig,
    files: list[DataFile],
    *,
    run_id: str,
    batch_size: int,
    known: SourceKnown | None = None,
) -> Iterator[IngestBatch]:
    """Rows of `files` as documents or quarantined rows; files unchanged since the run that
    `known` describes come back as unchanged rows, unread."""
    from curation.ingest.known import UnchangedRows

    # doc ids already used: a repeated id_field value would repeat a doc_id
    seen_ids: set[str] = set()
    skipped: set[str] = set()
    unchanged = None
    if known is not None:
        unchanged = UnchangedRows(known, run_id=run_id, source_id=source.id)
        for file in files:
            found = known.match(file.relative, size=file.size, mtime_ns=file.mtime_ns)
            if found is not None:
                skipped.add(file.relative)
                seen_ids.update(known.doc_ids(*found))
    for file in files:
        if unchanged is not None and file.relative in skipped:
            unchanged.add(file.relative, size=file.size, mtime_ns=file.mtime_ns)
            if len(unchanged) >= batch_size:
                table = unchanged.table()
                for start in range(0, table.num_rows, batch_size):
                    yield _unchanged_batch(table.slice(start, batch_size), run_id, source.id)
            continue
        try:
            for offset, batch in _read_batches(file.path, file.format, source, batch_size):
                yield _rows_batch(batch, offset, source, file, run_id, seen_ids)
        except ExtractionError as error:
            yield _file_failure(source, file, run_id, error)
    if unchanged is not None and len(unchanged):
        yield _unchanged_batch(unchanged.table(), run_id, source.id)


def _unchanged_batch(table: pa.Table, run_id: str, source_id: str) -> IngestBatch:
    from curation.ingest.records import rows_to_documents

    return IngestBatch(
        documents=rows_to_documents([], run_id, source_id),
        quarantined=rows_to_quarantined([], run_id, source_id),
        unchanged=table,
    )


def _read_batches(
    path: Path, fmt: str, source: SourceConfig, batch_size: int
) -> Iterator[tuple[int, pa.Table]]:
    """Tables of at most `batch_size` rows with their first row number; errors name the file."""
    what = repr(path.name)
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            reader = pq.ParquetFile(path)
            _require_fields(reader.schema_arrow.names, source, what)
            batches = reader.iter_batches(batch_size=batch_size)
        elif fmt == "arrow":
            batches = _arrow_batches(path, source, what)
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


def _arrow_batches(path: Path, source: SourceConfig, what: str) -> Iterator[pa.RecordBatch]:
    """Record batches of an Arrow IPC file: the stream format (`datasets`) or the file format."""
    with pa.memory_map(str(path)) as handle:
        if handle.read(6) == b"ARROW1":
            handle.seek(0)
            file_reader = pa.ipc.open_file(handle)
            _require_fields(file_reader.schema.names, source, what)
            for index in range(file_reader.num_record_batches):
                yield file_reader.get_batch(index)
            return
        handle.seek(0)
        stream = pa.ipc.open_stream(handle)
        _require_fields(stream.schema.names, source, what)
        yield from stream


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
    file: DataFile,
    run_id: str,
    seen_ids: set[str],
) -> IngestBatch:
    """One table of rows -> documents, and quarantined rows (empty, too large, repeated id)."""
    n = batch.num_rows
    others = [
        name
        for name in batch.column_names
        if name not in {source.text_field, source.id_field}
        and not _holds_binary(batch.schema.field(name).type)
    ]
    keep = dict.fromkeys([source.text_field, source.id_field or source.text_field, *others])
    frame = pl.from_arrow(batch.select(list(keep)))
    assert isinstance(frame, pl.DataFrame)
    rows = range(offset, offset + n)
    relative = file.relative
    row_locators = [f"{relative}#row={row}" for row in rows]
    repeated = np.zeros(n, dtype=bool)
    if source.id_field is not None:
        ids = frame.get_column(source.id_field).cast(pl.Utf8, strict=False).to_list()
        locators = []
        for index, value in enumerate(ids):
            if value is None or value == "":
                locators.append(row_locators[index])
                continue
            doc_id = make_doc_id(source.id, value)
            if doc_id in seen_ids:
                repeated[index] = True
                locators.append(row_locators[index])
            else:
                seen_ids.add(doc_id)
                locators.append(value)
    else:
        locators = row_locators
    metadata = (
        frame.select(pl.struct(others).struct.json_encode()).to_series().to_arrow()
        if others
        else pa.nulls(n, pa.string())
    )
    texts = frame.get_column(source.text_field).cast(pl.Utf8, strict=False).to_list()
    encoded = [t.encode("utf-8") if t is not None else b"" for t in texts]
    base_uri = file.path.as_uri()
    table = pa.table(
        {
            "doc_id": [make_doc_id(source.id, loc) for loc in locators],
            "text": pa.array(texts, pa.large_string()),
            "source_id": [source.id] * n,
            "source_uri": [f"{base_uri}#row={row}" for row in rows],
            "relative_path": [relative] * n,
            "content_sha256": [hashlib.sha256(b).hexdigest() for b in encoded],
            "size_bytes": pa.array([len(b) for b in encoded], pa.int64()),
            "modified_at": pa.array([micros_from_ns(file.mtime_ns)] * n, pa.int64()).cast(
                TIMESTAMP
            ),
            "mime_type": [MIME[file.format]] * n,
            "extractor": [EXTRACTOR[file.format]] * n,
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


def _holds_binary(type_: pa.DataType) -> bool:
    """Whether a column type is (or nests) raw bytes, or is an extension type."""
    if isinstance(type_, pa.ExtensionType):
        return True
    if (
        pa.types.is_binary(type_)
        or pa.types.is_large_binary(type_)
        or pa.types.is_fixed_size_binary(type_)
        or pa.types.is_binary_view(type_)
    ):
        return True
    return any(_holds_binary(type_.field(i).type) for i in range(type_.num_fields))


def _file_failure(
    source: SourceConfig, file: DataFile, run_id: str, error: ExtractionError
) -> IngestBatch:
    cause = error.__cause__
    row = {
        "doc_id": make_doc_id(source.id, file.relative),
        "source_uri": file.path.as_uri(),
        "relative_path": file.relative,
        "content_sha256": _file_sha256(file.path),
        "size_bytes": file.size,
        "modified_at": micros_from_ns(file.mtime_ns),
        "mime_type": MIME[file.format],
        "extractor": EXTRACTOR[file.format],
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
