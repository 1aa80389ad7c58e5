"""Source declarations: validation errors name the key and say what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from curation.exceptions import SpecError
from curation.ingest import SourceConfig, load_sources


def test_relative_paths_resolve_against_the_spec_folder(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "rows.jsonl").write_text('{"text": "a"}\n')
    result = load_sources(
        [
            {"id": "hr", "path": "docs", "exclude": ["MANIFEST.csv"], "license": "CC-BY-4.0"},
            {"id": "rows", "type": "jsonl", "path": "rows.jsonl", "id_field": "id"},
        ],
        tmp_path,
    )
    assert result[0] == SourceConfig(
        id="hr",
        path=str(tmp_path / "docs"),
        exclude=("MANIFEST.csv",),
        license="CC-BY-4.0",
    )
    assert result[1].type == "jsonl"
    assert result[1].path == str(tmp_path / "rows.jsonl")
    assert result[1].include == ("**/*",)


@pytest.mark.parametrize(
    ("items", "key", "hint"),
    [
        (
            [{"id": "a", "path": "docs"}, {"id": "b", "path": "missing"}],
            "sources[1].path",
            "does not exist",
        ),
        ([{"id": "a", "path": "docs"}, {"id": "a", "path": "docs"}], "sources[1].id", "duplicate"),
        ([{"id": "Bad Id", "path": "docs"}], "sources[0].id", "[a-z0-9_-]+"),
        ([{"path": "docs"}], "sources[0].id", "required"),
        ([{"id": "a", "path": "docs", "type": "ftp"}], "sources[0].type", "must be one of"),
        ([{"id": "a", "path": "docs", "colour": 1}], "sources[0].colour", "unknown key"),
        ([{"id": "a", "path": "docs/x.txt"}], "sources[0].path", "not a folder"),
        (
            [{"id": "a", "path": "docs", "max_file_bytes": 0}],
            "sources[0].max_file_bytes",
            "positive",
        ),
    ],
)
def test_invalid_sources_name_the_key(tmp_path: Path, items: list, key: str, hint: str) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "x.txt").write_text("x")
    with pytest.raises(SpecError) as caught:
        load_sources(items, tmp_path)
    assert caught.value.key == key
    assert hint in str(caught.value)
