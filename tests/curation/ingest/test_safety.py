"""Hostile packages of every zip-based format are refused before any parser opens them."""

from __future__ import annotations

from pathlib import Path

import pytest

from curation.exceptions import ExtractionError
from curation.ingest import ExtractLimits, extract_file

from . import samples

BUILDERS = {"docx": samples.make_docx, "xlsx": samples.make_xlsx, "pptx": samples.make_pptx}


@pytest.mark.parametrize("family", sorted(BUILDERS))
def test_zip_bombs_are_refused(tmp_path: Path, family: str) -> None:
    real = BUILDERS[family](tmp_path / f"real.{family}")
    bomb = samples.make_zip_bomb_docx(tmp_path / f"bomb.{family}", real)
    with pytest.raises(ExtractionError) as caught:
        extract_file(bomb)
    assert caught.value.reason == "ingest.archive_bomb"


@pytest.mark.parametrize("family", sorted(BUILDERS))
def test_total_expansion_limit(tmp_path: Path, family: str) -> None:
    real = BUILDERS[family](tmp_path / f"real.{family}")
    with pytest.raises(ExtractionError) as caught:
        extract_file(real, limits=ExtractLimits(max_archive_bytes=1000))
    assert caught.value.reason == "ingest.archive_bomb"
    assert "limit 1000" in str(caught.value)


@pytest.mark.parametrize("family", sorted(BUILDERS))
def test_entity_declarations_are_refused(tmp_path: Path, family: str) -> None:
    import zipfile

    real = BUILDERS[family](tmp_path / f"real.{family}")
    hostile = tmp_path / f"hostile.{family}"
    with zipfile.ZipFile(real) as original, zipfile.ZipFile(hostile, "w") as out:
        for item in original.infolist():
            data = original.read(item)
            if item.filename == "[Content_Types].xml":
                body = data.decode()
                body = body.split("?>", 1)[1] if body.startswith("<?xml") else body
                data = (samples.BILLION_LAUGHS + body).encode()
            out.writestr(item, data)
    with pytest.raises(ExtractionError) as caught:
        extract_file(hostile)
    assert caught.value.reason == "ingest.xml_entity"
    assert "[Content_Types].xml" in str(caught.value)


def test_undecodable_text_and_binary_text(tmp_path: Path) -> None:
    undecodable = tmp_path / "a.txt"
    undecodable.write_bytes(bytes(range(128, 256)) * 4)
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"PK\x03\x04" + bytes(range(32)) * 20)
    reasons = []
    for path in (undecodable, binary):
        with pytest.raises(ExtractionError) as caught:
            extract_file(path)
        reasons.append(caught.value.reason)
    assert reasons == ["ingest.encoding_error", "ingest.binary_content"]
