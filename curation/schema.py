"""The document record: one Arrow schema that every stage reads and writes.

Defined once so that ingest, every stage, the Iceberg table and exports agree. Stages add or
fill columns of this schema; they never invent their own. PII is recorded as counts per entity
type, never values.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa

TIMESTAMP = pa.timestamp("us", tz="UTC")

# Named counts and signals are lists of {key, value} structs: the physical layout of an Arrow
# map, but one that every reader understands (`datasets` has no dtype for Arrow maps).
SIGNALS_TYPE = pa.list_(pa.struct([("key", pa.string()), ("value", pa.float64())]))
COUNTS_TYPE = pa.list_(pa.struct([("key", pa.string()), ("value", pa.int32())]))

DOCUMENT_SCHEMA = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("text", pa.large_string()),
        # provenance
        pa.field("source_id", pa.string(), nullable=False),
        pa.field("source_uri", pa.string(), nullable=False),
        pa.field("relative_path", pa.string()),
        pa.field("content_sha256", pa.string()),
        pa.field("size_bytes", pa.int64()),
        pa.field("modified_at", TIMESTAMP),
        pa.field("mime_type", pa.string()),
        pa.field("extractor", pa.string()),
        pa.field("extractor_version", pa.string()),
        pa.field("title", pa.string()),
        pa.field("author", pa.string()),
        # JSON of format metadata (PDF/DOCX properties, e-mail headers minus values that are PII)
        pa.field("metadata_json", pa.string()),
        # license
        pa.field("spdx", pa.string()),
        pa.field("license_evidence", pa.string()),
        pa.field("license_confidence", pa.float32()),
        pa.field("license_category", pa.string()),
        pa.field("attribution", pa.string()),
        # quality
        pa.field("lang", pa.string()),
        pa.field("lang_score", pa.float32()),
        pa.field("quality_signals", SIGNALS_TYPE),
        pa.field("quality_score", pa.float32()),
        # dedup
        pa.field("dedup_cluster", pa.string()),
        # pii
        pa.field("pii_counts", COUNTS_TYPE),
        pa.field("run_id", pa.string()),
    ]
)

PROVENANCE_COLUMNS = (
    "source_id",
    "source_uri",
    "relative_path",
    "content_sha256",
    "size_bytes",
    "modified_at",
    "mime_type",
    "extractor",
    "extractor_version",
)


def make_doc_id(source_id: str, locator: str) -> str:
    """Deterministic document id from the source and the document's place in it.

    Stable across runs so that versions can be diffed and erasure requests can name documents.

    Examples
    --------
    >>> make_doc_id("hr", "policies/leave.md")
    'hr-4a6d8e8798ddb1588b1f'
    """
    digest = hashlib.sha256(f"{source_id}\x00{locator}".encode()).hexdigest()[:20]
    return f"{source_id}-{digest}"


def conform(table: pa.Table) -> pa.Table:
    """Return `table` with exactly DOCUMENT_SCHEMA's columns, in order, nulls where missing."""
    columns = []
    for field in DOCUMENT_SCHEMA:
        if field.name in table.column_names:
            column = table.column(field.name)
            if column.type != field.type:
                column = column.cast(field.type)
            columns.append(column)
        else:
            columns.append(pa.nulls(table.num_rows, type=field.type))
    return pa.Table.from_arrays(columns, schema=DOCUMENT_SCHEMA)


def empty_documents() -> pa.Table:
    """An empty table with the document schema."""
    return DOCUMENT_SCHEMA.empty_table()
