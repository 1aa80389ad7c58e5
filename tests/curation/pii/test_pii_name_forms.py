"""Name forms: particles, initials and stacked titles after a cue, closings on the name's line,
and team signatures that are not people. The sentences are written for these tests."""

from __future__ import annotations

import pytest

from curation.pii import PiiConfig, redact_texts
from curation.pii.languages import is_department_word
from curation.pii.names import particle_neighbours


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("nl", "Geachte heer Van der Linden,\nHierbij de offerte.", "Geachte heer <PERSON>,"),
        ("nl", "Geachte mevrouw van den Heuvel-de Graaf,", "Geachte mevrouw <PERSON>,"),
        ("nl", "Geachte mevrouw De Ruiter, dank voor uw bericht.", "Geachte mevrouw <PERSON>,"),
        ("nl", "Geachte dhr. K. Verbeek,", "Geachte dhr. <PERSON>,"),
        ("nl", "Geachte mr. drs. Hoogland,", "Geachte mr. drs. <PERSON>,"),
        ("de", "Sehr geehrter Herr von Stauffenberg,", "Sehr geehrter Herr <PERSON>,"),
        ("de", "Sehr geehrte Frau Prof. Dr. Hagedorn-Ebeling,", "Frau Prof. Dr. <PERSON>,"),
        ("de", "Sehr geehrter Herr Dr.-Ing. Lindemann,", "Herr Dr.-Ing. <PERSON>,"),
        ("es", "Estimada Sra. Dña. Inés Robledo de la Vega:", "Estimada Sra. Dña. <PERSON>:"),
        ("it", "Gentile avv. dott. Della Torre,", "Gentile avv. dott. <PERSON>,"),
        ("fr", "Cher Monsieur d'Aubigné,", "Cher Monsieur <PERSON>,"),
        ("en", "Dear Dr. van Houten, thank you.", "Dear Dr. <PERSON>, thank you."),
    ],
)
def test_particles_initials_and_stacked_titles_go_with_the_name(lang, text, expected):
    (result,), (counts,) = redact_texts([text], PiiConfig(), langs=[lang])

    assert expected in result
    assert counts == {"PERSON": 1}


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("de", "Bis morgen.\nDanke, Wolfgang", "Bis morgen.\nDanke, <PERSON>"),
        ("de", "Vielen Dank, Henrike!", "Vielen Dank, <PERSON>!"),
        ("es", "Hasta pronto.\nUn saludo, Rodrigo", "Hasta pronto.\nUn saludo, <PERSON>"),
        ("es", "Gracias, Marisol", "Gracias, <PERSON>"),
        ("fr", "À demain.\nMerci, Solène", "À demain.\nMerci, <PERSON>"),
        ("it", "A presto.\nGrazie, Federica", "A presto.\nGrazie, <PERSON>"),
        ("nl", "Tot snel.\nBedankt, Maaike", "Tot snel.\nBedankt, <PERSON>"),
        ("nl", "Dank je wel, Joris", "Dank je wel, <PERSON>"),
        ("en", "See you soon.\nThanks, Priscilla", "See you soon.\nThanks, <PERSON>"),
    ],
)
def test_a_closing_and_a_name_on_one_line_lose_the_name(lang, text, expected):
    (result,), (counts,) = redact_texts([text], PiiConfig(), langs=[lang])

    assert result == expected and counts == {"PERSON": 1}


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Thanks, see you on Monday"),
        ("en", "Thanks, everyone"),
        ("de", "Danke, bis morgen"),
        ("de", "Danke, Ihre Buchhaltung"),
        ("es", "Gracias, Saludos"),
        ("nl", "Bedankt, tot morgen"),
    ],
)
def test_a_closing_before_ordinary_words_keeps_them(lang, text):
    (result,), (counts,) = redact_texts([text], PiiConfig(), langs=[lang])

    assert result == text and counts == {}


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Thanks,\nCustomer Success"),
        ("en", "Kind regards,\nAccounts Receivable"),
        ("en", "Best,\nThe Platform Team"),
        ("en", "Regards,\nIT Helpdesk"),
        ("en", "From: Payroll Office <payroll-office>\nHello"),
        ("fr", "Bien à vous,\nService Client"),
        ("fr", "Cordialement,\nL'équipe Facturation"),
        ("de", "Mit freundlichen Grüßen\nIhr Kundenservice"),
        ("it", "Cordiali saluti,\nUfficio Acquisti"),
        ("es", "Saludos,\nEquipo de Atención al Cliente"),
        ("nl", "Met vriendelijke groet,\nAfdeling Klantenservice"),
    ],
)
def test_department_and_team_signatures_are_not_people(lang, text):
    (result,), (counts,) = redact_texts([text], PiiConfig(), langs=[lang])

    assert result == text and counts == {}


@pytest.mark.parametrize(
    ("lang", "text", "kept"),
    [
        ("fr", "Monsieur le Maire, merci pour votre accueil.", "Monsieur le Maire"),
        ("de", "Ist Frau Vollmer zu Hause?", "zu Hause?"),
        ("de", "Herr Reinhardt von der Buchhaltung ruft zurück.", "von der Buchhaltung ruft"),
        ("es", "Hable con la Sra. Berrocal de Administración.", "de Administración."),
        ("de", "Der Bericht von Annegret Vollmer kommt morgen.", "Der Bericht von "),
    ],
)
def test_words_after_or_before_a_name_that_are_no_particles_stay(lang, text, kept):
    (result,), _ = redact_texts([text], PiiConfig(), langs=[lang])

    assert kept in result


def test_a_name_span_extends_over_its_particles():
    text = "We met Femke van der Horst and Ruud de Boer; De Smet joined later."
    femke, ruud, smet = (text.index(n) for n in ("Femke", "Ruud", "Smet"))

    result = [text[a:b] for a, b in particle_neighbours(text, [(femke, femke + 5)])]
    assert result == ["van der Horst"]
    result = [text[a:b] for a, b in particle_neighbours(text, [(ruud, ruud + 4)])]
    assert result == ["de Boer"]
    result = [text[a:b] for a, b in particle_neighbours(text, [(smet, smet + 4)])]
    assert result == ["De"]


def test_lower_case_particles_before_a_name_take_the_given_name_with_them():
    text = "Morgen komt Jan van der Horst langs."
    horst = text.index("Horst")

    result = [text[a:b] for a, b in particle_neighbours(text, [(horst, horst + 5)])]

    assert result == ["Jan van der"]


def test_a_single_lower_case_particle_before_a_name_is_a_preposition():
    text = "Die Rechnung von Vollmer liegt vor."
    vollmer = text.index("Vollmer")

    assert particle_neighbours(text, [(vollmer, vollmer + 7)]) == []


def test_english_names_with_particles_lose_every_part():
    text = "I spoke with Ingrid de Haan about the invoice."

    (result,), _ = redact_texts([text], PiiConfig())

    assert "Ingrid" not in result and "Haan" not in result
    assert result.endswith("about the invoice.")


def test_department_words_ignore_case_and_punctuation_but_not_herr():
    assert is_department_word("Support,") and is_department_word("ÉQUIPE")
    assert not is_department_word("Hr.") and not is_department_word("Vollmer")


@pytest.mark.parametrize(
    ("lang", "text", "name"),
    [
        ("nl", "Ik heb met Sanne de Wit gesproken.", "Sanne de Wit"),
        ("de", "Anna von Richthofen kommt morgen.", "Anna von Richthofen"),
    ],
)
def test_given_name_particle_surname_without_a_cue_in_strict_languages(lang, text, name):
    (redacted,), _ = redact_texts([text], PiiConfig(), langs=[lang])

    assert name not in redacted and "<PERSON>" in redacted


def test_a_particle_before_a_department_is_no_surname():
    (redacted,), _ = redact_texts(
        ["Ich habe mit Klaus von der Buchhaltung gesprochen."], PiiConfig(), langs=["de"]
    )

    assert "von der Buchhaltung" in redacted
