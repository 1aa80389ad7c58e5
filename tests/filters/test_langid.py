"""fastText lid.176 language id on batches, and its accuracy on the enterprise corpus."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from curation.offline import enforce_offline
from filters.langid import identify_languages, load_fasttext_model

enforce_offline()
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def test_languages_of_a_batch():
    texts = [
        "The quarterly report shows that sales grew in every region of the country.",
        "Le rapport trimestriel montre que les ventes ont augmenté dans toutes les régions.",
        "Der Quartalsbericht zeigt, dass der Umsatz in allen Regionen gestiegen ist.",
        "El informe trimestral muestra que las ventas crecieron en todas las regiones.",
        "   \n ",
        None,
    ]
    lang, score = identify_languages(texts)
    assert lang.to_pylist() == ["en", "fr", "de", "es", None, None]
    scores = score.to_pylist()
    assert all(s > 0.5 for s in scores[:4])
    assert scores[4:] == [0.0, 0.0]


def test_newlines_do_not_split_a_document():
    lang, _ = identify_languages(["Hello there, how are you?\nI am fine, thanks.\nSee you soon."])
    assert len(lang) == 1 and lang[0].as_py() == "en"


def test_model_is_loaded_once_per_process():
    identify_languages(["one text"])
    before = load_fasttext_model.cache_info().hits
    identify_languages(["another text"])
    assert load_fasttext_model.cache_info().hits == before + 1


@pytest.mark.shared
def test_accuracy_on_enterprise_documents_with_a_manifest_language():
    manifest = SHARED / "enterprise" / "MANIFEST.csv"
    if not manifest.is_file():
        pytest.skip(f"needs {manifest} (../shared/data beside the checkout)")
    with open(manifest, newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["format"] in {"md", "rst", "txt"}]
    texts, expected = [], []
    for row in rows[::3]:  # a third keeps the test fast; bench/quality.py measures all
        text = (
            (SHARED / "enterprise" / row["relative_path"]).read_bytes().decode("utf-8", "replace")
        )
        if row["language"] and len(text.split()) >= 20:
            texts.append(text)
            expected.append(row["language"])
    lang, _ = identify_languages(texts)
    correct = sum(got == want for got, want in zip(lang.to_pylist(), expected, strict=True))
    assert correct / len(texts) >= 0.97
