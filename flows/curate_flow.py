"""The `curate` Prefect flow: stages as tasks over staged batches, one commit at the end.

The flow reads like the data flow in ARCHITECTURE.md: ingest each source, filter each batch
(license gate, then quality), deduplicate across the run, redact PII per batch, commit. Tasks
pass staging paths, so the same flow runs on threads here or on a Dask cluster.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.futures import wait

from flows import steps

# Set by the CLI to drive its progress display; tasks run in this process's threads by default.
PROGRESS: list[steps.Progress] = []


def _progress(stage: str, count: int) -> None:
    for callback in PROGRESS:
        callback(stage, count)


@contextmanager
def timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    """Record the wall seconds of one stage of the flow in `timings`."""
    mark = time.monotonic()
    try:
        yield
    finally:
        timings[stage] = time.monotonic() - mark


def map_batches(task_: Any, batches: list[Path], *shared: Any) -> list[Path]:
    """Run `task_` on every staged batch concurrently (same shared arguments).

    Every task is waited for before the first failure is raised: a sibling still running
    would otherwise write its (unredacted) batch after the failed run discarded its staging.
    """
    futures = task_.map(batches, *(unmapped(a) for a in shared))
    wait(futures)
    return [f.result() for f in futures]


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def code_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sovereign-curate")
    except PackageNotFoundError:
        return "0+unknown"


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2)
def ingest_task(
    source: Any, run_id: str, paths: steps.RunPaths, batch_size: int, workers: int
) -> list[Path]:
    return steps.ingest_source_to_staging(
        source,
        run_id=run_id,
        paths=paths,
        batch_size=batch_size,
        workers=workers,
        progress=_progress,
    )


@task(cache_policy=NO_CACHE)
def split_unchanged_task(
    batch_path: Path, previous: Any, run_id: str, paths: steps.RunPaths
) -> Path:
    return steps.split_unchanged(batch_path, previous=previous, run_id=run_id, paths=paths)


@task(cache_policy=NO_CACHE)
def filter_task(batch_path: Path, spec: Any, run_id: str, paths: steps.RunPaths) -> Path:
    return steps.filter_batch(batch_path, spec=spec, run_id=run_id, paths=paths, progress=_progress)


@task(cache_policy=NO_CACHE)
def dedup_task(
    batch_paths: list[Path],
    spec: Any,
    run_id: str,
    paths: steps.RunPaths,
    batch_size: int,
    index_root: Path | None = None,
):
    return steps.deduplicate_staged(
        batch_paths,
        spec=spec,
        run_id=run_id,
        paths=paths,
        batch_size=batch_size,
        index_root=index_root,
        progress=_progress,
    )


@task(cache_policy=NO_CACHE)
def redact_task(batch_path: Path, spec: Any, run_id: str, paths: steps.RunPaths) -> Path:
    return steps.redact_batch(batch_path, spec=spec, run_id=run_id, paths=paths, progress=_progress)


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def commit_task(final_paths: list[Path], **kwargs: Any) -> steps.RunSummary:
    # Idempotent per run id: a retry returns the version its first try committed.
    return steps.commit_run(final_paths, **kwargs)


@task(cache_policy=NO_CACHE)
def finish_task(summary: steps.RunSummary, **kwargs: Any) -> None:
    warning = steps.finish_run(summary, **kwargs)
    if warning:
        get_run_logger().warning(warning)


@task(cache_policy=NO_CACHE)
def ensure_index_task(catalog_settings: Any, spec: Any, index_root: Path) -> None:
    if steps.ensure_signature_index(catalog_settings, spec, index_root):
        get_run_logger().warning(
            "the dedup signature index did not hold the newest version: rebuilt it from the "
            "committed documents"
        )


@flow(name="curate", log_prints=False, validate_parameters=False)
def curate_flow(
    spec_path: str,
    workspace_root: str,
    version_name: str | None = None,
    run_id: str | None = None,
    incremental: bool = False,
) -> dict[str, Any]:
    """Run the whole pipeline for one dataset spec and commit one version.

    With `incremental`, documents already in the current version with the same bytes are
    carried over without re-running any stage, and new documents are deduplicated against the
    signature index of the committed set: the cost grows with what changed.
    """
    from curation.workspace import Workspace
    from flows.spec import load_spec

    started = time.monotonic()
    spec = load_spec(spec_path)
    workspace = Workspace(Path(workspace_root)).ensure()
    run_id = run_id or new_run_id()
    # The PII policy is checked before hours of ingest: a missing pseudonymization key or deny
    # list file fails now. The engine is cached, so the redact tasks of this process reuse it.
    from curation.pii.engine import get_redactor, validate_policy

    if spec.runner.type == "dask" or spec.pii.processes > 1:
        validate_policy(spec.pii)  # the engine is built in the workers; only check here
    else:
        get_redactor(spec.pii)  # built once here and reused by this process's redact tasks
    swept = steps.sweep_dead_runs(workspace.runs)
    if swept:
        get_run_logger().warning(
            "removed the staged documents of %d run(s) whose process died: %s",
            len(swept),
            ", ".join(swept),
        )
    paths = steps.RunPaths(workspace.runs / run_id).ensure()
    try:
        return _stages(spec, workspace, run_id, paths, version_name, incremental, started)
    except BaseException as error:
        paths.discard_staging(error)
        raise
    finally:
        paths.release()


def _stages(
    spec: Any,
    workspace: Any,
    run_id: str,
    paths: steps.RunPaths,
    version_name: str | None,
    incremental: bool,
    started: float,
) -> dict[str, Any]:
    """The stages of one run, in order; the flow around it cleans up when one fails."""
    from catalogs.registry import CatalogSettings

    batch_size = spec.runner.batch_size
    timings: dict[str, float] = {}
    settings = CatalogSettings.for_workspace(
        workspace, uri=spec.output.catalog_uri, warehouse=spec.output.warehouse
    )
    index_root = workspace.indexes / spec.table_name / "dedup"
    previous_snapshot_id, previous = (
        steps.current_version_keys(settings, spec.table_name) if incremental else (None, None)
    )
    if previous_snapshot_id is not None:
        refused = steps.carry_refused(settings, spec, previous_snapshot_id)
        if refused:
            get_run_logger().warning(
                "%s: every document goes through the stages again (a full run)", refused
            )
            previous_snapshot_id, previous = None, None

    with timed(timings, "ingest"):
        ingested: list[Path] = []
        for source in spec.sources:
            ingested += ingest_task(source, run_id, paths, batch_size, spec.runner.workers)
        if previous is not None:
            ingested = map_batches(split_unchanged_task, ingested, previous, run_id, paths)
    with timed(timings, "license+quality"):
        filtered = map_batches(filter_task, ingested, spec, run_id, paths)
    with timed(timings, "dedup"):
        index = index_root if previous is not None else None
        if index is not None:
            ensure_index_task(settings, spec, index_root)
        deduped, signatures = dedup_task(filtered, spec, run_id, paths, batch_size, index)
    with timed(timings, "pii"):
        final = map_batches(redact_task, deduped, spec, run_id, paths)
    with timed(timings, "commit"):
        summary = commit_task(
            final,
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
            paths=paths,
            index_root=index_root,
            signatures_path=signatures,
            incremental=previous_snapshot_id is not None,
        )
    summary.stage_seconds = timings
    summary.wall_seconds = time.monotonic() - started
    return summary.as_dict()


def flow_for_runner(runner: Any):
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
