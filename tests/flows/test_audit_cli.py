"""`curate audit ...` and `curate catalog record-model` on a real two-version catalog."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "catalogs" / "audit"))

from audit_corpus import DATASET, PERSON_URI, build_corpus  # noqa: E402

from catalogs.audit.trail import trail_path  # noqa: E402
from flows.cli import app  # noqa: E402
from tests_support import run_cli  # noqa: E402


@pytest.fixture()
def corpus(tmp_path, monkeypatch):
    monkeypatch.delenv("CURATE_CATALOG_URI", raising=False)
    monkeypatch.delenv("CURATE_WAREHOUSE", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    corpus = build_corpus(tmp_path)
    monkeypatch.setenv("CURATE_WORKSPACE", str(corpus.workspace))
    return corpus


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def test_audit_name_at_version_is_short_for_audit_bundle(corpus, tmp_path):
    short = invoke("audit", f"{DATASET}@v1", "--out", str(tmp_path / "a"), "--json")
    long = invoke(
        "audit", "bundle", f"{DATASET}@v1", "--out", str(tmp_path / "b"), "--spec",
        str(corpus.spec_path), "--provider", "ACME GmbH", "--json",
    )  # fmt: skip

    assert short.exit_code == 0, short.output
    assert long.exit_code == 0, long.output
    first, second = json.loads(short.stdout), json.loads(long.stdout)
    assert (first["version"], first["documents"]) == ("v1", 10)
    assert (tmp_path / "a" / "summary.html").is_file()
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert summary["provider"] == "ACME GmbH" and summary["spec"]["checked_against_spec_file"]
    assert [f["path"] for f in second["files"]][-1] == "SHA256SUMS"


def test_a_bundle_from_another_process_has_the_same_bytes(corpus, tmp_path):
    here = invoke("audit", f"{DATASET}@v2", "--out", str(tmp_path / "here"))
    assert here.exit_code == 0, here.output

    there = run_cli(
        ["audit", f"{DATASET}@v2", "--out", str(tmp_path / "there")], workspace=corpus.workspace
    )

    assert there.returncode == 0, there.stderr
    for path in sorted((tmp_path / "here").iterdir()):
        if path.name not in ("summary.json", "SHA256SUMS"):
            assert path.read_bytes() == (tmp_path / "there" / path.name).read_bytes(), path.name


def test_lookup_prints_versions_decisions_and_models(corpus):
    recorded = invoke("catalog", "record-model", f"{DATASET}@v1", "--model", "m-1", "--json")
    assert recorded.exit_code == 0, recorded.output
    entry = json.loads(recorded.stdout)
    assert (entry["kind"], entry["version"], entry["prev_sha256"]) == ("model", "v1", "")

    as_json = invoke("audit", "lookup", DATASET, "--source-uri", PERSON_URI, "--json")
    human = invoke("audit", "lookup", DATASET, "--doc-id", "hr-cv")

    assert as_json.exit_code == 0, as_json.output
    result = json.loads(as_json.stdout)
    assert [v["version"] for v in result["versions"]] == ["v1", "v2"]
    assert [m["model"] for m in result["models"]] == ["m-1"]
    assert human.exit_code == 0, human.output
    assert "pii.redacted" in human.stdout and "incremental.unchanged" in human.stdout
    assert "no erasure of this document is recorded" in human.stdout


def test_lookup_needs_exactly_one_identifier(corpus):
    result = invoke("audit", "lookup", DATASET, "--doc-id", "a", "--sha256", "b")

    assert result.exit_code == 2
    assert "exactly one of --doc-id, --source-uri or --sha256" in result.output


def test_verify_reports_a_tampered_trail_with_exit_code_1(corpus):
    for model in ("m-1", "m-2"):
        assert invoke("catalog", "record-model", f"{DATASET}@v2", "--model", model).exit_code == 0
    intact = invoke("audit", "verify", DATASET, "--json")
    assert intact.exit_code == 0 and json.loads(intact.stdout)["entries"] == 2

    path = trail_path(corpus.workspace, DATASET)
    path.write_bytes(path.read_bytes().replace(b'"m-1"', b'"m-X"'))
    broken = invoke("audit", "verify", DATASET)

    assert broken.exit_code == 1
    assert "broken" in broken.stdout and "line 2 does not chain to line 1" in broken.stdout


def test_errors_are_one_line_with_exit_code_2(corpus, tmp_path):
    missing = invoke("audit", f"{DATASET}@v9", "--out", str(tmp_path / "x"))
    unknown = invoke("catalog", "record-model", "curated.nope@v1", "--model", "m")

    assert missing.exit_code == 2 and "has no version 'v9'" in missing.output
    assert unknown.exit_code == 2 and "no dataset named" in unknown.output
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_an_audit_bundle_of_the_demo_holds_none_of_its_seeded_personal_data(tmp_path):
    from curation.demo_corpus import generate_demo_corpus

    workspace = tmp_path / "workspace"
    demo = run_cli(["demo", "--json"], workspace=workspace)
    assert demo.returncode == 0, demo.stderr[-4000:]
    summary = json.loads(demo.stdout)
    reference = f"{summary['dataset']}@{summary['version']}"
    out = tmp_path / "bundle"

    audit = run_cli(
        ["audit", reference, "--out", str(out), "--spec", summary["spec"], "--json"],
        workspace=workspace,
    )

    assert audit.returncode == 0, audit.stderr[-4000:]
    truth = generate_demo_corpus(tmp_path / "truth")
    seeds = [*truth.seeded_names, *truth.seeded_emails, *truth.seeded_phones, *truth.seeded_ibans]
    assert len(seeds) > 20
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    documents = pq.read_table(out / "documents.parquet")
    decoded = "\n".join(
        str(v)
        for column in documents.columns
        for v in column.cast(pa.string()).to_pylist()
        if not pa.types.is_list(column.type)
    )
    for path in out.iterdir():
        text = path.read_bytes().decode("utf-8", errors="replace")
        for seed in seeds:
            assert seed not in text, (seed, path.name)
    for seed in seeds:
        assert seed not in decoded, seed
    assert pcsv.read_csv(out / "documents.csv").num_rows == summary["inputs"]
    assert json.loads((out / "summary.json").read_text())["totals"]["inputs"] == summary["inputs"]
