"""Signature lines (a name after a dash, a name line in capitals) are people; headings, bullets
and dates are not."""

from curation.pii.config import PiiConfig
from curation.pii.stage import redact_texts


def test_dash_signoffs_in_any_case_are_redacted():
    texts = [
        "Call me tomorrow.\n-Jeff",
        "See the numbers below.\n--sally",
        "Agreed.\n~ Mike Grigsby\n\nOriginal Message",
        "Sent the draft.\n-Bill",
    ]

    redacted, counts = redact_texts(texts, PiiConfig())

    assert redacted[0] == "Call me tomorrow.\n-<PERSON>"
    assert redacted[1] == "See the numbers below.\n--<PERSON>"
    assert redacted[2].startswith("Agreed.\n~ <PERSON>\n")
    assert "Grigsby" not in redacted[2]
    assert redacted[3] == "Sent the draft.\n-<PERSON>"
    assert all(c.get("PERSON", 0) >= 1 for c in counts)


def test_dashes_before_words_that_name_nobody_are_kept():
    texts = [
        "Items:\n- review the contract\n- sign it",
        "Done.\n--thanks",
        "we need the co-op e-mail re-sent",
    ]

    redacted, _ = redact_texts(texts, PiiConfig())

    assert redacted == texts


def test_a_name_line_in_capitals_is_redacted_and_headings_are_kept():
    texts = [
        "Regards,\nJEFF DASOVICH\nSR. DIRECTOR",
        "See you there.\nPAUL E Y'BARBO",
        "WINTER TRAVEL\nHILTON HOTELS\nMARK TO MARKET",
    ]

    redacted, _ = redact_texts(texts, PiiConfig())

    assert redacted[0] == "Regards,\n<PERSON>\nSR. DIRECTOR"
    assert redacted[1] == "See you there.\n<PERSON>"
    assert redacted[2] == texts[2]


def test_dates_with_an_hour_are_no_phone_numbers():
    text = "Forwarded by the desk on 01/04/2001 10:22 AM\nCall 713-853-9757 today."

    redacted, counts = redact_texts([text], PiiConfig())

    assert "01/04/2001 10:22 AM" in redacted[0]
    assert "713-853-9757" not in redacted[0]
    assert counts[0].get("PHONE_NUMBER") == 1


def test_the_other_name_of_a_slash_pair_is_redacted_but_not_a_notes_address():
    texts = ["Jeff/Sara,\nPlease see below.", "Forwarded by Tana Jones/HOU/ECT today"]

    redacted, _ = redact_texts(texts, PiiConfig())

    assert redacted[0] == "<PERSON>/<PERSON>,\nPlease see below."
    assert redacted[1] == "Forwarded by <PERSON>/HOU/ECT today"
