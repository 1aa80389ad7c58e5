"""Drain a source into counts (and optionally Parquet files): what `curate ingest scan` shows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curation.ingest import ingest_source
from curation.ingest.sources import SourceConfig


@dataclass
class IngestReport:
    """Counts of one source's ingest; `by_reason` and `by_extractor` sorted by count."""

    source_id: str
    documents: int = 0
    quarantined: int = 0
    text_chars: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    by_extractor: dict[str, int] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)

    @property
    def inputs(self) -> int:
        return self.documents + self.quarantined

    def as_dict(self) -> dict[str, Any]:
        return {
            "source_id": self.source_id,
            "inputs": self.inputs,
            "documents": self.documents,
            "quarantined": self.quarantined,
            "text_chars": self.text_chars,
            "by_reason": self.by_reason,
            "by_extractor": self.by_extractor,
            "outputs": self.outputs,
        }


def scan_source(
    source: SourceConfig,
    *,
    run_id: str,
    workers: int = 2,
    batch_size: int = 256,
    output: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Ingest `source` and count outcomes; with `output`, write documents and quarantined rows
    to `<output>/documents.parquet` and `<output>/quarantined.parquet`."""
    import pyarrow.compute as pc

    reasons: Counter[str] = Counter()
    extractors: Counter[str] = Counter()
    report = IngestReport(source_id=source.id)
    writers: dict[str, Any] = {}
    try:
        for batch in ingest_source(source, run_id=run_id, batch_size=batch_size, workers=workers):
            report.documents += batch.documents.num_rows
            report.quarantined += batch.quarantined.num_rows
            if batch.documents.num_rows:
                report.text_chars += int(
                    pc.sum(pc.utf8_length(batch.documents.column("text"))).as_py() or 0
                )
            reasons.update(batch.quarantined.column("reason").to_pylist())
            extractors.update(batch.documents.column("extractor").to_pylist())
            if output is not None:
                _write(writers, output, "documents", batch.documents)
                _write(writers, output, "quarantined", batch.quarantined)
            if progress is not None:
                progress(batch.num_inputs)
    finally:
        for writer in writers.values():
            writer.close()
    report.by_reason = dict(reasons.most_common())
    report.by_extractor = dict(extractors.most_common())
    report.outputs = sorted(str(output / f"{name}.parquet") for name in writers) if output else []
    return report


def _write(writers: dict[str, Any], output: Path, name: str, table: Any) -> None:
    import pyarrow.parquet as pq

    if name not in writers:
        output.mkdir(parents=True, exist_ok=True)
        writers[name] = pq.ParquetWriter(
            output / f"{name}.parquet", table.schema, compression="zstd"
        )
    writers[name].write_table(table)
