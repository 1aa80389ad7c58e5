"""Initials that sign an e-mail are a person's; capitals that end a message otherwise are not."""

from curation.pii.config import PiiConfig
from curation.pii.stage import redact_texts


def test_initials_after_a_closing_or_before_a_quoted_message_are_redacted():
    texts = [
        "Please send it today.\nThanks , SPR",
        "Rates are in.\nTK\nOriginal Message\nFrom : desk",
        "Updated list attached.\nMK",
    ]

    redacted, counts = redact_texts(texts, PiiConfig())

    assert redacted[0].endswith("Thanks , <PERSON>")
    assert redacted[1].startswith("Rates are in.\n<PERSON>\nOriginal Message")
    assert redacted[2].endswith("\n<PERSON>")
    assert all(c.get("PERSON", 0) >= 1 for c in counts)


def test_acronyms_and_capitals_inside_lines_are_kept():
    texts = ["Call the IT desk.\nFYI", "The CFO and HR met.\nThanks , all", "See the FAQ"]

    redacted, _ = redact_texts(texts, PiiConfig())

    assert redacted == texts
