"""Progress of a run on stderr: a live display for a person, plain lines for logs and CI.

`ProgressReporter` is an `on_progress(stage, n)` callback for `flows.run.run_spec`. On a
terminal it draws rich's live display; elsewhere (a pipe, a CI log, a cron mail, `--log-format
json`) a live display prints nothing useful, so it writes a line per stage at most every
`interval` seconds and a final line when a stage is done::

    progress: pii 1200 docs (85/s)
    progress: pii done: 5210 docs (85/s)

Reports arrive from a watcher thread when a batch's ledger part is written, so rates here are
estimates from when decisions became visible: a stage is taken to start at the previous
report of the stage before it; the first stage's start is unknown (it includes the
orchestrator's start-up), so its rate counts from its own first report. A rate needs at least
`MIN_RATE_SPAN_S` of reports and is left out before. The run summary's `stage_seconds`
(measured inside the flow) give exact throughput, through `summary_throughput`.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

# A CI log gets a line per stage every 10 s at most: enough to see a run move, few enough to
# read a night's log.
DEFAULT_INTERVAL_S = 10.0
PROGRESS_LOGGER = "flows.progress"
# Reports come every 0.5 s at best (the watcher's poll): shorter spans give noise, not rates.
MIN_RATE_SPAN_S = 1.0
# One poll reports its stages in no particular order, so the last rows of a stage may come
# just after the first rows of the next; its final line waits until that poll is over.
SETTLE_S = 0.2


@dataclass(frozen=True)
class StageThroughput:
    """Documents a stage decided, in how many seconds."""

    stage: str
    docs: int
    seconds: float | None

    @property
    def docs_per_second(self) -> float | None:
        if not self.docs or not self.seconds or self.seconds <= 0:
            return None
        return self.docs / self.seconds

    def as_dict(self) -> dict[str, Any]:
        rate = self.docs_per_second
        return {
            "stage": self.stage,
            "docs": self.docs,
            "seconds": None if self.seconds is None else round(self.seconds, 2),
            "docs_per_second": None if rate is None else round(rate, 1),
        }


def stage_throughput(
    docs: Mapping[str, int], seconds: Mapping[str, float | None]
) -> list[StageThroughput]:
    """Per-stage throughput, in the order of `seconds` (the run's order), then other stages.

    Examples
    --------
    >>> rows = stage_throughput({"ingest": 500, "pii": 300}, {"ingest": 5.0, "pii": 12.0, "commit": 1.0})
    >>> [(r.stage, r.docs, r.docs_per_second) for r in rows]
    [('ingest', 500, 100.0), ('pii', 300, 25.0), ('commit', 0, None)]
    """
    stages = list(dict.fromkeys([*seconds, *docs]))
    return [StageThroughput(str(s), docs.get(s, 0), seconds.get(s)) for s in stages]


def docs_by_stage(summary: Mapping[str, Any]) -> dict[str, int]:
    """Documents each stage decided, from a run summary's `by_stage` ledger counts.

    Examples
    --------
    >>> docs_by_stage({"by_stage": {"dedup": {"kept": 6, "dropped": 1}}})
    {'dedup': 7}
    """
    return {stage: sum(counts.values()) for stage, counts in summary.get("by_stage", {}).items()}


def summary_throughput(summary: Mapping[str, Any]) -> list[StageThroughput]:
    """Exact per-stage throughput of a finished run (`RunSummary.as_dict()`)."""
    return stage_throughput(docs_by_stage(summary), summary.get("stage_seconds", {}))


def throughput_table(rows: list[StageThroughput]) -> Table:
    """A rich table of per-stage throughput, for the run's printed summary."""
    from rich.table import Table

    table = Table("stage", "docs", "seconds", "docs/s")
    for row in rows:
        rate = row.docs_per_second
        table.add_row(
            row.stage,
            str(row.docs) if row.docs else "-",
            "-" if row.seconds is None else f"{row.seconds:.1f}",
            "-" if rate is None else format_rate(rate),
        )
    return table


def format_rate(rate: float) -> str:
    """Documents per second, with as many digits as mean something.

    Examples
    --------
    >>> format_rate(85.4), format_rate(2.345), format_rate(0.04)
    ('85', '2.3', '0.04')
    """
    if rate >= 10:
        return f"{rate:.0f}"
    if rate >= 1:
        return f"{rate:.1f}"
    return f"{rate:.2g}"


@dataclass
class _Stage:
    # When the stage began (the previous stage's last report), None for the first stage.
    started: float | None
    first: float
    last: float
    docs: int = 0
    docs_at_first: int = 0
    printed_docs: int = 0
    # Set when a later stage reported: this one is done once reports of the same poll are in.
    closing_since: float | None = None
    finished: bool = False
    task: Any = None  # rich task id in live mode

    @property
    def open(self) -> bool:
        return not self.finished and self.closing_since is None

    def rate(self) -> float | None:
        """Docs per second since the stage began, or since its first report if unknown."""
        since, docs = (
            (self.started, self.docs)
            if self.started is not None
            else (self.first, self.docs - self.docs_at_first)
        )
        elapsed = self.last - since
        return docs / elapsed if elapsed >= MIN_RATE_SPAN_S else None


class ProgressReporter:
    """An `on_progress(stage, n)` callback that shows a run's progress on stderr.

    `live=True` draws rich's live display on `console`; otherwise plain lines go to `emit`
    (default: stderr), per stage at most every `interval` seconds, and a final line per stage
    shortly (`settle_s`) after the next stage starts, or when the reporter closes. Use it as a
    context manager around the run. `clock` is for tests. Thread-safe: the run calls it from a
    watcher thread.

    Examples
    --------
    >>> lines = []
    >>> ticks = iter([0.0, 20.0, 22.0, 30.0, 33.0])
    >>> with ProgressReporter(emit=lines.append, interval=5, clock=lambda: next(ticks)) as report:
    ...     report("ingest", 10)
    ...     report("ingest", 20)
    ...     report("pii", 6)
    ...     report("pii", 6)
    >>> print("\\n".join(lines))
    progress: ingest 10 docs
    progress: pii 6 docs (0.75/s)
    progress: ingest done: 30 docs (10/s)
    progress: pii done: 12 docs (1.1/s)
    """

    def __init__(
        self,
        *,
        live: bool = False,
        console: Console | None = None,
        emit: Callable[[str], None] | None = None,
        interval: float = DEFAULT_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
        settle_s: float = SETTLE_S,
    ) -> None:
        self.live = live
        self.console = console
        self.emit = emit or _write_stderr
        self.interval = interval
        self.clock = clock
        self.settle_s = settle_s
        self._timers: list[threading.Timer] = []
        self._stages: dict[str, _Stage] = {}
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self._started: float | None = None
        self._last_event = 0.0
        self._last_print = float("-inf")

    def __enter__(self) -> ProgressReporter:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the clock (and the live display)."""
        with self._lock:
            if self._started is not None:
                return
            self._started = self._last_event = self.clock()
            if self.live:
                self._progress = _live_display(self.console)
                self._progress.start()

    def __call__(self, stage: str, count: int) -> None:
        if self._started is None:
            self.start()
        with self._lock:
            now = self.clock()
            self._settle(now)
            current = self._stages.get(stage)
            if current is None:
                # Stages run one after another: a new stage means the others are done.
                closing = [s for s in self._stages.values() if s.open]
                for state in closing:
                    state.closing_since = now
                if closing:
                    self._settle_later(now)
                started = self._last_event if self._stages else None
                current = self._stages[stage] = _Stage(started=started, first=now, last=now)
                current.docs_at_first = count
                if self._progress is not None:
                    current.task = self._progress.add_task(stage, total=None, rate="")
            elif current.finished:
                current.finished = False  # reported again after its final line
            current.docs += count
            current.last = now
            self._last_event = now
            if self._progress is not None:
                rate = current.rate()
                self._progress.update(
                    current.task,
                    advance=count,
                    rate="" if rate is None else f"{format_rate(rate)}/s",
                )
            elif now - self._last_print >= self.interval:
                self._last_print = now
                for name, state in self._stages.items():
                    if state.open and state.docs != state.printed_docs:
                        state.printed_docs = state.docs
                        self.emit(f"progress: {name} {state.docs} docs{_rate_note(state)}")

    def close(self) -> None:
        """Final line of every stage not finished yet, and stop the live display."""
        for timer in self._timers:
            timer.cancel()
        with self._lock:
            for name, state in self._stages.items():
                if not state.finished:
                    self._finish(name, state)
            if self._progress is not None:
                self._progress.stop()
                self._progress = None

    @property
    def counts(self) -> dict[str, int]:
        """Documents reported per stage so far."""
        with self._lock:
            return {name: state.docs for name, state in self._stages.items()}

    def throughput(self, stage_seconds: Mapping[str, float] | None = None) -> list[StageThroughput]:
        """Per-stage throughput: over `stage_seconds` when given (the run summary's, exact),
        else over the times the reports arrived."""
        if stage_seconds is not None:
            return stage_throughput(self.counts, stage_seconds)
        with self._lock:
            docs = {n: s.docs for n, s in self._stages.items()}
            observed = {}
            for name, state in self._stages.items():
                rate = state.rate()
                observed[name] = docs[name] / rate if rate else None
        return stage_throughput(docs, observed)

    def _settle(self, now: float) -> None:
        for name, state in self._stages.items():
            closing = state.closing_since
            if not state.finished and closing is not None and now - closing >= self.settle_s:
                self._finish(name, state)

    def _settle_later(self, closing_since: float) -> None:
        """Finish the stages closing since `closing_since` once their poll is over, even when
        no report follows for a while (the next stage's first batch may take minutes)."""

        def settle() -> None:
            with self._lock:
                for name, state in self._stages.items():
                    since = state.closing_since
                    if not state.finished and since is not None and since <= closing_since:
                        self._finish(name, state)

        timer = threading.Timer(self.settle_s, settle)
        timer.daemon = True
        self._timers = [t for t in self._timers if t.is_alive()] + [timer]
        timer.start()

    def _finish(self, name: str, state: _Stage) -> None:
        state.finished = True
        state.closing_since = None
        state.printed_docs = state.docs
        if self._progress is not None:
            rate = state.rate()
            self._progress.update(
                state.task,
                total=state.docs,
                completed=state.docs,
                rate="" if rate is None else f"{format_rate(rate)}/s",
            )
            return
        self.emit(f"progress: {name} done: {state.docs} docs{_rate_note(state)}")


def progress_reporter(
    *,
    log_format: str | None = None,
    interval: float = DEFAULT_INTERVAL_S,
    console: Console | None = None,
) -> ProgressReporter:
    """The reporter for `curate run`: live on a terminal, plain lines elsewhere.

    `console` (default: stderr) is where the display or the lines go. With `log_format`
    "json" (default: what `flows.logs.configure_logging` set) the lines go through the
    `flows.progress` logger instead, so stderr holds only JSON lines, even on a terminal.
    """
    if _json_logs(log_format):
        return ProgressReporter(emit=_progress_logger().info, interval=interval)
    if console is None:
        from rich.console import Console

        console = Console(stderr=True)
    if console.is_terminal:
        return ProgressReporter(live=True, console=console, interval=interval)
    return ProgressReporter(emit=lambda line: _write_line(console.file, line), interval=interval)


def notice(message: str) -> None:
    """A one-line message about the run for the person or the log reading stderr.

    Printed as it is with text logs; a record of the `flows.progress` logger with JSON logs,
    so that every line on stderr stays JSON.
    """
    if _json_logs(None):
        _progress_logger().info(message)
        return
    from rich.console import Console

    Console(stderr=True).print(message, markup=False, highlight=False)


def _json_logs(log_format: str | None) -> bool:
    if log_format is None:
        from flows.logs import current_log_format

        log_format = current_log_format()
    return log_format == "json"


def _progress_logger() -> logging.Logger:
    # Below the root's WARNING by default: progress is what this logger is for.
    logger = logging.getLogger(PROGRESS_LOGGER)
    logger.setLevel(logging.INFO)
    return logger


def _rate_note(state: _Stage) -> str:
    rate = state.rate()
    return "" if rate is None else f" ({format_rate(rate)}/s)"


def _write_stderr(line: str) -> None:
    _write_line(sys.stderr, line)


def _write_line(stream: TextIO, line: str) -> None:
    stream.write(line + "\n")
    stream.flush()


def _live_display(console: Console | None) -> Progress:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(finished_text="[green]✓[/]"),
        TextColumn("{task.description}"),
        TextColumn("[cyan]{task.completed}[/] docs"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
