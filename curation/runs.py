"""A run's folder in the workspace: staging layout, ownership lock, cleanup.

`runs/<run_id>/` holds the run's staged document batches (`documents/`, unredacted until the
PII stage: removed when the run ends, whatever the outcome), its ledger parts (`ledger/`),
`owner.lock` (held by the live process) and, afterwards, `summary.json` or `error.json`.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import traceback
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from curation.exceptions import CurationError


def new_run_id() -> str:
    """A sortable, unique run id: UTC time plus a random suffix."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class RunPaths:
    """The staging layout of one run inside the workspace."""

    root: Path

    @property
    def documents(self) -> Path:
        return self.root / "documents"

    @property
    def ledger(self) -> Path:
        return self.root / "ledger"

    @property
    def owner(self) -> Path:
        return self.root / "owner.lock"

    @property
    def record(self) -> Path:
        """`run.json`: what the run is for (dataset, spec fingerprint, options), so an
        interrupted run can be found and resumed with the same options."""
        return self.root / "run.json"

    @property
    def steps_done(self) -> Path:
        """One JSON file per finished step that spans batches (a source's ingest, dedup)."""
        return self.root / "done"

    def write_record(self, record: dict[str, Any]) -> None:
        if not self.record.exists():
            self.record.write_text(json.dumps(record, indent=2, sort_keys=True))

    def read_record(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.record.read_text())
        except (OSError, ValueError):
            return None

    def mark_done(self, step: str, outputs: list[Path], **extra: Any) -> None:
        """Record that `step` finished with these staged outputs (written after them, atomically)."""
        self.steps_done.mkdir(parents=True, exist_ok=True)
        record = {"outputs": [str(p.relative_to(self.root)) for p in outputs], **extra}
        temporary = self.steps_done / f".{step}.json.partial"
        temporary.write_text(json.dumps(record))
        temporary.replace(self.steps_done / f"{step}.json")

    def done(self, step: str) -> dict[str, Any] | None:
        """A finished step's record with its outputs as paths, or None when it must run (not
        finished, or an output is gone)."""
        try:
            record = json.loads((self.steps_done / f"{step}.json").read_text())
        except (OSError, ValueError):
            return None
        outputs = [self.root / p for p in record["outputs"]]
        if not all(p.exists() for p in outputs):
            return None
        return {**record, "outputs": outputs}

    @property
    def resumable(self) -> bool:
        """A run whose process died mid-way: staged batches left, no outcome recorded."""
        return (
            self.documents.is_dir()
            and not (self.root / "summary.json").exists()
            and not (self.root / "error.json").exists()
            and self.read_record() is not None
            and not self.is_alive()
        )

    def is_alive(self) -> bool:
        """Whether a process holds this run's lock (this one included)."""
        if str(self.root) in _CLAIMS:
            return True
        if not self.owner.exists():
            return False
        with self.owner.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
        return False

    def ensure(self) -> RunPaths:
        self.documents.mkdir(parents=True, exist_ok=True)
        self.ledger.mkdir(parents=True, exist_ok=True)
        self.claim()
        return self

    def claim(self) -> None:
        """Hold an exclusive lock on `owner.lock` while this process runs: a later run can tell
        a live run (lock held, whatever its PID namespace) from a dead one (lock free)."""
        if str(self.root) in _CLAIMS:
            return
        handle = self.owner.open("a+")
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "started": time.time()}))
        handle.flush()
        _CLAIMS[str(self.root)] = handle

    def release(self) -> None:
        handle = _CLAIMS.pop(str(self.root), None)
        if handle is not None:
            handle.close()  # closing drops the lock

    def discard_staging(self, error: BaseException) -> None:
        """After a failed run: staged batches hold unredacted text, so they go; the ledger
        parts (ids, stages, reasons; no values) and what failed stay for the post-mortem.

        Only our own errors keep their message (they name keys, paths and counts, never
        document values); a library's message may quote a value, so only its type and the
        line that raised it are kept.
        """
        shutil.rmtree(self.documents, ignore_errors=True)
        record: dict[str, Any] = {"error": type(error).__name__}
        if isinstance(error, CurationError):
            record["message"] = str(error)[:2000]
        else:
            frames = traceback.extract_tb(error.__traceback__)
            if frames:
                record["raised_at"] = f"{frames[-1].filename}:{frames[-1].lineno}"
            record["message"] = "not kept (it may quote document values); see the run's log"
        (self.root / "error.json").write_text(json.dumps(record, indent=2))

    def finish(self, summary: dict[str, Any]) -> None:
        """After the commit: keep the run's counts, remove staging. Staged batches hold
        unredacted text: once the version is committed they must not linger."""
        (self.root / "summary.json").write_text(json.dumps(summary, indent=2))
        shutil.rmtree(self.documents, ignore_errors=True)
        shutil.rmtree(self.ledger, ignore_errors=True)
        shutil.rmtree(self.root / "inputs", ignore_errors=True)  # persisted for the next run

    def ledger_rows_by_stage(
        self, seen: dict[str, tuple[str, int]] | None = None
    ) -> dict[str, int]:
        """Ledger rows written so far per stage (from the staged parts' footers), for progress.

        Parts are written once, atomically, so `seen` (file name -> (stage, rows)) lets a
        poller read each footer only once.
        """
        import pyarrow.parquet as pq

        seen = {} if seen is None else seen
        for part in self.ledger.glob("*.parquet"):
            if part.name not in seen:
                try:
                    rows = pq.read_metadata(part).num_rows
                except (OSError, ValueError):
                    continue  # removed while we looked
                seen[part.name] = (part.name.partition("-")[0].removesuffix(".parquet"), rows)
        counts: dict[str, int] = {}
        for stage, rows in seen.values():
            counts[stage] = counts.get(stage, 0) + rows
        return counts


# Run folders this process holds: root -> open lock file (kept open for the lock's lifetime).
_CLAIMS: dict[str, Any] = {}


def find_resumable_run(runs_root: Path, dataset: str, spec_fingerprint: str) -> RunPaths | None:
    """The newest interrupted run of `dataset` under the same spec, if any."""
    candidates = []
    for record_path in runs_root.glob("*/run.json"):
        paths = RunPaths(record_path.parent)
        record = paths.read_record() or {}
        if (
            record.get("dataset") == dataset
            and record.get("spec_fingerprint") == spec_fingerprint
            and paths.resumable
        ):
            candidates.append(paths)
    return max(candidates, key=lambda p: p.root.name, default=None)


def sweep_dead_runs(runs_root: Path) -> list[str]:
    """Remove the staged documents of runs whose process is gone (a killed run never reaches
    its own cleanup); returns their run ids. A run whose `owner.lock` is held is alive and is
    left alone."""
    swept = []
    for owner in sorted(runs_root.glob("*/owner.lock")):
        documents = owner.parent / "documents"
        if str(owner.parent) in _CLAIMS or not documents.exists():
            continue
        try:
            with owner.open("a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(documents, ignore_errors=True)
        except BlockingIOError:
            continue  # held: that run is alive
        except OSError:
            continue
        swept.append(owner.parent.name)
    return swept
