"""`curate quality train|score` through typer's runner, on a root app built like flows/cli.py."""

from __future__ import annotations

import json
import random

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from curation.offline import enforce_offline
from flows.commands import quality

enforce_offline()

PROSE = (
    "The committee met on Tuesday to review the annual budget and the plans for next year.\n"
    "Members asked that the report be shared with every department before the vote.\n"
    "After a long discussion, the chair agreed to publish the figures in the spring.\n"
    "The staff will prepare a summary of the changes to the travel and hiring policy.\n"
    "The finance team will answer the questions that were raised during the session.\n"
    "A second meeting has been planned for the first week of May, in the main hall.\n"
)


@pytest.fixture()
def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """root"""

    quality.register(root)
    return root


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture()
def documents(tmp_path):
    path = tmp_path / "docs.jsonl"
    rows = [
        {"doc": "a", "body": PROSE},
        {"doc": "b", "body": "Too short."},
        {"doc": "c", "body": "menu\n" * 50},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_score_json_prints_one_object_and_writes_rows(app, runner, documents, tmp_path):
    out = tmp_path / "scores.parquet"
    result = runner.invoke(
        app,
        [
            "quality",
            "score",
            str(documents),
            "--out",
            str(out),
            "--text-field",
            "body",
            "--id-field",
            "doc",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rows"] == 3 and summary["kept"] == 1 and summary["dropped"] == 2
    assert summary["histogram"]["counts"]
    rows = pl.read_parquet(out)
    assert rows["id"].to_list() == ["a", "b", "c"]
    assert rows["keep"].to_list() == [True, False, False]
    assert {
        "lang",
        "lang_score",
        "word_count",
        "dup_line_frac",
        "quality_score",
        "dropped_by",
    } <= set(rows.columns)
    assert "quality.gopher_short_doc" in rows["dropped_by"][1].to_list()


def test_score_text_output_has_histogram(app, runner, documents, tmp_path):
    result = runner.invoke(
        app,
        [
            "quality",
            "score",
            str(documents),
            "--out",
            str(tmp_path / "s.jsonl"),
            "--text-field",
            "body",
            "--histogram",
            "word_count",
            "--preset",
            "datatrove",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "word_count (3 values" in result.stdout
    assert "#" in result.stdout


def test_errors_exit_2_with_a_message(app, runner, documents, tmp_path):
    result = runner.invoke(
        app,
        ["quality", "score", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o.parquet")],
    )
    assert result.exit_code == 2
    assert "does not exist" in result.output
    result = runner.invoke(
        app, ["quality", "score", str(documents), "--out", str(tmp_path / "o.parquet")]
    )
    assert result.exit_code == 2
    assert "--text-field" in result.output


def test_train_then_score_with_the_model(app, runner, tmp_path):
    rng = random.Random(1)
    good = tmp_path / "good.jsonl"
    bad = tmp_path / "bad.jsonl"
    sentences = PROSE.splitlines()
    good.write_text(
        "".join(json.dumps({"text": " ".join(rng.sample(sentences, 4))}) + "\n" for _ in range(30))
    )
    junk = ["Home", "Login", "Cart", "404", "Share", "Next", "|", "©"]
    bad.write_text(
        "".join(json.dumps({"text": " ".join(rng.choices(junk, k=15))}) + "\n" for _ in range(30))
    )
    model = tmp_path / "quality-mine.bin"
    result = runner.invoke(
        app,
        [
            "quality",
            "train",
            "--positive",
            str(good),
            "--negative",
            str(bad),
            "--out",
            str(model),
            "--epoch",
            "5",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    trained = json.loads(result.stdout)
    assert trained["model"] == str(model) and len(trained["sha256"]) == 64
    assert 0.0 <= trained["heldout"]["precision"] <= 1.0
    scored = tmp_path / "scored.parquet"
    result = runner.invoke(
        app, ["quality", "score", str(good), "--out", str(scored), "--model", str(model), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["histogram"]["column"] == "quality_score"
    assert pl.read_parquet(scored)["quality_score"].null_count() == 0


def test_every_command_has_help(app, runner):
    for command in (["quality"], ["quality", "train"], ["quality", "score"]):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0
        assert len(result.stdout.strip()) > 40
