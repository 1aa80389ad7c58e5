"""The LocalCluster a Dask run starts itself: ready with its workers, closed after the run (a
failed one too), and never outliving a killed process."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
import textwrap

import psutil
import pytest

from curation.spec import RunnerConfig
from flows.dask_cluster import local_cluster_for, start_local_cluster
from tests_support import REPO


def worker_processes() -> list[psutil.Process]:
    """This process's children that run a Dask worker (spawned by a nanny)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:  # ended in between
            continue
    return found


def scheduler_answers(address: str) -> bool:
    from distributed import Client

    try:
        with Client(address, timeout=2):
            return True
    except OSError:
        return False


def preloaded(address: str, workers: int) -> list[bool]:
    """Per worker, once `workers` have registered: whether `json.tool` (the module these tests
    preload, which nothing else imports) is imported."""
    from distributed import Client

    def imported() -> bool:
        import sys

        return "json.tool" in sys.modules

    with Client(address, timeout=10) as client:
        client.wait_for_workers(workers, timeout=120)
        return list(client.run(imported).values())


def test_threads_and_an_existing_cluster_get_their_runner_unchanged():
    for runner in (RunnerConfig(), RunnerConfig(type="dask", address="tcp://10.0.0.5:8786")):
        with local_cluster_for(runner) as ready:
            result = ready.result(timeout=0)
            assert worker_processes() == []

        assert result is runner


def test_a_local_cluster_serves_the_run_and_is_closed_after_it():
    runner = RunnerConfig(type="dask", workers=2, batch_size=64)

    with local_cluster_for(runner, preload=["json.tool"]) as ready:
        result = ready.result(timeout=120)
        state = preloaded(result.address, 2)
        workers = worker_processes()

    assert result.address.startswith("tcp://127.0.0.1:")
    assert dataclasses.replace(result, address=None) == runner  # only the address is added
    assert len(workers) == 2
    assert state == [True, True]
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == []
    assert not scheduler_answers(result.address)


def test_a_failed_run_closes_its_cluster_too():
    runner = RunnerConfig(type="dask", workers=1)

    with pytest.raises(RuntimeError, match="a stage failed"):  # noqa: SIM117
        with local_cluster_for(runner) as ready:
            address = ready.result(timeout=120).address
            preloaded(address, 1)
            workers = worker_processes()
            raise RuntimeError("a stage failed")

    assert len(workers) == 1
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == []
    assert not scheduler_answers(address)


def test_a_run_that_fails_while_its_workers_start_leaves_no_process():
    """A check that fails right after the start (a bad version name) closes a cluster whose
    workers are still starting."""
    runner = RunnerConfig(type="dask", workers=2)

    with pytest.raises(ValueError, match="bad version name"):  # noqa: SIM117
        with local_cluster_for(runner, preload=["json.tool"]) as ready:
            address = ready.result(timeout=120).address
            raise ValueError("bad version name")

    assert not scheduler_answers(address)
    _, alive = psutil.wait_procs(worker_processes(), timeout=10)
    assert alive == []


def test_tasks_fail_instead_of_waiting_when_no_worker_can_start():
    from distributed import Client
    from distributed.scheduler import NoWorkerError

    cluster = start_local_cluster(
        1, preload=["no_such_module_for_dask_workers"], no_workers_timeout="3s"
    )
    try:
        with Client(cluster.scheduler_address, timeout=10) as client:
            future = client.submit(sum, [1, 2])
            with pytest.raises(NoWorkerError, match="without any running workers"):
                future.result(timeout=120)
    finally:
        cluster.close()

    assert worker_processes() == []


def test_workers_die_with_a_killed_parent(tmp_path):
    """SIGKILL of the process that started the cluster (an out-of-memory kill, `kill -9` of
    `curate run`) leaves no worker process behind."""
    script = tmp_path / "hold_cluster.py"
    script.write_text(
        textwrap.dedent(
            """\
            import time

            from distributed import Client

            from curation.spec import RunnerConfig
            from flows.dask_cluster import local_cluster_for, start_local_cluster

            if __name__ == "__main__":
                with local_cluster_for(RunnerConfig(type="dask", workers=2)) as ready:
                    address = ready.result(timeout=120).address
                    with Client(address) as client:
                        client.wait_for_workers(2, timeout=120)
                    print(address, flush=True)
                    time.sleep(600)
            """
        )
    )
    holder = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        address = holder.stdout.readline().strip()
        assert address.startswith("tcp://"), "the cluster did not start"
        children = psutil.Process(holder.pid).children(recursive=True)
        workers = [c for c in children if "spawn_main" in " ".join(c.cmdline())]
        assert len(workers) == 2
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()

    _, alive = psutil.wait_procs(children, timeout=15)
    assert alive == []
