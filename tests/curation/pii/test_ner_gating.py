"""Where NER runs: only around capitalized words nothing else explains."""

from curation.pii import lexicon as L
from curation.pii import names as N
from curation.pii.config import PiiConfig
from curation.pii.engine import DEFAULT_NER_MODELS, model_dictionary
from curation.pii.stage import redact_texts_with_methods


def test_the_english_model_ships_a_dictionary_of_lemmas():
    words = model_dictionary(DEFAULT_NER_MODELS["en"])

    assert len(words) > 50_000
    assert {"outage", "energy", "invoice"} <= words
    assert "okafor" not in words


def test_dictionary_words_open_no_window_unless_they_are_frequent_names():
    dictionary = model_dictionary(DEFAULT_NER_MODELS["en"])
    common, names = N.common_words(), L.frequent_names()

    assert not N.needs_ner("Outages", common, names, dictionary)
    assert not N.needs_ner("Energy", common, names, dictionary)
    assert not N.needs_ner("We'll", common, names, dictionary)
    assert not N.needs_ner("X-From", common, names, dictionary)
    assert not N.needs_ner("B", common, names, dictionary)
    assert N.needs_ner("Mark", common, names, dictionary)
    assert N.needs_ner("Okafor", common, names, dictionary)


def test_words_inside_found_spans_open_no_window():
    text = "Scheduled Outages\nplease call Okafor about it"
    common = N.common_words()
    dictionary = model_dictionary(DEFAULT_NER_MODELS["en"])

    open_text = N.ner_segments(text, common, dictionary=dictionary)
    at = text.index("Okafor")
    covered = N.ner_segments(text, common, dictionary=dictionary, covered=[(at, at + 6)])

    assert [text[a:b] for a, b in open_text] == ["please call Okafor about it"]
    assert covered == []


def test_a_name_only_ner_knows_is_still_found():
    texts = ["The outage report was reviewed by Qwazi Okoumba on site."]

    (result,), _, (method,) = redact_texts_with_methods(texts, PiiConfig(), langs=["en"])

    assert method["ner_windows"] == 1
    assert "Okoumba" not in result and "Qwazi" not in result
    assert result.startswith("The outage report was reviewed by <PERSON>")
