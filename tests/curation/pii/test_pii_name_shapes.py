"""Name shapes and positions the rules must read (inner capitals, list labels, title lines,
dialogue speakers) and place or mailbox words that must not become people."""

from curation.pii import names as N
from curation.pii import recognizers as R
from curation.pii.config import PiiConfig
from curation.pii.stage import redact_texts


def test_surnames_with_an_inner_capital_are_names():
    texts = [
        "It may be that McGonagle was influenced by an earlier song.",
        "Regards, Sean O'Faolain and Tom MacAskill",
    ]

    redacted, _ = redact_texts(texts, PiiConfig())

    for name in ("McGonagle", "O'Faolain", "MacAskill"):
        assert name not in " ".join(redacted)


def test_product_words_with_an_inner_capital_stay():
    text = "I use a MacBook Pro and DON'T care."

    redacted, _ = redact_texts([text], PiiConfig())

    assert redacted == [text]


def test_a_list_label_before_a_ner_name_is_trimmed_not_fatal():
    text = "Item 4 - Leontyne Barstow 's query"
    common = frozenset({"item"})

    start, end = N.clean_person_span(text, 0, len("Item 4 - Leontyne Barstow 's"), common)

    assert text[start:end] == "Leontyne Barstow"
    assert N.clean_person_span("Room 12B Barstow", 0, 16, common) is None


def test_ner_organisation_spans_ending_in_of_are_judged_without_it():
    assert N.strip_trailing_lower("Dobrinka Wasilewska of") == "Dobrinka Wasilewska"
    assert N.looks_like_full_name(N.strip_trailing_lower("Dobrinka Wasilewska of"), frozenset())


def test_a_known_given_name_after_a_place_preposition_is_read_by_ner():
    texts = ["Purpose : Trip to Houston , TX , meeting with the bank"]

    redacted, counts = redact_texts(texts, PiiConfig())

    assert redacted == texts
    assert counts[0].get("PERSON", 0) == 0


def test_a_wrapped_exchange_address_gives_no_name_from_its_domain():
    local = "IMCEANOTES-Orla+20Quigg+20+3Coquigg+40example+2Ecom+3E+40ACMECORP"

    assert N.local_part_tokens(local + "@ACMECORP.com", [(0, len(local) + 13)], frozenset()) == {
        "Imceanotes",
        "Orla",
        "Quigg",
        "Oquigg",
    }


def test_a_distribution_list_in_a_header_is_no_person():
    text = "To : Quigg , Orla ; DL - IT Reykjavik\nSubject : data\n\nsee below"

    redacted, _ = redact_texts([text], PiiConfig())

    assert "Reykjavik" in redacted[0]
    assert "Orla" not in redacted[0]


def test_a_name_line_above_a_job_title_is_a_person_and_a_heading_is_not():
    texts = [
        "Best,\nTeodora Vukasinovic\n\nSenior bus driver\nCity Transit",
        "Lorcan van der Heyden\nEmployment manager\nAcme Inc.",
        "Quarterly Results\nSales Director",
    ]

    redacted, _ = redact_texts(texts, PiiConfig())

    assert "Vukasinovic" not in redacted[0] and "Senior bus driver" in redacted[0]
    assert "Heyden" not in redacted[1] and "Employment manager" in redacted[1]
    assert redacted[2] == texts[2]


def test_job_title_pattern_needs_the_title_on_the_next_lines():
    assert R.TITLED_NAME_LINE_RE.search("Orla Quigg\nAccount Director") is not None
    assert R.TITLED_NAME_LINE_RE.search("Orla Quigg\nsaid the director left early.") is None


def test_dialogue_speakers_unknown_to_the_lexicon_count_beside_a_known_one():
    text = "Zdravko: What a day.\nNicole: Remember me? I do."

    redacted, _ = redact_texts([text], PiiConfig())

    assert "Zdravko" not in redacted[0] and "Nicole" not in redacted[0]


def test_field_lists_are_no_dialogue():
    texts = ["Python: Yes\nJava: No", "Status: Done\nOwner: Ops"]

    redacted, _ = redact_texts(texts, PiiConfig())

    assert redacted == texts


def test_header_fields_are_no_dialogue_speakers():
    text = "X-From: Quigg, Orla\nX-To: Nicole Brandt\nNicole: see below\nOrla: fine"

    redacted, _ = redact_texts([text], PiiConfig())

    assert redacted[0].startswith("X-From: ") and "\nX-To: " in redacted[0]


def test_a_name_addressed_before_a_request_is_a_person_and_an_adverb_is_not():
    texts = ["Warrane, can I please speak to your boss?", "Finally, can we meet on Friday?"]

    redacted, _ = redact_texts(texts, PiiConfig())

    assert redacted[0] == "<PERSON>, can I please speak to your boss?"
    assert redacted[1] == texts[1]


def test_a_name_before_a_kin_word_is_a_person():
    redacted, _ = redact_texts(["It was settled between him and Zdravka's kid."], PiiConfig())

    assert "Zdravka" not in redacted[0]


def test_a_given_name_in_a_title_case_title_is_no_person():
    text = 'She sang "Carry Me Back To Old Virginny" again.'

    redacted, _ = redact_texts([text], PiiConfig())

    assert "Carry Me Back" in redacted[0]


def test_a_country_after_a_place_preposition_is_no_person_though_a_given_name():
    text = "I will be travelling to France next week, so I need my passport."

    redacted, _ = redact_texts([text], PiiConfig())

    assert redacted == [text]


def test_investment_firms_named_after_people_are_no_person():
    text = "Russell Investments is a design agency based in Espoo."

    redacted, _ = redact_texts([text], PiiConfig())

    assert "Russell Investments" in redacted[0]


def test_names_in_a_notes_address_list_are_redacted_one_by_one():
    text = (
        "To : Orla Quigg / ENRON@enronXgate , Teodor Blasko / HOU / EES@EES\n"
        "Subject : plan\n\nsee below"
    )

    redacted, counts = redact_texts([text], PiiConfig())

    assert redacted[0].startswith("To : <PERSON> / ")
    assert ", <PERSON> / HOU / " in redacted[0]
    assert counts[0]["PERSON"] == 2
