"""Person names beyond NER: given-name lexicons, firm names and address tails."""

from __future__ import annotations

import pytest

from curation.config import build_config
from curation.pii import PiiConfig, redact_texts
from curation.pii.exceptions import PiiError
from curation.pii.lexicon import frequent_surnames, load_lexicon


@pytest.fixture
def lexicon_dir(tmp_path):
    (tmp_path / "first.txt").write_text("Zorbina\nAmadeo\n", encoding="utf-8")
    (tmp_path / "last.txt").write_text("Quellmark\n", encoding="utf-8")
    return tmp_path


def test_lexicon_folder_finds_given_names_ner_misses(lexicon_dir):
    cfg = build_config(PiiConfig, {"name_lexicon": str(lexicon_dir)}, "pii")
    texts = [
        "The slides are from Amadeo and the team.",
        "please follow up with amadeo quellmark next week.",
        "Zorbina Street is closed.",
    ]
    (a, b, c), counts = redact_texts(texts, cfg)
    assert "Amadeo" not in a and "<PERSON>" in a
    assert "Amadeo" in redact_texts(texts[:1], PiiConfig(name_lexicon="off"))[0][0]
    assert "amadeo" not in b and "quellmark" not in b
    assert counts[0]["PERSON"] == 1 and counts[1]["PERSON"] == 1
    # A street word after the given name is not a surname: "Street" survives.
    assert c.endswith("Street is closed.")


def test_lexicon_off_and_missing_folder(tmp_path):
    assert load_lexicon("off") == (frozenset(), frozenset())
    with pytest.raises(PiiError, match="name_lexicon"):
        load_lexicon(str(tmp_path / "absent"))


def test_firm_names_and_address_tails_are_not_people():
    texts = [
        "Aristo spent a year at Jones, Mitchell and Williams as an assistant.",
        "Last spring the Foster, Medina and Reyes Orchestra toured Ohio.",
    ]
    redacted, _ = redact_texts(texts, PiiConfig())
    assert "Jones, Mitchell and Williams" in redacted[0]
    assert "Foster, Medina and Reyes Orchestra" in redacted[1]


def test_names_in_strong_cues_are_found():
    texts = ["I would like to remove my kid Tadzio from the will.", "Her maiden name is Kerbel."]
    redacted, counts = redact_texts(texts, PiiConfig())
    assert "Tadzio" not in redacted[0] and "Kerbel" not in redacted[1]
    assert all(c.get("PERSON") == 1 for c in counts)


def test_lower_case_names_only_on_lines_without_capitals(lexicon_dir):
    cfg = build_config(PiiConfig, {"name_lexicon": str(lexicon_dir)}, "pii")
    texts = [
        "they invited zorbina, amadeo and the rest",
        "i spoke to amadeo quellmark today",
        "We spoke to amadeo quellmark today.",
    ]
    redacted, counts = redact_texts(texts, cfg)
    assert "zorbina" not in redacted[0] and "amadeo" not in redacted[0]
    assert "amadeo" not in redacted[1]
    # A line with capitals: lower-case words there are not taken as names.
    assert redacted[2] == texts[2] and counts[2] == {}


def test_auto_lexicon_holds_census_and_international_names():
    first, last = load_lexicon("auto")
    # census (`names`) and Faker's locale lists (hu_HU, is_IS, pl_PL)
    assert {"heather", "krisztián", "halldór"} <= first
    assert {"smith", "nagy", "kowalski"} <= last
    # the generic `en` list that gives surnames as first names is left out
    assert "jones" not in first
    assert "jones" in frequent_surnames() and "heather" not in frequent_surnames()


def test_address_locality_is_part_of_the_address_not_a_person():
    texts = [
        "Her offices are located at 3310 Kertész u. 14. Curitiba , PR  Brazil 80010",
        "Ship it to 2210 Bond Street  Suite 413  Warwick  United States",
        "We met at 1400 Smith Street. Dear Heather, thanks for coming.",
    ]
    (a, b, c), counts = redact_texts(texts, PiiConfig())
    assert a == "Her offices are located at <STREET_ADDRESS>"
    assert b == "Ship it to <STREET_ADDRESS>"
    assert counts[0] == {"STREET_ADDRESS": 1} and counts[1] == {"STREET_ADDRESS": 1}
    # no postal code or country after the street: the next sentence is not swallowed
    assert "Dear <PERSON>, thanks for coming." in c


def test_dialogue_speaker_labels_are_names_roles_and_fields_are_not():
    texts = [
        'Halldór: What a wife. Nicole: "Remember me?"',
        "Note: This is fine.",
        "User: Where is my parcel?\nBot: On its way.",
        "Status: Open\nOwner: Platform\nPriority: High",
    ]
    (a, b, c, d), _ = redact_texts(texts, PiiConfig())
    assert "Halldór" not in a and "Nicole" not in a
    assert (b, c, d) == tuple(texts[1:])
