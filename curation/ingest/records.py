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

from curation.ledger import details_json
from curation.schema import DOCUMENT_SCHEMA, conform

if TYPE_CHECKING:
    from curation.stage import StageOutput

QUARANTINE_SCHEMA = DOCUMENT_SCHEMA.append(pa.field("reason", pa.string(), nullable=False)).append(
    pa.field("details", pa.string())
)


@dataclass(frozen=True)
class IngestBatch:
    """One batch of a source: extracted documents, and the files that could not be ingested.

    `documents`: DOCUMENT_SCHEMA, text set, license/quality/dedup/PII columns null.
    `quarantined`: DOCUMENT_SCHEMA (text null) + `reason` + `details` JSON with `error_class`
    and `message`; one row per file (or row) that failed, so documents + quarantined = inputs.
    """

    documents: pa.Table
    quarantined: pa.Table

    @property
    def num_inputs(self) -> int:
        return self.documents.num_rows + self.quarantined.num_rows

    def as_stage_output(self) -> StageOutput:
        """Ingest's decisions in the stage contract: every extracted document kept, every
        file that failed quarantined with its reason, so `curation.stage.apply_decision`
        writes ingest's ledger rows like any other stage's."""
        from curation.stage import StageDecision, StageOutput

        n_docs, n_bad = self.documents.num_rows, self.quarantined.num_rows
        table = pa.concat_tables([conform(self.documents), conform(self.quarantined)])
        reason = pa.concat_arrays(
            [pa.nulls(n_docs, pa.string()), self.quarantined.column("reason").combine_chunks()]
        )
        details = pa.concat_arrays(
            [pa.nulls(n_docs, pa.string()), self.quarantined.column("details").combine_chunks()]
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

    def build(self) -> IngestBatch:
        batch = IngestBatch(
            documents=rows_to_documents(self.documents, self.run_id, self.source_id),
            quarantined=rows_to_quarantined(self.quarantined, self.run_id, self.source_id),
        )
        self.documents, self.quarantined = [], []
        return batch


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
