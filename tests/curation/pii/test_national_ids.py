"""National identifiers and IBANs: found with exact spans in every separator style, never with
one digit changed, never in order numbers, phone numbers, dates or longer digit runs."""

from __future__ import annotations

import re

import pytest

from curation.pii import entities as E
from curation.pii import national_ids as N
from curation.pii.recognizers import context_before

RECOGNIZERS = {entity: recognizer for entity, recognizer, _ in N.national_id_recognizers()}
# The engine's rule: below the threshold, a context word within 35 characters adds 0.35.
THRESHOLD = 0.5
CONTEXT_BOOST = 0.35


# -- generators: valid numbers computed here, independently of the module ---------------------


def de_tax_id(first10: str) -> str:
    """`first10` + its ISO 7064 MOD 11,10 check digit."""
    product = 10
    for char in first10:
        total = (int(char) + product) % 10 or 10
        product = total * 2 % 11
    return first10 + str((11 - product) % 10)


def fr_nir(fields: str) -> str:
    """The 13 characters of `fields` (spaces allowed) + their key, Corsica counted as 19/18."""
    body = fields.replace(" ", "")
    number = int(body[:5] + {"2A": "19", "2B": "18"}.get(body[5:7], body[5:7]) + body[7:])
    return f"{fields} {97 - number % 97:02d}"


def es_dni(number: int) -> str:
    return f"{number:08d}" + "TRWAGMYFPDXBNJZSQVHLCKE"[number % 23]


def es_nie(prefix: str, number: int) -> str:
    return (
        f"{prefix}{number:07d}"
        + "TRWAGMYFPDXBNJZSQVHLCKE"[int(f"{'XYZ'.index(prefix)}{number:07d}") % 23]
    )


CF_ODD = dict(
    zip(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        [1, 0, 5, 7, 9, 13, 15, 17, 19, 21] * 2
        + [2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23],
        strict=True,
    )
)


def it_fiscal_code(first15: str) -> str:
    """`first15` + its check letter (odd places by the official table, even by value)."""
    total = 0
    for index, char in enumerate(first15):
        if index % 2 == 0:
            total += CF_ODD[char]
        else:
            total += int(char) if char.isdigit() else ord(char) - 65
    return first15 + chr(65 + total % 26)


def nl_bsn(first8: str) -> str:
    """`first8` + the digit that makes the 11-proof hold."""
    last = sum((9 - i) * int(c) for i, c in enumerate(first8)) % 11
    assert last < 10, "no check digit: pick other digits"
    return first8 + str(last)


def iban(country: str, bban: str) -> str:
    """`country` + computed check digits + `bban` (ISO 13616 mod 97)."""
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def group4(value: str) -> str:
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def bban(length: int) -> str:
    return ("9876543210" * 4)[:length]


# -- helpers -----------------------------------------------------------------------------------


def results(entity: str, text: str) -> list:
    return RECOGNIZERS[entity].analyze(text, [entity], None)


def spans(entity: str, text: str) -> list[tuple[int, int]]:
    return [(r.start, r.end) for r in results(entity, text)]


def reported(entity: str, text: str) -> list[str]:
    """What the engine keeps: the score plus the context boost, against the threshold."""
    recognizer = RECOGNIZERS[entity]
    out = []
    for r in results(entity, text):
        score = r.score
        if score < THRESHOLD and context_before(text, r.start, recognizer.context):
            score += CONTEXT_BOOST
        if score >= THRESHOLD:
            out.append(text[r.start : r.end])
    return out


def span_of(text: str, value: str) -> list[tuple[int, int]]:
    start = text.index(value)
    return [(start, start + len(value))]


# -- valid examples in every separator style ---------------------------------------------------

DE_ID = de_tax_id("8609574271")  # 86095742719
DE_ID_TRIPLE = de_tax_id("1121345678")  # a digit three times, not three in a row
DE_LETTER = "Sehr geehrte Frau Müller, Ihre Steuer-ID lautet {v}. Bitte geben Sie sie an."
DE_PLAIN = "Sehr geehrter Herr Schmidt, wir haben Ihre Identifikationsnummer {v} vermerkt."

FR_ID = fr_nir("1 85 05 78 006 084")
FR_CORSICA_A = fr_nir("2 84 05 2A 123 456")
FR_CORSICA_B = fr_nir("1 92 11 2B 045 318")
FR_OVERSEAS = fr_nir("2 90 07 971 23 402")
FR_LETTER = "Madame, votre numéro de sécurité sociale {v} figure sur votre carte Vitale."
FR_PLAIN = "Nous accusons réception du dossier n° {v} et vous remercions."

ES_LETTER = "Estimado cliente: su DNI {v} consta en nuestro registro de clientes."
IT_LETTER = "Gentile cliente, il Suo codice fiscale {v} risulta correttamente registrato."
NL_LETTER = "Geachte heer De Vries, uw BSN {v} staat vermeld op de loonstrook."
NL_NO_CONTEXT = "Geachte heer De Vries, het nummer {v} staat vermeld op de loonstrook."
UK_LETTER = "Dear Mr Smith, your National Insurance number {v} appears on your payslip."
US_LETTER = "Dear Ms. Carter, please confirm your SSN {v} on the enclosed form."
US_NO_CONTEXT = "Dear Ms. Carter, please confirm the number {v} on the enclosed form."

BSN = nl_bsn("12345678")  # 123456782
CF = it_fiscal_code("RSSMRA85T10A562")  # RSSMRA85T10A562S
CF_WOMAN = it_fiscal_code("BNCLCU92R52F205")  # Lucia Bianchi, Milan, day 12 + 40
CF_OMOCODIC = it_fiscal_code("RSSMRA85T10A56N")  # the last place digit 2 replaced by N

VALID = [
    # DE_TAX_ID
    (E.DE_TAX_ID, DE_LETTER, DE_ID),
    (E.DE_TAX_ID, DE_PLAIN, DE_ID),
    (E.DE_TAX_ID, DE_LETTER, DE_ID_TRIPLE),
    (E.DE_TAX_ID, DE_LETTER, "86 095 742 719"),
    (E.DE_TAX_ID, DE_LETTER, "86.095.742.719"),
    (E.DE_TAX_ID, DE_LETTER, "86/095/742/719"),
    (E.DE_TAX_ID, DE_LETTER, "860 957 427 19"),
    (E.DE_TAX_ID, DE_LETTER, "860.957.427.19"),
    (E.DE_TAX_ID, DE_LETTER, "860/957/427/19"),
    # FR_NIR
    (E.FR_NIR, FR_LETTER, FR_ID),
    (E.FR_NIR, FR_LETTER, FR_ID.replace(" ", "")),
    (E.FR_NIR, FR_LETTER, FR_ID.replace(" ", ".")),
    (E.FR_NIR, FR_LETTER, FR_ID.replace(" ", "-")),
    (E.FR_NIR, FR_LETTER, FR_ID.replace(" ", "")[:13] + " " + FR_ID[-2:]),
    (E.FR_NIR, FR_LETTER, FR_ID[:-3].replace(" ", "") + " " + FR_ID[-2:]),
    (E.FR_NIR, FR_LETTER, "1 85 05 78006084 " + FR_ID[-2:]),
    (E.FR_NIR, FR_PLAIN, FR_ID),
    (E.FR_NIR, FR_LETTER, FR_CORSICA_A),
    (E.FR_NIR, FR_LETTER, FR_CORSICA_B),
    (E.FR_NIR, FR_LETTER, FR_CORSICA_B.replace(" ", "")),
    (E.FR_NIR, FR_LETTER, FR_OVERSEAS),
    (E.FR_NIR, FR_LETTER, fr_nir("7 85 05 78 006 084")),
    # ES_NIF
    (E.ES_NIF, ES_LETTER, es_dni(12345678)),
    (E.ES_NIF, ES_LETTER, "12345678-Z"),
    (E.ES_NIF, ES_LETTER, "12.345.678-Z"),
    (E.ES_NIF, ES_LETTER, "12.345.678Z"),
    (E.ES_NIF, ES_LETTER, "12345678 Z"),
    (E.ES_NIF, ES_LETTER, "12345678.Z"),
    (E.ES_NIF, ES_LETTER, "12345678z"),
    (E.ES_NIF, ES_LETTER, es_dni(4789)),
    (E.ES_NIF, ES_LETTER, es_nie("X", 1234567)),
    (E.ES_NIF, ES_LETTER, "X-1234567-L"),
    (E.ES_NIF, ES_LETTER, "X 1234567 L"),
    (E.ES_NIF, ES_LETTER, "X1234567-L"),
    (E.ES_NIF, ES_LETTER, es_nie("Y", 7654321)),
    (E.ES_NIF, ES_LETTER, es_nie("Z", 1000001)),
    # IT_FISCAL_CODE
    (E.IT_FISCAL_CODE, IT_LETTER, CF),
    (E.IT_FISCAL_CODE, IT_LETTER, CF.lower()),
    (E.IT_FISCAL_CODE, IT_LETTER, " ".join((CF[:3], CF[3:6], CF[6:11], CF[11:]))),
    (E.IT_FISCAL_CODE, IT_LETTER, CF_WOMAN),
    (E.IT_FISCAL_CODE, IT_LETTER, CF_OMOCODIC),
    # NL_BSN
    (E.NL_BSN, NL_LETTER, BSN),
    (E.NL_BSN, NL_LETTER, "1234.56.782"),
    (E.NL_BSN, NL_NO_CONTEXT, "1234.56.782"),
    (E.NL_BSN, NL_LETTER, "123 456 782"),
    (E.NL_BSN, NL_LETTER, "123.456.782"),
    (E.NL_BSN, NL_LETTER, "111222333"),
    (E.NL_BSN, NL_LETTER, nl_bsn("01234567")),
    (E.NL_BSN, NL_LETTER, nl_bsn("01234567")[1:]),  # leading zero dropped
    (E.NL_BSN, "Burgerservicenummer: {v}", BSN),
    (E.NL_BSN, "Sofinummer {v} (oud)", BSN),
    (E.NL_BSN, "Citizen service number {v}.", BSN),
    # UK_NINO
    (E.UK_NINO, UK_LETTER, "AB123456C"),
    (E.UK_NINO, UK_LETTER, "AB 12 34 56 C"),
    (E.UK_NINO, UK_LETTER, "JG 103759 A"),
    (E.UK_NINO, "NINO: {v}", "ZX987654D"),
    # US_SSN
    (E.US_SSN, US_LETTER, "536-90-4399"),
    (E.US_SSN, US_NO_CONTEXT, "536-90-4399"),
    (E.US_SSN, US_LETTER, "536 90 4399"),
    (E.US_SSN, US_LETTER, "536904399"),
    (E.US_SSN, "Social Security No. {v}", "078051121"),
    # IBAN_CODE, more below for every SEPA country
    (E.IBAN_CODE, "Please transfer the amount to IBAN {v} by Friday.", "DE89370400440532013000"),
    (E.IBAN_CODE, "Bitte überweisen Sie auf {v}.", "DE89 3704 0044 0532 0130 00"),
    (E.IBAN_CODE, "IBAN: {v}", "GB82WEST12345698765432"),
    (E.IBAN_CODE, "Rekeningnummer {v} t.n.v. De Vries", "NL91 ABNA 0417 1643 00"),
    (E.IBAN_CODE, "Virement sur le compte {v}, merci.", "FR14 2004 1010 0505 0001 3M02 606"),
    (E.IBAN_CODE, "Nº de cuenta {v}", "ES91 2100 0418 4502 0005 1332"),
    (E.IBAN_CODE, "Conto corrente {v}", "IT60 X054 2811 1010 0000 0123 456"),
    (E.IBAN_CODE, "Account {v} 2024", "BE68 5390 0754 7034"),
]


@pytest.mark.parametrize(("entity", "sentence", "value"), VALID)
def test_valid_ids_are_found_with_their_exact_span(entity, sentence, value):
    text = sentence.format(v=value)

    result = spans(entity, text)

    assert result == span_of(text, value)
    assert reported(entity, text) == [value]


def digit_changes(value: str):
    """`value` with each of its digits in turn replaced by the next one."""
    for index, char in enumerate(value):
        if char.isdigit():
            yield value[:index] + str((int(char) + 1) % 10) + value[index + 1 :]


CHECKSUMMED = [v for v in VALID if v[0] not in (E.UK_NINO, E.US_SSN)]


@pytest.mark.parametrize(("entity", "sentence", "value"), CHECKSUMMED)
def test_one_digit_changed_is_not_found(entity, sentence, value):
    for changed in digit_changes(value):
        text = sentence.format(v=changed)

        result = spans(entity, text)

        assert result == [], changed


SEPA_36 = [
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
    "IS",
    "LI",
    "NO",
    "CH",
    "GB",
    "MC",
    "SM",
    "AD",
    "VA",
]


def test_sepa_table_holds_the_36_sepa_countries():
    assert len(SEPA_36) == 36
    assert set(SEPA_36) <= set(N.SEPA_IBAN_LENGTHS)
    assert set(N.SEPA_IBAN_LENGTHS) <= set(N.IBAN_LENGTHS)


@pytest.mark.parametrize("country", sorted(N.SEPA_IBAN_LENGTHS))
@pytest.mark.parametrize(
    "sentence",
    [
        "Please transfer the amount to IBAN {v} by Friday.",
        "Bitte überweisen Sie den Betrag bis Freitag auf das Konto {v}, danke.",
        "Merci de virer le montant sur le compte {v} avant vendredi.",
    ],
)
def test_iban_of_every_sepa_country_is_found_plain_and_grouped(country, sentence):
    value = iban(country, bban(N.SEPA_IBAN_LENGTHS[country] - 4))
    assert N.iban_ok(value)
    for written in (value, group4(value)):
        text = sentence.format(v=written)

        result = spans(E.IBAN_CODE, text)

        assert result == span_of(text, written)


@pytest.mark.parametrize("country", sorted(N.SEPA_IBAN_LENGTHS))
def test_iban_with_wrong_check_or_length_is_not_found(country):
    value = iban(country, bban(N.SEPA_IBAN_LENGTHS[country] - 4))
    wrong_check = value[:2] + f"{(int(value[2:4]) + 1) % 100:02d}" + value[4:]
    too_long = value + "1"
    too_short = value[:-1]
    for written in (wrong_check, too_long, too_short, group4(wrong_check), group4(too_short)):
        text = f"Please transfer the amount to IBAN {written} by Friday."

        assert spans(E.IBAN_CODE, text) == [], written


# -- near misses ---------------------------------------------------------------------------------

NEAR_MISSES = [
    # longer digit runs and identifiers holding a valid id
    (E.DE_TAX_ID, f"Bestellnummer {DE_ID}123 vom 12.03.2024"),
    (E.DE_TAX_ID, f"Sendung 4{DE_ID} ist unterwegs."),
    (E.DE_TAX_ID, f"USt-IdNr. DE{DE_ID}"),
    (E.DE_TAX_ID, f"Vorgang INV-{DE_ID}-01"),
    (E.DE_TAX_ID, f"Betrag 3.{DE_ID} EUR"),
    (E.DE_TAX_ID, "Konto 12 86 095 742 719 3"),
    (E.DE_TAX_ID, "Steuer-ID 86 095 742 71 9"),
    (E.DE_TAX_ID, "Steuer-ID 86 095.742/719"),
    (E.DE_TAX_ID, f"Steuer-ID {de_tax_id('1112345678')}"),  # three 1s in a row
    (E.DE_TAX_ID, "Steuer-ID 12345678903"),  # check digit right, no digit repeats
    (E.DE_TAX_ID, "Steuer-ID 06095742719"),
    # phone numbers and dates
    (E.DE_TAX_ID, "Rufen Sie uns an: +49 30 901820 oder 0171 2345678."),
    (E.FR_NIR, "Appelez le 01 85 05 78 00 ou le +33 6 12 34 56 78."),
    (E.FR_NIR, "Rendez-vous le 12.03.2024 à 10h30, dossier 2024-03-12."),
    (E.FR_NIR, f"Référence 9{FR_ID.replace(' ', '')}"),
    (E.FR_NIR, "NIR 5 85 05 78 006 084 91"),  # no such sex digit
    (E.FR_NIR, f"NIR {fr_nir('1 85 15 78 006 084')}"),  # month 15 does not exist
    # Spanish: lower-case words after a number, other letters
    (E.ES_NIF, "Pedido 12345678 y 2 unidades más."),
    (E.ES_NIF, "Factura 12345678 a pagar en 30 días."),
    (E.ES_NIF, "Referencia AB12345678Z del pedido"),
    (E.ES_NIF, "Pedido 12345678-Z-01"),
    (E.ES_NIF, "DNI 1234567-L"),
    (E.ES_NIF, "DNI 00000000-T"),
    (E.ES_NIF, "NIE W1234567L"),
    # Italian
    (E.IT_FISCAL_CODE, f"Codice {CF[:-1]}T"),
    (E.IT_FISCAL_CODE, f"Codice X{CF}"),
    (E.IT_FISCAL_CODE, f"codice fiscale {it_fiscal_code('RSSMRA85T90A562')}"),  # day 90
    # a 9-digit invoice or order number passing the 11-proof, without context
    (E.NL_BSN, f"Factuurnummer {BSN} is op 12-03-2024 betaald."),
    (E.NL_BSN, f"Order {BSN} shipped today."),
    (E.NL_BSN, f"Uw BSN staat niet op de factuur; bestelnummer {BSN}1"),
    (E.NL_BSN, "BSN 123 456 782 1"),
    (E.NL_BSN, "Bedrag € 123.456.782,00"),
    (E.NL_BSN, "Telefoon 020 123 456 782"),
    # UK
    (E.UK_NINO, "Part number AB123456E is out of stock."),
    (E.UK_NINO, "Reference GB123456A, QQ123456C, DA123456C, AO123456B"),
    (E.UK_NINO, "your NINO ab123456c"),
    (E.UK_NINO, "Serial XAB123456C and AB123456CD"),
    # US
    (E.US_SSN, "Invoice 536904399 was paid on time."),
    (E.US_SSN, "Call 713-853-7041 or 713 853 7041."),
    (E.US_SSN, "SSN 666-12-3456, 912-34-5678, 000-12-3456, 123-00-4567, 123-45-0000"),
    (E.US_SSN, "Part 1536-90-4399 and 536-90-43991 and 536-90-4399-2"),
    (E.US_SSN, "Dates 2024-03-12 and 12-03-2024"),
    # IBAN
    (E.IBAN_CODE, "IBAN DE88 3704 0044 0532 0130 00"),
    (E.IBAN_CODE, "IBAN DE89370400440532013000X"),
    (E.IBAN_CODE, "IBAN XDE89370400440532013000"),
    (E.IBAN_CODE, "IBAN de89370400440532013000"),
    (E.IBAN_CODE, "IBAN DE89 37040044 0532 0130 00"),
    (E.IBAN_CODE, "IBAN QQ89 3704 0044 0532 0130 00"),
]


@pytest.mark.parametrize(("entity", "text"), NEAR_MISSES)
def test_near_misses_are_not_found(entity, text):
    assert reported(entity, text) == []


def test_nothing_is_found_in_ordinary_business_text():
    text = (
        "Bestellung 4711-0815 vom 12.03.2024, Rechnung Nr. 2024001234, Betrag 1.234.567,89 EUR. "
        "Tel. +49 30 901820, Fax (713) 853-7041, Kundennummer 1234567890, PLZ 10115, "
        "Sendungsnummer 00340434161094042557, ISBN 978-3-16-148410-0, Version 10.4.2."
    )

    result = {entity: reported(entity, text) for entity in RECOGNIZERS}

    assert result == {entity: [] for entity in RECOGNIZERS}


# -- context ---------------------------------------------------------------------------------------


def test_bare_bsn_needs_a_context_word_close_before():
    near = f"Uw burgerservicenummer is {BSN}."
    far = "Uw burgerservicenummer staat in de bijlage, het kenmerk van de brief is " + BSN

    assert reported(E.NL_BSN, near) == [BSN]
    assert reported(E.NL_BSN, far) == []


def test_grouped_bsn_scores_below_the_threshold_without_context():
    text = NL_NO_CONTEXT.format(v="123 456 782")

    result = [r.score for r in results(E.NL_BSN, text)]

    assert result == [pytest.approx(0.4)]
    assert reported(E.NL_BSN, text) == []


def test_bare_ssn_needs_a_context_word():
    assert reported(E.US_SSN, US_NO_CONTEXT.format(v="536904399")) == []
    assert reported(E.US_SSN, "SSN: 536904399") == ["536904399"]


def test_every_entity_lists_context_words():
    for entity, recognizer in RECOGNIZERS.items():
        assert recognizer.context, entity
        assert all(word == word.lower() for word in recognizer.context), entity


# -- validators and the public API --------------------------------------------------------------


@pytest.mark.parametrize(
    ("validator", "value", "expected"),
    [
        (N.de_tax_id_ok, "36 574 261 809", True),
        (N.de_tax_id_ok, "36554266806", False),
        (N.fr_nir_ok, FR_CORSICA_A, True),
        (N.fr_nir_ok, FR_CORSICA_A.replace("2A", "2B"), False),
        (N.es_nif_ok, "x-1234567-l", True),
        (N.es_nif_ok, "K1234567L", False),
        (N.it_fiscal_code_ok, CF_WOMAN.lower(), True),
        (N.it_fiscal_code_ok, "RSSMRA85Z10A562S", False),
        (N.nl_bsn_ok, "1234.56.782", True),
        (N.nl_bsn_ok, "12345678", False),
        (N.uk_nino_ok, "AB 123456 C", True),
        (N.uk_nino_ok, "AB123456", False),
        (N.us_ssn_ok, "899-99-9999", True),
        (N.us_ssn_ok, "900-12-3456", False),
        (N.iban_ok, "NO93 8601 1117 947", True),
        (N.iban_ok, "NO93 8601 1117 9471", False),
    ],
)
def test_validators(validator, value, expected):
    assert validator(value) is expected


def test_recognizers_are_presidio_pattern_recognizers_gated_on_digits():
    from presidio_analyzer import PatternRecognizer, RecognizerRegistry

    registry = RecognizerRegistry(supported_languages=["en"])
    found = N.national_id_recognizers()
    for _, recognizer, _ in found:
        registry.add_recognizer(recognizer)

    assert [entity for entity, _, _ in found] == [
        E.DE_TAX_ID,
        E.FR_NIR,
        E.ES_NIF,
        E.IT_FISCAL_CODE,
        E.NL_BSN,
        E.UK_NINO,
        E.US_SSN,
        E.IBAN_CODE,
    ]
    assert all(isinstance(r, PatternRecognizer) for _, r, _ in found)
    assert {gate for _, _, gate in found} == {"digits"}
    assert len(registry.get_recognizers(language="en", all_fields=True)) == len(found)
    assert all(re.search(r"\d\d", value) for _, _, value in VALID)


def test_new_entities_are_supported_with_id_priority():
    for entity in (E.ES_NIF, E.IT_FISCAL_CODE, E.NL_BSN):
        assert entity in E.SUPPORTED_ENTITIES
        assert E.PRIORITY[entity] == 80


def test_seeded_document_ids_are_found(seeded, seeded_text):
    for entity in (E.IBAN_CODE, E.US_SSN, E.UK_NINO, E.DE_TAX_ID, E.FR_NIR):
        assert reported(entity, seeded_text) == seeded[entity], entity


@pytest.mark.parametrize(
    "text",
    [
        "1 " * 20000,
        "12 " * 20000,
        "1234." * 20000,
        "DE89 " + "3704 " * 20000,
        "A" * 50000 + "1",
        "X-" * 20000,
        "1" * 100000,
    ],
)
def test_long_adversarial_inputs_yield_no_ids(text):
    # Bounded quantifiers keep these scans linear; their speed belongs in a benchmark.
    found = {entity: results(entity, text) for entity in RECOGNIZERS}

    assert all(spans == [] for spans in found.values()), found


@pytest.mark.parametrize(
    ("lang", "text", "value"),
    [
        ("es", "Mi DNI es 12 345 678 Z, gracias.", "12 345 678 Z"),
        ("en", "NINO: AB-12-34-56-C please", "AB-12-34-56-C"),
        ("en", "Her SSN is 536.90.4399 on file.", "536.90.4399"),
    ],
)
def test_more_separator_forms_are_found(lang, text, value):
    from curation.pii import PiiConfig, redact_texts

    (redacted,), _ = redact_texts([text], PiiConfig(ner=False), langs=[lang])

    assert value not in redacted


def test_a_dotted_version_number_is_no_ssn_without_context():
    from curation.pii import PiiConfig, redact_texts

    (redacted,), _ = redact_texts(["Version 123.45.6789 released"], PiiConfig(ner=False))

    assert redacted == "Version 123.45.6789 released"
