"""A private Prefect server for one `curate run`, that dies with the process that started it.

Prefect's own ephemeral server is a uvicorn child that outlives a killed parent: after `kill -9`
of `curate run` (or an out-of-memory kill) it kept its ~230 MB and the workspace's database for
as long as nobody ended it. This starts the same server, on loopback, as a child that the
kernel kills when its parent dies (`PR_SET_PDEATHSIG`), and stops it when the run ends.
Where `PREFECT_API_URL` is set (a `curate server`, a deployment), that server is used instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from curation.exceptions import CurationError

_PR_SET_PDEATHSIG = 1


class ServerDidNotStart(CurationError):
    """The run's private Prefect server did not answer in time."""


def _die_with_parent() -> None:
    """Runs in the child between fork and exec: SIGKILL when the parent dies."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    import http.client
    from urllib.parse import urlparse

    parsed = urlparse(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=2)
    try:
        connection.request("GET", parsed.path.rstrip("/") + "/health")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


@contextmanager
def private_server(timeout: float = 120.0) -> Iterator[str | None]:
    """Yield the API URL of a private server for this run (None when one is configured)."""
    if os.environ.get("PREFECT_API_URL") or not sys.platform.startswith("linux"):
        yield None
        return
    import prefect

    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    environment = {
        **os.environ,
        "PREFECT_UI_ENABLED": "0",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT__SERVER_EPHEMERAL": "1",
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        str(prefect.__module_path__.parent),
        "--factory",
        "prefect.server.api.server:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "error",
        "--lifespan",
        "on",
    ]
    process = subprocess.Popen(command, env=environment, preexec_fn=_die_with_parent)  # noqa: S603
    try:
        deadline = time.monotonic() + timeout
        while not _answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise ServerDidNotStart(
                    f"the run's Prefect server did not start within {timeout:.0f} s: check "
                    "`curate doctor`, or start one with `curate server` and set PREFECT_API_URL"
                )
            time.sleep(0.2)
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: url}):
            try:
                yield url
            finally:
                _drain_prefect_workers()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _drain_prefect_workers() -> None:
    """Send the run's last logs and events before the server goes (as Prefect's exit does)."""
    from prefect._internal.concurrency.services import QueueService

    # losing a last log line must not fail a run whose version is committed
    with contextlib.suppress(Exception):
        QueueService.drain_all(timeout=10, at_exit=False)
