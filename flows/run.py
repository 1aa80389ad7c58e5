"""Run a dataset spec: validate everything that can be checked, then the Prefect flow.

`run_spec` is the library's one call for a whole run (`curation.run` is the same function);
the CLI, the demo and the tests use it. Everything a user can get wrong and that can be checked
without reading documents (the spec, the version name, the PII policy's keys and lists) is
checked before the flow starts, so such a mistake costs seconds, not a pass over the corpus.
The run's Prefect server starts before those checks and the flow's imports, which overlap its
start-up; a failed check stops it. A Dask run's LocalCluster starts its scheduler meanwhile
and its workers as the flow starts (`flows.dask_cluster`).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from curation.exceptions import CurationError
from curation.runs import RunPaths, find_resumable_run, new_run_id

if TYPE_CHECKING:
    from catalogs.commit import RunSummary
    from curation.spec import DatasetSpec
    from curation.workspace import Workspace
    from flows.run_server import StartedServer


class NothingToResume(CurationError):
    """`--resume` with no interrupted run of the dataset under the same spec."""


# Called with (stage name, documents decided since the last call).
OnProgress = Callable[[str, int], None]


def run_spec(
    spec: DatasetSpec | str | Path,
    *,
    workspace: Workspace | str | Path | None = None,
    incremental: bool = False,
    version: str | None = None,
    on_progress: OnProgress | None = None,
    resume: bool = False,
    verify: bool = False,
    server: StartedServer | None = None,
) -> RunSummary:
    """Curate `spec` (a loaded spec or its file) into a new version of its dataset.

    `workspace`: a folder or `Workspace` (default: `$CURATE_WORKSPACE`, else the user's data
    folder). `version`: the new version's name (default: the spec's `output.version`, else the
    next `v<n>`). `on_progress(stage, n)` is called from a watcher thread as stages record
    decisions (it reads the run's staged ledger parts, so it sees work done on Dask workers too).
    `resume`: continue the newest run of this dataset and spec whose process died, with its
    options, skipping every batch it finished; an error when there is none.
    `verify`: an incremental run reads and hashes every input again instead of trusting an
    unchanged size and mtime (ETag on object stores): for a store whose clocks or tools may
    keep a file's stat across a change of its content.
    `server`: the run's private Prefect server, started by the caller with
    `flows.run_server.server_process` so that its start overlaps the caller's own work (the
    CLI loads and checks the spec meanwhile); without one, it is started here.
    """
    from curation.offline import enforce_offline
    from curation.spec import DatasetSpec, load_spec
    from curation.workspace import Workspace, resolve_workspace

    enforce_offline()
    ws = workspace if isinstance(workspace, Workspace) else resolve_workspace(workspace)
    ws = ws.ensure()
    os.environ.setdefault("PREFECT_HOME", str(ws.prefect_home))
    from flows.run_server import connect, server_process

    with contextlib.ExitStack() as stack:
        if server is None:
            # started first: its seconds of start-up overlap the spec's loading, the checks
            # and the imports below (a failure among them stops it)
            server = stack.enter_context(server_process())
        loaded = spec if isinstance(spec, DatasetSpec) else load_spec(spec)
        from flows.dask_cluster import local_cluster_for

        # a LocalCluster (Dask without an address) starts its scheduler now and its workers
        # as the flow starts (`runner.result()`), so they start and import the stages while
        # the flow sets up and ingests; it is closed with the run
        runner = stack.enter_context(local_cluster_for(loaded.runner, preload=WORKER_MODULES))
        run_id = new_run_id()
        if resume:
            interrupted = find_resumable_run(ws.runs, loaded.table_name, loaded.fingerprint)
            if interrupted is None:
                raise NothingToResume(
                    f"no interrupted run of {loaded.table_name} under this spec to resume: "
                    "run without --resume"
                )
            record = interrupted.read_record() or {}
            run_id, incremental = interrupted.root.name, bool(record.get("incremental"))
            verify = bool(record.get("verify", verify))
            version = record.get("version_name")
            # the interrupted run checked its version name before it started; a retry of its
            # commit finds the version of its run id, so the name is not checked again
        else:
            check_before_run(loaded, ws, version)

        from flows.curate_flow import flow_for_runner

        if server is not None:
            import_while_starting(server)
        if loaded.runner.type != "dask":
            # the flow process runs the PII stage: its models load while the flow run is
            # created and the sources are read (Dask workers load their own)
            from curation.pii.stage import warm_in_background

            warm_in_background(loaded.pii)
        watcher = _ProgressWatcher(RunPaths(ws.runs / run_id), on_progress) if on_progress else None
        if watcher:
            watcher.start()
        try:
            with connect(server):
                return flow_for_runner(runner.result())(
                    spec=loaded,
                    workspace_root=str(ws.root),
                    version_name=version,
                    run_id=run_id,
                    incremental=incremental,
                    verify=verify,
                )
        finally:
            if watcher:
                watcher.stop()


# What every run's flow imports before or during its first steps (the stages, the catalog,
# the PII engine that the first PII batch builds, and the libraries they import on first use),
# imported while the run's server starts rather than after.
RUN_MODULES = (
    "curation.pipeline",
    "licensing.stage",
    "filters.stage",
    "curation.dedup.stage",
    "curation.pii.stage",
    "curation.pii.engine",
    "curation.ingest.known",
    "catalogs.incremental",
    "catalogs.erasure",
    "catalogs.signature_index",
    "pyiceberg.catalog.sql",
    "pyarrow.dataset",
    "duckdb",
    "presidio_analyzer",
)


# What the tasks on Dask workers import: the flow's module (a task is pickled by reference
# to it), the stages and the PII engine; a LocalCluster's workers import them as they start.
WORKER_MODULES = (
    "flows.curate_flow",
    "curation.pipeline",
    "licensing.stage",
    "filters.stage",
    "curation.dedup.stage",
    "curation.pii.stage",
    "curation.pii.engine",
    "presidio_analyzer",
)


def import_while_starting(server: StartedServer) -> None:
    """Import `RUN_MODULES` while `server` is not answering yet: the wait becomes work the
    flow would do anyway, and the run connects as soon as the server is up."""
    import importlib

    for name in RUN_MODULES:
        if server.answers():
            return
        importlib.import_module(name)


def check_before_run(spec: DatasetSpec, workspace: Workspace, version: str | None) -> None:
    """Refuse, before any document is read, what would fail the run later."""
    from catalogs.registry import CatalogSettings, open_catalog
    from catalogs.versions import check_new_version_name, validate_version_name
    from curation.pii.engine import validate_policy

    wanted = version or spec.output.version
    if wanted:
        validate_version_name(wanted)  # no catalog needed: fails fast on a malformed name
        settings = CatalogSettings.for_workspace(
            workspace, uri=spec.output.catalog_uri, warehouse=spec.output.warehouse
        )
        check_new_version_name(open_catalog(settings), spec.table_name, wanted)
    validate_policy(spec.pii)


class _ProgressWatcher:
    """Polls a run's staged ledger parts and reports new decisions per stage."""

    def __init__(self, paths: RunPaths, on_progress: OnProgress, interval: float = 0.5) -> None:
        self.paths = paths
        self.on_progress = on_progress
        self.interval = interval
        self.seen: dict[str, tuple[str, int]] = {}
        self.reported: dict[str, int] = {}
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="curate-progress", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.done.set()
        self.thread.join(timeout=5)
        self._poll()

    def _loop(self) -> None:
        while not self.done.wait(self.interval):
            self._poll()

    def _poll(self) -> None:
        if self.paths.ledger.is_dir():
            totals = self.paths.ledger_rows_by_stage(self.seen)
        else:
            totals = self._final_totals()  # staging removed after the commit
        for stage, total in totals.items():
            new = total - self.reported.get(stage, 0)
            if new > 0:
                self.reported[stage] = total
                self.on_progress(stage, new)

    def _final_totals(self) -> dict[str, int]:
        """Per-stage decisions from the finished run's `summary.json`, so stages that ran
        between two polls are still reported once staging is gone."""
        import json

        try:
            by_stage = json.loads((self.paths.root / "summary.json").read_text())["by_stage"]
        except (OSError, ValueError, KeyError):
            return {}
        return {stage: sum(counts.values()) for stage, counts in by_stage.items()}
