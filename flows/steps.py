"""The run's steps as plain functions over staged Parquet files; Prefect tasks wrap them.

Steps pass paths, not tables: each writes its surviving rows and its ledger rows to the run's
staging folder, so a task can run in another process or on a Dask worker, and a crashed run
leaves only staging files behind (the catalog is touched by `commit_run` alone).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from curation.ledger import Decision, concat_ledgers, ledger_table, reconcile
from curation.schema import conform, empty_documents
from curation.stage import apply_decision

Progress = Callable[[str, int], None]


def _noop(stage: str, count: int) -> None:
    return None


@dataclass(frozen=True)
class RunPaths:
    """The staging layout of one run inside the workspace."""

    root: Path

    @property
    def documents(self) -> Path:
        return self.root / "documents"

    @property
    def ledger(self) -> Path:
        return self.root / "ledger"

    def ensure(self) -> RunPaths:
        self.documents.mkdir(parents=True, exist_ok=True)
        self.ledger.mkdir(parents=True, exist_ok=True)
        return self


def write_table(table: pa.Table, path: Path) -> Path:
    """Write atomically (temp file + rename) so a half-written file is never read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    pq.write_table(table, temporary, compression="zstd")
    temporary.replace(path)
    return path


def read_tables(paths: list[Path]) -> pa.Table:
    tables = [pq.read_table(p) for p in paths]
    tables = [conform(t) for t in tables if t.num_rows]
    return pa.concat_tables(tables) if tables else empty_documents()


def ingest_source_to_staging(
    source: Any,
    *,
    run_id: str,
    paths: RunPaths,
    batch_size: int,
    workers: int,
    progress: Progress = _noop,
) -> list[Path]:
    """Ingest one source; documents to staging batches, quarantined files to the ledger."""
    from curation.ingest import ingest_source

    batch_paths = []
    for number, batch in enumerate(
        ingest_source(source, run_id=run_id, batch_size=batch_size, workers=workers)
    ):
        stem = f"{source.id}-{number:05d}"
        documents = batch.documents
        quarantined = batch.quarantined
        ledgers = [
            ledger_table(
                run_id,
                "ingest",
                documents.column("doc_id"),
                [Decision.KEPT.value] * documents.num_rows,
                source_ids=documents.column("source_id"),
                source_uris=documents.column("source_uri"),
            )
        ]
        if quarantined.num_rows:
            ledgers.append(
                ledger_table(
                    run_id,
                    "ingest",
                    quarantined.column("doc_id"),
                    [Decision.QUARANTINED.value] * quarantined.num_rows,
                    quarantined.column("reason"),
                    quarantined.column("details"),
                    source_ids=quarantined.column("source_id"),
                    source_uris=quarantined.column("source_uri"),
                )
            )
        write_table(concat_ledgers(ledgers), paths.ledger / f"ingest-{stem}.parquet")
        batch_paths.append(
            write_table(conform(documents), paths.documents / f"ingested-{stem}.parquet")
        )
        progress("ingest", documents.num_rows + quarantined.num_rows)
    return batch_paths


def filter_batch(
    batch_path: Path, *, spec: Any, run_id: str, paths: RunPaths, progress: Progress = _noop
) -> Path:
    """License gate then quality, on one staged batch: the cheap decisions first."""
    from filters.stage import filter_quality, score_quality
    from licensing.gate import gate_licenses
    from licensing.resolve import resolve_licenses

    table = conform(pq.read_table(batch_path))
    stem = batch_path.stem.removeprefix("ingested-")
    declared = {s.id: s.license for s in spec.sources}
    manifests = {s.id: s.license_manifest for s in spec.sources if s.license_manifest}
    roots = {s.id: Path(s.path) for s in spec.sources if getattr(s, "type", "folder") == "folder"}
    ledgers = []
    if table.num_rows:
        table = conform(
            resolve_licenses(
                table,
                declared=declared,
                manifests=manifests,
                source_roots=roots,
                policy=spec.license,
            )
        )
        result = apply_decision("license", table, gate_licenses(table, spec.license), run_id)
        ledgers.append(result.ledger)
        table = result.table
    if table.num_rows:
        table = conform(score_quality(table, spec.quality))
        result = apply_decision("quality", table, filter_quality(table, spec.quality), run_id)
        ledgers.append(result.ledger)
        table = result.table
    write_table(concat_ledgers(ledgers), paths.ledger / f"filter-{stem}.parquet")
    progress("filter", table.num_rows)
    return write_table(table, paths.documents / f"filtered-{stem}.parquet")


def deduplicate_staged(
    batch_paths: list[Path],
    *,
    spec: Any,
    run_id: str,
    paths: RunPaths,
    batch_size: int,
    progress: Progress = _noop,
) -> tuple[list[Path], Path | None]:
    """Exact and near-duplicate removal across every batch of the run; re-batches the survivors."""
    import pyarrow.compute as pc

    from curation.dedup.stage import deduplicate

    table = read_tables(batch_paths)
    signatures_path = None
    if table.num_rows:
        outcome = deduplicate(table, spec.dedup)
        table = table.set_column(
            table.schema.get_field_index("dedup_cluster"),
            "dedup_cluster",
            outcome.cluster_id.cast(pa.string()),
        )
        result = apply_decision("dedup", table, outcome.decision, run_id)
        write_table(result.ledger, paths.ledger / "dedup.parquet")
        table = result.table
        if outcome.signatures is not None and outcome.signatures.num_rows:
            kept = outcome.signatures.filter(
                pc.is_in(outcome.signatures.column("doc_id"), value_set=table.column("doc_id"))
            )
            signatures_path = write_table(kept, paths.root / "signatures.parquet")
    table = table.sort_by("doc_id")
    out = []
    for number, start in enumerate(range(0, max(table.num_rows, 1), batch_size)):
        out.append(
            write_table(
                table.slice(start, batch_size), paths.documents / f"deduped-{number:05d}.parquet"
            )
        )
    progress("dedup", table.num_rows)
    return out, signatures_path


def redact_batch(
    batch_path: Path, *, spec: Any, run_id: str, paths: RunPaths, progress: Progress = _noop
) -> Path:
    """PII last: the most expensive stage runs only on documents that survived the others."""
    from curation.pii.stage import redact_documents

    table = conform(pq.read_table(batch_path))
    stem = batch_path.stem.removeprefix("deduped-")
    if table.num_rows:
        redacted, decision = redact_documents(table, spec.pii)
        result = apply_decision("pii", conform(redacted), decision, run_id)
        write_table(result.ledger, paths.ledger / f"pii-{stem}.parquet")
        table = result.table
    progress("pii", table.num_rows)
    return write_table(table, paths.documents / f"final-{stem}.parquet")


@dataclass
class RunSummary:
    run_id: str
    dataset: str
    version: str | None
    location: str | None
    reconciliation: dict[str, Any]
    wall_seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "dataset": self.dataset,
            "version": self.version,
            "table_location": self.location,
            **self.reconciliation,
            "wall_seconds": round(self.wall_seconds, 2),
            "stage_seconds": {k: round(v, 2) for k, v in self.stage_seconds.items()},
        }


def collect_ledger(paths: RunPaths) -> pa.Table:
    return concat_ledgers(pq.read_table(p) for p in sorted(paths.ledger.glob("*.parquet")))


def commit_run(
    final_paths: list[Path],
    *,
    spec: Any,
    run_id: str,
    paths: RunPaths,
    catalog_settings: Any,
    code_version: str,
    version_name: str | None,
    signatures_path: Path | None,
    index_root: Path,
    started: float,
) -> RunSummary:
    """Reconcile the ledger, then make the version visible in one catalog commit."""
    from catalogs.registry import open_catalog
    from catalogs.versions import commit_version

    documents = read_tables(final_paths).sort_by("doc_id")
    ledger = collect_ledger(paths)
    ingest = ledger.filter(pa.compute.equal(ledger.column("stage"), "ingest"))
    check = reconcile(
        ledger,
        ingest.column("doc_id").combine_chunks(),
        documents.column("doc_id").combine_chunks(),
    )
    if not check.ok:
        raise RuntimeError(
            f"ledger does not reconcile, nothing committed: {'; '.join(check.problems)}"
        )
    summary = check.as_dict()
    catalog = open_catalog(catalog_settings)
    version = commit_version(
        catalog,
        spec.table_name,
        documents,
        ledger,
        run_id=run_id,
        spec_fingerprint=spec.fingerprint,
        code_version=code_version,
        summary={
            k: summary[k]
            for k in ("inputs", "kept", "dropped", "quarantined", "by_stage", "by_reason")
        },
        version_name=version_name,
    )
    if signatures_path is not None:
        _persist_signatures(signatures_path, index_root, version.name)
        signatures_path.unlink(missing_ok=True)
    (paths.root / "summary.json").write_text(json.dumps(summary, indent=2))
    # Staged batches hold unredacted text: once the version is committed they must not linger.
    shutil.rmtree(paths.documents, ignore_errors=True)
    shutil.rmtree(paths.ledger, ignore_errors=True)
    return RunSummary(
        run_id=run_id,
        dataset=version.dataset,
        version=version.name,
        location=version.location,
        reconciliation=summary,
        wall_seconds=time.monotonic() - started,
    )


def _persist_signatures(signatures_path: Path, index_root: Path, version: str) -> None:
    """Keep the kept documents' MinHash signatures beside the version for incremental runs."""
    from curation.dedup.index import SignatureIndex

    index = SignatureIndex.open(index_root)
    index.add(pq.read_table(signatures_path), version=version)
