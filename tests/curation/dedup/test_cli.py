from __future__ import annotations

import json

import polars as pl
import typer
from typer.testing import CliRunner

from flows.commands.dedup import register


def app() -> typer.Typer:
    root = typer.Typer()
    register(root)

    @root.callback()
    def main() -> None:  # a root with one command would otherwise hide its name
        """curate"""

    return root


def write_input(path, make_prose, make_edit) -> None:
    base = make_prose(1, 300)
    rows = [
        {"doc": 10, "body": base},
        {"doc": 11, "body": make_edit(base, 0.01, 2)},
        {"doc": 12, "body": make_prose(2, 300)},
        {"doc": 13, "body": base.upper()},
    ]
    if path.suffix == ".parquet":
        pl.DataFrame(rows).write_parquet(path)
    else:
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")


def test_jsonl_in_parquet_out_with_json_summary(tmp_path, make_prose, make_edit):
    write_input(tmp_path / "docs.jsonl", make_prose, make_edit)
    out = tmp_path / "out" / "clusters.parquet"
    result = CliRunner().invoke(
        app(),
        [
            "dedup",
            str(tmp_path / "docs.jsonl"),
            "--out",
            str(out),
            "--id-field",
            "doc",
            "--text-field",
            "body",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["documents"] == 4 and summary["duplicates"] == 2
    frame = pl.read_parquet(out)
    assert frame.columns == ["id", "cluster_id", "duplicate"]
    assert frame.to_dicts() == [
        {"id": 10, "cluster_id": 10, "duplicate": False},
        {"id": 11, "cluster_id": 10, "duplicate": True},
        {"id": 12, "cluster_id": 12, "duplicate": False},
        {"id": 13, "cluster_id": 10, "duplicate": True},
    ]


def test_parquet_in_jsonl_out_and_threshold(tmp_path, make_prose, make_edit):
    write_input(tmp_path / "docs.parquet", make_prose, make_edit)
    out = tmp_path / "clusters.jsonl"
    result = CliRunner().invoke(
        app(),
        [
            "dedup",
            str(tmp_path / "docs.parquet"),
            "--out",
            str(out),
            "--id-field",
            "doc",
            "--text-field",
            "body",
            "--threshold",
            "0.99",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "4 documents: 1 duplicates" in result.stdout
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["duplicate"] for r in rows] == [False, False, False, True]


def test_bad_input_gives_clean_error_and_exit_2(tmp_path, make_prose, make_edit):
    write_input(tmp_path / "docs.jsonl", make_prose, make_edit)
    result = CliRunner().invoke(
        app(), ["dedup", str(tmp_path / "docs.jsonl"), "--out", str(tmp_path / "o.parquet")]
    )
    assert result.exit_code == 2
    assert "has no column 'id', 'text'" in result.stderr and "--id-field" in result.stderr
    assert result.stdout == ""
    missing = CliRunner().invoke(
        app(), ["dedup", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o.csv")]
    )
    assert missing.exit_code == 2 and ".parquet or .pq" in missing.stderr


def test_command_has_help():
    result = CliRunner().invoke(app(), ["dedup", "--help"])
    assert (
        result.exit_code == 0 and "--threshold" in result.stdout and "cluster_id" in result.stdout
    )
