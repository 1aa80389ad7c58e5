"""`curate erase` through the CLI: receipt as JSON or text, one-line errors with exit code 2."""

from __future__ import annotations

import hashlib
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from catalogs.registry import CatalogSettings, open_catalog
from catalogs.versions import commit_version, list_versions
from curation.ledger import ledger_table
from curation.schema import make_doc_id
from curation.workspace import Workspace
from flows.commands import erase as erase_module

pytest_plugins = ["s3_server"]

DATASET = "curated.cli_demo"
SENTENCE = "Jane Roe's grievance about her manager was settled on the second of May."


@pytest.fixture()
def app() -> typer.Typer:
    """A tiny app with only `erase`, registered as `flows.cli` registers it."""
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test app."""

    erase_module.register(app)
    return app


@pytest.fixture()
def workspace(tmp_path, monkeypatch) -> Workspace:
    monkeypatch.delenv("CURATE_CATALOG_URI", raising=False)
    monkeypatch.delenv("CURATE_WAREHOUSE", raising=False)
    workspace = Workspace(tmp_path / "ws").ensure()
    catalog = open_catalog(CatalogSettings.for_workspace(workspace))
    names = ["grievance.txt", "policy.txt", "handbook.txt"]
    ids = [make_doc_id("hr", n) for n in names]
    documents = pa.table(
        {
            "doc_id": ids,
            "text": [SENTENCE, "The policy applies to everyone.", "The handbook is online."],
            "source_id": ["hr"] * 3,
            "source_uri": [f"file:///share/hr/{n}" for n in names],
            "content_sha256": [hashlib.sha256(n.encode()).hexdigest() for n in names],
        }
    )
    for number in (1, 2):
        run_id = f"run-{number}"
        commit_version(
            catalog,
            DATASET,
            documents,
            ledger_table(run_id, "ingest", ids, ["kept"] * 3, source_uris=documents["source_uri"]),
            run_id=run_id,
            spec_fingerprint="spec",
            code_version="test",
            summary={"inputs": 3},
        )
    return workspace


def invoke(app, workspace, *args):
    return CliRunner().invoke(app, ["erase", "--workspace", str(workspace.root), *args])


def test_json_prints_the_receipt_and_nothing_else(app, workspace):
    result = invoke(
        app,
        workspace,
        "--dataset",
        DATASET,
        "--source-uri",
        "file:///share/hr/grievance.txt",
        "--request-id",
        "DSR-7",
        "--reason",
        "GDPR Art. 17",
        "--json",
    )

    assert result.exit_code == 0, result.output
    receipt = json.loads(result.stdout)
    assert receipt["verified"] is True and receipt["request_id"] == "DSR-7"
    assert [(v["old"], v["new"]) for v in receipt["versions_affected"]] == [
        ("v1", "v1-e1"),
        ("v2", "v2-e1"),
    ]
    assert "grievance.txt" not in result.stdout
    catalog = open_catalog(CatalogSettings.for_workspace(workspace))
    assert [v.name for v in list_versions(catalog, DATASET)] == ["v1-e1", "v2-e1"]


def test_text_output_shows_versions_and_proof(app, workspace):
    result = invoke(
        app,
        workspace,
        "--dataset",
        DATASET,
        "--text-match",
        "grievance about her manager",
        "--request-id",
        "DSR-8",
    )

    assert result.exit_code == 0, result.output
    assert "v2-e1" in result.stdout and "verified" in result.stdout
    assert "grievance about" not in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--doc-id", "hr-00000000000000000000"],
            "no document matched --doc-id in curated.cli_demo",
        ),
        (["--sha256", "xyz"], "--sha256 must be the 64 hexadecimal digits"),
        (["--doc-id", "a", "--text-match", "some words here"], "exactly one of"),
    ],
)
def test_user_errors_are_one_line_with_their_fix_and_exit_2(app, workspace, args, message):
    result = invoke(app, workspace, "--dataset", DATASET, "--request-id", "R-1", *args)

    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_an_unknown_dataset_names_the_command_that_lists_them(app, workspace):
    result = invoke(
        app, workspace, "--dataset", "curated.nope", "--doc-id", "hr-1", "--request-id", "R-1"
    )

    assert result.exit_code == 2
    assert "curate catalog list" in result.stderr


def test_erase_is_registered_in_the_curate_cli_with_help_and_default_limit():
    import typer.main

    from catalogs.erasure.procedure import DEFAULT_MAX_DOCUMENTS
    from flows.cli import app as curate

    erase_command = typer.main.get_command(curate).commands["erase"]
    assert (erase_command.help or "").strip()
    limit = next(p for p in erase_command.params if p.name == "max_documents")
    assert limit.default == DEFAULT_MAX_DOCUMENTS


@pytest.mark.slow
def test_erase_after_a_real_run_of_the_demo(tmp_path):
    """A version made by `curate run` (redacted text, real ledger and index), erased by CLI."""
    import pyarrow.compute as pc

    from catalogs.versions import read_version
    from curation.demo_corpus import generate_demo_corpus
    from tests_support import run_cli, run_cli_json

    corpus = generate_demo_corpus(tmp_path / "demo")
    workspace = tmp_path / "workspace"
    summary = run_cli_json(["run", str(corpus.spec_path)], workspace=workspace)
    catalog = open_catalog(CatalogSettings.for_workspace(Workspace(workspace)))
    rows = read_version(catalog, summary["dataset"], summary["version"])
    subject = rows.filter(pc.equal(rows["source_id"], "policies")).to_pylist()[0]

    receipt = run_cli_json(
        [
            "erase",
            "--dataset",
            summary["dataset"],
            "--source-uri",
            subject["source_uri"],
            "--request-id",
            "DSR-1",
        ],
        workspace=workspace,
    )
    again = run_cli(
        [
            "erase",
            "--dataset",
            summary["dataset"],
            "--source-uri",
            subject["source_uri"],
            "--request-id",
            "DSR-1",
        ],
        workspace=workspace,
    )

    assert receipt["verified"] is True
    assert [(v["old"], v["new"]) for v in receipt["versions_affected"]] == [("v1", "v1-e1")]
    left = read_version(catalog, summary["dataset"], "v1-e1")
    assert left.num_rows == rows.num_rows - 1
    assert subject["doc_id"] not in left["doc_id"].to_pylist()
    for path in (workspace / "warehouse").rglob("*.parquet"):
        assert subject["source_uri"] not in json.dumps(pq.read_table(path).to_pylist(), default=str)
    assert again.returncode == 2 and "no document matched" in again.stderr


def _store_files(settings: CatalogSettings) -> set[str]:
    import pyarrow.fs as pafs

    from catalogs.registry import warehouse_filesystem

    fs, root = warehouse_filesystem(settings)
    selector = pafs.FileSelector(root, recursive=True)
    return {info.path for info in fs.get_file_info(selector) if info.type == pafs.FileType.File}


def test_erase_from_a_dataset_whose_warehouse_is_on_an_object_store(
    app, s3_env, s3_bucket, tmp_path, monkeypatch
):
    """Every file the erasure lists, deletes and reads back is on the store, none is local."""
    from catalogs.versions import read_version

    warehouse = f"s3://{s3_bucket}/warehouse"
    monkeypatch.delenv("CURATE_CATALOG_URI", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("CURATE_WAREHOUSE", warehouse)
    monkeypatch.setenv("CURATE_S3_ENDPOINT", s3_env.endpoint)
    workspace = Workspace(tmp_path / "ws").ensure()
    settings = CatalogSettings.for_workspace(workspace)
    assert settings.warehouse == warehouse
    catalog = open_catalog(settings)
    names = ["grievance.txt", "policy.txt"]
    ids = [make_doc_id("hr", n) for n in names]
    documents = pa.table(
        {
            "doc_id": ids,
            "text": [SENTENCE, "The policy applies to everyone."],
            "source_id": ["hr"] * 2,
            "source_uri": [f"file:///share/hr/{n}" for n in names],
            "content_sha256": [hashlib.sha256(n.encode()).hexdigest() for n in names],
        }
    )
    for number in (1, 2):
        commit_version(
            catalog,
            DATASET,
            documents,
            ledger_table(f"run-{number}", "ingest", ids, ["kept"] * 2),
            run_id=f"run-{number}",
            spec_fingerprint="spec",
            code_version="test",
            summary={"inputs": 2},
        )
    before = _store_files(settings)

    result = invoke(
        app,
        workspace,
        "--dataset",
        DATASET,
        "--source-uri",
        "file:///share/hr/grievance.txt",
        "--request-id",
        "DSR-9",
        "--json",
    )

    assert result.exit_code == 0, result.output
    receipt = json.loads(result.stdout)
    assert receipt["verified"] is True, receipt["verification"]
    assert receipt["verification"]["files_checked"] > 0
    deleted = {item["path"] for item in receipt["files_deleted"]}
    # the data files that held the document (and metadata the erasure's own commits replaced)
    assert {path for path in deleted if "/data/" in path} & before
    assert all(path.startswith(f"{s3_bucket}/warehouse/") for path in deleted)
    assert not deleted & _store_files(settings)
    assert s3_env.secret_key not in result.output
    assert not list((workspace.root / "warehouse").rglob("*.parquet"))
    catalog = open_catalog(settings)
    assert [v.name for v in list_versions(catalog, DATASET)] == ["v1-e1", "v2-e1"]
    for version in ("v1-e1", "v2-e1"):
        kept = read_version(catalog, DATASET, version)
        assert kept.column("doc_id").to_pylist() == [ids[1]]
        assert SENTENCE not in kept.column("text").to_pylist()
