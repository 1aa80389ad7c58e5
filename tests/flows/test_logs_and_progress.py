"""Structured logs (`--log-format json`) and progress where stderr is not a terminal."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from rich.console import Console

from flows.logs import (
    PREFECT_JSON_ENVIRONMENT,
    JsonLineFormatter,
    JsonLinesHandler,
    configure_logging,
)
from flows.progress import (
    ProgressReporter,
    StageThroughput,
    progress_reporter,
    summary_throughput,
    throughput_table,
)

REPO = Path(__file__).resolve().parents[2]
BASE_KEYS = {"time", "level", "logger", "message"}
RUN_KEYS = {"flow_run_name", "task_run_name"}


@pytest.fixture
def restore_logging():
    """Undo configure_logging: root handlers, warning capture, Prefect's variables."""
    root = logging.getLogger()
    # Prefect's loggers too: reconfiguring them binds their handlers to this test's captured
    # stderr, which is closed once the test ends.
    loggers = [root] + [
        logging.getLogger(name)
        for name in list(logging.Logger.manager.loggerDict)
        if name.startswith("prefect")
    ]
    handlers = {id(logger): (logger, list(logger.handlers)) for logger in loggers}
    environment = {name: os.environ.get(name) for name in PREFECT_JSON_ENVIRONMENT}
    yield
    configure_logging("text")
    for logger, saved in handlers.values():
        logger.handlers[:] = saved
    for name, value in environment.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def logger_to(stream: io.StringIO, name: str) -> logging.Logger:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLineFormatter())
    logger = logging.getLogger(name)
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger


def test_the_json_formatter_writes_one_object_per_line_with_only_the_expected_keys():
    stream = io.StringIO()
    logger = logger_to(stream, "tests.logs.formatter")

    logger.info("redacted %d texts\nin %s", 3, "batch-0007")
    logger.warning("in a run", extra={"flow_run_name": "quiet-otter", "task_run_name": "pii"})
    logger.info("extras stay out", extra={"text": "Jane Doe, 12 Elm St", "doc_id": "d1"})
    try:
        raise ValueError("Jane Doe's IBAN DE89370400440532013000")
    except ValueError:
        logger.exception("stage failed")

    lines = stream.getvalue().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(lines) == 4
    assert records[0]["message"] == "redacted 3 texts\nin batch-0007"
    assert records[0]["level"] == "INFO" and records[0]["logger"] == "tests.logs.formatter"
    assert records[0]["time"].endswith("Z")
    assert set(records[0]) == BASE_KEYS
    assert set(records[1]) == BASE_KEYS | RUN_KEYS
    assert records[1]["flow_run_name"] == "quiet-otter" and records[1]["task_run_name"] == "pii"
    assert set(records[2]) == BASE_KEYS
    assert set(records[3]) == BASE_KEYS and records[3]["message"] == "stage failed"
    assert "Jane" not in stream.getvalue() and "DE89" not in stream.getvalue()


def test_json_mode_sends_every_record_and_warning_to_stderr_as_json(restore_logging, capsys):
    configure_logging("json", level="INFO")
    logging.getLogger("curation.tests").info("%d documents", 5)
    logging.getLogger("pyiceberg.tests").warning("a library warning")
    import warnings

    warnings.warn("a python warning", UserWarning, stacklevel=1)

    records = json_lines(capsys.readouterr().err)
    assert [r["logger"] for r in records] == ["curation.tests", "pyiceberg.tests", "py.warnings"]
    assert records[0]["message"] == "5 documents"
    assert all(os.environ[k] == v for k, v in PREFECT_JSON_ENVIRONMENT.items())


def test_text_mode_undoes_json_mode(restore_logging):
    configure_logging("json")
    configure_logging("text")

    assert not any(isinstance(h, JsonLinesHandler) for h in logging.getLogger().handlers)
    assert not any(name in os.environ for name in PREFECT_JSON_ENVIRONMENT)
    with pytest.raises(ValueError, match="text, json"):
        configure_logging("yaml")


def run_python(code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PREFECT_HOME": str(cwd / "prefect"), **env}
    environment.pop("PREFECT_API_URL", None)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_prefect_logs_become_json_lines_with_run_names(tmp_path):
    code = """
        import logging
        from flows.logs import configure_logging

        configure_logging("json")
        from prefect import flow  # Prefect sets up its logging on import
        from prefect.logging.loggers import PrefectLogAdapter

        logging.getLogger("prefect.client").warning("client says %s", "hello")
        logging.getLogger("uvicorn").warning("server says hello")
        extra = {"flow_run_name": "quiet-otter", "flow_run_id": "1", "flow_name": "curate"}
        PrefectLogAdapter(logging.getLogger("prefect.flow_runs"), extra=extra).info("began")
        print(type(logging.getLogger("uvicorn").handlers[0]).__name__)
    """
    result = run_python(code, tmp_path, PREFECT_LOGGING_TO_API_ENABLED="false")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "JsonLinesHandler"
    records = json_lines(result.stderr)
    assert [r["message"] for r in records] == ["client says hello", "server says hello", "began"]
    assert records[2]["flow_run_name"] == "quiet-otter"
    assert all(set(r) <= BASE_KEYS | RUN_KEYS for r in records)


@pytest.mark.slow
def test_a_whole_run_in_json_mode_writes_only_json_lines_and_no_document_text(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for number in range(3):
        (docs / f"note-{number}.txt").write_text(
            f"Notice {number} about the parking garage: employees park on level two and "
            "visitors on level one. Questions go to Jane Doe at jane.doe@example.com or to "
            "the facilities team, who answer within two working days.\n",
            encoding="utf-8",
        )
    (tmp_path / "spec.yaml").write_text(
        "name: tiny\nsources:\n  - {id: docs, path: docs, license: CC0-1.0}\n", encoding="utf-8"
    )
    code = """
        from flows.logs import configure_logging

        configure_logging("json", level="INFO")
        import curation
        from flows.progress import progress_reporter

        with progress_reporter(log_format="json", interval=0) as progress:
            summary = curation.run("spec.yaml", workspace="ws", on_progress=progress)
        print(summary.version)
    """
    result = run_python(code, tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "v1"
    records = json_lines(result.stderr)  # fails on any line that is not JSON
    assert all(set(r) <= BASE_KEYS | RUN_KEYS for r in records)
    loggers = {r["logger"] for r in records}
    assert {"prefect.flow_runs", "prefect.task_runs", "flows.progress"} <= loggers
    assert any(r["message"].startswith("progress: pii done: ") for r in records)
    for value in ("Jane", "jane.doe", "parking garage", "facilities team"):
        assert value not in result.stderr


def test_a_reporter_off_a_terminal_prints_throttled_plain_lines():
    stream = io.StringIO()
    reporter = progress_reporter(console=Console(file=stream), interval=60)

    with reporter:
        for _ in range(50):
            reporter("pii", 10)

    assert not reporter.live
    # within a second there is no rate to give yet
    assert stream.getvalue().splitlines() == [
        "progress: pii 10 docs",
        "progress: pii done: 500 docs",
    ]


def test_the_plain_lines_carry_docs_per_second_and_a_final_line_per_stage():
    stream = io.StringIO()
    ticks = iter([0.0, 15.0, 16.0, 19.0, 26.0, 27.0, 27.05, 40.0, 52.0])
    reporter = ProgressReporter(
        emit=lambda line: stream.write(line + "\n"),
        interval=5,
        clock=lambda: next(ticks),
        settle_s=5,  # the fake clock settles ingest; the real-time timer never fires here
    )

    with reporter:
        reporter("ingest", 100)  # 15 s: the first line at once
        reporter("ingest", 100)  # 16 s: throttled
        reporter("ingest", 100)  # 19 s: throttled
        reporter("ingest", 100)  # 26 s: 300 docs since the first report 11 s ago
        reporter("quality", 40)  # 27 s: quality begins (at ingest's last report, 26 s)
        reporter("ingest", 20)  # 27.05 s: late rows of the same poll still count for ingest
        reporter("quality", 160)  # 40 s: ingest's final line, then quality's
        reporter("quality", 100)  # 52 s

    assert stream.getvalue().splitlines() == [
        "progress: ingest 100 docs",
        "progress: ingest 400 docs (27/s)",
        "progress: ingest done: 420 docs (27/s)",
        "progress: quality 200 docs (14/s)",
        "progress: quality 300 docs (12/s)",
        "progress: quality done: 300 docs (12/s)",
    ]
    observed = {row.stage: row.docs_per_second for row in reporter.throughput()}
    assert observed == pytest.approx({"ingest": 320 / 12.05, "quality": 300 / 26})


def test_a_stage_gets_its_final_line_soon_after_the_next_stage_starts():
    lines: list[str] = []
    reporter = ProgressReporter(emit=lines.append, interval=60, settle_s=0.05)

    with reporter:
        reporter("dedup", 5)
        reporter("pii", 1)  # the first PII batch; the next may take minutes
        time.sleep(0.5)
        before_close = list(lines)

    assert before_close == ["progress: dedup 5 docs", "progress: dedup done: 5 docs"]
    assert lines[-1] == "progress: pii done: 1 docs"


def test_a_reporter_on_a_terminal_draws_the_live_display():
    stream = io.StringIO()
    reporter = progress_reporter(console=Console(file=stream, force_terminal=True, width=100))

    with reporter:
        reporter("license", 7)
        reporter("quality", 7)

    assert reporter.live
    assert "license" in stream.getvalue() and "quality" in stream.getvalue()
    assert reporter.counts == {"license": 7, "quality": 7}


def test_json_log_format_sends_progress_through_the_logger(caplog):
    reporter = progress_reporter(log_format="json", interval=0)

    with caplog.at_level(logging.INFO, logger="flows.progress"), reporter:
        reporter("dedup", 12)

    assert [r.getMessage() for r in caplog.records if r.name == "flows.progress"] == [
        "progress: dedup 12 docs",
        "progress: dedup done: 12 docs",
    ]


def test_the_run_summary_gives_exact_per_stage_throughput():
    summary = {
        "by_stage": {
            "ingest": {"kept": 90, "quarantined": 10},
            "pii": {"modified": 40, "kept": 20},
        },
        "stage_seconds": {"ingest": 4.0, "pii": 2.0, "commit": 1.5},
    }

    rows = summary_throughput(summary)

    assert rows == [
        StageThroughput("ingest", 100, 4.0),
        StageThroughput("pii", 60, 2.0),
        StageThroughput("commit", 0, 1.5),
    ]
    assert [r.as_dict()["docs_per_second"] for r in rows] == [25.0, 30.0, None]
    out = io.StringIO()
    Console(file=out, width=80).print(throughput_table(rows))
    assert "docs/s" in out.getvalue() and "25" in out.getvalue()
