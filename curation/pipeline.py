"""A run's stages over staged files: build each configured stage, run it on a batch file.

Steps pass paths, not tables: each writes its surviving rows and its ledger rows into the run's
folder (`curation.runs.RunPaths`), so a step can run in another process or on a Dask worker,
and a crashed run leaves only staging files behind. Staged files are named
`<stage>-<batch>.parquet` after the `Stage` that wrote them; the orchestration (which step
after which, in parallel or not) is the Prefect flow's (`flows/curate_flow.py`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq

from curation.runs import RunPaths
from curation.schema import conform
from curation.stage import (
    CurationStage,
    Scope,
    Stage,
    StageOutput,
    apply_decision,
    run_stage,
)
from curation.tabular import read_staged, write_atomic

if TYPE_CHECKING:
    from curation.dedup.config import DedupConfig
    from curation.dedup.index import SignatureIndex
    from curation.ingest.known import KnownInputs
    from curation.ingest.pool import SharedPool
    from curation.ingest.sources import SourceConfig
    from curation.spec import DatasetSpec

log = logging.getLogger(__name__)

# The stages of a run after ingest, in order. Dedup is the one that needs the whole run.
STAGES = (Stage.LICENSE, Stage.QUALITY, Stage.DEDUP, Stage.PII)
# Stages that decide a document from its own bytes and the spec: their drops and quarantines
# of an unchanged input stand in the next incremental run (dedup depends on the whole set).
STANDING_STAGES = (Stage.LICENSE, Stage.QUALITY)
# License evidence read from files beside the documents (`licensing.manifests`): a change to
# one may change the decision of a document whose own bytes did not change.
_LICENSE_FILES = ("LICENSES.csv", "LICENSES.json")


def stage_class(name: Stage) -> type[CurationStage]:
    """The class that implements stage `name` (imported on first use: each pulls in its
    libraries, spaCy and fastText among them)."""
    if name is Stage.LICENSE:
        from licensing.stage import LicenseStage

        return LicenseStage
    if name is Stage.QUALITY:
        from filters.stage import QualityStage

        return QualityStage
    if name is Stage.DEDUP:
        from curation.dedup.stage import DedupStage

        return DedupStage
    if name is Stage.PII:
        from curation.pii.stage import PiiStage

        return PiiStage
    raise ValueError(f"{name} is not a configurable stage; stages are {', '.join(STAGES)}")


def build_stage(
    name: Stage,
    spec: DatasetSpec,
    *,
    index_root: Path | None = None,
    work_dir: Path | None = None,
) -> CurationStage:
    """The stage `name` configured by `spec`'s section for it.

    `index_root`: the dedup signature index of the committed set (incremental runs);
    `work_dir`: where a run-scope stage may spill (dedup's out-of-core backend).
    """
    cls: Any = stage_class(name)
    if name is Stage.LICENSE:
        return cls.for_sources(spec.license, spec.sources)
    if name is Stage.QUALITY:
        return cls(spec.quality)
    if name is Stage.DEDUP:
        from curation.dedup.index import SignatureIndex

        index = SignatureIndex.open(index_root) if index_root is not None else None
        return cls(spec.dedup, index=index, work_dir=work_dir)
    return cls(spec.pii)


def decision_fingerprints(spec: DatasetSpec) -> dict[str, str]:
    """Per standing stage, a fingerprint of everything its decision depends on besides the
    document's bytes: its spec section, the stages before it, and this code's version.

    The license stage also depends on each source's declared license and manifests, and on
    the license sidecar files in folder sources (their paths, sizes and mtimes); the quality
    stage on the bytes of the models it reads (lid.176 and the spec's classifier, which the
    spec names by path or name, and which retraining replaces under the same one). A decision
    recorded under another fingerprint does not stand: the document is read and run again.
    """
    import dataclasses

    from curation.config import fingerprint

    sources = [
        {
            "id": source.id,
            "license": source.license,
            "license_manifest": source.license_manifest,
            "files": _license_files(Path(source.path)) if source.type == "folder" else None,
        }
        for source in spec.sources
    ]
    license_fp = fingerprint(
        {
            "policy": dataclasses.asdict(spec.license),
            "sources": sources,
            "code": _code_version(),
        }
    )
    from filters.classifier import model_digests

    quality_fp = fingerprint(
        {
            "before": license_fp,
            "quality": dataclasses.asdict(spec.quality),
            "models": model_digests(spec.quality),
            "code": _code_version(),
        }
    )
    return {Stage.LICENSE.value: license_fp, Stage.QUALITY.value: quality_fp}


def _license_files(root: Path) -> list[tuple[str, int, int]]:
    """(path, size, mtime) of the license sidecars under `root`, sorted: a cheap walk of names
    only, against reading and extracting every document again."""
    import os

    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            if name in _LICENSE_FILES or name.endswith(".license"):
                path = Path(folder) / name
                try:
                    info = path.stat()
                except OSError:
                    continue
                found.append((str(path.relative_to(root)), info.st_size, info.st_mtime_ns))
    return sorted(found)


def _code_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sovereign-curate")
    except PackageNotFoundError:
        return "0+unknown"


def text_bytes(batches: list[Path]) -> int:
    """Uncompressed bytes of the `text` column of staged batches, from their Parquet footers
    (no data is read): the measure of a stage's MB/s."""
    total = 0
    for batch in batches:
        try:
            metadata = pq.read_metadata(batch)
        except (OSError, ValueError):
            continue
        names = metadata.schema.names
        if "text" not in names:
            continue
        column = names.index("text")
        total += sum(
            metadata.row_group(i).column(column).total_uncompressed_size
            for i in range(metadata.num_row_groups)
        )
    return total


def batch_name(path: Path) -> str:
    """The batch part of a staged file name (`quality-hr-00003.parquet` -> `hr-00003`)."""
    return path.stem.partition("-")[2]


def ingest_to_staging(
    source: SourceConfig,
    *,
    run_id: str,
    paths: RunPaths,
    batch_size: int,
    workers: int,
    decide: Callable[[StageOutput], StageOutput] | None = None,
    known: KnownInputs | None = None,
    pool: SharedPool | None = None,
) -> list[Path]:
    """Ingest one source: documents to staged batches, every input's decision to the ledger.

    `known`: the inputs the previous run saw; unchanged ones are not read again (their
    documents are carried from the previous version). Each batch's inputs are staged under
    `inputs/` for the next run's `known` (see `persist_known_inputs`).

    `decide` may change ingest's decisions before they are applied (erasure tombstones drop
    documents erased earlier, even when the source still holds them). A resumed run skips a
    source whose ingest finished; one that was cut off is ingested again from its start (its
    partial batches removed first). `pool`: the run's extraction pool (`ingest_sources`).
    """
    from curation.ingest import ingest_source
    from curation.ingest.known import batch_inputs

    step = f"{Stage.INGEST}-{source.id}"
    finished = paths.done(step)
    if finished is not None:
        return finished["outputs"]
    pattern = f"{step}-[0-9][0-9][0-9][0-9][0-9].parquet"
    inputs = paths.root / "inputs"
    for partial in [
        *paths.documents.glob(pattern),
        *paths.ledger.glob(pattern),
        *inputs.glob(pattern),
    ]:
        partial.unlink()
    staged = []
    batches = ingest_source(
        source, run_id=run_id, batch_size=batch_size, workers=workers, known=known, pool=pool
    )
    for number, batch in enumerate(batches):
        name = f"{step}-{number:05d}.parquet"
        write_atomic(batch_inputs(batch, source), inputs / name)
        output = batch.as_stage_output()
        if decide is not None:
            output = decide(output)
        result = apply_decision(Stage.INGEST, output.table, output.decision, run_id)
        write_atomic(result.ledger, paths.ledger / name)
        staged.append(write_atomic(result.table, paths.documents / name))
    paths.mark_done(step, staged)
    return staged


def ingest_sources(
    sources: Sequence[SourceConfig],
    *,
    run_id: str,
    paths: RunPaths,
    batch_size: int,
    workers: int,
    decide: Callable[[StageOutput], StageOutput] | None = None,
    known: KnownInputs | None = None,
) -> list[Path]:
    """`ingest_to_staging` for each source in turn, the folder sources extracted by one pool
    of `workers` processes, started when the first file needs it (`SharedPool`): after a
    small change, starting a pool per source (and importing the extractors in each new
    worker) would cost more than extracting the changed files."""
    from curation.ingest.pool import SharedPool

    staged: list[Path] = []
    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(SharedPool(workers)) if workers > 0 else None
        for source in sources:
            staged += ingest_to_staging(
                source,
                run_id=run_id,
                paths=paths,
                batch_size=batch_size,
                workers=workers,
                decide=decide,
                known=known,
                pool=pool,
            )
    return staged


def run_batch_stage(stage: CurationStage, batch: Path, *, run_id: str, paths: RunPaths) -> Path:
    """Run a batch-scope stage on one staged batch; returns the survivors' staged file."""
    if stage.scope is not Scope.BATCH:
        raise ValueError(f"stage {stage.name} decides over the whole run, not per batch")
    name = f"{stage.name}-{batch_name(batch)}.parquet"
    output = paths.documents / name
    if output.exists() and (paths.ledger / name).exists():
        return output  # finished before the run was interrupted: its ledger part is written first
    result = run_stage(stage, conform(pq.read_table(batch)), run_id)
    write_atomic(result.ledger, paths.ledger / name)
    return write_atomic(conform(result.table), output)


def run_run_stage(
    stage: CurationStage,
    batches: list[Path],
    *,
    run_id: str,
    paths: RunPaths,
    batch_size: int,
) -> tuple[list[Path], Path | None]:
    """Run a run-scope stage over every staged batch.

    Dedup streams (`run_dedup`: sketches per batch, decisions from the sketches, decisions
    applied per batch), so the run is never held in memory. Any other run-scope stage gets
    the run as one table, its survivors re-batched by `doc_id`.

    Returns the new batches and, when the stage produced signatures of the kept documents
    (dedup), the staged file that holds them for the index update after the commit.
    """
    from curation.dedup.stage import DedupStage

    if isinstance(stage, DedupStage):
        return run_dedup(
            stage.cfg,
            batches,
            run_id=run_id,
            paths=paths,
            index=stage.index,
            memory_limit=stage.memory_limit,
        )
    finished = paths.done(str(stage.name))
    if finished is not None:
        return finished["outputs"], None
    result = run_stage(stage, read_staged(batches), run_id)
    write_atomic(result.ledger, paths.ledger / f"{stage.name}-run.parquet")
    kept = conform(result.table).sort_by("doc_id")
    staged = [
        write_atomic(
            kept.slice(start, batch_size),
            paths.documents / f"{stage.name}-{number:05d}.parquet",
        )
        for number, start in enumerate(range(0, max(kept.num_rows, 1), batch_size))
    ]
    paths.mark_done(str(stage.name), staged)
    return staged, None


# DuckDB's memory in the dedup decision step, which runs in the flow process: past it DuckDB
# spills to the run's staging folder (`dedup-work/engine/duckdb-tmp`). With 8 GB, DuckDB's
# share of the flow's peak grew with the run (the step's own arrays are a few per document
# plus the candidate pairs' signatures).
DEDUP_MEMORY_LIMIT = "256MB"

# Dedup's work files (sketches, DuckDB partitions, decisions per batch) live inside the staged
# documents' folder: sketches under `verify: exact` hold shingle hashes of unredacted text, so
# they go wherever the staged batches go (removed after the commit or a failure).
_DEDUP_WORK = "dedup-work"


@dataclass(frozen=True)
class DedupPlan:
    """What the dedup decision step hands to the per-batch apply step: one decisions file
    per staged batch (same order), the kept documents' signature rows for the index (None
    without any) and the counts."""

    decisions: list[Path]
    signatures: Path | None
    stats: dict[str, Any]


def dedup_done(paths: RunPaths) -> tuple[list[Path], Path | None] | None:
    """The dedup outputs of a run that finished its dedup before being interrupted."""
    finished = paths.done(str(Stage.DEDUP))
    if finished is None:
        return None
    signatures = paths.root / "signatures.parquet"
    return finished["outputs"], signatures if signatures.exists() else None


def sketch_dedup_batch(batch: Path, *, cfg: DedupConfig, paths: RunPaths) -> Path:
    """Signatures (and under `verify: exact`, shingle sets) of one staged batch, as a small
    Parquet file of ids and hashes: the only dedup step that reads text, one batch at a time,
    so a flow maps it over batches and workers."""
    from curation.dedup.outofcore import sketch_batch
    from curation.dedup.stage import index_params

    out = paths.documents / _DEDUP_WORK / "sketches" / f"{batch_name(batch)}.parquet"
    if out.exists():
        return out  # finished before the run was interrupted (written by rename)
    return sketch_batch(batch, out, index_params(cfg), with_sets=cfg.verify == "exact")


def decide_dedup(
    sketches: list[Path],
    batches: list[Path],
    *,
    cfg: DedupConfig,
    paths: RunPaths,
    index: SignatureIndex | None = None,
    memory_limit: str | None = DEDUP_MEMORY_LIMIT,
) -> DedupPlan:
    """Exact and near-duplicate decisions of the whole run from its sketches alone.

    DuckDB and polars group the signatures, band hashes and candidate pairs on disk
    (`curation.dedup.outofcore`); what this process holds is ids, node numbers, the edges and
    the signatures of documents with a candidate pair, plus DuckDB's `memory_limit`
    (`DEDUP_MEMORY_LIMIT`: the step runs in the flow process). The decisions are cut into
    one file per batch for `apply_dedup_batch`.
    """
    from curation.dedup.outofcore import deduplicate_sketches, split_assignments

    work = paths.documents / _DEDUP_WORK
    counts = [pq.read_metadata(s).num_rows for s in sketches]
    outs = [work / "decisions" / f"{batch_name(b)}.parquet" for b in batches]
    if not sum(counts):
        return DedupPlan(outs_empty(outs), None, {"documents": 0, "kept": 0})
    result = deduplicate_sketches(
        sketches, work / "engine", cfg, memory_limit=memory_limit, index=index
    )
    decisions = split_assignments(result.assignments, list(zip(outs, counts, strict=True)))
    signatures = None
    if result.signatures is not None and pq.read_metadata(result.signatures).num_rows:
        signatures = paths.root / "signatures.parquet"
        result.signatures.replace(signatures)
    import shutil

    shutil.rmtree(work / "engine", ignore_errors=True)
    return DedupPlan(decisions, signatures, result.stats)


def outs_empty(outs: list[Path]) -> list[Path]:
    """Empty decisions files (a run without documents)."""
    from curation.dedup.outofcore import write_empty_assignments

    for out in outs:
        write_empty_assignments(out)
    return outs


def apply_dedup_batch(
    batch: Path, decisions: Path, *, cfg: DedupConfig, run_id: str, paths: RunPaths
) -> Path:
    """Apply one batch's dedup decisions: `dedup_cluster` filled, duplicates dropped, one
    ledger row per document, written as `dedup-<batch>.parquet` like a batch stage's output."""
    import numpy as np
    import pyarrow as pa

    from curation.dedup.stage import dedup_details
    from curation.stage import StageDecision

    name = f"{Stage.DEDUP}-{batch_name(batch)}.parquet"
    output = paths.documents / name
    if output.exists() and (paths.ledger / name).exists():
        return output
    table = conform(pq.read_table(batch))
    decided = pq.read_table(decisions)
    if (
        not decided.column("doc_id")
        .cast(pa.string())
        .equals(table.column("doc_id").cast(pa.string()))
    ):
        raise ValueError(f"dedup decisions {decisions.name} do not match batch {batch.name}")
    n = table.num_rows
    drop = decided.column("duplicate").to_numpy(zero_copy_only=False).astype(bool)
    cluster_id = decided.column("cluster_id").combine_chunks().cast(pa.string())
    similarity = np.asarray(decided.column("similarity").to_numpy(), np.float64)
    decision = StageDecision.from_masks(
        n,
        drop=drop,
        reason=decided.column("reason"),
        details=dedup_details(cluster_id, similarity, drop, cfg.threshold),
    )
    field = table.schema.get_field_index("dedup_cluster")
    if field >= 0:
        table = table.set_column(field, "dedup_cluster", cluster_id)
    else:
        table = table.append_column("dedup_cluster", cluster_id)
    result = apply_decision(Stage.DEDUP, table, decision, run_id)
    write_atomic(result.ledger, paths.ledger / name)
    return write_atomic(conform(result.table), output)


def finish_dedup(
    outputs: list[Path], plan: DedupPlan, *, paths: RunPaths
) -> tuple[list[Path], Path | None]:
    """Record dedup as finished (a resumed run skips it) and remove its work files."""
    import shutil

    paths.mark_done(str(Stage.DEDUP), outputs)
    shutil.rmtree(paths.documents / _DEDUP_WORK, ignore_errors=True)
    log.info("dedup: %s", {k: v for k, v in plan.stats.items() if k != "phase_seconds"})
    return outputs, plan.signatures


def run_dedup(
    cfg: DedupConfig,
    batches: list[Path],
    *,
    run_id: str,
    paths: RunPaths,
    index: SignatureIndex | None = None,
    memory_limit: str | None = DEDUP_MEMORY_LIMIT,
) -> tuple[list[Path], Path | None]:
    """Dedup of a run in this process, streaming: sketch each batch, decide from the
    sketches, apply each batch's decisions (the flow runs the same steps as tasks)."""
    done = dedup_done(paths)
    if done is not None:
        return done
    if not batches:
        batches = [empty_batch(paths)]
    sketches = [sketch_dedup_batch(b, cfg=cfg, paths=paths) for b in batches]
    plan = decide_dedup(
        sketches, batches, cfg=cfg, paths=paths, index=index, memory_limit=memory_limit
    )
    outputs = [
        apply_dedup_batch(b, d, cfg=cfg, run_id=run_id, paths=paths)
        for b, d in zip(batches, plan.decisions, strict=True)
    ]
    return finish_dedup(outputs, plan, paths=paths)


def empty_batch(paths: RunPaths) -> Path:
    """An empty staged batch, so a run without documents still has one dedup output."""
    from curation.schema import empty_documents

    return write_atomic(empty_documents(), paths.documents / "empty-00000.parquet")


def finished_batches(stage: Stage, batches: list[Path], paths: RunPaths) -> int:
    """How many of `batches` a batch stage finished already (a resumed run skips them)."""
    names = [f"{stage}-{batch_name(b)}.parquet" for b in batches]
    return sum((paths.documents / n).exists() and (paths.ledger / n).exists() for n in names)


def known_inputs_path(indexes: Path, dataset: str) -> Path:
    """Where a dataset keeps what its last committed run saw at its sources."""
    return indexes / dataset / "inputs.parquet"


def persist_known_inputs(
    paths: RunPaths, target: Path, fingerprints: dict[str, str] | None = None
) -> None:
    """After a successful commit: the inputs this run saw become the next run's `known`, each
    document with its license or quality drop (and the stage's fingerprint) from this run's
    ledger, so that decision stands while neither the bytes nor the stage change.

    Streamed (`write_known_inputs`): the table has a row per input document, so the flow
    process holds one ledger part's terminal rows at a time; DuckDB keeps the standing
    decisions and sorts the inputs on disk.
    """
    from curation.ingest.known import write_known_inputs

    ledger = None
    if fingerprints:
        ledger = [
            p
            for p in sorted(paths.ledger.glob("*.parquet"))
            if p.name.startswith((Stage.INCREMENTAL.value, *fingerprints))
        ]
    write_known_inputs(
        sorted((paths.root / "inputs").glob("*.parquet")),
        target,
        ledger=ledger,
        fingerprints=fingerprints,
        # inside `inputs/`, which the run's cleanup removes
        spill_dir=paths.root / "inputs" / ".spill",
    )
