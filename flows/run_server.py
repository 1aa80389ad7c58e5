"""A private Prefect server for one `curate run`, that dies with the process that started it.

Prefect's own ephemeral server is a uvicorn child that outlives a killed parent: after `kill -9`
of `curate run` (or an out-of-memory kill) it kept its ~230 MB and the workspace's database for
as long as nobody ended it. This starts the same server, on loopback, as a child that the
kernel kills when its parent dies (`PR_SET_PDEATHSIG`), and stops it when the run ends.
Where `PREFECT_API_URL` is set (a `curate server`, a deployment), that server is used instead.

Starting and connecting are two steps (`server_process`, `connect`) so that a run starts the
server before its own imports and checks and waits only for what is left of the server's start.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from curation.exceptions import CurationError

_PR_SET_PDEATHSIG = 1
# Between health checks while the server starts: a refused connection costs microseconds.
_POLL_S = 0.05


# The private server serves one run's flow and task runs and nothing else: no UI, no
# analytics, and no block types. Registering block types (or checking, through a hash of every
# installed Prefect collection, that they are registered) imports each collection at start:
# prefect-dask brings in dask and distributed, 0.45 of the server's 3.1 s. Runs use no block;
# `curate server`, which serves the UI and deployments, registers them as usual.
PRIVATE_SERVER_SETTINGS: dict[str, str] = {
    "PREFECT_UI_ENABLED": "0",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT__SERVER_EPHEMERAL": "1",
    "PREFECT_API_BLOCKS_REGISTER_ON_START": "false",
    "PREFECT_MEMOIZE_BLOCK_AUTO_REGISTRATION": "false",
}


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


def _prime(url: str) -> None:
    """One API request, so the server builds its routes now (a daemon thread's wait)."""
    import http.client
    from urllib.parse import urlparse

    parsed = urlparse(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        connection.request("GET", parsed.path.rstrip("/") + "/admin/version")
        connection.getresponse().read()
    except OSError:
        pass  # the run's own first request reports a server that does not answer
    finally:
        connection.close()


@dataclass(frozen=True)
class StartedServer:
    """A private server process that is starting or running, and the API URL it will serve."""

    url: str
    process: subprocess.Popen
    # A new database the server migrates itself: kept as the template once it answers.
    new_database: Path | None = None
    primed: threading.Event = field(default_factory=threading.Event)

    def answers(self) -> bool:
        """Whether it serves requests yet (a refused connection returns at once).

        The first time it does, one API request is sent from a daemon thread: the server builds
        the models of its API routes on its first request (0.6 s on 2 cores, after `/health`
        already answers), and this way builds them while the run finishes its own start rather
        than while the run's first request waits.
        """
        if not _answers(self.url):
            return False
        if not self.primed.is_set():
            self.primed.set()
            threading.Thread(
                target=_prime, args=(self.url,), name="curate-server-prime", daemon=True
            ).start()
        return True


def _prefect_app_dir() -> str:
    """The folder that holds the `prefect` package, found without importing it (an import
    costs the caller seconds that the server's start can overlap)."""
    spec = importlib.util.find_spec("prefect")
    if spec is None or not spec.submodule_search_locations:
        raise ServerDidNotStart("prefect is not installed: run `make setup`")
    return str(Path(next(iter(spec.submodule_search_locations))).parent)


@contextmanager
def server_process() -> Iterator[StartedServer | None]:
    """Start the run's private server now, stop it on exit; None where one is configured.

    The server needs seconds to import Prefect's API, build the app and open its database
    (`$PREFECT_HOME/prefect.db`, kept in the workspace: a new one starts as a copy of an empty
    migrated database, `flows.prefect_database`; its migrations are checked at each start): a
    caller starts it first, does its own imports and checks while it comes up, then
    `connect`s.
    """
    if os.environ.get("PREFECT_API_URL") or not sys.platform.startswith("linux"):
        yield None
        return
    from flows.prefect_database import seed_new_database

    port = _free_port()
    new_database = seed_new_database()
    environment = {**os.environ, **PRIVATE_SERVER_SETTINGS}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        _prefect_app_dir(),
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
        yield StartedServer(f"http://127.0.0.1:{port}/api", process, new_database)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def connect(server: StartedServer | None, timeout: float = 120.0) -> Iterator[str | None]:
    """Wait until `server` answers, then point this process's Prefect client at it.

    Flow-run heartbeats are off against a private server: they exist so that a server can
    mark the run of a dead process as crashed, and this server dies with that process; the
    heartbeat thread's one-second sleeps also held up every run's end by up to a second.
    """
    if server is None:
        yield None
        return
    deadline = time.monotonic() + timeout
    while not server.answers():
        if server.process.poll() is not None or time.monotonic() > deadline:
            raise ServerDidNotStart(
                f"the run's Prefect server did not start within {timeout:.0f} s: check "
                "`curate doctor`, or start one with `curate server` and set PREFECT_API_URL"
            )
        time.sleep(_POLL_S)
    if server.new_database is not None:
        from flows.prefect_database import keep_template

        keep_template(server.new_database)
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )

    updates = {PREFECT_API_URL: server.url, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    with temporary_settings(updates=updates):
        try:
            yield server.url
        finally:
            _drain_prefect_workers()


def _drain_prefect_workers() -> None:
    """Send the run's last logs and events before the server goes (as Prefect's exit does)."""
    from prefect._internal.concurrency.services import QueueService

    # losing a last log line must not fail a run whose version is committed
    with contextlib.suppress(Exception):
        QueueService.drain_all(timeout=10, at_exit=False)
