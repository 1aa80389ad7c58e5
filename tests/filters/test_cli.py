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


def commit_texts(catalog, dataset: str, texts: list[str], run_id: str) -> str:
    """Commit `texts` as a version of `dataset` in a real Iceberg catalog; its version name."""
    import pyarrow as pa

    from catalogs.versions import commit_version
    from curation.ledger import ledger_table

    ids = [f"{dataset}-{i}" for i in range(len(texts))]
    documents = pa.table(
        {
            "doc_id": ids,
            "text": texts,
            "title": [f"title {i}" for i in range(len(texts))],
            "source_id": ["examples"] * len(texts),
            "source_uri": [f"file:///examples/{i}" for i in ids],
        }
    )
    return commit_version(
        catalog,
        dataset,
        documents,
        ledger_table(run_id, "ingest", ids, ["kept"] * len(ids)),
        run_id=run_id,
        spec_fingerprint="test",
        code_version="0.0.0",
        summary={"inputs": len(ids)},
    ).name


@pytest.fixture()
def version_workspace(tmp_path):
    """A workspace whose catalog holds a good and a bad example dataset, one version each."""
    from catalogs.registry import CatalogSettings, open_catalog
    from curation.workspace import Workspace

    workspace = Workspace(tmp_path / "ws").ensure()
    catalog = open_catalog(CatalogSettings.for_workspace(workspace))
    rng = random.Random(2)
    sentences = PROSE.splitlines()
    junk = ["Home", "Login", "Cart", "404", "Share", "Next", "|", "©"]
    good = [" ".join(rng.sample(sentences, 4)) for _ in range(20)]
    bad = [" ".join(rng.choices(junk, k=15)) for _ in range(20)]
    assert commit_texts(catalog, "curated.good", good, "run-good") == "v1"
    assert commit_texts(catalog, "curated.bad", bad, "run-bad") == "v1"
    return workspace


def test_train_from_a_column_of_committed_versions(app, runner, version_workspace, tmp_path):
    # a JSONL beside the version reference: both forms mix in one --negative list
    extra = tmp_path / "more-bad.jsonl"
    extra.write_text(json.dumps({"text": "Login | Cart | 404 | Share"}) + "\n")
    result = runner.invoke(
        app,
        [
            "quality",
            "train",
            "--workspace",
            str(version_workspace.root),
            "--positive",
            "curated.good@v1",
            "--negative",
            "curated.bad@v1:text",
            "--negative",
            str(extra),
            "--name",
            "handbook",
            "--epoch",
            "5",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    trained = json.loads(result.stdout)
    model = version_workspace.models / "quality-handbook.bin"
    assert trained["model"] == str(model) and model.is_file()
    examples = trained["metadata"]["examples"]
    assert (examples["positive"], examples["negative"]) == (20, 21)
    versions = {v["dataset"]: v for v in trained["metadata"]["sources"]["versions"]}
    assert versions["curated.good"]["version"] == "v1"
    assert versions["curated.good"]["run_id"] == "run-good"
    assert versions["curated.bad"]["rows"] == 20
    assert isinstance(versions["curated.bad"]["snapshot_id"], int)
    sidecar = json.loads((version_workspace.models / "quality-handbook.bin.json").read_text())
    assert sidecar["metadata"]["sources"]["versions"] == trained["metadata"]["sources"]["versions"]


def test_version_examples_errors_name_the_fix(app, runner, version_workspace):
    base = ["quality", "train", "--workspace", str(version_workspace.root)]
    cases = {
        ("curated.good@v9", "curated.bad@v1"): "versions: v1",
        ("curated.nope@v1", "curated.bad@v1"): "curate catalog list",
        ("curated.good@v1:size_bytes", "curated.bad@v1"): "not text",
        ("curated.good@v1:nope", "curated.bad@v1"): "curated.good@v1:COLUMN",
    }
    for (good, bad), message in cases.items():
        result = runner.invoke(app, [*base, "--positive", good, "--negative", bad])
        assert result.exit_code == 2, result.output
        assert message in result.output


def test_score_with_per_paragraph_language_from_a_spec(app, runner, tmp_path):
    english = PROSE
    german = (
        "Der Ausschuss hat am Dienstag den Haushalt geprüft und die Pläne für das nächste Jahr "
        "besprochen. Die Mitglieder baten darum, den Bericht vor der Abstimmung allen "
        "Abteilungen zu schicken, und der Vorsitzende stimmte zu, die Zahlen zu veröffentlichen."
    )
    docs = tmp_path / "mixed.jsonl"
    rows = [{"text": english}, {"text": f"{english}\n\n{german}"}]
    docs.write_text("".join(json.dumps(r) + "\n" for r in rows))
    spec = tmp_path / "quality.yaml"
    # min_lang_score 0: the whole-document lid score of the mixed page is low too (0.48)
    spec.write_text(
        "quality:\n  languages: [en]\n  min_lang_score: 0\n  lang_per_paragraph: true\n"
    )
    out = tmp_path / "scores.parquet"
    result = runner.invoke(
        app, ["quality", "score", str(docs), "--out", str(out), "--spec", str(spec)]
    )
    assert result.exit_code == 0, result.output
    assert "quality.lang_mixed" in result.stdout
    # the most-dropping rule's signal is histogrammed: the allowed-language share
    assert "lang_allowed_frac (2 values, 0 missing)" in result.stdout
    scores = pl.read_parquet(out)
    assert scores["keep"].to_list() == [True, False]
    assert scores["lang_allowed_frac"][0] == 1.0 and 0.5 < scores["lang_allowed_frac"][1] < 0.8
    assert scores["dropped_by"][1].to_list()[0] == "quality.lang_mixed"


def test_histograms_are_repeatable_and_mark_the_threshold(app, runner, documents, tmp_path):
    command = [
        "quality",
        "score",
        str(documents),
        "--out",
        str(tmp_path / "s.parquet"),
        "--text-field",
        "body",
        "--preset",
        "datatrove",
        "--histogram",
        "word_count",
        "--histogram",
        "lang_score",
    ]
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    assert "word_count (3 values, 0 missing), threshold 50" in result.stdout
    assert "<- threshold 50" in result.stdout
    assert "lang_score (3 values, 0 missing), threshold 0.65" in result.stdout
    # --json: one JSON object on stdout, the same histograms as data, no bars
    result = runner.invoke(app, [*command, "--json"])
    summary = json.loads(result.stdout)
    assert [h["column"] for h in summary["histograms"]] == ["word_count", "lang_score"]
    assert summary["histograms"][0]["threshold"] == 50.0
    assert sum(summary["histograms"][0]["counts"]) == 3
    assert "#" not in result.stdout
