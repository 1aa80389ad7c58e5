"""Tabular files in and out: one suffix table, one input error, one atomic writer.

Every command that reads records (`curate redact`, `dedup`, `quality score`, tabular sources)
and every staged batch of a run goes through here, so `.json` means the same thing everywhere
(JSON lines, as `datasets` writes them), an unknown suffix gets the same one-line fix, and no
reader ever sees a half-written file (temp file in the same folder + rename).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pyarrow as pa

from curation.exceptions import CurationError

if TYPE_CHECKING:
    import polars as pl

Format = Literal["jsonl", "parquet"]

TABLE_FORMATS: dict[str, Format] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


class TabularInputError(CurationError, ValueError):
    """A tabular file that cannot be read as records: wrong suffix, missing column, bad rows."""


def table_format(path: str | Path, *, role: str = "input") -> Format:
    """The format a file name stands for; an error naming the accepted suffixes otherwise.

    Examples
    --------
    >>> table_format("docs.ndjson"), table_format("docs.PQ")
    ('jsonl', 'parquet')
    >>> table_format("docs.csv")
    Traceback (most recent call last):
    ...
    curation.tabular.TabularInputError: input docs.csv: unknown file type '.csv'; use .jsonl, .ndjson, .json, .parquet or .pq
    """
    suffix = Path(path).suffix.lower()
    if suffix not in TABLE_FORMATS:
        accepted = ", ".join(TABLE_FORMATS)
        accepted = accepted[: accepted.rfind(", ")] + " or" + accepted[accepted.rfind(", ") + 1 :]
        raise TabularInputError(f"{role} {path}: unknown file type {suffix!r}; use {accepted}")
    return TABLE_FORMATS[suffix]


def scan_records(path: str | Path, *, fields: Iterable[str] = ()) -> pl.LazyFrame:
    """A lazy scan of a JSONL/Parquet file whose `fields` are checked to exist.

    The error for a missing field lists the columns there are, so the fix (`--text-field`,
    `--id-field`) is one look away.
    """
    import polars as pl

    path = Path(path)
    if not path.is_file():
        raise TabularInputError(f"input {path} does not exist or is not a file")
    fmt = table_format(path)
    try:
        lazy = pl.scan_parquet(path) if fmt == "parquet" else pl.scan_ndjson(path)
        schema = lazy.collect_schema()
    except (pl.exceptions.PolarsError, OSError) as error:
        raise TabularInputError(f"input {path} is not readable {fmt}: {error}") from error
    missing = [name for name in fields if name not in schema]
    if missing:
        raise TabularInputError(
            f"input {path} has no column {', '.join(map(repr, missing))}; its columns are "
            f"{', '.join(schema.names())}: pass --id-field / --text-field"
        )
    return lazy


def read_records(
    path: str | Path, *, text_field: str = "text", id_field: str | None = "id"
) -> pl.DataFrame:
    """All columns of a JSONL/Parquet file, with a text column and (if named) unique ids."""
    import polars as pl

    fields = ([id_field] if id_field else []) + [text_field]
    lazy = scan_records(path, fields=fields)
    try:
        frame = lazy.collect()
    except (pl.exceptions.PolarsError, OSError) as error:
        raise TabularInputError(f"input {path} could not be read: {error}") from error
    if frame.schema[text_field] not in (pl.String, pl.Null):
        raise TabularInputError(f"input {path}: column {text_field!r} is not text")
    if id_field:
        ids = frame[id_field]
        if ids.null_count():
            raise TabularInputError(f"input {path}: {ids.null_count()} rows have no {id_field!r}")
        if ids.n_unique() != frame.height:
            raise TabularInputError(f"input {path}: values of {id_field!r} must be unique")
    return frame


@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """A temp path in `path`'s folder that replaces `path` when the block ends without error,
    so a reader sees the old file, or the whole new one, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        yield temporary
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def write_atomic(data: pa.Table | pl.DataFrame, path: str | Path) -> Path:
    """Write Parquet (zstd) or JSON lines by suffix, atomically (see `replacing`)."""
    path = Path(path)
    fmt = table_format(path, role="output")
    with replacing(path) as temporary:
        if isinstance(data, pa.Table):
            if fmt == "parquet":
                import pyarrow.parquet as pq

                pq.write_table(data, temporary, compression="zstd")
            else:
                import polars as pl

                frame = pl.from_arrow(data)
                assert isinstance(frame, pl.DataFrame)
                frame.write_ndjson(temporary)
        elif fmt == "parquet":
            data.write_parquet(temporary, compression="zstd")
        else:
            data.write_ndjson(temporary)
    return path


def read_staged(paths: Iterable[Path]) -> pa.Table:
    """Staged document batches of a run as one table with the document schema."""
    import pyarrow.parquet as pq

    from curation.schema import conform, empty_documents

    tables = [conform(t) for t in (pq.read_table(p) for p in paths) if t.num_rows]
    return pa.concat_tables(tables) if tables else empty_documents()
