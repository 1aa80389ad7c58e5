"""`curate ingest extract|scan` through typer's runner on a root app built here."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from flows.commands.ingest import register

from . import samples


@pytest.fixture()
def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """curate"""

    register(root)
    return root


def test_extract_json_is_one_object(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(samples.make_pdf("Revenue grew"))
    result = CliRunner().invoke(app, ["ingest", "extract", str(path), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["text"] == "Revenue grew"
    assert payload["extractor"] == "pypdf"
    assert payload["metadata"]["title"] == "Quarterly Report"


def test_extract_failure_is_a_clean_message_and_exit_2(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\x00\x01" * 10)
    result = CliRunner().invoke(app, ["ingest", "extract", str(path)])
    assert result.exit_code == 2
    assert "no extractor for this format" in result.stderr
    assert "Traceback" not in result.output


def test_scan_counts_and_writes_parquet(app: typer.Typer, tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    (share / "a.md").write_text("# A\n\nSome text.\n")
    (share / "b.txt").write_bytes(b"")
    (share / "c.bin").write_bytes(b"\x00" * 10)
    out = tmp_path / "out"
    args = [
        "ingest",
        "scan",
        str(share),
        "--id",
        "hr",
        "--exclude",
        "*.bin",
        "--output",
        str(out),
        "--json",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert (payload["inputs"], payload["documents"], payload["quarantined"]) == (2, 1, 1)
    assert payload["by_reason"] == {"ingest.empty": 1}
    assert pq.read_table(out / "documents.parquet").column("relative_path").to_pylist() == ["a.md"]
    assert pq.read_table(out / "quarantined.parquet").column("reason").to_pylist() == [
        "ingest.empty"
    ]


def test_scan_spec_error_exits_2(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["ingest", "scan", str(tmp_path / "missing"), "--json"])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert result.stdout == ""


def test_every_command_has_help(app: typer.Typer) -> None:
    for command in ("extract", "scan"):
        result = CliRunner().invoke(app, ["ingest", command, "--help"])
        assert result.exit_code == 0
        assert len(result.stdout.strip().splitlines()) > 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "say what to scan"),
        (["s3://bucket/prefix", "--type", "folder"], "needs --type s3"),
        (["s3://bucket/prefix"], "CURATE_S3_ENDPOINT"),
        (["docs", "--endpoint-url", "http://127.0.0.1:1"], "only applies to s3://"),
    ],
)
def test_scan_source_errors_are_one_line_with_the_fix(
    app: typer.Typer, args: list[str], message: str, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").mkdir()
    for name in ("CURATE_S3_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)

    result = CliRunner().invoke(app, ["ingest", "scan", *args, "--json"])

    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""
