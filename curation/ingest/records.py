"""Turn per-file outcomes into the two Arrow tables of an `IngestBatch`.

Documents conform to DOCUMENT_SCHEMA. Quarantined rows use the same schema (text null) plus
`reason` (an `ingest.*` code) and `details` (JSON: error class and message, never the text).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.ledger import details_json
from curation.schema import DOCUMENT_SCHEMA, conform

if TYPE_CHECKING:
    from curation.stage import StageOutput

QUARANTINE_SCHEMA = DOCUMENT_SCHEMA.append(pa.field("reason", pa.string(), nullable=False)).append(
    pa.field("details", pa.string())
)
# Inputs an incremental run did not read (`curation.ingest.known`): DOCUMENT_SCHEMA with text
# null, plus the ingest reason that quarantined the input last time (null: it was a document).
UNCHANGED_SCHEMA = DOCUMENT_SCHEMA.append(pa.field("reason", pa.string()))
# Which container file each member row came from, keyed by the row's doc_id: the file's own
# locator and stat (size and mtime for files, ETag and size for objects), so the next run can
# tell an unchanged container and skip it unopened (`curation.ingest.known`). Only rows of
# containers appear; a plain input is its own unit.
CONTAINERS_SCHEMA = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("container_locator", pa.string(), nullable=False),
        pa.field("container_size_bytes", pa.int64()),
        pa.field("container_mtime_ns", pa.int64()),
        pa.field("container_etag", pa.string()),
    ]
)
# The private key of a builder row that names its container (a `ContainerStat`); not a column.
CONTAINER_KEY = "_container"
UNCHANGED_DETAILS = details_json(
    error_class="Unchanged",
    message="the input is unchanged since the previous run (size and mtime, or ETag): "
    "its earlier ingest decision stands",
)


@dataclass(frozen=True)
class IngestBatch:
    """One batch of a source: extracted documents, and the files that could not be ingested.

    `documents`: DOCUMENT_SCHEMA, text set, license/quality/dedup/PII columns null.
    `quarantined`: DOCUMENT_SCHEMA (text null) + `reason` + `details` JSON with `error_class`
    and `message`; one row per file (or row) that failed.
    `unchanged`: UNCHANGED_SCHEMA; one row per document of an input that was not read because
    it is unchanged since the previous run. documents + quarantined + unchanged = inputs.
    `containers`: CONTAINERS_SCHEMA; the container file of each row (of the three tables)
    that is a member of one, or a container's own failure row.
    """

    documents: pa.Table
    quarantined: pa.Table
    unchanged: pa.Table = field(default_factory=UNCHANGED_SCHEMA.empty_table)
    containers: pa.Table = field(default_factory=CONTAINERS_SCHEMA.empty_table)

    @property
    def num_inputs(self) -> int:
        return self.documents.num_rows + self.quarantined.num_rows + self.unchanged.num_rows

    def as_stage_output(self) -> StageOutput:
        """Ingest's decisions in the stage contract: every extracted document kept, every
        file that failed quarantined with its reason, so `curation.stage.apply_decision`
        writes ingest's ledger rows like any other stage's.

        Unchanged inputs keep their earlier decision: quarantined ones are quarantined again
        with the same reason; documents are kept *without text* (ledger details: unchanged), so
        an incremental run must carry every one of them or decide it from its earlier decision
        (`catalogs.incremental.split_unchanged` does both, when the known inputs were
        restricted to the previous version's keys and the standing decisions).
        """
        from curation.stage import StageDecision, StageOutput

        was_bad = pc.fill_null(pc.is_valid(self.unchanged.column("reason")), False)
        same_docs = self.unchanged.filter(pc.invert(was_bad))
        same_bad = self.unchanged.filter(was_bad)
        n_docs = self.documents.num_rows + same_docs.num_rows
        n_bad = self.quarantined.num_rows + same_bad.num_rows
        table = pa.concat_tables(
            [conform(t) for t in (self.documents, same_docs, self.quarantined, same_bad)]
        )
        reason = pa.concat_arrays(
            [
                pa.nulls(n_docs, pa.string()),
                self.quarantined.column("reason").combine_chunks(),
                same_bad.column("reason").combine_chunks().cast(pa.string()),
            ]
        )
        # unread rows say so in their ledger details, so a run shows what it did not read
        details = pa.concat_arrays(
            [
                pa.nulls(self.documents.num_rows, pa.string()),
                pa.array([UNCHANGED_DETAILS] * same_docs.num_rows, pa.string()),
                self.quarantined.column("details").combine_chunks(),
                pa.array([UNCHANGED_DETAILS] * same_bad.num_rows, pa.string()),
            ]
        )
        quarantine = np.concatenate([np.zeros(n_docs, bool), np.ones(n_bad, bool)])
        decision = StageDecision.from_masks(
            n_docs + n_bad, quarantine=quarantine, reason=reason, details=details
        )
        return StageOutput(table, decision)


@dataclass
class BatchBuilder:
    """Collects rows column by column and builds the two tables of a batch."""

    run_id: str
    source_id: str
    documents: list[dict[str, Any]] = field(default_factory=list)
    quarantined: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.documents) + len(self.quarantined)

    def add_document(self, row: dict[str, Any]) -> None:
        self.documents.append(row)

    def add_quarantined(
        self, row: dict[str, Any], reason: str, error_class: str, message: str
    ) -> None:
        row = dict(row, text=None, reason=str(reason))
        row["details"] = details_json(error_class=error_class, message=message)
        self.quarantined.append(row)

    def build(self, limit: int | None = None) -> IngestBatch:
        """A batch of every row collected, or of the first `limit` (documents first); the rest
        stay for the next batch (one container file can add thousands of rows at once)."""
        documents, quarantined = self.documents, self.quarantined
        if limit is not None and len(self) > limit:
            documents = self.documents[:limit]
            quarantined = self.quarantined[: limit - len(documents)]
        batch = IngestBatch(
            documents=rows_to_documents(documents, self.run_id, self.source_id),
            quarantined=rows_to_quarantined(quarantined, self.run_id, self.source_id),
            containers=_containers([*documents, *quarantined]),
        )
        self.documents = self.documents[len(documents) :]
        self.quarantined = self.quarantined[len(quarantined) :]
        return batch


def _containers(rows: Sequence[dict[str, Any]]) -> pa.Table:
    """The CONTAINERS_SCHEMA rows of the builder rows that name their container."""
    named = [(row["doc_id"], row[CONTAINER_KEY]) for row in rows if row.get(CONTAINER_KEY)]
    if not named:
        return CONTAINERS_SCHEMA.empty_table()
    return pa.Table.from_pydict(
        {
            "doc_id": [doc_id for doc_id, _ in named],
            "container_locator": [stat.locator for _, stat in named],
            "container_size_bytes": [stat.size for _, stat in named],
            "container_mtime_ns": [stat.mtime_ns for _, stat in named],
            "container_etag": [stat.etag for _, stat in named],
        },
        schema=CONTAINERS_SCHEMA,
    )


def _table(
    rows: Sequence[dict[str, Any]], schema: pa.Schema, run_id: str, source_id: str
) -> pa.Table:
    columns = {}
    for name in schema.names:
        if name == "run_id":
            columns[name] = pa.array([run_id] * len(rows), pa.string())
        elif name == "source_id":
            columns[name] = pa.array([source_id] * len(rows), pa.string())
        elif rows and name in rows[0]:
            type_ = schema.field(name).type
            values = [row.get(name) for row in rows]
            if pa.types.is_timestamp(type_):
                # Microsecond integers, cast: pyarrow converts tz-aware datetimes through pandas.
                columns[name] = pa.array(values, pa.int64()).cast(type_)
            else:
                columns[name] = pa.array(values, type_)
    return pa.table(columns) if columns else pa.table({})


def rows_to_documents(rows: Sequence[dict[str, Any]], run_id: str, source_id: str) -> pa.Table:
    table = _table(rows, DOCUMENT_SCHEMA, run_id, source_id)
    return conform(table) if table.num_columns else DOCUMENT_SCHEMA.empty_table()


def rows_to_quarantined(rows: Sequence[dict[str, Any]], run_id: str, source_id: str) -> pa.Table:
    if not rows:
        return QUARANTINE_SCHEMA.empty_table()
    table = _table(rows, QUARANTINE_SCHEMA, run_id, source_id)
    documents = conform(table)
    return documents.append_column(
        QUARANTINE_SCHEMA.field("reason"), table.column("reason")
    ).append_column(QUARANTINE_SCHEMA.field("details"), table.column("details"))


def micros_from_ns(mtime_ns: int | None) -> int | None:
    """A file's mtime as UTC microseconds since the epoch (the schema's timestamp unit)."""
    return None if mtime_ns is None else mtime_ns // 1000


def metadata_json(metadata: dict[str, Any]) -> str | None:
    """Stable JSON of format metadata (sorted keys), None when there is nothing to say."""
    return (
        json.dumps(metadata, sort_keys=True, ensure_ascii=False, default=str) if metadata else None
    )
