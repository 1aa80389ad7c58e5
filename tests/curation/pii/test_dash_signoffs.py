"""A name after a dash on a line of its own signs an e-mail; dashes before other words do not."""

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
