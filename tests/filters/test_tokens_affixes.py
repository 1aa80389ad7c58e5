"""The fast path's affix characters saved for the installed spaCy are the tokenizer's own."""

from __future__ import annotations

import json

import spacy

from filters.tokens import (
    AFFIXES_FILE,
    _tokenizer,
    derive_affix_chars,
    saved_affix_chars,
    write_affix_chars,
)


def test_saved_affix_chars_match_the_live_tokenizer():
    saved = json.loads(AFFIXES_FILE.read_text(encoding="utf-8"))
    assert saved["spacy"] == spacy.__version__, (
        f"{AFFIXES_FILE.name} was derived under spaCy {saved['spacy']}: "
        "run `python -m filters.tokens` to derive it under the installed version"
    )

    assert saved_affix_chars() == derive_affix_chars(_tokenizer())


def test_another_spacy_version_derives_its_own(tmp_path, monkeypatch):
    written = tmp_path / "affixes.json"
    write_affix_chars(written)
    record = json.loads(written.read_text(encoding="utf-8"))
    record["spacy"] = "0.0.0"
    written.write_text(json.dumps(record), encoding="utf-8")
    monkeypatch.setattr("filters.tokens.AFFIXES_FILE", written)

    assert saved_affix_chars() is None
