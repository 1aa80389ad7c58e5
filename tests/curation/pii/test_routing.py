"""Paragraphs in another language than their document's are read with their own rules."""

from curation.pii.config import PiiConfig
from curation.pii.routing import paragraphs, split_by_language
from curation.pii.stage import redact_documents, redact_texts_with_methods

ENGLISH = (
    "Hi team, please see the letter below from our German customer about the invoice. "
    "We need to answer it by Friday, and Tom Baker will prepare the draft for review."
)
GERMAN = (
    "Sehr geehrte Damen und Herren,\n\nvielen Dank für Ihre Nachricht. Aus der Buchhaltung wird "
    "die Rechnung nächste Woche geprüft, und wir melden uns dann umgehend bei Ihnen zurück.\n\n"
    "Mit freundlichen Grüßen\nKlaus Becker"
)
MIXED = ENGLISH + "\n\n" + GERMAN


def test_paragraph_bounds_tile_the_text():
    text = "a\n\n\nb\n  \nc"

    bounds = paragraphs(text)

    assert "".join(text[a:b] for a, b in bounds) == text
    assert [text[a:b].strip() for a, b in bounds] == ["a", "b", "c"]


def test_a_document_of_one_language_stays_one_piece():
    def identify(texts):
        return [("en", 0.99)] * len(texts)

    pieces = split_by_language([ENGLISH + "\n\n" + ENGLISH], ["en"], identify)

    assert pieces.texts == [ENGLISH + "\n\n" + ENGLISH] and pieces.owner == [0]


def test_unsure_paragraphs_do_not_cut_a_document():
    def identify(texts):
        return [("de" if "Rechnung" in t else "en", 0.5) for t in texts]

    pieces = split_by_language([MIXED], ["en"], identify)

    assert pieces.langs == ["en"]


def test_german_quoted_in_english_keeps_its_nouns_and_loses_its_names():
    (result,), (counts,), (method,) = redact_texts_with_methods([MIXED], PiiConfig(), langs=["en"])

    assert "vielen Dank für Ihre Nachricht" in result
    assert "Aus der Buchhaltung wird die Rechnung" in result
    assert "Mit freundlichen Grüßen\n<PERSON>" in result
    assert "Tom Baker" not in result and "Klaus Becker" not in result
    assert [s["lang"] for s in method["segments"]] == ["en", "de"]
    assert method["segments"][1]["ner"] is None
    assert sum(s["chars"] for s in method["segments"]) == len(MIXED)
    assert counts["PERSON"] == 2


def test_routing_can_be_switched_off():
    cfg = PiiConfig(paragraph_languages=False)

    (result,), _, (method,) = redact_texts_with_methods([MIXED], cfg, langs=["en"])

    assert "segments" not in method
    assert "Klaus Becker" not in result


def test_the_stage_records_the_segments_in_its_details():
    import json

    import pyarrow as pa

    table = pa.table({"doc_id": ["d1"], "text": [MIXED], "lang": ["en"]})

    redacted, decision = redact_documents(table, PiiConfig())

    details = json.loads(decision.details[0].as_py())
    assert [s["lang"] for s in details["segments"]] == ["en", "de"]
    assert "Buchhaltung" in redacted.column("text")[0].as_py()
