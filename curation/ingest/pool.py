"""Extraction in worker processes, so a hanging or crashing parser costs one file, not the run.

`concurrent.futures.ProcessPoolExecutor` cannot kill one running task and marks the whole pool
broken when a worker dies, so this is a small pool of its own. Workers are plain subprocesses
(`python -m curation.ingest.worker`), not multiprocessing children: they never re-import the
caller's `__main__` (a script without a main guard, a CLI, a Prefect task all work), and their
stdout goes nowhere near the caller's (`--json` output stays clean). Each worker owns a socket,
gets one file at a time and has a deadline. A worker past its deadline is killed and replaced
(`ingest.timeout`); a worker that dies (segfault, out of memory) is replaced and its file
quarantined (`ingest.worker_crash`). Workers read the file themselves, so the bytes are read
once and hashed where they are parsed. Results come back in submission order.

A container file (archive, mailbox) sends each member back as soon as it is extracted, and
each member restarts the deadline: the timeout bounds one member, not the whole archive, and
the members already sent survive a timeout or crash later in the same file. A worker about to
read pages by OCR says how many (`OcrPages`), and the deadline of that file or member grows by
their allowance (`extraction_limit_s`): OCR costs seconds a page, other formats milliseconds.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from pathlib import Path

from curation.exceptions import ExtractionError
from curation.ingest.extract import extract_bytes, read_limited
from curation.ingest.extract.base import Extracted, ExtractLimits, extraction_limit_s
from curation.ingest.extract.containers import Member, container_kind, expand
from curation.ingest.reasons import IngestReason

# Address-space cap per worker: bounds what one decompression or parse can allocate. Measured:
# a worker with trafilatura, pypdf, python-docx, openpyxl and python-pptx imported maps ~0.6 GB.
DEFAULT_WORKER_MEMORY_BYTES = 4 * 1024**3
_START_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Task:
    """One file to extract: `path` is opened without following a final symlink.

    `kind` forces a container kind (`maildir`: one message file of a Maildir, located by its
    unique name `key`); None lets the name and bytes decide. `limits`: this file's source's
    limits, when they are not the pool's (one pool serves every folder source of a run).
    """

    path: str
    name: str
    kind: str | None = None
    key: str | None = None
    limits: ExtractLimits | None = None


@dataclass(frozen=True)
class OcrPages:
    """A worker's notice that the file it holds has `pages` pages to read by OCR."""

    pages: int


@dataclass(frozen=True)
class Outcome:
    """Either `extracted` or (`reason`, `message`, `error_class`); hash and size when read.

    For a container (`container` true) the documents are `members`; a `reason` then means the
    container itself failed (could not be opened, held nothing, or stopped part-way) and gets
    its own quarantined row beside the members it did yield.
    """

    extracted: Extracted | None
    sha256: str | None
    size: int | None
    reason: str | None = None
    message: str | None = None
    error_class: str | None = None
    members: tuple[Member, ...] = ()
    container: bool = False


def run_task(
    task: Task, limits: ExtractLimits, on_member: Callable[[Member], None] | None = None
) -> Outcome:
    """Read, hash and extract one file, turning every failure into a quarantine outcome.

    Members of a container go to `on_member` as they come (the worker streams them); without
    it they are collected into the outcome.
    """
    sha256 = size = None
    collected: list[Member] = []
    emit = on_member or collected.append
    container = False
    try:
        data = read_limited(Path(task.path), limits.max_file_bytes)
        sha256, size = hashlib.sha256(data).hexdigest(), len(data)
        kind = task.kind or container_kind(task.name, data[:8192])
        if kind is None:
            return Outcome(extract_bytes(data, task.name, limits=limits), sha256, size)
        container = True
        for member in expand(data, task.name, kind=kind, limits=limits, key=task.key):
            emit(member)
        return Outcome(None, sha256, size, members=tuple(collected), container=True)
    except ExtractionError as error:
        cause = error.__cause__
        error_class = type(cause).__name__ if cause is not None else "ExtractionError"
        return Outcome(
            None,
            sha256,
            size,
            error.reason,
            str(error),
            error_class,
            tuple(collected),
            container,
        )
    except MemoryError:
        return Outcome(
            None,
            sha256,
            size,
            IngestReason.PARSE_ERROR.value,
            f"{task.name!r}: parsing needed more memory than a worker may use",
            "MemoryError",
            tuple(collected),
            container,
        )
    except RecursionError:
        return Outcome(
            None,
            sha256,
            size,
            IngestReason.PARSE_ERROR.value,
            f"{task.name!r}: structure nested too deeply to parse",
            "RecursionError",
            tuple(collected),
            container,
        )


class _Worker:
    """One worker subprocess and its end of a socket pair."""

    def __init__(self, limits: ExtractLimits, memory_bytes: int | None) -> None:
        parent, child = socket.socketpair()
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "curation.ingest.worker", str(child.fileno())],
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            env=env,
            close_fds=True,
        )
        child.close()
        self.connection = Connection(parent.detach())
        self.connection.send((limits, memory_bytes))
        self.key: int | None = None
        self.deadline = 0.0
        self.limit_s = 0.0  # what the current deadline allows, for the timeout's message
        self.ready = False

    def wait_ready(self) -> None:
        """Block until the worker has started, so start-up never counts against a deadline."""
        if self.ready:
            return
        try:
            if self.connection.poll(_START_TIMEOUT_S) and self.connection.recv() == "ready":
                self.ready = True
                return
        except (EOFError, OSError):
            pass
        self.stop(kill=True)
        raise ExtractionError(
            IngestReason.WORKER_CRASH,
            f"an extraction worker ({sys.executable} -m curation.ingest.worker) did not start "
            f"within {_START_TIMEOUT_S:g} s: check that the environment imports curation",
        )

    def submit(self, key: int, task: Task, timeout_s: float) -> None:
        self.key = key
        self.deadline = time.monotonic() + timeout_s
        self.limit_s = timeout_s
        self.connection.send(task)

    def stop(self, *, kill: bool = False) -> None:
        if not kill:
            kill = not self.ask_to_stop()
        self.end(kill=kill)

    def ask_to_stop(self) -> bool:
        """Tell an idle worker to exit; False when it cannot be told (it is gone)."""
        try:
            self.connection.send(None)
        except (OSError, ValueError):
            return False
        return True

    def end(self, *, kill: bool = False) -> None:
        """Wait for the worker to exit (told to, or killed now), then close its socket."""
        if not kill:
            try:
                self.process.wait(timeout=2.0)
            except subprocess.TimeoutExpired:
                kill = True
        if kill and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5.0)
        self.connection.close()


class ExtractionPool:
    """A fixed number of extraction worker processes with per-file deadlines.

    Use as a context manager; `map` yields `(task, outcome)` in submission order.
    """

    def __init__(
        self,
        workers: int = 2,
        *,
        limits: ExtractLimits | None = None,
        memory_bytes: int | None = DEFAULT_WORKER_MEMORY_BYTES,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.limits = limits or ExtractLimits()
        self.memory_bytes = memory_bytes
        self._workers: list[_Worker] = []
        self._workers = [_Worker(self.limits, self.memory_bytes) for _ in range(workers)]
        try:
            for worker in self._workers:
                worker.wait_ready()
        except ExtractionError:
            self.close()
            raise

    def _start(self) -> _Worker:
        worker = _Worker(self.limits, self.memory_bytes)
        worker.wait_ready()
        return worker

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        # every idle worker is told first, so that they exit (unloading their extractors)
        # side by side rather than one after the other
        open_workers = [w for w in self._workers if not w.connection.closed]
        told = [w.key is None and w.ask_to_stop() for w in open_workers]
        for worker, asked in zip(open_workers, told, strict=True):
            worker.end(kill=not asked)
        self._workers = []

    def map(self, tasks: Iterable[Task], *, window: int = 64) -> Iterator[tuple[Task, Outcome]]:
        """Extract every task; at most `window` results wait for a slow earlier one."""
        pending = iter(tasks)
        submitted: dict[int, Task] = {}
        done: dict[int, Outcome] = {}
        partial: dict[int, list[Member]] = {}  # members a container's worker has sent so far
        next_key = 0
        next_out = 0
        exhausted = False

        def limits_of(key: int) -> ExtractLimits:
            return submitted[key].limits or self.limits

        # a worker still holding a file of an earlier map that was left unfinished would answer
        # with that map's key: replace it before this map numbers its own files
        for index, worker in enumerate(self._workers):
            if worker.key is not None:
                worker.stop(kill=True)
                self._workers[index] = self._start()
        while True:
            for index, worker in enumerate(self._workers):
                if worker.key is None and not exhausted and next_key - next_out < window:
                    task = next(pending, None)
                    if task is None:
                        exhausted = True
                        break
                    submitted[next_key] = task
                    timeout_s = limits_of(next_key).timeout_s
                    try:
                        worker.submit(next_key, task, timeout_s)
                    except (OSError, ValueError):  # the idle worker died: replace it
                        worker.stop(kill=True)
                        self._workers[index] = replacement = self._start()
                        replacement.submit(next_key, task, timeout_s)
                    next_key += 1
            while next_out in done:
                yield submitted.pop(next_out), done.pop(next_out)
                next_out += 1
            busy = [w for w in self._workers if w.key is not None]
            if not busy:
                if exhausted:
                    return
                continue
            now = time.monotonic()
            wait_s = max(0.0, min(w.deadline for w in busy) - now)
            # A worker that dies closes its socket: the connection turns readable and recv fails.
            ready = set(wait([w.connection for w in busy], timeout=wait_s))
            now = time.monotonic()
            for worker in busy:
                index = self._workers.index(worker)
                key = worker.key
                assert key is not None
                if worker.connection in ready:
                    try:
                        received = worker.connection.recv()
                    except (EOFError, OSError):
                        pass  # died mid-send: handled as a crash below
                    else:
                        limits = limits_of(key)
                        if isinstance(received, Member):
                            partial.setdefault(key, []).append(received)
                            worker.deadline = time.monotonic() + limits.timeout_s
                            worker.limit_s = limits.timeout_s
                            continue
                        if isinstance(received, OcrPages):
                            extra = (
                                extraction_limit_s(limits, ocr_pages=received.pages)
                                - limits.timeout_s
                            )
                            worker.deadline += extra
                            worker.limit_s += extra
                            continue
                        done[key] = with_members(received, partial.pop(key, []))
                        worker.key = None
                        continue
                if worker.connection in ready:
                    try:
                        code = worker.process.wait(timeout=2.0)
                    except subprocess.TimeoutExpired:
                        code = None
                    done[key] = with_members(
                        _failure(
                            submitted[key],
                            IngestReason.WORKER_CRASH,
                            f"the extraction worker died (exit code {code}) on this file",
                            "WorkerCrash",
                        ),
                        partial.pop(key, []),
                    )
                elif now >= worker.deadline:
                    done[key] = with_members(
                        _failure(
                            submitted[key],
                            IngestReason.TIMEOUT,
                            f"extraction took longer than {worker.limit_s:g} s and was stopped",
                            "Timeout",
                        ),
                        partial.pop(key, []),
                    )
                else:
                    continue
                worker.stop(kill=True)
                self._workers[index] = self._start()


class SharedPool:
    """One extraction pool for every folder source of a run, started when the first file
    needs extracting; each file carries its source's limits (`Task.limits`).

    A pool per source would start and stop `workers` processes for each source with a changed
    file, and each new worker imports its extractors again on its first file of a kind: tenths
    of a second per source, which after a small change is most of what ingest costs. A run
    whose sources did not change starts no worker at all.
    """

    def __init__(
        self, workers: int = 2, *, memory_bytes: int | None = DEFAULT_WORKER_MEMORY_BYTES
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self.memory_bytes = memory_bytes
        self._pool: ExtractionPool | None = None

    @property
    def started(self) -> bool:
        return self._pool is not None

    def get(self) -> ExtractionPool:
        """The pool, started on the first call."""
        if self._pool is None:
            self._pool = ExtractionPool(self.workers, memory_bytes=self.memory_bytes)
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def __enter__(self) -> SharedPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def with_members(outcome: Outcome, members: list[Member]) -> Outcome:
    """`outcome` with the members its worker streamed before it; a failure after some members
    says how far the container got."""
    if not members:
        return outcome
    message = outcome.message
    if outcome.reason is not None and not outcome.container:
        message = f"{message} (after {len(members)} members; the rest was not read)"
    return replace(outcome, members=(*members, *outcome.members), container=True, message=message)


def _failure(task: Task, reason: IngestReason, message: str, error_class: str) -> Outcome:
    """An outcome for a file whose worker never answered; hash the bytes here (streamed)."""
    sha256 = size = None
    try:
        digest = hashlib.sha256()
        with open(task.path, "rb", opener=_nofollow_opener) as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        sha256 = digest.hexdigest()
        size = os.stat(task.path, follow_symlinks=False).st_size
    except OSError:
        pass  # the file vanished or changed type since the walk: the reason still stands
    return Outcome(None, sha256, size, reason.value, f"{task.name!r}: {message}", error_class)


def _nofollow_opener(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
