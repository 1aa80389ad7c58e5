"""The `curate` Prefect flow: ingest, each stage over staged batches, one commit at the end.

The flow reads like the data flow in ARCHITECTURE.md: ingest each source, run each stage of
`curation.pipeline.STAGES` (batch stages mapped over batches in parallel, run stages over all of
them), commit. Tasks pass staging paths, so the same flow runs on threads here or on a Dask
cluster. One generic task runs any batch stage; what a stage decides lives in its package (see
`curation/stage.py`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect import flow, get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.futures import wait

from catalogs.commit import RunSummary, commit_run
from curation.pipeline import (
    STAGES,
    DedupPlan,
    apply_dedup_batch,
    build_stage,
    decide_dedup,
    decision_fingerprints,
    dedup_done,
    finish_dedup,
    finished_batches,
    ingest_to_staging,
    known_inputs_path,
    persist_known_inputs,
    run_batch_stage,
    run_run_stage,
    sketch_dedup_batch,
    stage_class,
    text_bytes,
)
from curation.runs import RunPaths, new_run_id, sweep_dead_runs
from curation.stage import Scope, Stage, StageOutput

if TYPE_CHECKING:
    import pyarrow as pa

    from catalogs.registry import CatalogSettings
    from curation.ingest.sources import SourceConfig
    from curation.spec import DatasetSpec, RunnerConfig
    from curation.workspace import Workspace


@contextmanager
def timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    """Record the wall seconds of one stage of the flow in `timings`."""
    mark = time.monotonic()
    try:
        yield
    finally:
        timings[stage] = time.monotonic() - mark


def map_batches(task_: Any, batches: list[Path], *shared: Any) -> list[Path]:
    """Run `task_` on every staged batch concurrently; arguments before the batch are shared.

    Every task is waited for before the first failure is raised: a sibling still running
    would otherwise write its (unredacted) batch after the failed run discarded its staging.
    """
    head, tail = shared[:1], shared[1:]
    futures = task_.map(*(unmapped(a) for a in head), batches, *(unmapped(a) for a in tail))
    wait(futures)
    return [f.result() for f in futures]


def code_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sovereign-curate")
    except PackageNotFoundError:
        return "0+unknown"


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2, task_run_name="ingest")
def ingest_task(
    source: SourceConfig,
    run_id: str,
    paths: RunPaths,
    batch_size: int,
    workers: int,
    decide: Callable[[StageOutput], StageOutput] | None = None,
    known: Path | None = None,
    previous: pa.Table | None = None,
    fingerprints: dict[str, str] | None = None,
) -> list[Path]:
    from curation.ingest.known import KnownInputs

    # only inputs whose documents the previous version holds (they are carried) or whose
    # earlier drop still stands (they are decided again unread) may be skipped
    skip = (
        KnownInputs.read(known).restricted_to(previous, fingerprints)
        if known and previous
        else None
    )
    return ingest_to_staging(
        source,
        run_id=run_id,
        paths=paths,
        batch_size=batch_size,
        workers=workers,
        decide=decide,
        known=skip,
    )


@task(cache_policy=NO_CACHE, task_run_name="incremental")
def carry_task(
    previous: pa.Table, batch: Path, run_id: str, paths: RunPaths, standing: pa.Table | None
) -> Path:
    from catalogs.incremental import split_unchanged

    return split_unchanged(batch, previous=previous, run_id=run_id, paths=paths, standing=standing)


@task(cache_policy=NO_CACHE, task_run_name="{name}")
def batch_stage_task(
    name: Stage, batch: Path, spec: DatasetSpec, run_id: str, paths: RunPaths
) -> Path:
    """Any batch-scope stage on one staged batch."""
    return run_batch_stage(build_stage(name, spec), batch, run_id=run_id, paths=paths)


@task(cache_policy=NO_CACHE, task_run_name="{name}")
def run_stage_task(
    name: Stage,
    batches: list[Path],
    spec: DatasetSpec,
    run_id: str,
    paths: RunPaths,
    index_root: Path | None,
) -> tuple[list[Path], Path | None]:
    """Any run-scope stage over every staged batch of the run."""
    stage = build_stage(name, spec, index_root=index_root, work_dir=paths.root / "spill")
    return run_run_stage(
        stage, batches, run_id=run_id, paths=paths, batch_size=spec.runner.batch_size
    )


@task(cache_policy=NO_CACHE, task_run_name="dedup-sketch")
def dedup_sketch_task(batch: Path, spec: DatasetSpec, paths: RunPaths) -> Path:
    """Dedup's signatures of one staged batch: the only dedup step that reads text."""
    return sketch_dedup_batch(batch, cfg=spec.dedup, paths=paths)


@task(cache_policy=NO_CACHE, task_run_name="dedup-decide")
def dedup_decide_task(
    sketches: list[Path],
    batches: list[Path],
    spec: DatasetSpec,
    paths: RunPaths,
    index_root: Path | None,
) -> DedupPlan:
    """Dedup's decisions over the run's sketches (ids and hashes, no text); returns paths."""
    from curation.dedup.index import SignatureIndex

    index = SignatureIndex.open(index_root) if index_root is not None else None
    return decide_dedup(sketches, batches, cfg=spec.dedup, paths=paths, index=index)


@task(cache_policy=NO_CACHE, task_run_name="dedup-apply")
def dedup_apply_task(
    batch: Path, decisions: Path, spec: DatasetSpec, run_id: str, paths: RunPaths
) -> Path:
    """One batch's dedup decisions applied: its survivors and ledger rows staged."""
    return apply_dedup_batch(batch, decisions, cfg=spec.dedup, run_id=run_id, paths=paths)


def dedup_batches(
    batches: list[Path],
    spec: DatasetSpec,
    run_id: str,
    paths: RunPaths,
    index_root: Path | None,
) -> tuple[list[Path], Path | None]:
    """Dedup as tasks that pass paths: sketches mapped over batches, one decision task over
    the sketches, the decisions applied mapped over batches again. The flow process holds
    only paths and counts; the decision task, ids, hashes and the candidate pairs."""
    done = dedup_done(paths)
    if done is not None:
        return done
    if not batches:
        from curation.pipeline import empty_batch

        batches = [empty_batch(paths)]
    sketching = dedup_sketch_task.map(batches, unmapped(spec), unmapped(paths))
    wait(sketching)
    sketches = [f.result() for f in sketching]
    plan = dedup_decide_task(sketches, batches, spec, paths, index_root)
    futures = dedup_apply_task.map(
        batches, plan.decisions, unmapped(spec), unmapped(run_id), unmapped(paths)
    )
    wait(futures)
    outputs = [f.result() for f in futures]
    return finish_dedup(outputs, plan, paths=paths)


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2, task_run_name="commit")
def commit_task(final: list[Path], **kwargs: Any) -> RunSummary:
    # Idempotent per run id: a retry returns the version its first try committed.
    return commit_run(final, **kwargs)


@task(cache_policy=NO_CACHE, task_run_name="finish")
def finish_task(
    summary: RunSummary,
    paths: RunPaths,
    index_root: Path,
    signatures: Path | None,
    incremental: bool,
    known_inputs: Path,
    fingerprints: dict[str, str] | None = None,
) -> None:
    """After the commit, outside its retries: index update (derived data), staging removal."""
    from catalogs.signature_index import refresh_after_commit

    persist_known_inputs(paths, known_inputs, fingerprints)
    if not summary.changed:
        paths.finish(summary.reconciliation)
        get_run_logger().info(
            "no changes at the sources: %s@%s stays current", summary.dataset, summary.version
        )
        return
    warning = refresh_after_commit(
        index_root,
        signatures,
        summary.version or "",
        incremental=incremental,
        replaced=summary.replaced,
    )
    if warning:
        get_run_logger().warning(warning)
    paths.finish(summary.reconciliation)


def publish_summary_artifact(summary: RunSummary) -> None:
    """The version's waterfall and catalog link, as a markdown artifact of this flow run."""
    from prefect.artifacts import create_markdown_artifact

    from catalogs.run_report import version_markdown

    key = "".join(c if c.isalnum() else "-" for c in f"{summary.dataset}-version".lower())
    create_markdown_artifact(
        markdown=version_markdown(summary.as_dict()),
        key=key,
        description=f"{summary.dataset}@{summary.version}",
    )


@task(cache_policy=NO_CACHE, task_run_name="ensure-index")
def ensure_index_task(settings: CatalogSettings, spec: DatasetSpec, index_root: Path) -> None:
    from catalogs.signature_index import ensure_signature_index

    if ensure_signature_index(settings, spec, index_root):
        get_run_logger().warning(
            "the dedup signature index did not hold the newest version: rebuilt it from the "
            "committed documents"
        )


@flow(name="curate", log_prints=False, validate_parameters=False)
def curate_flow(
    spec: DatasetSpec,
    workspace_root: str,
    version_name: str | None = None,
    run_id: str | None = None,
    incremental: bool = False,
    verify: bool = False,
) -> RunSummary:
    """Run the whole pipeline for one loaded dataset spec and commit one version.

    With `incremental`, documents already in the current version with the same bytes are
    carried over without re-running any stage, and new documents are deduplicated against the
    signature index of the committed set: the cost grows with what changed.
    """
    from curation.pii.engine import get_redactor, validate_policy
    from curation.workspace import Workspace

    started = time.monotonic()
    workspace = Workspace(Path(workspace_root)).ensure()
    run_id = run_id or new_run_id()
    # The engine is cached, so this process's PII tasks reuse the one built here; workers of
    # a Dask cluster or a process pool build their own, so here it is only checked.
    if spec.runner.type == "dask" or spec.pii.processes > 1:
        validate_policy(spec.pii)
    else:
        get_redactor(spec.pii)
    # Claimed before the sweep, so that a resumed run's staging is not swept as a dead run's.
    paths = RunPaths(workspace.runs / run_id).ensure()
    paths.write_record(
        {
            "dataset": spec.table_name,
            "spec_fingerprint": spec.fingerprint,
            "incremental": incremental,
            "verify": verify,
            "version_name": version_name,
        }
    )
    swept = sweep_dead_runs(workspace.runs)
    if swept:
        get_run_logger().warning(
            "removed the staged documents of %d run(s) whose process died: %s",
            len(swept),
            ", ".join(swept),
        )
    try:
        return _stages(spec, workspace, run_id, paths, version_name, incremental, started, verify)
    except BaseException as error:
        paths.discard_staging(error)
        raise
    finally:
        paths.release()


def _stages(
    spec: DatasetSpec,
    workspace: Workspace,
    run_id: str,
    paths: RunPaths,
    version_name: str | None,
    incremental: bool,
    started: float,
    verify: bool = False,
) -> RunSummary:
    """The stages of one run, in order; the flow around it cleans up when one fails.

    An incremental run skips reading inputs whose size and modification time (ETag on object
    stores) match what the last run saw, unless `verify` asks to read and hash everything.
    """
    from catalogs.incremental import carry_refused, current_version_keys
    from catalogs.registry import CatalogSettings

    timings: dict[str, float] = {}
    settings = CatalogSettings.for_workspace(
        workspace, uri=spec.output.catalog_uri, warehouse=spec.output.warehouse
    )
    index_root = workspace.indexes / spec.table_name / "dedup"
    previous_snapshot_id, previous = (
        current_version_keys(settings, spec.table_name) if incremental else (None, None)
    )
    if previous_snapshot_id is not None:
        refused = carry_refused(settings, spec, previous_snapshot_id)
        if refused:
            get_run_logger().warning(
                "%s: every document goes through the stages again (a full run)", refused
            )
            previous_snapshot_id, previous = None, None

    from catalogs.erasure import tombstones_for

    # documents erased on request are dropped at ingest, even when a source still holds them
    tombstones = tombstones_for(workspace, spec.table_name)
    known = known_inputs_path(workspace.indexes, spec.table_name)
    fingerprints = decision_fingerprints(spec)
    standing = None
    if previous is not None and not verify:
        from curation.ingest.known import KnownInputs

        standing = KnownInputs.read(known).standing_decisions(fingerprints)
    volume: dict[str, int] = {}
    with timed(timings, Stage.INGEST):
        batches: list[Path] = []
        for source in spec.sources:
            batches += ingest_task(
                source,
                run_id,
                paths,
                spec.runner.batch_size,
                spec.runner.workers,
                tombstones.apply if tombstones else None,
                known if previous is not None and not verify else None,
                previous,
                fingerprints,
            )
    volume[Stage.INGEST] = text_bytes(batches)
    if previous is not None:
        volume[Stage.INCREMENTAL] = volume[Stage.INGEST]
        with timed(timings, Stage.INCREMENTAL):
            batches = map_batches(carry_task, batches, previous, run_id, paths, standing)
    signatures = None
    resumed: dict[str, int] = {}
    for name in STAGES:
        volume[name] = text_bytes(batches)
        with timed(timings, name):
            if stage_class(name).scope is Scope.BATCH:
                resumed[name] = finished_batches(name, batches, paths)
                batches = map_batches(batch_stage_task, batches, name, spec, run_id, paths)
            else:
                index = index_root if previous is not None else None
                if index is not None:
                    ensure_index_task(settings, spec, index_root)
                if name is Stage.DEDUP:
                    batches, signatures = dedup_batches(batches, spec, run_id, paths, index)
                else:
                    batches, signatures = run_stage_task(name, batches, spec, run_id, paths, index)
    volume["commit"] = text_bytes(batches)
    with timed(timings, "commit"):
        summary = commit_task(
            batches,
            spec=spec,
            run_id=run_id,
            paths=paths,
            catalog_settings=settings,
            code_version=code_version(),
            version_name=version_name or spec.output.version,
            started=started,
            previous_snapshot_id=previous_snapshot_id,
        )
        finish_task(
            summary,
            paths,
            index_root,
            signatures,
            previous_snapshot_id is not None,
            known,
            fingerprints,
        )
    summary.stage_seconds = timings
    summary.stage_bytes = volume
    summary.resumed_batches = {stage: n for stage, n in resumed.items() if n}
    if summary.resumed_batches:
        get_run_logger().info("resumed run: batches already done %s", summary.resumed_batches)
    summary.wall_seconds = time.monotonic() - started
    if summary.changed:
        publish_summary_artifact(summary)
    return summary


def flow_for_runner(runner: RunnerConfig) -> Any:
    """The flow with the task runner the spec asks for: threads here, or Dask.

    `runner.type == "dask"` with an `address` connects to an existing cluster (Kubernetes, Slurm
    through dask-jobqueue, ...); without one, a LocalCluster of `workers` processes is started.
    """
    if runner.type != "dask":
        from prefect.task_runners import ThreadPoolTaskRunner

        return curate_flow.with_options(
            task_runner=ThreadPoolTaskRunner(max_workers=runner.workers)
        )
    from prefect_dask import DaskTaskRunner

    if runner.address:
        task_runner = DaskTaskRunner(address=runner.address)
    else:
        task_runner = DaskTaskRunner(
            cluster_kwargs={"n_workers": runner.workers, "threads_per_worker": 1, "processes": True}
        )
    return curate_flow.with_options(task_runner=task_runner)
