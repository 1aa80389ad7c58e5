"""The LocalCluster of a Dask run: scheduler started early, workers asked for as the flow starts.

Given only `cluster_kwargs`, prefect-dask's `DaskTaskRunner` starts its LocalCluster when the
flow submits its first task: after ingest, so the worker processes' start and their first
imports of the stages lie on the run's critical path with nothing to overlap them, and closing
the cluster is part of the run's end. Here the scheduler starts (a fraction of a second) while
the run's Prefect server starts, and the workers are asked for once the server answers, as the
flow starts: their start and imports overlap the flow's setup and ingest, which leave a core
free, rather than the server's start and the CLI's imports, which take both cores of a small
machine. The flow connects to the scheduler by address.

The scheduler and the nannies live in the calling process and the worker processes are its
children, each exiting when the pipe from its parent closes (`distributed.process`), so the
workers end with a killed `curate run` as its private server does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distributed import LocalCluster

    from curation.spec import RunnerConfig

# How long a task may wait for a worker when none is running before it fails: far above a
# worker's start (seconds, a few more on a loaded machine) or a nanny's restart of one that
# died, so it ends only a run whose workers cannot start.
NO_WORKERS_TIMEOUT = "120s"


def wants_local_cluster(runner: RunnerConfig) -> bool:
    """Whether `runner` asks for a LocalCluster that the run starts (Dask without an address).

    >>> from curation.spec import RunnerConfig
    >>> wants_local_cluster(RunnerConfig(type="dask", workers=2))
    True
    >>> wants_local_cluster(RunnerConfig(type="dask", address="tcp://10.0.0.5:8786"))
    False
    >>> wants_local_cluster(RunnerConfig())
    False
    """
    return runner.type == "dask" and not runner.address


def start_local_cluster(
    workers: int, *, preload: Sequence[str] = (), no_workers_timeout: str = NO_WORKERS_TIMEOUT
) -> LocalCluster:
    """A LocalCluster of `workers` single-threaded worker processes (0: none yet, `scale` asks
    for them), returned before they run.

    The scheduler starts here, on loopback, without a dashboard; the workers are asked for with
    `scale`, which returns at once: each starts in its own process, imports the `preload`
    modules and then registers, so tasks submitted meanwhile wait at the scheduler and find
    the modules imported. A task that waits longer than `no_workers_timeout` for a worker (none
    could start) fails instead of holding the run forever.
    """
    import dask.config
    from distributed import LocalCluster

    with dask.config.set({"distributed.scheduler.no-workers-timeout": no_workers_timeout}):
        cluster = LocalCluster(
            n_workers=0,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            # no dashboard, and the scheduler's few HTTP routes (health, metrics) on a free
            # loopback port: by default they take 8787 on every interface, and another cluster
            # on the machine may hold that port
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            preload=list(preload),
        )
    if workers:
        cluster.scale(workers)
    return cluster


class PendingRunner:
    """The runner to hand the flow, known once the flow is about to start (`result`)."""

    def __init__(self, runner: RunnerConfig, cluster: Future[LocalCluster] | None = None) -> None:
        self._runner = runner
        self._cluster = cluster
        self._ready: RunnerConfig | None = None if cluster is not None else runner

    def result(self, timeout: float | None = None) -> RunnerConfig:
        """`runner` itself, or for a LocalCluster a copy with its scheduler's address: the
        first call waits for the scheduler (not the workers) and asks for the workers."""
        if self._ready is None:
            assert self._cluster is not None
            cluster = self._cluster.result(timeout)
            cluster.scale(self._runner.workers)
            self._ready = dataclasses.replace(self._runner, address=cluster.scheduler_address)
        return self._ready


@contextmanager
def local_cluster_for(
    runner: RunnerConfig, *, preload: Sequence[str] = ()
) -> Iterator[PendingRunner]:
    """The runner to hand the flow: `runner` itself, or, where it asks for a LocalCluster, a
    copy with the address of one whose scheduler starts now in a thread; the workers start at
    the first `result()`. The cluster is closed on exit, a failed run's too.

    Only the runner handed to the task runner changes: the spec, its fingerprint and the chunks
    sized by `workers` stay as written.
    """
    if not wants_local_cluster(runner):
        yield PendingRunner(runner)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="curate-dask-start") as pool:
        started = pool.submit(start_local_cluster, 0, preload=preload)
        try:
            yield PendingRunner(runner, started)
        finally:
            if started.exception() is None:  # waits for a start still under way
                started.result().close()
