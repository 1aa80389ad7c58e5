"""The run's steps as plain functions over staged Parquet files; Prefect tasks wrap them.

Steps pass paths, not tables: each writes its surviving rows and its ledger rows to the run's
staging folder, so a task can run in another process or on a Dask worker, and a crashed run
leaves only staging files behind (the catalog is touched by `commit_run` alone).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from curation.exceptions import CurationError
from curation.ledger import Decision, concat_ledgers, ledger_table, reconcile
from curation.pii.config import policy_fingerprint
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

    @property
    def owner(self) -> Path:
        return self.root / "owner.lock"

    def ensure(self) -> RunPaths:
        self.documents.mkdir(parents=True, exist_ok=True)
        self.ledger.mkdir(parents=True, exist_ok=True)
        self.claim()
        return self

    def claim(self) -> None:
        """Hold an exclusive lock on `owner.lock` while this process runs: a later run can tell
        a live run (lock held, whatever its PID namespace) from a dead one (lock free)."""
        if str(self.root) in _CLAIMS:
            return
        handle = self.owner.open("a+")
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "started": time.time()}))
        handle.flush()
        _CLAIMS[str(self.root)] = handle

    def release(self) -> None:
        handle = _CLAIMS.pop(str(self.root), None)
        if handle is not None:
            handle.close()  # closing drops the lock

    def discard_staging(self, error: BaseException) -> None:
        """After a failed run: staged batches hold unredacted text, so they go; the ledger
        parts (ids, stages, reasons; no values) and what failed stay for the post-mortem.

        Only our own errors keep their message (they name keys, paths and counts, never
        document values); a library's message may quote a value, so only its type and the
        line that raised it are kept.
        """
        shutil.rmtree(self.documents, ignore_errors=True)
        record: dict[str, Any] = {"error": type(error).__name__}
        if isinstance(error, CurationError):
            record["message"] = str(error)[:2000]
        else:
            frames = traceback.extract_tb(error.__traceback__)
            if frames:
                record["raised_at"] = f"{frames[-1].filename}:{frames[-1].lineno}"
            record["message"] = "not kept (it may quote document values); see the run's log"
        (self.root / "error.json").write_text(json.dumps(record, indent=2))


# Run folders this process holds: root -> open lock file (kept open for the lock's lifetime).
_CLAIMS: dict[str, Any] = {}


def sweep_dead_runs(runs_root: Path) -> list[str]:
    """Remove the staged documents of runs whose process is gone (a killed run never reaches
    its own cleanup); returns their run ids. A run whose `owner.lock` is held is alive and is
    left alone."""
    swept = []
    for owner in sorted(runs_root.glob("*/owner.lock")):
        documents = owner.parent / "documents"
        if str(owner.parent) in _CLAIMS or not documents.exists():
            continue
        try:
            with owner.open("a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(documents, ignore_errors=True)
        except BlockingIOError:
            continue  # held: that run is alive
        except OSError:
            continue
        swept.append(owner.parent.name)
    return swept


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


def current_version_keys(catalog_settings: Any, dataset: str) -> tuple[int | None, pa.Table | None]:
    """Snapshot id and (doc_id, content_sha256) of the dataset's newest version, if any."""
    from catalogs.exceptions import CatalogError
    from catalogs.registry import open_catalog
    from catalogs.versions import get_version, load_dataset_table

    catalog = open_catalog(catalog_settings)
    try:
        version = get_version(catalog, dataset)
    except CatalogError:
        return None, None
    keys = (
        load_dataset_table(catalog, dataset)
        .scan(snapshot_id=version.snapshot_id, selected_fields=("doc_id", "content_sha256"))
        .to_arrow()
    )
    return version.snapshot_id, keys


def carry_refused(catalog_settings: Any, spec: Any, snapshot_id: int) -> str | None:
    """Why an incremental run must not carry the newest version's rows, or None when it may.

    Carried rows skip every stage, PII included: they are only safe to carry when the same PII
    policy and detection rules produced them. A version without the property was redacted by an
    older engine (before metadata columns and languages were covered).
    """
    from catalogs.registry import open_catalog
    from catalogs.versions import snapshot_property
    from curation.pii.config import policy_fingerprint

    catalog = open_catalog(catalog_settings)
    stored = snapshot_property(catalog, spec.table_name, snapshot_id, "pii_fingerprint")
    if stored == policy_fingerprint(spec.pii):
        return None
    return (
        "the PII policy or detection rules changed since the newest version"
        if stored
        else "the newest version was redacted by an older PII engine"
    )


def split_unchanged(batch_path: Path, *, previous: pa.Table, run_id: str, paths: RunPaths) -> Path:
    """Incremental runs: documents whose bytes are already in the current version skip every
    stage and are carried into the new version (ledger: stage `incremental`, kept).

    A document is unchanged when its `doc_id` (source + path) and the sha256 of its original
    bytes both match a row of the previous version; everything else goes on as new.
    """
    import pyarrow.compute as pc

    table = conform(pq.read_table(batch_path))
    stem = batch_path.stem.removeprefix("ingested-")
    keys = pc.binary_join_element_wise(
        table.column("doc_id"), table.column("content_sha256"), "\x00"
    )
    previous_keys = pc.binary_join_element_wise(
        previous.column("doc_id"), previous.column("content_sha256"), "\x00"
    )
    unchanged = pc.fill_null(pc.is_in(keys, value_set=previous_keys), False)
    carried = table.filter(unchanged)
    write_table(
        ledger_table(
            run_id,
            "incremental",
            carried.column("doc_id"),
            [Decision.KEPT.value] * carried.num_rows,
            ["incremental.unchanged"] * carried.num_rows,
            source_ids=carried.column("source_id"),
            source_uris=carried.column("source_uri"),
        ),
        paths.ledger / f"incremental-{stem}.parquet",
    )
    return write_table(
        table.filter(pc.invert(unchanged)), paths.documents / f"ingested-new-{stem}.parquet"
    )


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
    index_root: Path | None = None,
    progress: Progress = _noop,
) -> tuple[list[Path], Path | None]:
    """Exact and near-duplicate removal across every batch of the run; re-batches the survivors."""
    import pyarrow.compute as pc

    from curation.dedup.stage import deduplicate

    table = read_tables(batch_paths)
    signatures_path = None
    if table.num_rows:
        index = None
        if index_root is not None:
            from curation.dedup.index import SignatureIndex

            index = SignatureIndex.open(index_root)
        outcome = deduplicate(table, spec.dedup, index=index)
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
    # doc ids of the previous version that this version no longer carries (incremental runs)
    replaced: list[str] = field(default_factory=list)

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
    started: float,
    previous_snapshot_id: int | None = None,
) -> RunSummary:
    """Reconcile the ledger, then make the version visible in one catalog commit.

    In an incremental run (`previous_snapshot_id` set) the new version is the previous
    version's unchanged rows, carried as they were (already redacted), plus this run's kept
    documents; documents deleted or changed at the source are not carried.
    """
    import pyarrow.compute as pc

    from catalogs.registry import open_catalog
    from catalogs.versions import commit_version, load_dataset_table

    documents = read_tables(final_paths)
    ledger = collect_ledger(paths)
    catalog = open_catalog(catalog_settings)
    replaced: list[str] = []
    if previous_snapshot_id is not None:
        carried_ids = ledger.filter(pc.equal(ledger.column("stage"), "incremental")).column(
            "doc_id"
        )
        previous = (
            load_dataset_table(catalog, spec.table_name)
            .scan(snapshot_id=previous_snapshot_id)
            .to_arrow()
        )
        in_carried = pc.is_in(previous.column("doc_id"), value_set=carried_ids.combine_chunks())
        replaced = previous.filter(pc.invert(in_carried)).column("doc_id").to_pylist()
        documents = pa.concat_tables([conform(previous.filter(in_carried)), documents])
    documents = documents.sort_by("doc_id")
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
        properties={"pii_fingerprint": policy_fingerprint(spec.pii)},
    )
    return RunSummary(
        run_id=run_id,
        dataset=version.dataset,
        version=version.name,
        location=version.location,
        reconciliation=summary,
        wall_seconds=time.monotonic() - started,
        replaced=replaced,
    )


def finish_run(
    summary: RunSummary,
    *,
    paths: RunPaths,
    index_root: Path,
    signatures_path: Path | None,
    incremental: bool,
) -> str | None:
    """After the commit: update the signature index, write summary.json, remove staging.

    Runs outside the retried commit. The index is derived data: when its update fails, the
    index is removed (and a warning returned) so that the next incremental run rebuilds it from
    the committed version instead of trusting a half-written one.
    """
    warning = None
    try:
        _update_signature_index(
            index_root,
            signatures_path,
            summary.version or "",
            incremental=incremental,
            replaced=summary.replaced,
        )
    except Exception as error:  # noqa: BLE001 - any failure leaves the index untrustworthy
        shutil.rmtree(index_root, ignore_errors=True)
        warning = (
            f"the dedup signature index could not be updated ({type(error).__name__}); it was "
            "removed and the next incremental run rebuilds it from the committed version"
        )
    (paths.root / "summary.json").write_text(json.dumps(summary.reconciliation, indent=2))
    # Staged batches hold unredacted text: once the version is committed they must not linger.
    shutil.rmtree(paths.documents, ignore_errors=True)
    shutil.rmtree(paths.ledger, ignore_errors=True)
    return warning


def ensure_signature_index(catalog_settings: Any, spec: Any, index_root: Path) -> bool:
    """Rebuild the index from the newest committed version when it does not hold that version.

    The rebuilt signatures come from the committed (redacted) text, so documents whose PII was
    redacted sketch slightly differently from their originals. Returns True when it rebuilt.
    """
    from catalogs.registry import open_catalog
    from catalogs.versions import get_version, load_dataset_table
    from curation.dedup.index import SignatureIndex
    from curation.dedup.stage import deduplicate

    catalog = open_catalog(catalog_settings)
    newest = get_version(catalog, spec.table_name)
    version = newest.name
    if version in SignatureIndex.open(index_root).versions():
        return False
    committed = load_dataset_table(catalog, spec.table_name).scan(snapshot_id=newest.snapshot_id)
    outcome = deduplicate(committed.to_arrow(), spec.dedup)
    shutil.rmtree(index_root, ignore_errors=True)
    if outcome.signatures is not None and outcome.signatures.num_rows:
        SignatureIndex.open(index_root).add(outcome.signatures, version=version)
    return True


def _update_signature_index(
    index_root: Path,
    signatures_path: Path | None,
    version: str,
    *,
    incremental: bool,
    replaced: list[str],
) -> None:
    """Keep the index equal to the committed version's documents, for the next incremental run.

    A full run rebuilds it from this run's kept documents; an incremental run removes the
    documents that left the set (deleted or changed at the source) and adds the new ones. The
    index is derived data: if this step fails, a full run rebuilds it.
    """
    from curation.dedup.index import SignatureIndex

    if not incremental:
        shutil.rmtree(index_root, ignore_errors=True)
    index = SignatureIndex.open(index_root)
    if replaced:
        index.remove(replaced)
    if signatures_path is not None:
        index.add(pq.read_table(signatures_path), version=version)
        signatures_path.unlink(missing_ok=True)
