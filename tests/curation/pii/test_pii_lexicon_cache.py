"""The on-disk cache of the `auto` name lexicon: same lists, invalidated by its inputs, atomic."""

from __future__ import annotations

import pytest

from curation.pii import languages as LANG
from curation.pii import lexicon as L


@pytest.fixture(scope="module")
def built() -> tuple[frozenset[str], frozenset[str]]:
    return L._build_auto_lexicon()


def test_cache_gives_the_built_lists_and_is_read_back(tmp_path, built, monkeypatch):
    first = L.cached_auto_lexicon([tmp_path])

    def no_build():
        raise AssertionError("built again although cached")

    monkeypatch.setattr(L, "_build_auto_lexicon", no_build)
    result = L.cached_auto_lexicon([tmp_path])

    assert first == built and result == built
    assert [p.name for p in tmp_path.iterdir()] == [f"name-lexicon-{L.auto_lexicon_key()}.txt"]


def test_changed_inputs_give_a_new_file(tmp_path, built, monkeypatch):
    L.cached_auto_lexicon([tmp_path])
    monkeypatch.setattr(L, "auto_lexicon_key", lambda: "0" * 32)
    monkeypatch.setattr(L, "_build_auto_lexicon", lambda: (frozenset({"ada"}), frozenset()))

    result = L.cached_auto_lexicon([tmp_path])

    assert result == (frozenset({"ada"}), frozenset())
    assert len(list(tmp_path.iterdir())) == 2


def test_a_truncated_or_foreign_file_is_rebuilt(tmp_path, built):
    path = tmp_path / f"name-lexicon-{L.auto_lexicon_key()}.txt"
    L.cached_auto_lexicon([tmp_path])
    path.write_text(path.read_text(encoding="utf-8")[:5000], encoding="utf-8")

    assert L._read_cache(path, L.auto_lexicon_key()) is None
    assert L.cached_auto_lexicon([tmp_path]) == built
    assert L._read_cache(path, L.auto_lexicon_key()) == built


def test_an_unwritable_folder_falls_back_to_the_next(tmp_path, built):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    usable = tmp_path / "cache"

    assert L.cached_auto_lexicon([blocked / "sub", usable]) == built
    assert [p.suffix for p in usable.iterdir()] == [".txt"]  # no temporary file left


def test_cache_dirs_start_with_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(L.CACHE_ENV, str(tmp_path))

    assert L.cache_dirs()[0] == tmp_path


def test_stop_words_are_read_without_importing_the_language_package():
    from spacy.lang.en.stop_words import STOP_WORDS

    assert LANG.spacy_stop_words("en") == frozenset(STOP_WORDS)
    assert LANG.spacy_stop_words("xx-none") == frozenset()
