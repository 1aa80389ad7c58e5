"""Dataset spec loading: every error names its key; `curate init` writes a valid example."""

from __future__ import annotations

import textwrap

import pytest

from curation.exceptions import SpecError
from curation.spec import load_spec
from flows.cli import app


def write(tmp_path, body: str):
    (tmp_path / "docs").mkdir(exist_ok=True)
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(body))
    return path


VALID = """
    name: handbook
    sources:
      - id: hb
        type: folder
        path: docs
        license: CC-BY-4.0
    dedup: {threshold: 0.7}
"""


def test_valid_spec_resolves_paths_and_defaults(tmp_path):
    spec = load_spec(write(tmp_path, VALID))

    assert spec.name == "handbook"
    assert spec.table_name == "curated.handbook"
    assert spec.sources[0].license == "CC-BY-4.0"
    assert spec.dedup.threshold == 0.7
    assert len(spec.fingerprint) == 16


@pytest.mark.parametrize(
    ("body", "key"),
    [
        (VALID.replace("threshold: 0.7", "treshold: 0.7"), "dedup.treshold"),
        (VALID.replace("license: CC-BY-4.0", "license: Not A License((("), "sources[0].license"),
        (VALID.replace("path: docs", "path: missing"), "sources[0].path"),
        (VALID.replace("name: handbook", "nam: handbook"), "nam"),
        (VALID + "    quality: [1, 2]\n", "quality"),
    ],
)
def test_errors_name_the_offending_key(tmp_path, body, key):
    with pytest.raises(SpecError) as error:
        load_spec(write(tmp_path, body))
    assert error.value.key == key, str(error.value)


def test_fingerprint_follows_the_configs_not_the_file_layout(tmp_path):
    first = load_spec(write(tmp_path, VALID)).fingerprint
    second = load_spec(write(tmp_path, VALID + "\n# a comment\n")).fingerprint
    third = load_spec(write(tmp_path, VALID.replace("0.7", "0.9"))).fingerprint

    assert first == second != third


def test_init_writes_a_spec_that_loads(tmp_path):
    from typer.testing import CliRunner

    target = tmp_path / "dataset.yaml"
    result = CliRunner().invoke(app, ["init", str(target)])
    (tmp_path / "documents" / "handbook").mkdir(parents=True)

    assert result.exit_code == 0, result.output
    spec = load_spec(target)
    assert spec.sources[0].id == "handbook"
    assert "#" in target.read_text()


def test_a_bad_version_name_fails_in_one_line_before_any_document_is_read(tmp_path):
    from tests_support import run_cli

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("hello")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: tiny\nsources:\n  - {id: docs, path: docs, license: CC0-1.0}\n", encoding="utf-8"
    )
    result = run_cli(["run", str(spec), "--version", "bad name!"], workspace=tmp_path / "ws")

    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "version name 'bad name!'" in lines[0] and "e.g. v7" in lines[0]
    assert not (tmp_path / "ws" / "runs").exists() or not any((tmp_path / "ws" / "runs").iterdir())
