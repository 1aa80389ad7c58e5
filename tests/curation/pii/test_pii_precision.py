"""Precision: words that look like names to a model but are not people stay in the text.

Every false positive removes training signal, so these are asserted as strictly as the names
that must go. The sentences are written for these tests.
"""

from __future__ import annotations

import pytest

from curation.config import build_config
from curation.pii import PiiConfig, redact_texts
from curation.pii.engine import _packaged_allow_list, validate_policy
from curation.pii.exceptions import PiiError


@pytest.mark.parametrize(
    "text",
    [
        "We deploy it with Docker Compose on Kubernetes and GitHub Actions; data lives in "
        "PostgreSQL.",
        "Date: Tue, 14 Nov 2023 09:12:00 +0100",
        "Classification: Internal",
        "Confidential - do not forward.",
        "Cher client, merci pour votre commande.",
        "Liebe Kolleginnen und Kollegen, bitte beachten Sie die neue Regel.",
        "The Sales Manager and the Product Owner approved the Scrum Master's plan.",
    ],
)
def test_english_false_positives_are_kept(text):
    (result,), (counts,) = redact_texts([text], PiiConfig())

    assert result == text and counts == {}


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("de", "Am Dienstag, 14. März 2024 prüft die Buchhaltung die Rechnung."),
        ("de", "Sie erhalten die Unterlagen am Freitag. Ihre Bestellung ist unterwegs."),
        ("de", "Vertraulich: Die Geschäftsführerin stellt am Montag den Bericht vor."),
        ("fr", "Le mardi 14 mars 2024, le Directeur Général présentera le Budget."),
        ("fr", "Vous recevrez le Devis vendredi. Nous restons à votre disposition."),
        ("es", "El Martes 5 de marzo de 2024 la Directora Financiera revisará la Factura."),
        ("es", "Usted recibirá el Presupuesto el Viernes. Confidencial."),
        ("it", "Lunedì 4 marzo 2024 il Responsabile Amministrativo verificherà la Fattura."),
        ("it", "Riservato: la Fattura di Giugno è stata saldata con Bonifico."),
        ("nl", "Op Dinsdag 12 maart 2024 controleert de Afdeling Inkoop de Factuur."),
        ("nl", "Vertrouwelijk: u ontvangt de Offerte op Vrijdag."),
    ],
)
def test_capitalized_nouns_months_weekdays_and_classifications_are_not_people(lang, text):
    (result,), (counts,) = redact_texts([text], PiiConfig(), langs=[lang])

    assert result == text and counts == {}


def test_dates_are_not_addresses_but_addresses_still_are():
    texts = ["Sent: Tue, 14 Nov 2023 09:12:00", "Please ship to 221 Harborview Road, Suite 4."]

    (dated, shipped), (first, second) = redact_texts(texts, PiiConfig())

    assert dated == texts[0] and first == {}
    assert second == {"STREET_ADDRESS": 1}


def test_job_title_after_a_signature_name_stays():
    text = "Best regards,\nMarlene Okafor\nHead of Finance"

    (result,), (counts,) = redact_texts([text], PiiConfig())

    assert result == "Best regards,\n<PERSON>\nHead of Finance" and counts == {"PERSON": 1}


def test_packaged_allow_list_is_read_and_files_extend_it(tmp_path):
    packaged = _packaged_allow_list()
    assert "Docker Compose" in packaged and not any(t.startswith("#") for t in packaged)

    text = "Ask Thelma Whitcombe about the Zorbex Vantrel build."
    extra = tmp_path / "allow.txt"
    extra.write_text("# product names of this share\nZorbex Vantrel\n\nThelma Whitcombe\n")
    cfg = build_config(PiiConfig, {"allow_list_files": [str(extra)]}, "pii")

    (kept,), (counts,) = redact_texts([text], cfg)
    (redacted,), _ = redact_texts([text], PiiConfig())

    assert kept == text and counts == {}
    assert "Thelma Whitcombe" not in redacted
    # the spec's own phrases still count next to the files
    both = build_config(
        PiiConfig, {"allow_list": ["Thelma Whitcombe"], "allow_list_files": [str(extra)]}, "pii"
    )
    assert redact_texts([text], both)[0] == [text]


def test_missing_allow_list_file_names_its_key(tmp_path):
    cfg = PiiConfig(allow_list_files=(str(tmp_path / "absent.txt"),))

    with pytest.raises(PiiError, match=r"pii\.allow_list_files\[0\]"):
        validate_policy(cfg)


def test_default_allow_list_can_be_switched_off():
    cfg = PiiConfig(default_allow_list=False, allow_list=("Acme Robotics",))

    from curation.pii.engine import allow_terms

    assert allow_terms(cfg) == ("Acme Robotics",)


def test_an_allow_listed_product_inside_a_person_name_does_not_unredact_the_name():
    texts = ["Please call Michael Slack on Monday.", "We use Docker Compose and Slack daily."]
    redacted, _ = redact_texts(texts, PiiConfig(allow_list=("Slack",)))

    assert redacted == ["Please call <PERSON> on Monday.", texts[1]]
