"""Scheduled runs: a local Prefect server kept in the workspace, and deployments served against it.

The ephemeral server that `curate run` starts cannot hold schedules, so scheduled runs need a
long-lived one: `serve_server` runs Prefect's server inside the calling process (no child that
could outlive it), bound to loopback, with its SQLite database in the workspace and analytics
off. `serve_deployment` registers a deployment of `scheduled_curate` for one dataset spec and
serves it the way `Flow.serve` does, with Prefect's runner: the serving process polls the server
and runs each scheduled run in a child process that dies with it. A deployment's parameters are
JSON (the spec's path, not the loaded spec), and each run goes through `flows.run.run_spec`, the
staged and ledgered path of `curate run`.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import os
import re
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from prefect import flow, get_run_logger

from curation.exceptions import CurationError
from curation.offline import enforce_offline

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.objects import FlowRun

    from catalogs.commit import RunSummary
    from curation.spec import DatasetSpec
    from curation.workspace import Workspace

DEFAULT_PORT = 4200
LOOPBACK = "127.0.0.1"
# Written by `curate server` so that `curate deploy` and `curate deployments` find it.
SERVER_FILE = "server.json"
FLOW_NAME = "curate-scheduled"
# The serving process's pid, read by each flow-run process to tie its life to it.
SERVE_PID_ENV = "CURATE_SERVE_PID"
_PR_SET_PDEATHSIG = 1
_DURATION = re.compile(r"(\d+)([dhms])")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


class DeployError(CurationError):
    """A schedule, spec or server problem that stops `curate server` or `curate deploy`."""


@dataclass(frozen=True)
class Schedule:
    """One deployment schedule: a cron expression in a time zone, or a fixed interval."""

    cron: str | None = None
    interval: timedelta | None = None
    timezone: str = "UTC"

    def describe(self) -> str:
        if self.cron is not None:
            return f"cron {self.cron} ({self.timezone})"
        assert self.interval is not None
        return f"every {format_duration(self.interval)}"

    def to_prefect(self) -> Any:
        from prefect.schedules import Cron, Interval

        if self.cron is not None:
            return Cron(self.cron, timezone=self.timezone)
        return Interval(self.interval, timezone=self.timezone)


def parse_duration(text: str) -> timedelta:
    """`90s`, `30m`, `1h`, `1d` or a sum such as `1h30m`, as a timedelta.

    Examples
    --------
    >>> parse_duration("1h30m")
    datetime.timedelta(seconds=5400)
    """
    compact = text.strip().lower().replace(" ", "")
    parts = _DURATION.findall(compact)
    seconds = sum(int(n) * _UNIT_SECONDS[unit] for n, unit in parts)
    if not parts or "".join(n + u for n, u in parts) != compact or seconds <= 0:
        raise DeployError(
            f"--interval {text!r} is not a duration: write it as 90s, 30m, 1h, 1d or 1h30m"
        )
    return timedelta(seconds=seconds)


def format_duration(interval: timedelta) -> str:
    """The shortest `1h30m` form of a duration, as `parse_duration` reads it back.

    Examples
    --------
    >>> format_duration(timedelta(hours=1, minutes=30))
    '1h30m'
    """
    seconds, out = int(interval.total_seconds()), ""
    for unit, size in _UNIT_SECONDS.items():
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    return out or "0s"


def parse_schedule(
    *, cron: str | None, interval: str | None, timezone: str | None = None
) -> Schedule:
    """Check the schedule options of `curate deploy`: exactly one of cron and interval."""
    if cron is None and interval is None:
        raise DeployError(
            'no schedule: pass --cron "0 2 * * *" (every night at 02:00) or --interval 1h'
        )
    if cron is not None and interval is not None:
        raise DeployError("two schedules: pass either --cron or --interval, not both")
    zone = timezone or local_timezone()
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(zone)
    except (ValueError, KeyError, OSError):
        raise DeployError(
            f"--timezone {zone!r} is not an IANA time zone: write it as Europe/Berlin or UTC"
        ) from None
    if interval is not None:
        return Schedule(interval=parse_duration(interval), timezone=zone)
    from prefect._internal.schemas.validators import validate_cron_string

    try:
        validate_cron_string(cron)
    except ValueError:
        raise DeployError(
            f"--cron {cron!r} is not a cron expression: write five fields, such as "
            '"0 2 * * *" for 02:00 every night'
        ) from None
    return Schedule(cron=cron, timezone=zone)


def local_timezone() -> str:
    """This machine's IANA time zone, so that `--cron "0 2 * * *"` means 02:00 here."""
    from zoneinfo import available_timezones

    known = available_timezones()
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        candidates.append(str(localtime.resolve()).partition("zoneinfo/")[2])
    timezone_file = Path("/etc/timezone")
    if timezone_file.is_file():
        candidates.append(timezone_file.read_text(encoding="utf-8").strip())
    return next((zone for zone in candidates if zone in known), "UTC")


def api_url(port: int) -> str:
    return f"http://{LOOPBACK}:{port}/api"


SERVER_DATABASE = "server.db"


def server_environment(workspace: Workspace, port: int) -> dict[str, str]:
    """Prefect settings of the workspace's server: loopback, database inside, nothing phoned home.

    The scheduler's own defaults stay: a new or changed deployment gets its runs within about
    5 s (`PREFECT_SERVER_SERVICES_SCHEDULER_RECENT_DEPLOYMENTS_LOOP_SECONDS`), which is all a
    short test interval needs.
    """
    database = workspace.prefect_home / SERVER_DATABASE
    return {
        "PREFECT_HOME": str(workspace.prefect_home),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{database}",
        "PREFECT_SERVER_API_HOST": LOOPBACK,
        "PREFECT_SERVER_API_PORT": str(port),
        # what the server's own services would call, never an outside API
        "PREFECT_API_URL": api_url(port),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        # the UI's bundle is local, but nothing here needs it: one fewer surface
        "PREFECT_SERVER_UI_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        **loopback_without_proxy(),
    }


def client_environment(workspace: Workspace, url: str) -> dict[str, str]:
    """Prefect settings of a process that talks to the workspace's server (deploy, list)."""
    return {
        "PREFECT_HOME": str(workspace.prefect_home),
        "PREFECT_API_URL": url,
        **loopback_without_proxy(),
    }


def loopback_without_proxy() -> dict[str, str]:
    """`NO_PROXY` extended with loopback: httpx would send even 127.0.0.1 through `$HTTP_PROXY`.

    Prefect's client honours the proxy variables; with a proxy configured for the machine, every
    call to the local server, flow-run states and logs included, would leave it.
    """
    current = os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or ""
    entries = [e for e in current.split(",") if e.strip()]
    merged = ",".join(entries + [h for h in ("127.0.0.1", "localhost", "::1") if h not in entries])
    return {"NO_PROXY": merged, "no_proxy": merged}


def apply_environment(environment: dict[str, str]) -> None:
    """Set Prefect settings in this process, after `prefect` may already have read them."""
    from prefect.context import refresh_global_settings_context

    enforce_offline()
    os.environ.update(environment)
    refresh_global_settings_context()


def read_server_file(workspace: Workspace) -> dict[str, Any] | None:
    """The running server recorded in the workspace, or None if none is recorded alive."""
    path = workspace.prefect_home / SERVER_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        pid = int(record["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return record if _alive(pid) else None


def resolve_api_url(workspace: Workspace) -> str:
    """`$PREFECT_API_URL`, else the server `curate server` recorded, else the default port."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"].rstrip("/")
    record = read_server_file(workspace)
    return record["api_url"] if record else api_url(DEFAULT_PORT)


def check_server(url: str) -> None:
    """Refuse early, in one line, when no Prefect server answers at `url`."""
    try:
        response = httpx.get(f"{url}/health", timeout=5, trust_env=False)
        healthy = response.status_code == 200
    except httpx.HTTPError:
        healthy = False
    if not healthy:
        raise DeployError(
            f"no Prefect server answers at {url}: start `curate server` first (or set "
            "PREFECT_API_URL to a running server)"
        )


def check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            raise DeployError(
                f"port {port} on {LOOPBACK} is in use: pass another --port, or stop what holds it"
            ) from None


def serve_server(
    workspace: Workspace, *, port: int = DEFAULT_PORT, announce: Callable[[str], None]
) -> None:
    """Run the workspace's Prefect server in this process until SIGINT or SIGTERM.

    In-process rather than a child: the server is this command, so it cannot outlive it.
    `announce(api_url)` is called once the server accepts connections.
    """
    running = read_server_file(workspace)
    if running:
        raise DeployError(
            f"this workspace's Prefect server is already running (pid {running['pid']}) at "
            f"{running['api_url']}: use it, or stop it first"
        )
    check_port_free(port)
    apply_environment(server_environment(workspace, port))
    from flows.prefect_database import seed_new_database

    # a new workspace's server database starts as the empty migrated copy a run left
    seed_new_database(workspace.prefect_home / SERVER_DATABASE)
    import uvicorn
    from prefect.server.api.server import create_app

    url = api_url(port)
    record = workspace.prefect_home / SERVER_FILE

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                record.write_text(
                    json.dumps({"api_url": url, "pid": os.getpid()}), encoding="utf-8"
                )
                announce(url)

    config = uvicorn.Config(
        create_app(final=True),
        host=LOOPBACK,
        port=port,
        log_level="warning",
        # a connected `curate deploy` keeps a websocket open: do not wait on it forever
        timeout_graceful_shutdown=5,
    )
    # uvicorn re-raises the signal that stopped it once its own handlers are gone; these
    # handlers receive it, so SIGTERM ends the command with status 0 instead of killing it.
    previous = {sig: signal.signal(sig, _ignore_signal) for sig in _STOP_SIGNALS}
    try:
        _Server(config).run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        record.unlink(missing_ok=True)


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _ignore_signal(signum: int, frame: Any) -> None:
    """A stop signal arriving after the server has stopped: nothing left to do."""


def deployment_name(spec: DatasetSpec, name: str | None) -> str:
    return name or spec.name


def check_schedulable(spec: DatasetSpec, workspace: Workspace) -> None:
    """Refuse a spec that would fail every scheduled run, before anything is registered."""
    from flows.run import check_before_run

    if spec.output.version:
        raise DeployError(
            f"output.version {spec.output.version!r} would name every scheduled run's version "
            f"the same: remove output.version from {spec.path}"
        )
    check_before_run(spec, workspace, None)


def die_with_parent() -> None:
    """Make this flow-run process end when the `curate deploy` that started it dies.

    Linux delivers SIGTERM on the parent's death (`PR_SET_PDEATHSIG`); the flow then fails
    and discards its staging like any interrupted run. If the parent already died before
    this call, exit now. Elsewhere, or when not started by a serving process, do nothing.
    """
    parent = os.environ.get(SERVE_PID_ENV)
    if not parent or not sys.platform.startswith("linux"):
        return
    if os.getppid() != int(parent):
        if _alive(int(parent)):
            return  # not its direct child (another executor): its parent's life is not ours
        raise SystemExit("the serving process ended before this run started")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != int(parent):  # died between the check and prctl
        raise SystemExit("the serving process ended before this run started")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@flow(name=FLOW_NAME, log_prints=False)
def scheduled_curate(spec_path: str, workspace_root: str, incremental: bool) -> dict:
    """One scheduled run of a dataset: load the spec, then the same run as `curate run`.

    Parameters are JSON (the spec's path, not the loaded spec) so the server can store them; the
    spec is read at run time, so an edited spec applies from the next run on.
    """
    die_with_parent()
    summary = run_scheduled(spec_path, workspace_root, incremental=incremental).as_dict()
    get_run_logger().info(
        "%s@%s: inputs %s, kept %s, dropped %s, quarantined %s",
        summary.get("dataset"),
        summary.get("version"),
        summary.get("inputs"),
        summary.get("kept"),
        summary.get("dropped"),
        summary.get("quarantined"),
    )
    return summary


def run_scheduled(
    spec_path: str | Path, workspace_root: str | Path, *, incremental: bool
) -> RunSummary:
    """One run of a deployment: continue the dataset's interrupted run when there is one,
    else a new run.

    A run killed mid-way (out of memory, a reboot, kill -9) left staged batches that the next
    scheduled run would otherwise sweep and redo; resuming keeps every finished batch (PII
    included) and the interrupted run's own options. The spec must be unchanged: a run under
    an edited spec starts over.
    """
    from curation.runs import find_resumable_run
    from curation.spec import load_spec
    from curation.workspace import resolve_workspace
    from flows.run import run_spec

    spec = load_spec(spec_path)
    workspace = resolve_workspace(workspace_root).ensure()
    interrupted = find_resumable_run(workspace.runs, spec.table_name, spec.fingerprint)
    if interrupted is not None:
        return run_spec(spec, workspace=workspace, resume=True)
    return run_spec(spec, workspace=workspace, incremental=incremental)


def serve_deployment(
    spec_path: Path,
    workspace: Workspace,
    schedule: Schedule,
    *,
    incremental: bool,
    name: str | None = None,
    announce: Callable[[str], None],
) -> None:
    """Register the dataset's deployment and serve its scheduled runs until SIGTERM or SIGINT.

    One run at a time (`limit=1`): two runs of one dataset would race for the same next
    version. On SIGTERM or SIGINT the deployment's schedule is paused, so the server does not
    pile up late runs that nobody serves, and this returns normally.
    """
    from curation.spec import load_spec

    spec = load_spec(spec_path)
    check_schedulable(spec, workspace)
    url = resolve_api_url(workspace)
    check_server(url)
    deployment = deployment_name(spec, name)
    with _serving_lock(workspace, deployment):
        apply_environment(client_environment(workspace, url))
        os.environ[SERVE_PID_ENV] = str(os.getpid())
        announce(
            f"serving {FLOW_NAME}/{deployment} ({schedule.describe()}"
            f"{', incremental' if incremental else ''}) against {url}; Ctrl-C or SIGTERM "
            "pauses it and stops"
        )
        deadline = _StopDeadline(STOP_SECONDS, url)
        try:
            _serve(
                deployment,
                schedule,
                {
                    "spec_path": str(spec.path),
                    "workspace_root": str(workspace.root),
                    "incremental": incremental,
                },
                tags=["curate", spec.table_name],
                deadline=deadline,
            )
        finally:
            # The runner pauses on a clean stop; this also covers a stop during registration
            # and drops the runs that fell due while stopping.
            deadline.arm()
            _pause(f"{FLOW_NAME}/{deployment}", url)
            deadline.cancel()


# Stopping cancels a run in flight (its staging is discarded) and pauses the schedule: seconds
# with a server that answers. Past this, the server is gone and waiting longer helps nobody.
STOP_SECONDS = 60.0


class _StopDeadline:
    """Ends the process if stopping takes longer than `seconds` (the server stopped answering)."""

    def __init__(self, seconds: float, url: str) -> None:
        self.seconds = seconds
        self.url = url
        self.timer: threading.Timer | None = None

    def arm(self) -> None:
        if self.timer is None:
            self.timer = threading.Timer(self.seconds, self._give_up)
            self.timer.daemon = True
            self.timer.start()

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()

    def _give_up(self) -> None:
        sys.stderr.write(
            f"error: could not stop within {self.seconds:.0f} s: the Prefect server at "
            f"{self.url} does not answer, so the schedule may still be active; start the "
            "server and stop a `curate deploy` of this spec again to pause it\n"
        )
        sys.stderr.flush()
        # flow-run processes end with this one (die_with_parent)
        os._exit(2)


def _serve(
    deployment: str,
    schedule: Schedule,
    parameters: dict[str, Any],
    *,
    tags: list[str],
    deadline: _StopDeadline,
) -> None:
    """What `Flow.serve` does, with a runner whose stop is quiet and bounded in time.

    `Flow.serve`'s runner answers SIGTERM by raising SystemExit from inside its event loop
    (tracebacks, and no limit on how long stopping may take); this one asks the loop to stop
    the runner, which cancels a run in flight and pauses the schedule on its way out, and
    treats SIGINT the same way.
    """
    from prefect.runner import Runner

    class _Runner(Runner):
        def handle_sigterm(self, *args: Any, **kwargs: Any) -> None:
            deadline.arm()
            if self.stopping:
                return
            if self._loop is None or not self.started:
                raise SystemExit(0)  # still registering: nothing runs yet
            self.stopping = True
            self._loop.call_soon_threadsafe(self._stop_soon)

        def _stop_soon(self) -> None:
            self._stop_task = asyncio.ensure_future(self.astop())

    runner = _Runner(name=deployment, pause_on_shutdown=True, limit=1)
    signal.signal(signal.SIGTERM, runner.handle_sigterm)
    signal.signal(signal.SIGINT, runner.handle_sigterm)
    try:
        runner.add_flow(
            scheduled_curate,
            name=deployment,
            schedule=schedule.to_prefect(),
            paused=False,
            parameters=parameters,
            tags=tags,
        )
        asyncio.run(runner.start())
    except SystemExit as stop:
        if stop.code not in (0, None):
            raise


@contextmanager
def _serving_lock(workspace: Workspace, deployment: str) -> Iterator[None]:
    """One serving process per deployment and workspace: a second would pause the first's."""
    import fcntl

    folder = workspace.prefect_home / "serving"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (re.sub(r"[^A-Za-z0-9_.-]", "_", deployment) + ".lock")
    with open(path, "a+", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip()
            raise DeployError(
                f"{FLOW_NAME}/{deployment} is already served by `curate deploy`"
                f"{f' (pid {holder})' if holder.isdigit() else ''}: stop that one first, or "
                "pass another --name"
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        yield  # the lock goes with the file's closing, or with the process


def _pause(full_name: str, url: str) -> None:
    """Pause a deployment (idempotent) and drop its due runs; one line when the server is gone.

    The client's `pause_deployment` (what the runner calls on its way out) removes only the
    auto-scheduled runs still in the future; runs already due but never started stay, and the
    next `curate deploy` of this dataset would run them back to back. The server's own pause
    route removes every auto-scheduled run that has not started.
    """
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    try:
        with get_client(sync_client=True) as client:
            deployment_id = client.read_deployment_by_name(full_name).id
            client.request(
                "POST", "/deployments/{id}/pause_deployment", path_params={"id": deployment_id}
            )
    except ObjectNotFound:
        pass  # never registered: a stop during registration
    except (OSError, httpx.HTTPError) as error:
        raise DeployError(
            f"stopped serving, but could not pause {full_name}: the Prefect server at {url} "
            f"does not answer ({type(error).__name__}); start it and stop a `curate deploy` "
            "of this spec again to pause it"
        ) from error


def list_deployments(workspace: Workspace) -> list[dict[str, Any]]:
    """Every deployment on the workspace's server: schedule, paused or active, next and last run."""
    from prefect.client.orchestration import get_client

    url = resolve_api_url(workspace)
    check_server(url)
    apply_environment(client_environment(workspace, url))
    with get_client(sync_client=True) as client:
        flows = {f.id: f.name for f in client.read_flows()}
        return [
            _describe(client, deployment, flows.get(deployment.flow_id, "?"))
            for deployment in client.read_deployments()
        ]


def _describe(client: SyncPrefectClient, deployment: Any, flow_name: str) -> dict[str, Any]:
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    def one_run(types: FlowRunFilterStateType, sort: FlowRunSort) -> FlowRun | None:
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=types)),
            sort=sort,
            limit=1,
        )
        return runs[0] if runs else None

    scheduled = FlowRunFilterStateType(any_=[StateType.SCHEDULED])
    upcoming = one_run(scheduled, FlowRunSort.EXPECTED_START_TIME_ASC)
    started = FlowRunFilterStateType(not_any_=[StateType.SCHEDULED])
    last = one_run(started, FlowRunSort.EXPECTED_START_TIME_DESC)
    return {
        "deployment": f"{flow_name}/{deployment.name}",
        "id": str(deployment.id),
        "schedules": [_describe_schedule(s.schedule) for s in deployment.schedules],
        "status": "paused" if deployment.paused else "active",
        "paused": bool(deployment.paused),
        "parameters": deployment.parameters,
        "next_run": _iso(upcoming.expected_start_time) if upcoming else None,
        "last_run": _describe_run(last) if last else None,
    }


def _describe_schedule(schedule: Any) -> str:
    if getattr(schedule, "cron", None):
        return f"cron {schedule.cron} ({schedule.timezone or 'UTC'})"
    if getattr(schedule, "interval", None):
        return f"every {format_duration(schedule.interval)}"
    return str(getattr(schedule, "rrule", schedule))


def _describe_run(run: FlowRun) -> dict[str, Any]:
    when = run.end_time or run.start_time or run.expected_start_time
    return {
        "id": str(run.id),
        "name": run.name,
        "state": run.state.name if run.state else None,
        "time": _iso(when),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None
