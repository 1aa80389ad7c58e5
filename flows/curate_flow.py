"""The `curate` Prefect flow: ingest, each stage over staged batches, one commit at the end.

The flow reads like the data flow in ARCHITECTURE.md: ingest each source, run each stage of
`curation.pipeline.STAGES` (batch stages mapped over batches in parallel, run stages over all of
them), commit. Tasks pass staging paths, so the same flow runs on threads here or on a Dask
cluster. One generic task runs any batch stages (fused, below); what a stage decides lives in
its package (see `curation/stage.py`).

Adjacent per-batch steps run fused, in one task: the batch stages before dedup with dedup's
sketch of the batch, then dedup's apply with the batch stages after it; and each task takes a
chunk of consecutive batches, a few tasks per worker. A stage's work on a batch is tens of
milliseconds while every task run costs a few tenths of a second of state round trips to the
Prefect server (which shares the cores with the workers), so the orchestration costs a few task
runs per worker and run of adjacent steps instead of one per stage and batch. Each step still
writes its own staged output and ledger part per batch, so a resumed run skips finished work
per stage and batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect import flow, get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.futures import wait

from catalogs.commit import RunSummary, commit_run
from catalogs.data_files import (
    PendingWrites,
    WriteTarget,
    WrittenFiles,
    staged_groups,
    write_staged_group,
)
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
    ingest_sources,
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


def code_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sovereign-curate")
    except PackageNotFoundError:
        return "0+unknown"


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2, task_run_name="ingest")
def ingest_task(
    sources: Sequence[SourceConfig],
    run_id: str,
    paths: RunPaths,
    batch_size: int,
    workers: int,
    decide: Callable[[StageOutput], StageOutput] | None = None,
    known: Path | None = None,
    previous: pa.Table | None = None,
    fingerprints: dict[str, str] | None = None,
) -> list[Path]:
    """Every source of the spec, one after the other, in one task: they share one extraction
    pool (`curation.pipeline.ingest_sources`), and a retry skips the sources that finished."""
    from curation.ingest.known import KnownInputs

    # only inputs whose documents the previous version holds (they are carried) or whose
    # earlier drop still stands (they are decided again unread) may be skipped
    skip = (
        KnownInputs.read(known).restricted_to(previous, fingerprints)
        if known and previous
        else None
    )
    return ingest_sources(
        sources,
        run_id=run_id,
        paths=paths,
        batch_size=batch_size,
        workers=workers,
        decide=decide,
        known=skip,
    )


@task(cache_policy=NO_CACHE, task_run_name="incremental")
def carry_task(
    batches: list[Path],
    previous: pa.Table,
    run_id: str,
    paths: RunPaths,
    standing: pa.Table | None,
    batch_size: int,
) -> list[Path]:
    """The run's carried and standing documents taken out of its ingested batches, in one task:
    a lookup per batch, tens of milliseconds, against a task run per batch. The survivors come
    back packed into full batches (`catalogs.incremental.carry_unchanged`)."""
    from catalogs.incremental import carry_unchanged

    return carry_unchanged(
        batches,
        previous=previous,
        run_id=run_id,
        paths=paths,
        batch_size=batch_size,
        standing=standing,
    )


# The per-batch halves of dedup, fused with the batch stages beside them: the sketch reads a
# batch's text after the stages before dedup; the apply writes dedup's decisions into the batch
# before the stages after it.
SKETCH = "dedup-sketch"
APPLY = "dedup-apply"


def step_stage(step: str) -> str:
    """The stage a per-batch step belongs to (its seconds and bytes are that stage's)."""
    return str(Stage.DEDUP) if step in (SKETCH, APPLY) else step


@dataclass(frozen=True)
class BatchSteps:
    """What a fused task did to one batch: the documents file after its steps, each step's
    output (for the stages' bytes), the batch's dedup sketch when one step sketched it, and
    each stage's seconds of work on the batch."""

    output: Path
    outputs: dict[str, Path]
    sketch: Path | None
    seconds: dict[str, float]


def run_batch_steps(
    steps: Sequence[str],
    batch: Path,
    spec: DatasetSpec,
    run_id: str,
    paths: RunPaths,
    decisions: Path | None = None,
) -> BatchSteps:
    """Run per-batch `steps` in order on one staged batch, each as its own task would.

    A step finished before a crash is skipped by the step itself (its staged output and ledger
    part exist), so a resumed run redoes only the steps a batch had not finished.
    """
    outputs: dict[str, Path] = {}
    seconds: dict[str, float] = {}
    sketch = None
    for step in steps:
        mark = time.monotonic()
        if step == SKETCH:
            sketch = sketch_dedup_batch(batch, cfg=spec.dedup, paths=paths)
        elif step == APPLY:
            if decisions is None:
                raise ValueError("applying dedup needs the batch's decisions file")
            batch = apply_dedup_batch(batch, decisions, cfg=spec.dedup, run_id=run_id, paths=paths)
        else:
            stage = build_stage(Stage(step), spec)
            batch = run_batch_stage(stage, batch, run_id=run_id, paths=paths)
        outputs[step] = batch
        name = step_stage(step)
        seconds[name] = seconds.get(name, 0.0) + time.monotonic() - mark
    return BatchSteps(batch, outputs, sketch, seconds)


@task(cache_policy=NO_CACHE, task_run_name="{label}")
def batch_steps_task(
    label: str,
    steps: tuple[str, ...],
    batches: list[Path],
    spec: DatasetSpec,
    run_id: str,
    paths: RunPaths,
    decisions: list[Path] | None = None,
) -> list[BatchSteps]:
    """Adjacent per-batch steps on a few staged batches, one batch after the other, as one
    task (`label` names the steps)."""
    return [
        run_batch_steps(steps, batch, spec, run_id, paths, decisions[i] if decisions else None)
        for i, batch in enumerate(batches)
    ]


# Chunks shrink as the run goes (guided self-scheduling): each takes this share of the batches
# left per worker, so the first tasks are long (a handful of task runs per worker pay the
# orchestration) and the last ones are a batch or two, so the workers finish within a batch of
# each other even when batches differ in cost (documents a stage drops early, long ones).
GUIDED_SHARE = 2
# The smallest chunk: a batch is a few tenths of a second of work, about what a task run costs
# in state round trips. A run with fewer than this many batches per worker goes out a batch
# per task, so that no worker idles while another holds two.
MIN_CHUNK = 2


def chunks(items: list[Any], workers: int) -> list[list[Any]]:
    """`items` cut into consecutive chunks that shrink from about half of a worker's share to
    `MIN_CHUNK`, the largest first: tasks go to the workers in order, so the small ones fill
    the gaps at the end.

    >>> [len(chunk) for chunk in chunks(list(range(40)), 1)]
    [20, 10, 5, 3, 2]
    >>> [len(chunk) for chunk in chunks(list(range(40)), 2)]
    [10, 8, 6, 4, 3, 3, 2, 2, 2]
    >>> chunks([1, 2], 2)
    [[1], [2]]
    """
    share = max(workers, 1) * GUIDED_SHARE
    smallest = MIN_CHUNK if len(items) >= MIN_CHUNK * max(workers, 1) else 1
    out: list[list[Any]] = []
    start = 0
    while start < len(items):
        size = max(smallest, -(-(len(items) - start) // share))
        out.append(items[start : start + size])
        start += size
    return out


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


@dataclass
class StageClock:
    """Per stage: wall seconds, text bytes taken in, batches a resumed run found finished.

    A fused task works on several stages, so the wall seconds of a run of fused steps are
    shared among its stages in proportion to the seconds each spent inside the tasks (summed
    over batches): per stage, the share of the run's wall time its work took, and the stages'
    seconds still add up to the flow's wall time.
    """

    seconds: dict[str, float] = field(default_factory=dict)
    volume: dict[str, int] = field(default_factory=dict)
    resumed: dict[str, int] = field(default_factory=dict)

    def share(self, wall: float, work: dict[str, float], stages: Sequence[str]) -> None:
        total = sum(work.get(s, 0.0) for s in stages)
        for stage in stages:
            part = work.get(stage, 0.0) / total if total > 0 else 1 / len(stages)
            self.seconds[stage] = self.seconds.get(stage, 0.0) + wall * part

    @contextmanager
    def timing(self, stage: str) -> Iterator[None]:
        """Add the wall seconds of the block to `stage`'s."""
        mark = time.monotonic()
        try:
            yield
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.monotonic() - mark


def map_steps(
    steps: Sequence[str],
    batches: list[Path],
    spec: DatasetSpec,
    run_id: str,
    paths: RunPaths,
    clock: StageClock,
    decisions: list[Path] | None = None,
) -> list[BatchSteps]:
    """Adjacent per-batch `steps` fused into one task, mapped over `batches` in consecutive
    chunks (`chunks`): a few tasks per worker of the runner.

    Every task is waited for before the first failure is raised: a sibling still running
    would otherwise write its (unredacted) batch after the failed run discarded its staging.
    """
    if not steps:
        return [BatchSteps(b, {}, None, {}) for b in batches]
    if not batches:
        for step in steps:
            clock.volume.setdefault(step_stage(step), 0)
        return []
    stages = list(dict.fromkeys(step_stage(s) for s in steps))
    for step in steps:
        if step_stage(step) == step:
            clock.resumed[step] = finished_batches(Stage(step), batches, paths)
    mark = time.monotonic()
    workers = spec.runner.workers
    futures = batch_steps_task.map(
        unmapped("+".join(steps)),
        unmapped(tuple(steps)),
        chunks(batches, workers),
        unmapped(spec),
        unmapped(run_id),
        unmapped(paths),
        chunks(decisions, workers) if decisions is not None else unmapped(None),
    )
    wait(futures)
    results = [r for f in futures for r in f.result()]
    work: dict[str, float] = {}
    for result in results:
        for stage, seconds in result.seconds.items():
            work[stage] = work.get(stage, 0.0) + seconds
    clock.share(time.monotonic() - mark, work, stages)
    inputs = batches
    for step in steps:
        if step_stage(step) not in clock.volume:
            clock.volume[step_stage(step)] = text_bytes(inputs)
        inputs = [r.outputs[step] for r in results]
    return results


def run_stages(
    batches: list[Path],
    spec: DatasetSpec,
    run_id: str,
    paths: RunPaths,
    settings: CatalogSettings,
    index_root: Path | None,
    clock: StageClock,
) -> tuple[list[Path], Path | None]:
    """The stages of `curation.pipeline.STAGES` over the run's staged batches, adjacent
    per-batch steps fused into one task (see the module's docstring).

    Dedup's sketch joins the steps before it, its decision is one task over the sketches
    (ids and hashes, no text: the flow process holds only paths and counts, the decision
    task ids, hashes and the candidate pairs), its apply joins the steps after it; dedup is
    recorded as finished once every batch's decisions are applied.

    `index_root`: the signature index of the committed set (incremental runs), brought up to
    date before a run-scope stage. Returns the batches to commit and the dedup signatures for
    the index update.

    Without batches (an incremental run that carried every document, or sources without
    any) no stage has work: none starts a task, and no model is loaded. A stale signature
    index is then left to the next run that deduplicates (`ensure_signature_index`).
    """
    if not batches:
        for name in STAGES:
            clock.seconds.setdefault(name, 0.0)
            clock.volume.setdefault(name, 0)
        return [], None
    pending: list[str] = []
    plan: DedupPlan | None = None
    signatures = None
    for name in STAGES:
        clock.seconds.setdefault(name, 0.0)
        if stage_class(name).scope is Scope.BATCH:
            pending.append(name)
            continue
        if index_root is not None:
            with clock.timing(name):
                ensure_index_task(settings, spec, index_root)
        if name is Stage.DEDUP:
            done = dedup_done(paths)
            if done is not None:
                batches = [
                    r.output for r in map_steps(pending, batches, spec, run_id, paths, clock)
                ]
                clock.volume.setdefault(name, text_bytes(batches))
                (batches, signatures), pending = done, []
                continue
            sketched = map_steps([*pending, SKETCH], batches, spec, run_id, paths, clock)
            batches = [r.output for r in sketched]
            sketches = [r.sketch for r in sketched if r.sketch is not None]
            with clock.timing(name):
                plan = dedup_decide_task(sketches, batches, spec, paths, index_root)
            pending = [APPLY]
            continue
        batches = finish_steps(pending, batches, spec, run_id, paths, clock, plan)
        pending, plan = [], None
        clock.volume[name] = text_bytes(batches)
        with clock.timing(name):
            batches, signatures = run_stage_task(name, batches, spec, run_id, paths, index_root)
    if plan is not None:
        signatures = plan.signatures
    return finish_steps(pending, batches, spec, run_id, paths, clock, plan), signatures


def finish_steps(
    steps: list[str],
    batches: list[Path],
    spec: DatasetSpec,
    run_id: str,
    paths: RunPaths,
    clock: StageClock,
    plan: DedupPlan | None,
) -> list[Path]:
    """Run the pending per-batch steps; when they applied dedup's decisions, record dedup as
    finished (a resumed run skips it) and remove its work files."""
    results = map_steps(
        steps, batches, spec, run_id, paths, clock, plan.decisions if plan else None
    )
    if plan is not None:
        finish_dedup([r.outputs[APPLY] for r in results], plan, paths=paths)
    return [r.output for r in results]


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2, task_run_name="commit-write")
def write_group_task(target: WriteTarget, group: list[Path]) -> WrittenFiles:
    """One group of the final batches as data files of the version (on a worker)."""
    return write_staged_group(target, group)


def write_version_files(
    batches: list[Path], settings: CatalogSettings, spec: DatasetSpec, run_id: str
) -> PendingWrites | None:
    """The version's data files, one task per group of final batches on the runner's workers,
    started now; the commit reconciles the ledger while they write and adds their files
    (`catalogs.data_files`).

    None where the commit writes them itself: on the threads runner (its tasks would write in
    the flow's own process, holding two groups at once where the commit holds one), where the
    final batches make one group (a small or incremental run, where a task would cost more
    than it saves), or where the run's version is committed already.
    """
    from catalogs.commit import write_target

    if spec.runner.type != "dask":
        return None
    groups = staged_groups(batches)
    if len(groups) < 2:
        return None
    target = write_target(settings, spec.table_name, run_id)
    if target is None:
        return None
    return PendingWrites(write_group_task.map(unmapped(target), groups), target.io)


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
    from curation.pii.engine import validate_policy
    from curation.workspace import Workspace

    started = time.monotonic()
    workspace = Workspace(Path(workspace_root)).ensure()
    run_id = run_id or new_run_id()
    # Fail before any document is read on what would fail in the PII stage (key, lists,
    # patterns); the engine itself is built by the first PII batch that has documents, so a
    # run where none reaches PII builds none.
    validate_policy(spec.pii)
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
        batches = ingest_task(
            spec.sources,
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
            batches = carry_task(batches, previous, run_id, paths, standing, spec.runner.batch_size)
    clock = StageClock(timings, volume)
    index = index_root if previous is not None else None
    batches, signatures = run_stages(batches, spec, run_id, paths, settings, index, clock)
    resumed = clock.resumed
    volume["commit"] = text_bytes(batches)
    with timed(timings, "commit"):
        written = write_version_files(batches, settings, spec, run_id)
        try:
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
                written=written,
            )
        except BaseException:
            if written is not None:
                written.settle()
            raise
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
    Either way `workers` sizes the chunks of batches each task takes (`chunks`), so with an
    `address` it should say how many workers the cluster has.
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
