"""Positions that make a word a person's name: reported speech, initials before a surname,
initials standing for a name, a name called out, pairs and lower-case header names; and the
firms, departments and abbreviations in the same positions that stay."""

from curation.pii import lexicon as L
from curation.pii import names as N
from curation.pii.config import PiiConfig
from curation.pii.stage import redact_texts

WORDS = frozenset({"position", "tariff", "proposal", "smith"})


def test_the_speaker_and_the_person_spoken_to_after_a_reporting_verb_are_redacted():
    texts = [
        "“We are late again!” said Quellbrook to Antonio",
        '"The model is ready," says Vandersloot.',
    ]

    redacted, _ = redact_texts(texts, PiiConfig())

    assert redacted[0].endswith("said <PERSON> to <PERSON>")
    assert redacted[1].endswith("says <PERSON>.")


def test_a_firm_before_its_spokesman_and_a_weekday_after_said_stay():
    texts = ['"Prices will fall," said Zentrix spokesman Ivo Brandt.', "He said Monday."]

    redacted, _ = redact_texts(texts, PiiConfig())

    assert "said Zentrix spokesman" in redacted[0] and "Ivo Brandt" not in redacted[0]
    assert redacted[1] == texts[1]


def test_a_surname_after_initials_is_redacted_with_them():
    texts = ["Please send the draft to J. Vandersloot by Friday.", "Ask J.R. Quellbrook first."]

    redacted, _ = redact_texts(texts, PiiConfig())

    assert redacted == ["Please send the draft to <PERSON> by Friday.", "Ask <PERSON> first."]


def test_abbreviations_and_outline_labels_before_a_capital_stay():
    texts = ["It is also being mailed by the U.S. Postal Service today."]
    outline = "A. Zentrix position on the tariff\nB. Smith's proposal"

    redacted, _ = redact_texts(texts, PiiConfig())
    found = L.initial_surnames(outline, frozenset({"smith"}), frozenset(), frozenset(), WORDS)

    assert redacted == texts
    assert [outline[a:b] for a, b in found] == ["B. Smith's"]


def test_initials_given_as_a_header_name_are_redacted_wherever_they_appear():
    text = (
        "From: Quellbrook , TK\nTo: Vandersloot , Mara\nSubject: rates\n\n"
        "Item 1 - TK to input the daily rates.\nMara / TK - please verify."
    )

    redacted, _ = redact_texts([text], PiiConfig())

    assert "TK" not in redacted[0] and "Quellbrook" not in redacted[0]
    assert "Item 1 - <PERSON> to input" in redacted[0]


def test_a_common_word_in_the_place_of_initials_is_no_name():
    text = "To: Quellbrook , IT\nSubject: access\n\nIT will reset it."

    redacted, _ = redact_texts([text], PiiConfig())

    assert redacted[0].endswith("IT will reset it.")


def test_signing_initials_are_redacted_where_they_sign_inside_a_thread():
    text = "Have you seen the contract?\nSPR\nThe counterparty changed its name.\nThanks , SPR"

    redacted, _ = redact_texts([text], PiiConfig())

    assert "SPR" not in redacted[0]


def test_a_given_name_called_out_at_a_sentence_end_is_a_person_not_a_place():
    texts = ["Don't go to town, Brandon!"]

    redacted, _ = redact_texts(texts, PiiConfig())

    assert redacted == ["Don't go to town, <PERSON>!"]


def test_the_other_word_of_a_pair_is_a_person_when_it_is_a_known_name():
    text = "Marrero and Murphy were there; Tapti and Ravi; Lockheed Martin and Moore"
    people = [(12, 18), (41, 45), (60, 66)]
    names = frozenset({"marrero", "moore"})

    found = N.coordinated_pairs(text, people, names)

    assert [text[a:b] for a, b in found] == ["Marrero"]


def test_lower_case_names_in_a_header_are_redacted_and_teams_stay():
    text = "From: john smith <js@example.com>\nTo: quellbrook, mara; sales team\n\nhi all"

    redacted, _ = redact_texts([text], PiiConfig())

    assert "john smith" not in redacted[0] and "quellbrook, mara" not in redacted[0]
    assert "sales team" in redacted[0]


def test_a_name_that_ner_joins_to_its_firm_is_judged_without_the_firm():
    value = N.strip_trailing_lower("Yuriko Hanamoto of Zentrix Analytics's")

    assert value == "Yuriko Hanamoto"
    assert N.looks_like_full_name(value, frozenset())
    assert N.strip_trailing_lower("Bank of Zentrix") == "Bank"


def test_a_surname_after_check_with_is_a_person_and_a_department_is_not():
    texts = ["Please check with Vandersloot first.", "Check with Legal before signing."]

    redacted, _ = redact_texts(texts, PiiConfig())

    assert redacted == ["Please check with <PERSON> first.", texts[1]]


def test_banks_named_after_their_founders_are_no_person():
    texts = ["Offers from Morgan Stanley and J.P. Morgan came in."]

    redacted, _ = redact_texts(texts, PiiConfig())

    assert redacted == texts


def test_a_name_on_its_own_line_before_the_message_is_redacted():
    texts = [
        "Okechi,\nPlease see the attached file.",
        "Okechi -\nThe rates are in.",
        "Team -\nThe rates are in.\nGentlemen,\nsee below.",
    ]

    redacted, _ = redact_texts(texts, PiiConfig())

    assert redacted[:2] == [
        "<PERSON>,\nPlease see the attached file.",
        "<PERSON> -\nThe rates are in.",
    ]
    assert redacted[2] == texts[2]


def test_a_list_label_before_a_colon_needs_a_known_name():
    words = frozenset({"note"})

    found = L.addressed_lines(
        "Jackups:\n5 rigs\nNotes:\nnone", frozenset(), frozenset(), frozenset(), words
    )

    assert found == []


def test_names_of_notes_addresses_written_without_blanks_are_redacted():
    text = (
        "---------------------- Forwarded by Okechi Nwosu/HOU/ECT on 10/01/2001 03:44 PM\n"
        "To: Tushar Dhruv/Corp/Acme@ACME, Mara Quist/NA/Acme@Acme\n\nSee the Gas Daily/Corp/Acme list."
    )

    redacted, _ = redact_texts([text], PiiConfig())

    for name in ("Okechi", "Nwosu", "Tushar", "Dhruv", "Mara", "Quist"):
        assert name not in redacted[0]
    assert "Gas Daily" in redacted[0]


def test_a_name_joined_to_the_writer_as_an_object_is_redacted_but_a_clause_is_not():
    texts = ["Please call Okechi and me tomorrow.", "It's Mid October and I am checking."]

    redacted, _ = redact_texts(texts, PiiConfig())

    assert redacted == ["Please call <PERSON> and me tomorrow.", texts[1]]
