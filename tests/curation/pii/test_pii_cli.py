"""`curate redact` through typer's runner, on a root app built here (the integrator owns cli.py)."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from curation.schema import COUNTS_TYPE
from flows.commands.redact import register


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """Test root."""

    register(root)
    return root


def run(app, *args):
    return CliRunner().invoke(app, ["redact", *args])


def test_jsonl_rows_keep_id_and_fields(app, tmp_path, seeded_text, seeded_values):
    source = tmp_path / "in.jsonl"
    rows = [
        {"id": "a1", "body": seeded_text, "lang": "en"},
        {"id": "a2", "body": "Nothing here.", "n": 3},
    ]
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    target = tmp_path / "out.jsonl"

    result = run(
        app, str(source), "--out", str(target), "--text-field", "body", "--id-field", "id", "--json"
    )

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rows"] == 2 and summary["modified"] == 1
    assert summary["counts"]["EMAIL_ADDRESS"] == 2
    out = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["id"] for r in out] == ["a1", "a2"]
    assert out[0]["lang"] == "en" and out[1]["n"] == 3 and out[1]["body"] == "Nothing here."
    assert not any(v in out[0]["body"] for v in seeded_values)
    assert not any(v in result.stdout for v in seeded_values)


def test_jsonl_to_parquet_follows_the_output_extension(app, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": 1, "text": "Mail jane@example.com"}) + "\n")
    target = tmp_path / "out.parquet"

    result = run(app, str(source), "--out", str(target))

    assert result.exit_code == 0, result.output
    table = pq.read_table(target)
    assert table.column("text").to_pylist() == ["Mail <EMAIL_ADDRESS>"]
    assert table.column("id").to_pylist() == [1]
    assert table.schema.field("pii_counts").type == COUNTS_TYPE
    assert table.column("pii_counts").to_pylist() == [[{"key": "EMAIL_ADDRESS", "value": 1}]]


def test_parquet_keeps_column_types(app, tmp_path):
    source = tmp_path / "in.parquet"
    pq.write_table(
        pa.table({"doc": ["d1"], "text": pa.array(["Call +44 20 7946 0958"], pa.large_string())}),
        source,
    )
    target = tmp_path / "out.parquet"

    result = run(app, str(source), "--out", str(target), "--id-field", "doc")

    assert result.exit_code == 0, result.output
    table = pq.read_table(target)
    assert table.schema.field("text").type == pa.large_string()
    assert table.column("text").to_pylist() == ["Call <PHONE_NUMBER>"]
    assert table.column("pii_counts")[0].as_py() == [{"key": "PHONE_NUMBER", "value": 1}]


def test_spec_policy_is_applied(app, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: demo\npii:\n  actions:\n    EMAIL_ADDRESS: mask\n  allow_list: [Jane Example]\n"
    )
    source = tmp_path / "note.txt"
    source.write_text("Jane Example <jane@example.com>\n")

    result = run(app, str(source), "--spec", str(spec))

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "Jane Example <****************>"


def test_text_file_to_stdout_with_json_prints_one_value(app, tmp_path):
    source = tmp_path / "note.txt"
    source.write_text("Write to jane@example.com\n")

    result = run(app, str(source), "--json")

    assert result.exit_code == 0
    value = json.loads(result.stdout)
    assert value["text"] == "Write to <EMAIL_ADDRESS>\n" and value["output"] is None


@pytest.mark.parametrize(
    ("spec_text", "message"),
    [("pii:\n  actions:\n    NAME: tag\n", "pii.actions.NAME"), ("pii: [1, 2\n", "not valid YAML")],
)
def test_bad_spec_is_a_clean_error(app, tmp_path, spec_text, message):
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text)
    source = tmp_path / "note.txt"
    source.write_text("hello")

    result = run(app, str(source), "--spec", str(spec), "--json")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr and "Traceback" not in result.output


def test_missing_text_field_says_which_flag(app, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": 1, "body": "x"}) + "\n")

    result = run(app, str(source), "--out", str(tmp_path / "o.jsonl"))

    assert result.exit_code == 2
    assert "--text-field" in result.stderr


def test_command_has_help(app):
    result = CliRunner().invoke(app, ["redact", "--help"])
    assert result.exit_code == 0
    assert "Redact PII" in result.stdout


def test_redact_never_imports_pandas(tmp_path):
    """`curate redact` on JSONL needs no pandas; pyarrow's list conversions would import it
    (a fifth of a second of start-up) if the engine built its arrays with `pa.array`."""
    import subprocess
    import sys
    from pathlib import Path

    source = tmp_path / "in.jsonl"
    rows = [
        {"text": "Hello Maria,\n\nplease call me on +44 20 7946 0958.\n\nBest,\nJohn Carter"},
        {"text": "Guten Tag Herr Schneider, die Rechnung geht an buchhaltung@example.de."},
    ]
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    target = tmp_path / "out.jsonl"
    program = (
        "import sys\n"
        "from flows.cli import app\n"
        f"sys.argv = ['curate', 'redact', {str(source)!r}, '--out', {str(target)!r}, '--json']\n"
        "try:\n    app()\nexcept SystemExit as done:\n    assert not done.code, done.code\n"
        "print('pandas' in sys.modules, file=sys.stderr)\n"
    )
    repo = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [sys.executable, "-c", program], cwd=repo, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr.strip().splitlines()[-1] == "False"
    out = [json.loads(line)["text"] for line in target.read_text().splitlines()]
    assert "7946" not in out[0] and "John Carter" not in out[0]
    assert "buchhaltung@example.de" not in out[1] and "Schneider" not in out[1]
    assert json.loads(result.stdout)["languages"] == {"de": 1, "en": 1}
