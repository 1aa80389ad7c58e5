"""Detection coverage, policies and the no-PII-in-output guarantees of `redact_texts`."""

from __future__ import annotations

import json
import logging

import pytest

from curation.config import build_config
from curation.pii import PiiConfig, redact_texts
from curation.pii.exceptions import PseudonymKeyError

KEY = "k" * 32


def test_every_seeded_value_is_removed_and_counted(seeded, seeded_text, seeded_values):
    (result,), (counts,) = redact_texts([seeded_text], PiiConfig())

    leaked = [value for value in seeded_values if value in result]
    assert leaked == []
    for entity in seeded:
        assert counts.get(entity, 0) >= 1, entity
    assert f"<{'IBAN_CODE'}>" in result
    # Names seen in headers are found again alone in the body and the signature.
    for token in ("Marlene", "Okafor", "Tobias", "Renwick"):
        assert token not in result
    # Public words around them survive.
    assert "Q3 Freight Plan" in result and "Enron" in result and "Thanks" in result


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("Ring +33 1 42 68 53 00 tomorrow", "PHONE_NUMBER"),
        ("Handy: 0171 2345678", "PHONE_NUMBER"),
        ("call 713.853.7041 now", "PHONE_NUMBER"),
        ("IBAN FR14 2004 1010 0505 0001 3M02 606", "IBAN_CODE"),
        ("card 5500-0000-0000-0004 expired", "CREDIT_CARD"),
        ("server 2001:db8::ff00:42:8329 is down", "IP_ADDRESS"),
        ("Date of birth: March 3, 1961", "DATE_OF_BIRTH"),
        ("Geboren am 3. März 1961", "DATE_OF_BIRTH"),
        ("ship to 12 rue de la Paix, 75002 Paris", "STREET_ADDRESS"),
        ("Büro: Hauptstraße 5a, 10115 Berlin", "STREET_ADDRESS"),
        ("see www.linkedin.com/in/jane-doe-123", "PERSONAL_URL"),
        ("Dr. Wiebke Nørgaard approved it", "PERSON"),
        ("Visa 4131034282458809939 was charged", "CREDIT_CARD"),
        ("JCB 213176828496175 on file", "CREDIT_CARD"),
        ("iban gb82west12345698765432 please", "IBAN_CODE"),
        ("Mail : Dana . Whitfield@Blue - River - Works.com", "EMAIL_ADDRESS"),
        ("Tushar Dhruv@ENRON\n04/16/2001 09:13 AM", "EMAIL_ADDRESS"),
        ("They're not answering at 78 651 450", "PHONE_NUMBER"),
        ("416 60 039 office", "PHONE_NUMBER"),
        ("+46 (0)179 459 33 is the desk", "PHONE_NUMBER"),
        ("we need to add Thelma Mitchell as guardian", "PERSON"),
        ("Produced with: Norma J. Whitcombe", "PERSON"),
        ("My friends call me Ottokár", "PERSON"),
        ("Name: hyuuma t. maida", "PERSON"),
        ("Greta lives near the harbour", "PERSON"),
        ("Please merge the ledger with mrs. Ludovica", "PERSON"),
        ("PSC 3294, Box 9168", "STREET_ADDRESS"),
        ("lives at 79063 63 Rue de Kairouan", "STREET_ADDRESS"),
    ],
)
def test_entity_is_detected(text, entity):
    (result,), (counts,) = redact_texts([text], PiiConfig())

    assert counts.get(entity) == 1, (result, counts)
    assert f"<{entity}>" in result


def test_known_false_positives_of_the_small_model_are_avoided():
    text = "Transfer to DE89 3704 0044 0532 0130 00 from ops@example.org on 2024-05-01, ref 123456."

    (result,), (counts,) = redact_texts([text], PiiConfig())

    assert counts == {"EMAIL_ADDRESS": 1, "IBAN_CODE": 1}
    assert "2024-05-01" in result and "123456" in result


def test_dates_without_birth_context_are_kept():
    (result,), (counts,) = redact_texts(["The meeting on 12/03/1975 was long."], PiiConfig())

    assert counts == {}
    assert result == "The meeting on 12/03/1975 was long."


def test_allow_list_keeps_public_names():
    cfg = PiiConfig(allow_list=("Acme Robotics", "Ada Lovelace"))
    text = "Ada Lovelace Prize sponsored by Acme Robotics; contact Jane Miller."

    (result,), (counts,) = redact_texts([text], cfg)

    assert "Ada Lovelace" in result and "Acme Robotics" in result
    assert "Jane Miller" not in result
    assert counts == {"PERSON": 1}


def test_deny_list_and_custom_recognizer_with_context(tmp_path):
    directory = tmp_path / "employees.txt"
    directory.write_text("Zorblax Quint\n\nVantrel Osk\n", encoding="utf-8")
    cfg = build_config(
        PiiConfig,
        {
            "deny_list_files": {"PERSON": str(directory)},
            "recognizers": [
                {
                    "entity": "EMPLOYEE_ID",
                    "patterns": [r"\bE\d{6}\b"],
                    "context": ["employee", "staff id"],
                    "require_context": True,
                }
            ],
        },
        "pii",
    )
    text = "zorblax quint (employee E123456) met Vantrel Osk.\nThe spare part E654321 shipped."

    (result,), (counts,) = redact_texts([text], cfg)

    assert counts["EMPLOYEE_ID"] == 1 and counts["PERSON"] == 2
    assert "E123456" not in result and "E654321" in result
    assert "zorblax" not in result.lower() and "Vantrel" not in result


def test_actions_mask_keep_and_pseudonymize_are_stable(monkeypatch):
    monkeypatch.setenv("CURATE_PII_KEY", KEY)
    cfg = PiiConfig(
        actions={"PERSON": "pseudonymize", "EMAIL_ADDRESS": "mask", "PHONE_NUMBER": "keep"}
    )
    texts = ["Jane Miller wrote to jm@example.com from +44 20 7946 0958.", "Ask Jane Miller."]

    result, counts = redact_texts(texts, cfg)

    first = result[0].split(" wrote")[0]
    assert first.startswith("<PERSON_") and first in result[1]
    assert "*************" in result[0] and "jm@example.com" not in result[0]
    assert "+44 20 7946 0958" in result[0]
    assert counts[0] == {"EMAIL_ADDRESS": 1, "PERSON": 1, "PHONE_NUMBER": 1}

    monkeypatch.setenv("CURATE_PII_KEY", "another-key-of-32-bytes-length!!")
    other, _ = redact_texts(texts, cfg)
    assert other[0].split(" wrote")[0] != first


def test_pseudonymize_without_key_says_what_to_do(monkeypatch):
    monkeypatch.delenv("CURATE_PII_KEY", raising=False)
    cfg = PiiConfig(default_action="pseudonymize")

    with pytest.raises(PseudonymKeyError, match="export CURATE_PII_KEY"):
        redact_texts(["Jane Miller"], cfg)


def test_key_file_is_read_outside_the_data(tmp_path):
    key_file = tmp_path / "pii.key"
    key_file.write_text(KEY + "\n")
    cfg = PiiConfig(actions={"EMAIL_ADDRESS": "pseudonymize"}, key_file=str(key_file), ner=False)

    (result,), _ = redact_texts(["a@b.example.com"], cfg)

    assert result.startswith("<EMAIL_ADDRESS_") and KEY not in result


def test_no_pii_value_reaches_logs_or_counts(caplog, seeded_text, seeded_values):
    caplog.set_level(logging.DEBUG)

    result, counts = redact_texts([seeded_text, seeded_text.upper()], PiiConfig())

    logged = caplog.text + json.dumps(counts)
    for value in seeded_values:
        assert value not in logged
        assert value.lower() not in logged.lower()
    assert counts[0]["EMAIL_ADDRESS"] == 2


def test_house_numbers_and_ids_are_not_phone_numbers():
    text = "The depot at 79063 63 Rue de Kairouan holds lot 5533 119 and order 1234 5678."

    (_,), (counts,) = redact_texts([text], PiiConfig())

    assert "PHONE_NUMBER" not in counts


def test_names_in_a_list_follow_the_name_ner_found():
    text = "They had 6: Kateřina, James, Christopher, Jennifer, Emily and Jodi."

    (result,), (counts,) = redact_texts([text], PiiConfig())

    assert counts["PERSON"] == 6
    assert result == "They had 6: " + ", ".join(["<PERSON>"] * 5) + " and <PERSON>."


def test_names_deep_in_a_long_line_are_found():
    filler = "the quarterly figures were reviewed again and nothing changed at all " * 8
    text = filler + "before Maria Gonzalez signed the contract."

    (result,), (counts,) = redact_texts([text], PiiConfig())

    assert counts == {"PERSON": 1}
    assert result.startswith(filler) and "Maria" not in result


def test_organisations_are_not_taken_for_people():
    text = "The Marsh Orchestra played for Holloway Capital Group in Northern Chile."

    (_,), (counts,) = redact_texts([text], PiiConfig())

    assert "PERSON" not in counts


def test_entities_limit_builtin_detectors_but_deny_lists_still_apply():
    cfg = PiiConfig(entities=("EMAIL_ADDRESS",), deny_lists={"PERSON": ["Zorb Quax"]})
    text = "From: Jane Miller <jane@x.example.com>\nCall Jane Miller, Zorb Quax at 713-853-7041"

    (result,), (counts,) = redact_texts([text], cfg)

    assert counts == {"EMAIL_ADDRESS": 1, "PERSON": 1}
    assert "Jane Miller" in result and "713-853-7041" in result and "Zorb" not in result


@pytest.mark.parametrize(
    "text",
    [
        "a." * 20_000 + " x@y.example.com",
        "Abc, " * 4_000,
        "Ms. Abc Def 713-555-1234 a@b.com " * 600,
    ],
)
def test_adversarial_inputs_take_linear_time(text):
    import time

    start = time.process_time()
    (result,), _ = redact_texts([text], PiiConfig())

    assert time.process_time() - start < 5.0
    assert len(result) > 0
