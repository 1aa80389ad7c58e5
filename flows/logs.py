"""Log output of `curate`: Prefect's readable console lines, or JSON lines for log shippers.

`configure_logging("json")` makes every log record on stderr one JSON object: ours, Prefect's
(client, flow and task runs, its server's uvicorn), and Python warnings. Prefect configures its
logging from `logging.yml` with one environment variable per key
(`PREFECT_LOGGING_HANDLERS_CONSOLE_FORMATTER=...`), read whenever Prefect sets up logging in a
process; so the switch is made through those variables, and reaches the processes Prefect and
Dask start (the ephemeral server, Dask workers) as well as this one. No file is written and
nothing is fetched.

A record carries only its time, level, logger, message and, inside a flow, the flow and task
run names: never its arguments, extras or traceback, which is where values (a document's
text, a PII match) could ride along. Our log calls never pass such values in the message.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TextIO


class LogFormat(StrEnum):
    """Values of `--log-format` (an enum, so typer lists the choices)."""

    TEXT = "text"
    JSON = "json"


LOG_FORMATS: tuple[str, ...] = tuple(f.value for f in LogFormat)
_current = LogFormat.TEXT

# Loggers of this project (module-level `logging.getLogger(__name__)`).
OUR_LOGGERS = ("curation", "catalogs", "filters", "licensing", "flows")

# Overrides of keys of Prefect 3.8's default logging.yml: the `json` formatter becomes ours, and
# the `console` handler (root, uvicorn, fastapi) and `debug` handler (Prefect internals) use it.
# The console handler class is replaced too: Prefect's prints through rich, which colours and
# rewraps text and would break a line of JSON on a terminal.
PREFECT_JSON_ENVIRONMENT: dict[str, str] = {
    "PREFECT_LOGGING_FORMATTERS_JSON_CLASS": "flows.logs.JsonLineFormatter",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_CLASS": "flows.logs.JsonLinesHandler",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_FORMATTER": "json",
    "PREFECT_LOGGING_HANDLERS_DEBUG_FORMATTER": "json",
}

# Prefect's flow and task run loggers add these to each record; they name runs, not data.
RUN_FIELDS = ("flow_run_name", "task_run_name")


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, flow/task run names.

    Examples
    --------
    >>> record = logging.LogRecord("curation.pii", logging.INFO, __file__, 1, "%d spans", (3,), None)
    >>> record.created = 0.0
    >>> record.flow_run_name = "quiet-otter"
    >>> print(JsonLineFormatter().format(record))
    {"time": "1970-01-01T00:00:00.000Z", "level": "INFO", "logger": "curation.pii", "message": "3 spans", "flow_run_name": "quiet-otter"}
    """

    def __init__(
        self,
        fmt: str | None = None,
        datefmt: str | None = None,
        style: str = "%",
        validate: bool = True,
        *,
        defaults: dict[str, Any] | None = None,
    ) -> None:
        # `logging.config` passes the config's `format` ("default" in Prefect's file) and
        # friends; the output has one shape, so they are accepted and ignored.
        super().__init__()

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, tz=UTC)
        entry = {
            "time": stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in RUN_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = str(value)
        return json.dumps(entry, ensure_ascii=False)


class JsonLinesHandler(logging.StreamHandler):
    """JSON lines on stderr: the handler `configure_logging("json")` installs, and Prefect's
    console handler in JSON mode.

    It writes to whatever `sys.stderr` is when a record arrives (as Python's last-resort
    handler does), so a redirected or captured stderr gets the lines. Prefect's handler options
    (`styles`, `highlighter`) are accepted and ignored.
    """

    def __init__(self, stream: TextIO | None = None, **_prefect_options: Any) -> None:
        super().__init__(stream)
        self._follow_stderr = stream is None or stream is sys.stderr
        self.setFormatter(JsonLineFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        if self._follow_stderr:
            self.stream = sys.stderr
        super().emit(record)


def current_log_format() -> LogFormat:
    """The format `configure_logging` set last (text until it is called)."""
    return _current


def configure_logging(fmt: str = "text", *, level: int | str | None = None) -> None:
    """Send log records to stderr as `text` (Prefect's console format) or `json` lines.

    Call it once at start-up, before Prefect is imported (the CLI's root callback); calling it
    later reconfigures Prefect's logging in this process as well. `level` sets the level of
    this project's loggers (default: unchanged, so WARNING and above, as Prefect's root).
    """
    global _current
    if fmt not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, got {fmt!r}")
    switched = LogFormat(fmt) is not _current
    _current = LogFormat(fmt)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, JsonLinesHandler):
            root.removeHandler(handler)
    if fmt == "json":
        os.environ.update(PREFECT_JSON_ENVIRONMENT)
        for handler in list(root.handlers):
            # Prefect's own console handler, if Prefect set up logging already: its lines are
            # not JSON, and ours replaces it.
            if type(handler).__name__ == "PrefectConsoleHandler":
                root.removeHandler(handler)
        root.addHandler(JsonLinesHandler())
    else:
        for name, value in PREFECT_JSON_ENVIRONMENT.items():
            if os.environ.get(name) == value:
                del os.environ[name]
    # Warnings printed by the warnings module would be the only non-JSON lines on stderr.
    logging.captureWarnings(fmt == "json")
    if level is not None:
        for name in OUR_LOGGERS:
            logging.getLogger(name).setLevel(level)
    if switched:
        # Prefect's handlers hold the stream they were made with: only rebuild them when the
        # format changes (the default text format leaves Prefect's set-up alone).
        _reconfigure_prefect()


def _reconfigure_prefect() -> None:
    """Swap the console handlers of Prefect's loggers for JSON ones, if Prefect set
    up logging already in this process; never imports it.

    Handlers are swapped one by one rather than by re-running Prefect's `dictConfig`: a
    non-incremental `dictConfig` closes every handler of the process, other libraries' too.
    """
    if "prefect.logging.configuration" not in sys.modules:
        return
    for logger in [logging.getLogger()] + [
        logging.getLogger(name)
        for name in list(logging.Logger.manager.loggerDict)
        if name.startswith("prefect")
    ]:
        for index, handler in enumerate(list(logger.handlers)):
            name = type(handler).__name__
            if _current is LogFormat.JSON and name == "PrefectConsoleHandler":
                replacement = JsonLinesHandler()
                replacement.setLevel(handler.level)
                logger.handlers[index] = replacement
