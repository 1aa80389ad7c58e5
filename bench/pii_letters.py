"""Deterministic multilingual business letters (de, fr, es, it, nl) with gold PII spans.

The PII corpora beside the checkout are English; these letters measure what the engine does on
the languages of a European file share, where German capitalizes every noun and French,
Spanish, Italian and Dutch write titles, dates, amounts, phone numbers and addresses in their
own national formats. Each letter has: a salutation with a title cue, a body in the business
language of its country (dates, amounts, order and invoice numbers, product and company names:
the things a redactor must NOT remove), a national phone number, an IBAN of the country (valid
mod-97 and, where the country has one, a valid national check: French RIB key, Spanish control
digits, Italian CIN), a national id with a valid checksum in one of its usual written forms, an
e-mail address, a street address in the national format, and a closing with the sender's name.

Names come from `faker`'s per-locale name lists (the same lists feed the project's name lexicon,
as real name lists would); everything else (streets, cities with their real postcodes, products,
companies, 6 structurally different templates per language) is written here. Only faker's data
tables are read, never its random generator, so a (lang, n, seed) triple gives the same letters
on every machine. Gold labels: PERSON, EMAIL_ADDRESS, PHONE_NUMBER, IBAN_CODE, STREET_ADDRESS,
the national id (DE_TAX_ID, FR_NIR, ES_NIF, ES_NIE, IT_FISCAL_CODE, NL_BSN) and ORGANIZATION
(company names: not personal data, labelled so a benchmark can leave them out of both scores).

Usage: `.venv/bin/python bench/pii_letters.py --out letters.jsonl [--n 40] [--seed 0]`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

LANGS = ("de", "fr", "es", "it", "nl")
LOCALES = {"de": "de_DE", "fr": "fr_FR", "es": "es_ES", "it": "it_IT", "nl": "nl_NL"}
NATIONAL_IDS = ("DE_TAX_ID", "FR_NIR", "ES_NIF", "ES_NIE", "IT_FISCAL_CODE", "NL_BSN")

Piece = tuple[str, str | None]  # (text, gold label or None)


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    female: bool

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"


# -- checksums ------------------------------------------------------------------------------


def iban(country: str, bban: str) -> str:
    """The IBAN of a BBAN, check digits by ISO 13616 mod-97, written in groups of four."""
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(digits) % 97
    raw = f"{country}{check:02d}{bban}"
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def iban_is_valid(value: str) -> bool:
    """ISO 13616 check, for the self-test."""
    raw = value.replace(" ", "")
    return int("".join(str(int(c, 36)) for c in raw[4:] + raw[:4])) % 97 == 1


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


def fr_rib_key(bank: str, branch: str, account: str) -> str:
    """The French RIB key (the national check inside a French BBAN)."""
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97:02d}"


def es_control_digit(digits: str) -> str:
    """One of the two Spanish CCC control digits (weights 1,2,4,8,5,10,9,7,3,6 mod 11)."""
    weights = (1, 2, 4, 8, 5, 10, 9, 7, 3, 6)
    d = 11 - sum(int(c) * w for c, w in zip(digits, weights, strict=True)) % 11
    return str({11: 0, 10: 1}.get(d, d))


_ODD = dict(
    zip(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        [1, 0, 5, 7, 9, 13, 15, 17, 19, 21]
        + [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25]
        + [24, 23],
        strict=True,
    )
)


def it_check_char(body: str) -> str:
    """The check character of an Italian codice fiscale or IBAN CIN (odd/even tables)."""
    total = 0
    for i, c in enumerate(body):
        total += _ODD[c] if i % 2 == 0 else (int(c) if c.isdigit() else ord(c) - 65)
    return chr(65 + total % 26)


def bban(lang: str, rng: random.Random) -> tuple[str, str]:
    """(country, BBAN) with the country's national check where it has one."""
    if lang == "de":
        return "DE", rng.choice(["10070000", "37040044", "50010517", "70150000"]) + _digits(rng, 10)
    if lang == "fr":
        bank, branch = rng.choice(["30004", "20041", "30003"]), _digits(rng, 5)
        account = _digits(rng, 11)
        return "FR", bank + branch + account + fr_rib_key(bank, branch, account)
    if lang == "es":
        bank, branch = rng.choice(["2100", "0049", "0182"]), _digits(rng, 4)
        account = _digits(rng, 10)
        dc = es_control_digit("00" + bank + branch) + es_control_digit(account)
        return "ES", bank + branch + dc + account
    if lang == "it":
        abi_cab_account = (
            rng.choice(["03069", "02008", "05034"]) + _digits(rng, 5) + _digits(rng, 12)
        )
        return "IT", it_check_char(abi_cab_account) + abi_cab_account
    return "NL", rng.choice(["ABNA", "INGB", "RABO", "SNSB"]) + _digits(rng, 10)


def de_tax_id(rng: random.Random) -> str:
    """German Steuer-ID: 10 digits (one digit twice, no leading 0) + ISO 7064 MOD 11,10."""
    while True:
        digits = rng.sample(range(10), 9)
        digits.insert(rng.randrange(1, 10), rng.choice(digits))
        if digits[0] != 0:
            break
    product = 10
    for d in digits:
        total = (d + product) % 10 or 10
        product = total * 2 % 11
    check = (11 - product) % 10
    return "".join(map(str, digits)) + str(check)


def fr_nir(rng: random.Random, female: bool) -> str:
    """French NIR: sex, year, month, department, commune, order + 97 - (number mod 97)."""
    body = (
        f"{2 if female else 1}{rng.randrange(50, 100):02d}{rng.randrange(1, 13):02d}"
        f"{rng.choice(['75', '69', '13', '31', '33', '59', '44', '78', '92'])}"
        f"{rng.randrange(1, 1000):03d}{rng.randrange(1, 1000):03d}"
    )
    return body + f"{97 - int(body) % 97:02d}"


ES_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def es_dni(rng: random.Random) -> str:
    """Spanish DNI: 8 digits + the letter of the number mod 23."""
    number = _digits(rng, 8)
    return number + ES_LETTERS[int(number) % 23]


def es_nie(rng: random.Random) -> str:
    """Spanish NIE: X/Y/Z (read as 0/1/2) + 7 digits + the letter of the number mod 23."""
    prefix, number = rng.choice("XYZ"), _digits(rng, 7)
    return prefix + number + ES_LETTERS[int(str("XYZ".index(prefix)) + number) % 23]


def _ascii_upper(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if c.isascii() and c.isalpha()).upper()


def it_fiscal_code(person: Person, rng: random.Random) -> str:
    """Italian codice fiscale from the person's name, a birth date and a comune code."""

    def letters(name: str, given: bool) -> str:
        name = _ascii_upper(name)
        consonants = [c for c in name if c not in "AEIOU"]
        vowels = [c for c in name if c in "AEIOU"]
        if given and len(consonants) >= 4:
            return consonants[0] + consonants[2] + consonants[3]
        return ("".join(consonants + vowels) + "XXX")[:3]

    day = rng.randrange(1, 29) + (40 if person.female else 0)
    body = (
        letters(person.last, False)
        + letters(person.first, True)
        + f"{rng.randrange(50, 100):02d}"
        + rng.choice("ABCDEHLMPRST")
        + f"{day:02d}"
        + rng.choice(["H501", "F205", "L219", "F839", "A944", "D612"])
    )
    return body + it_check_char(body)


def nl_bsn(rng: random.Random) -> str:
    """Dutch BSN: 9 digits passing the 11-proof (9..2 weights, last digit weight -1)."""
    while True:
        head = str(rng.randrange(1, 10)) + _digits(rng, 7)
        check = sum(int(c) * (9 - i) for i, c in enumerate(head)) % 11
        if check < 10:
            return head + str(check)


def national_id(lang: str, person: Person, rng: random.Random) -> tuple[str, str]:
    """(written form, gold label) of the recipient's national id, in a usual written form."""
    if lang == "de":
        v = de_tax_id(rng)
        return rng.choice([v, f"{v[:2]} {v[2:5]} {v[5:8]} {v[8:]}"]), "DE_TAX_ID"
    if lang == "fr":
        v = fr_nir(rng, person.female)
        spaced = f"{v[0]} {v[1:3]} {v[3:5]} {v[5:7]} {v[7:10]} {v[10:13]} {v[13:]}"
        return rng.choice([spaced, spaced, v]), "FR_NIR"
    if lang == "es":
        if rng.random() < 0.3:
            v = es_nie(rng)
            return rng.choice([v, f"{v[0]}-{v[1:8]}-{v[8]}"]), "ES_NIE"
        v = es_dni(rng)
        dotted = f"{v[:2]}.{v[2:5]}.{v[5:8]}-{v[8]}"
        return rng.choice([v, f"{v[:8]}-{v[8]}", dotted]), "ES_NIF"
    if lang == "it":
        return it_fiscal_code(person, rng), "IT_FISCAL_CODE"
    v = nl_bsn(rng)
    return rng.choice([v, f"{v[:4]}.{v[4:6]}.{v[6:]}"]), "NL_BSN"


# -- national formats -----------------------------------------------------------------------

MONTHS = {
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre "
    "dicembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
}


def date(lang: str, rng: random.Random) -> str:
    """A date of 2024/2025 in one of the country's usual written forms."""
    d, m, y = rng.randrange(1, 29), rng.randrange(1, 13), rng.choice([2024, 2025])
    month = MONTHS[lang].split()[m - 1]
    numeric = {"de": f"{d:02d}.{m:02d}.{y}", "nl": f"{d:02d}-{m:02d}-{y}"}.get(
        lang, f"{d:02d}/{m:02d}/{y}"
    )
    long = {
        "de": f"{d}. {month} {y}",
        "fr": f"{'1er' if d == 1 else d} {month} {y}",
        "es": f"{d} de {month} de {y}",
        "it": f"{d} {month} {y}",
        "nl": f"{d} {month} {y}",
    }[lang]
    return rng.choice([long, long, numeric])


def amount(lang: str, rng: random.Random) -> str:
    """A euro amount with the country's separators and symbol position."""
    value = rng.choice([rng.randrange(20, 999), rng.randrange(1000, 25000)]) + rng.choice(
        [0, 0, 0.5, 0.99, 0.9]
    )
    whole, cents = int(value), round((value - int(value)) * 100)
    sep = " " if lang == "fr" else "."
    grouped = f"{whole:,}".replace(",", sep)
    number = f"{grouped},{cents:02d}"
    if lang in ("it", "nl"):
        return rng.choice([f"€ {number}", f"EUR {number}"])
    return rng.choice([f"{number} €", f"{number} EUR"]) if lang == "de" else f"{number} €"


def phone(lang: str, rng: random.Random) -> str:
    """A phone number in one of the country's usual national or international forms."""
    d = lambda n: _digits(rng, n)  # noqa: E731
    pairs = lambda: " ".join(d(2) for _ in range(4))  # noqa: E731
    forms: dict[str, list[Callable[[], str]]] = {
        "de": [
            lambda: f"+49 30 {d(8)}",
            lambda: f"030 {d(7)}",
            lambda: f"+49 171 {d(7)}",
            lambda: f"(089) {d(7)}",
            lambda: f"0221 {d(6)}-{d(2)}",
        ],
        "fr": [
            lambda: f"0{rng.randrange(1, 6)} {pairs()}",
            lambda: f"06 {pairs()}",
            lambda: f"+33 1 {pairs()}",
            lambda: f"+33 (0)6 {pairs()}",
        ],
        "es": [
            lambda: f"6{d(2)} {d(3)} {d(3)}",
            lambda: f"+34 91{d(1)} {d(3)} {d(3)}",
            lambda: f"91 {d(3)} {d(2)} {d(2)}",
            lambda: f"93 {d(3)} {d(2)} {d(2)}",
        ],
        "it": [
            lambda: f"02 {d(4)} {d(4)}",
            lambda: f"06 {d(4)} {d(4)}",
            lambda: f"+39 347 {d(3)} {d(4)}",
            lambda: f"333 {d(3)} {d(4)}",
        ],
        "nl": [
            lambda: f"020-{d(7)}",
            lambda: f"+31 20 {d(3)} {d(4)}",
            lambda: f"06-{d(8)}",
            lambda: f"010 {d(3)} {d(4)}",
        ],
    }
    return rng.choice(forms[lang])()


STREETS = {
    "de": "Musterstraße|Hauptstraße|Bahnhofstraße|Lindenallee|Gartenweg|Schillerstraße|"
    "Goethestraße|Am Marktplatz|Kastanienweg|Friedrichstraße|Rosenweg|Bergstraße",
    "fr": "rue de la Paix|avenue Victor Hugo|boulevard Haussmann|rue des Lilas|"
    "place de la République|rue Nationale|allée des Tilleuls|chemin du Moulin|rue Pasteur|"
    "avenue Jean Jaurès",
    "es": "Calle Mayor|Calle de Alcalá|Avenida de la Constitución|Paseo de Gracia|Calle Real|"
    "Plaza de España|Calle del Carmen|Avenida de América|Calle San Vicente|Ronda de Atocha",
    "it": "Via Roma|Via Garibaldi|Corso Vittorio Emanuele II|Via Dante|Piazza della Repubblica|"
    "Via Mazzini|Viale dei Mille|Via Verdi|Via Cavour|Corso Italia",
    "nl": "Keizersgracht|Prinsengracht|Hoofdstraat|Kerkstraat|Dorpsstraat|Stationsweg|Molenweg|"
    "Julianalaan|Herengracht|Lange Voorhout",
}
CITIES = {
    "de": "10115 Berlin|20095 Hamburg|80331 München|50667 Köln|60311 Frankfurt am Main|"
    "70173 Stuttgart|04109 Leipzig|01067 Dresden|28195 Bremen|90402 Nürnberg",
    "fr": "75002 Paris|69003 Lyon|13001 Marseille|31000 Toulouse|33000 Bordeaux|59000 Lille|"
    "44000 Nantes|67000 Strasbourg|34000 Montpellier",
    "es": "28013 Madrid|08007 Barcelona|46002 Valencia|41001 Sevilla|50001 Zaragoza|"
    "29015 Málaga|48001 Bilbao|15001 A Coruña",
    "it": "00184 Roma (RM)|20121 Milano (MI)|10121 Torino (TO)|80133 Napoli (NA)|"
    "40121 Bologna (BO)|50123 Firenze (FI)|16121 Genova (GE)|30121 Venezia (VE)",
    "nl": "1015 CJ Amsterdam|3011 AB Rotterdam|2511 BT Den Haag|3511 LN Utrecht|"
    "5611 AB Eindhoven|9711 LM Groningen|6811 AA Arnhem",
}


def address_lines(lang: str, rng: random.Random) -> tuple[str, str]:
    """(street line, postcode and city line) in the national order."""
    street, number = rng.choice(STREETS[lang].split("|")), rng.randrange(1, 140)
    city = rng.choice(CITIES[lang].split("|"))
    if lang == "fr":
        extra = rng.choice(["", "", " bis"])
        return f"{number}{extra} {street}", rng.choice([city, city.upper()])
    if lang == "es":
        floor = rng.choice(["", f", {rng.randrange(1, 9)}.º {rng.choice('ABCD')}", ", bajo"])
        return f"{street} {number}{floor}", city
    if lang == "it":
        return f"{street}{rng.choice([' ', ', '])}{number}", city
    return f"{street} {number}", city


def city_of(lang: str, rng: random.Random) -> str:
    """A city name without postcode, for the place-and-date line (not personal data)."""
    city = rng.choice(CITIES[lang].split("|"))
    city = re.sub(r"^[\d]+(?: [A-Z]{2})? ", "", city)
    return re.sub(r" \([A-Z]{2}\)$", "", city)


# One company per template, in template order (the letter's sender).
COMPANIES = {
    "de": "Nordwind Logistik GmbH|Kanzlei am Stadtpark|Rheintal Bürotechnik GmbH|"
    "Alpenblick Versicherung AG|Lindenhof Immobilien KG|Familienkasse Berlin-Brandenburg",
    "fr": "Groupe Horizon SA|Mutuelle des Cèdres|Atelier Lumière SARL|Banque du Littoral|"
    "Caisse d'Allocations Familiales du Rhône|Assurances du Val de Loire",
    "es": "Suministros Ibéricos S.L.|Inmobiliaria Sol y Mar S.L.|Electrodomésticos Levante S.A.|"
    "Seguros Mediterráneo S.A.|Telecomunicaciones Meseta S.A.|Gimnasios Vitalia S.L.",
    "it": "Arredamenti Laguna S.r.l.|Energia Tirreno S.p.A.|Elettronica Adriatica S.r.l.|"
    "Assicurazioni Aurora S.p.A.|Studio Amministrazioni Il Glicine|Palestre Olimpo S.r.l.",
    "nl": "Polderlicht B.V.|Zorgverzekeraar Helder|Elektronica Noord B.V.|"
    "Woonstichting De Linde|Pensioenfonds Rijnmond|Sportschool Vitaal B.V.",
}
PRODUCTS = {
    "de": "Bürostuhl ErgoPlus 300|Laserdrucker LX-450|Kaffeevollautomat Barista Pro|"
    "Stehschreibtisch FlexDesk 160|Notebook ProBook 14",
    "fr": "fauteuil de bureau Confort 300|imprimante LaserJet Pro|machine à café Expresso Duo|"
    "ordinateur portable ZenBook 14|écran UltraView 27",
    "es": "silla de oficina Ergo 300|impresora LaserJet Pro|cafetera Barista Plus|"
    "portátil IdeaPad 5|monitor UltraView 27",
    "it": "sedia ergonomica Comfort 300|stampante LaserJet Pro|macchina da caffè Espresso Duo|"
    "notebook ThinkPad T14|monitor UltraView 27",
    "nl": "bureaustoel ErgoPlus 300|laserprinter LX-450|koffiemachine Barista Pro|"
    "laptop ProBook 14|beeldscherm UltraView 27",
}
DOMAINS = {
    "de": "gmx.de|web.de|t-online.de|nordwind-logistik.de|alpenblick-versicherung.de",
    "fr": "orange.fr|laposte.net|free.fr|groupe-horizon.fr|mutuelle-cedres.fr",
    "es": "gmail.com|telefonica.net|hotmail.es|seguros-mediterraneo.es|bancodeltajo.es",
    "it": "libero.it|gmail.com|tiscali.it|assicurazioniaurora.it|energiatirreno.it",
    "nl": "ziggo.nl|kpnmail.nl|gmail.com|zeewind.nl|woonstichting-delinde.nl",
}


def _email_part(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    return re.sub(r"[^a-z-]", "", "".join(c for c in text if c.isascii()).lower())


def email_of(person: Person, lang: str, rng: random.Random) -> str:
    first, last = _email_part(person.first), _email_part(person.last.split()[0])
    local = rng.choice([f"{first}.{last}", f"{first[0]}.{last}", f"{first}{last}", last])
    return f"{local}@{rng.choice(DOMAINS[lang].split('|'))}"


# -- names ----------------------------------------------------------------------------------


def _name_lists(lang: str) -> tuple[list[str], list[str], list[str]]:
    provider = importlib.import_module(f"faker.providers.person.{LOCALES[lang]}").Provider
    female, male = list(provider.first_names_female), list(provider.first_names_male)
    last = [n for n in provider.last_names if n[0].isalpha()]
    return female, male, last


def person(lang: str, rng: random.Random) -> Person:
    female_names, male_names, last_names = _name_lists(lang)
    female = rng.random() < 0.5
    first = rng.choice(female_names if female else male_names)
    last = rng.choice(last_names)
    if lang == "es" and rng.random() < 0.7:  # two surnames
        last = f"{last} {rng.choice(last_names)}"
    return Person(first, last, female)


def cap(last: str) -> str:
    """A Dutch surname after a title: "van der Meer" -> "Van der Meer"."""
    return last[0].upper() + last[1:]


def title(lang: str, p: Person, rng: random.Random) -> str:
    """The courtesy title before a surname in a salutation."""
    if lang == "de":
        return "Frau" if p.female else "Herr"
    if lang == "fr":
        return "Madame" if p.female else "Monsieur"
    if lang == "es":
        return rng.choice(["Sra.", "señora"]) if p.female else rng.choice(["Sr.", "señor"])
    if lang == "it":
        return rng.choice(["dott.ssa", "sig.ra"]) if p.female else rng.choice(["dott.", "sig."])
    return "mevrouw" if p.female else "heer"


def salutation(lang: str, p: Person, rng: random.Random) -> list[Piece]:
    """The opening line with its title cue; the surname is the PERSON span."""
    t = title(lang, p, rng)
    last = cap(p.last) if lang == "nl" else p.last
    if lang == "de":
        if rng.random() < 0.2:
            return [(f"Guten Tag {t} ", None), (p.full, "PERSON"), (",", None)]
        return [
            (f"Sehr geehrte{'' if p.female else 'r'} {t} ", None),
            (last, "PERSON"),
            (",", None),
        ]
    if lang == "fr":
        if rng.random() < 0.4:
            return [(f"{t},", None)]  # the name is in the address block
        return [(f"{'Chère' if p.female else 'Cher'} {t} ", None), (last, "PERSON"), (",", None)]
    if lang == "es":
        opener = "Estimada" if p.female else "Estimado"
        return [(f"{opener} {t} ", None), (last, "PERSON"), (":", None)]
    if lang == "it":
        opener = "Gentile" if p.female or rng.random() < 0.5 else "Egregio"
        return [(f"{opener} {t} ", None), (last, "PERSON"), (",", None)]
    if rng.random() < 0.2:
        return [("Beste ", None), (p.first, "PERSON"), (",", None)]
    return [(f"Geachte {t} ", None), (last, "PERSON"), (",", None)]


def recipient_block(lang: str, p: Person, street: str, city: str) -> list[Piece]:
    """The recipient's name and postal address as the top of a letter writes them."""
    head = {
        "de": ("Frau\n" if p.female else "Herrn\n", p.full),
        "fr": ("Madame " if p.female else "Monsieur ", p.full),
        "es": ("Sra. D.ª " if p.female else "Sr. D. ", p.full),
        "it": ("Gent.ma Sig.ra " if p.female else "Egr. Sig. ", p.full),
        "nl": ("Mevrouw " if p.female else "De heer ", f"{p.first[0]}. {p.last}"),
    }[lang]
    return [
        (head[0], None),
        (head[1], "PERSON"),
        ("\n", None),
        (f"{street}\n{city}", "STREET_ADDRESS"),
    ]


# -- templates ------------------------------------------------------------------------------
# Fields: r_block (recipient name + address), salutation, r_name, s_name (sender), c_name
# (a colleague), address (recipient, one line), address2 (another one), phone, email, r_email,
# iban, nid, company, product, product2, amount, amount2, date, date2, place_date, ref, ref2.

TEMPLATES: dict[str, list[str]] = {
    "de": [
        """{company}
Personalabteilung

{r_block}

{place_date}

Ihr Arbeitsbeginn am {date}

{salutation}

wir freuen uns, Sie bald in unserem Team begrüßen zu dürfen. Damit wir Ihre Gehaltsabrechnung zum Monatsende korrekt erstellen können, haben wir folgende Angaben aus Ihren Unterlagen übernommen:

Steuerliche Identifikationsnummer: {nid}
Bankverbindung für die Gehaltszahlung: IBAN {iban}

Bitte prüfen Sie die Angaben und teilen Sie uns Änderungen umgehend mit. Ihr Arbeitsplatz im dritten Obergeschoss ist mit einem {product} ausgestattet; Ihren Zugangsausweis erhalten Sie am ersten Tag am Empfang.

Bei Fragen zur Einarbeitung steht Ihnen {c_name} gerne zur Verfügung, telefonisch unter {phone} oder per E-Mail an {email}.

Mit freundlichen Grüßen

{s_name}
Leitung Personal""",
        """{place_date}

Betreff: Einkommensteuererklärung {year}, Mandantennummer {ref}

{salutation}

anbei erhalten Sie den Entwurf Ihrer Einkommensteuererklärung. Nach unserer Berechnung ergibt sich eine Erstattung von voraussichtlich {amount}. Das Finanzamt überweist den Betrag auf das hinterlegte Konto:

Name: {r_name}
Anschrift: {address}
Steuer-ID: {nid}
IBAN: {iban}

Bitte unterschreiben Sie die Erklärung bis zum {date} und senden Sie sie an uns zurück. Unser Honorar für die Erstellung beträgt {amount2} und wird mit der nächsten Quartalsrechnung abgerechnet.

Freundliche Grüße

{s_name}
Steuerberater

{company} · Tel. {phone} · {email}""",
        """{salutation}

vielen Dank für Ihre Nachricht vom {date}. Wir bedauern sehr, dass der gelieferte {product} nicht einwandfrei funktioniert. Selbstverständlich tauschen wir das Gerät im Rahmen der Gewährleistung kostenlos aus.

Unser Kurierdienst holt die Ware am {date2} zwischen 8 und 12 Uhr unter Ihrer Anschrift {address} ab. Den Kaufpreis von {amount} erstatten wir Ihnen alternativ auf Ihr Konto {iban}, falls Sie keinen Ersatz wünschen. Für die Erstattung über unseren Zahlungsdienstleister benötigen wir ausnahmsweise Ihre Steuer-Identifikationsnummer ({nid}), da der Betrag die Bagatellgrenze übersteigt.

Mit freundlichen Grüßen
{s_name}
Kundenservice {company}

PS: Rückfragen zur Abholung beantwortet {c_name} unter {phone}; Ihre Bestätigung senden Sie bitte an {email}.""",
        """{company}
Schadenabteilung

{r_block}

{place_date}
Versicherungsschein-Nr. {ref}

Auszahlung Ihrer Kapitallebensversicherung

{salutation}

Ihre Versicherung LebensPlan Klassik läuft zum {date} planmäßig ab. Die Ablaufleistung beträgt einschließlich Überschussbeteiligung {amount}. Damit wir die Auszahlung vornehmen können, bitten wir Sie um Folgendes:

1. Bestätigen Sie uns die Bankverbindung {iban}.
2. Teilen Sie uns Ihre Steuer-ID mit; in unseren Unterlagen ist {nid} gespeichert.
3. Senden Sie uns den beigefügten Vordruck unterschrieben zurück.

Ihr persönlicher Ansprechpartner ist {c_name}, erreichbar unter {phone} sowie per E-Mail an {email}.

Mit freundlichen Grüßen

i. A. {s_name}""",
        """Betreff: Ihre neue Wohnung, Mietbeginn {date}

{salutation}

wie besprochen bestätigen wir Ihnen den Mietvertrag für die Wohnung in der {address2} ab dem {date}. Die Kaltmiete beträgt {amount}, die Vorauszahlung für Betriebskosten {amount2} monatlich.

Die Kaution legen wir auf einem Mietkautionskonto an. Die Bank benötigt dafür Ihre Steueridentifikationsnummer {nid} sowie Ihre aktuelle Meldeadresse ({address}). Die Miete buchen wir per Lastschrift von Ihrem Konto {iban} ab.

{closing}

{s_name}
{company}
Telefon {phone}
E-Mail {email}""",
        """{company}
Familienkasse · Postfach 1140

{r_block}

Kindergeldnummer {ref}
{place_date}

Bescheid über Kindergeld

{salutation}

aufgrund Ihres Antrags vom {date} wird Ihnen Kindergeld in Höhe von {amount} monatlich ab {date2} bewilligt. Die Zahlung erfolgt auf das Konto mit der IBAN {iban}. Bei der Prüfung wurde Ihre steuerliche Identifikationsnummer {nid} herangezogen.

Bitte teilen Sie Änderungen Ihrer Anschrift oder Bankverbindung unverzüglich mit. Rückfragen richten Sie an {c_name}, Telefon {phone}, oder schriftlich an {email}.

Rechtsbehelfsbelehrung: Gegen diesen Bescheid kann innerhalb eines Monats nach Bekanntgabe Einspruch eingelegt werden.

Mit freundlichen Grüßen
Im Auftrag
{s_name}""",
    ],
    "fr": [
        """{company}
Service des ressources humaines

{r_block}

{place_date}

Objet : votre arrivée le {date}

{salutation}

Nous avons le plaisir de vous confirmer votre embauche. Afin d'établir votre premier bulletin de salaire et votre affiliation à la mutuelle d'entreprise, nous avons enregistré les informations suivantes :

Numéro de sécurité sociale : {nid}
Coordonnées bancaires : IBAN {iban}

Votre poste sera équipé d'un {product}. Pour toute question pratique, vous pouvez joindre {c_name} au {phone} ou par courriel à {email}.

Nous vous prions d'agréer, {title_plain}, l'expression de nos salutations distinguées.

{s_name}
Directrice des ressources humaines""",
        """{place_date}

Objet : remboursement de vos frais de santé — dossier {ref}

{salutation}

Nous avons bien reçu votre demande du {date}. Après examen, un remboursement de {amount} vous est accordé au titre de la formule Sérénité Plus. Le virement sera effectué sous cinq jours ouvrés sur le compte suivant :

Assuré : {r_name}
N° de sécurité sociale : {nid}
Adresse : {address}
IBAN : {iban}

Le reste à charge s'élève à {amount2}. Pour tout renseignement, notre service adhérents est joignable au {phone} du lundi au vendredi.

Veuillez agréer nos salutations distinguées.

{s_name}
{company}
{email}""",
        """{salutation}

Suite à votre réclamation du {date}, nous regrettons que votre {product} présente un défaut. Nous procéderons à son échange gratuit dans le cadre de la garantie légale de conformité.

Notre transporteur passera le {date2} au {address}. Si vous préférez un remboursement de {amount}, il sera versé sur votre compte {iban}. Pour ce montant, notre prestataire de paiement exige exceptionnellement votre numéro de sécurité sociale ({nid}).

Cordialement,

{s_name}
Service clients, {company}

P.-S. : Pour convenir d'un autre créneau, contactez {c_name} au {phone} ou à l'adresse {email}.""",
        """{company}

{r_block}

{place_date}
Référence : {ref}

Objet : ouverture de votre compte

{salutation}

Nous vous confirmons l'ouverture de votre Compte Essentiel à compter du {date}. Votre IBAN est le suivant : {iban}. Votre carte bancaire vous parviendra séparément, par courrier, dans un délai de dix jours.

Conformément à la réglementation, nous avons enregistré votre numéro d'inscription au répertoire (NIR) {nid}. Les frais de tenue de compte s'élèvent à {amount} par an.

Votre conseillère, {c_name}, reste à votre disposition au {phone} ou par courriel ({email}).

Nous vous prions de croire, {title_plain}, à l'assurance de notre considération distinguée.

{s_name}
Directeur d'agence""",
        """Objet : votre demande d'aide au logement — allocataire n° {ref}

{salutation}

Votre demande du {date} concernant le logement situé {address2} a été étudiée. Le montant de votre aide est fixé à {amount} par mois à compter du {date2}. Elle sera versée sur le compte {iban}.

Pour compléter votre dossier, nous avons rapproché votre numéro de sécurité sociale {nid} de votre adresse déclarée ({address}). Tout changement de situation doit être signalé dans un délai d'un mois.

Cordialement,

{s_name}
{company}
Tél. {phone} — {email}""",
        """{company}

{r_block}

{place_date}

Objet : déclaration de sinistre n° {ref}

{salutation}

Nous accusons réception de votre déclaration de sinistre du {date}. L'expert mandaté a évalué les dommages causés à votre {product} à {amount}, franchise de {amount2} déduite.

Avant tout versement, merci de nous confirmer :
- votre numéro de sécurité sociale : {nid} ;
- vos coordonnées bancaires : {iban}.

Votre gestionnaire de sinistre, {c_name}, est joignable au {phone} et à l'adresse {email}.

Veuillez agréer, {title_plain}, nos salutations distinguées.

{s_name}""",
    ],
    "es": [
        """{company}
Departamento de Recursos Humanos

{r_block}

{place_date}

Asunto: incorporación el {date}

{salutation}

Nos complace confirmarle su incorporación a nuestra plantilla. Para tramitar el alta en la Seguridad Social y abonar la primera nómina, hemos registrado los siguientes datos:

DNI/NIE: {nid}
Cuenta para el abono de la nómina: {iban}

Su puesto contará con el siguiente equipo: {product}. Para cualquier duda sobre el primer día puede llamar a {c_name} al {phone} o escribir a {email}.

Atentamente,

{s_name}
Responsable de Personal""",
        """{place_date}

Asunto: contrato de arrendamiento — referencia {ref}

{salutation}

Le confirmamos el alquiler de la vivienda situada en {address2} a partir del {date}. La renta mensual asciende a {amount} y la fianza, equivalente a dos mensualidades, a {amount2}.

Datos del arrendatario:
Nombre: {r_name}
DNI: {nid}
Domicilio actual: {address}
Cuenta de domiciliación: {iban}

Le rogamos que firme el contrato antes del {date2}.

Un cordial saludo,

{s_name}
{company}
Tel. {phone} · {email}""",
        """{salutation}

En relación con su reclamación del {date}, lamentamos que su {product} no funcione correctamente. Procederemos a sustituirlo sin coste alguno dentro de la garantía.

Nuestro transportista pasará a recogerlo el {date2} por {address}. Si prefiere el reembolso de {amount}, lo abonaremos en la cuenta {iban}. Para ello necesitamos que nos confirme su documento de identidad ({nid}).

Atentamente,

{s_name}
Atención al Cliente, {company}

P. D.: Si desea cambiar la fecha de recogida, llame a {c_name} al {phone} o escriba a {email}.""",
        """{company}

{r_block}

{place_date}
N.º de póliza: {ref}

Asunto: liquidación del siniestro

{salutation}

Tras la visita del perito el pasado {date}, le comunicamos que la indemnización por los daños en su vivienda asciende a {amount}, una vez descontada la franquicia de {amount2}, según las condiciones de su póliza Hogar Plus.

Para efectuar el pago necesitamos:
1. Confirmación de su NIF/NIE: {nid}.
2. Confirmación de la cuenta bancaria: {iban}.

Su tramitadora, {c_name}, le atenderá en el {phone} o en {email}.

Reciba un cordial saludo.

{s_name}
Departamento de Siniestros""",
        """Asunto: alta de su línea — cliente n.º {ref}

{salutation}

Le damos la bienvenida. Su Tarifa Fibra 600 Mb quedará activa el {date} en el domicilio de instalación {address2}. La cuota mensual será de {amount}, IVA incluido, y se cargará en la cuenta {iban}.

Titular del contrato: {r_name}, con documento {nid}. Dirección de facturación: {address}.

Para cualquier consulta técnica, llame al {phone}.

Saludos cordiales,

{s_name}
{company}
{email}""",
        """{company}

{r_block}

{place_date}

Asunto: renovación de su abono

{salutation}

Su abono al gimnasio Vitalia Centro se renovará automáticamente el {date}. La cuota anual de {amount} se cargará en la cuenta que nos facilitó ({iban}). Según nuestros registros, el titular es {r_name}, con DNI {nid}.

Si no desea renovar, comuníquelo antes del {date2} a {c_name}, en el teléfono {phone} o en {email}.

Un saludo,

{s_name}
Gerente""",
    ],
    "it": [
        """{company}
Ufficio Risorse Umane

{r_block}

{place_date}

Oggetto: assunzione dal {date}

{salutation}

siamo lieti di confermarLe l'assunzione a tempo indeterminato. Per l'elaborazione del primo cedolino abbiamo registrato i seguenti dati:

Codice fiscale: {nid}
IBAN per l'accredito dello stipendio: {iban}

La Sua postazione sarà dotata del seguente materiale: {product}. Per qualsiasi chiarimento può rivolgersi a {c_name} al numero {phone} oppure all'indirizzo {email}.

Cordiali saluti,

{s_name}
Responsabile del Personale""",
        """{place_date}

Oggetto: attivazione fornitura — codice cliente {ref}

{salutation}

La informiamo che la Sua offerta Luce Verde Casa sarà attiva dal {date} presso l'immobile di {address2}. Il canone mensile stimato è di {amount}, addebitato tramite SDD.

Dati dell'intestatario:
Nome: {r_name}
Codice fiscale: {nid}
Indirizzo di fatturazione: {address}
IBAN: {iban}

Il deposito cauzionale di {amount2} verrà restituito alla cessazione del contratto.

Distinti saluti,

{s_name}
{company}
Tel. {phone} · {email}""",
        """{salutation}

in merito al Suo reclamo del {date}, ci dispiace che il prodotto {product} non funzioni correttamente. Provvederemo alla sostituzione gratuita in garanzia.

Il nostro corriere passerà il {date2} in {address}. Se preferisce il rimborso di {amount}, lo accrediteremo sul conto {iban}; a tal fine ci serve la conferma del Suo codice fiscale ({nid}).

Cordiali saluti,

{s_name}
Servizio Clienti, {company}

P.S. Per concordare un'altra data può contattare {c_name} al {phone} o scrivere a {email}.""",
        """{company}

{r_block}

{place_date}
Polizza n. {ref}

Oggetto: liquidazione del sinistro

{salutation}

a seguito del sopralluogo del perito del {date}, il danno alla Sua abitazione è stato quantificato in {amount}, al netto della franchigia di {amount2}, secondo le condizioni della polizza Casa Serena.

Per procedere al pagamento Le chiediamo di confermarci:
1. il codice fiscale: {nid};
2. le coordinate bancarie: {iban}.

Il Suo liquidatore, {c_name}, è raggiungibile al {phone} e all'indirizzo {email}.

Distinti saluti,

{s_name}
Ufficio Sinistri""",
        """Oggetto: ripartizione spese condominiali {year}

{salutation}

Le trasmettiamo il consuntivo dell'esercizio approvato dall'assemblea del {date}. La quota a Suo carico per l'unità di {address2} ammonta a {amount}, da versare entro il {date2} sul conto corrente del condominio {iban}.

Nel registro dell'anagrafe condominiale risultano i seguenti dati: {r_name}, codice fiscale {nid}, residente in {address}.

Cordiali saluti,

{s_name}
Amministratore, {company}
Tel. {phone} — {email}""",
        """{company}

{r_block}

{place_date}

Oggetto: rinnovo dell'abbonamento

{salutation}

il Suo abbonamento annuale scadrà il {date} e verrà rinnovato automaticamente. La quota di {amount} sarà addebitata sul conto {iban}. Intestatario: {r_name}, codice fiscale {nid}.

Per disdire, La preghiamo di avvisare {c_name} entro il {date2}, al numero {phone} o all'indirizzo {email}. Approfitti inoltre dello sconto sull'articolo {product}.

Un cordiale saluto,

{s_name}
Direzione""",
    ],
    "nl": [
        """{company}
Afdeling Personeelszaken

{r_block}

{place_date}

Betreft: uw indiensttreding per {date}

{salutation}

Wij heten u van harte welkom in ons team. Voor de loonadministratie en de aangifte loonheffingen hebben wij de volgende gegevens vastgelegd:

Burgerservicenummer: {nid}
Rekeningnummer voor de salarisbetaling: {iban}

Uw werkplek wordt ingericht met een {product}. Met vragen over uw eerste werkdag kunt u terecht bij {c_name}, telefonisch via {phone} of per e-mail via {email}.

Met vriendelijke groet,

{s_name}
Hoofd Personeelszaken""",
        """{place_date}

Betreft: uw zorgverzekering {year}, relatienummer {ref}

{salutation}

Hierbij ontvangt u het overzicht van uw Basisverzekering Compleet. De maandpremie bedraagt {amount}; het eigen risico is {amount2}. De premie wordt automatisch afgeschreven.

Uw gegevens:
Naam: {r_name}
BSN: {nid}
Adres: {address}
IBAN: {iban}

Klopt er iets niet? Geef wijzigingen vóór {date} aan ons door.

Met vriendelijke groet,

{s_name}
{company}
Tel. {phone} · {email}""",
        """{salutation}

Naar aanleiding van uw klacht van {date} vinden wij het vervelend dat uw {product} niet goed werkt. Wij vervangen het apparaat kosteloos onder de garantie.

Onze koerier haalt het op {date2} op bij u aan de {address}. Wilt u liever het aankoopbedrag van {amount} terug, dan storten wij dat op rekening {iban}. Onze betaaldienstverlener vraagt daarvoor uitzonderlijk om uw BSN ({nid}).

Met vriendelijke groet,

{s_name}
Klantenservice {company}

PS Wilt u een andere afspraak? Bel {c_name} op {phone} of mail naar {email}.""",
        """{company}

{r_block}

{place_date}
Kenmerk: {ref}

Betreft: toewijzing huurwoning

{salutation}

Wij zijn verheugd u de woning aan de {address2} per {date} toe te wijzen. De kale huur bedraagt {amount} per maand, de servicekosten {amount2}.

Voor het opstellen van het huurcontract hebben wij nodig:
1. een kopie van uw identiteitsbewijs; uw BSN is bij ons bekend als {nid};
2. een machtiging voor automatische incasso van rekening {iban}.

Uw contactpersoon is {c_name}, bereikbaar op {phone} en via {email}.

Met vriendelijke groeten,

{s_name}
Verhuurmakelaar""",
        """Betreft: uw pensioenoverzicht — deelnemersnummer {ref}

{salutation}

Uw pensioen gaat in op {date}. Het bruto ouderdomspensioen bedraagt {amount} per maand en wordt vanaf {date2} uitbetaald op rekening {iban}.

Wij hebben uw gegevens gecontroleerd bij de Basisregistratie Personen: {r_name}, BSN {nid}, wonend aan de {address}.

Met vriendelijke groet,

{s_name}
{company}
{phone} | {email}""",
        """{company}

{r_block}

{place_date}

Betreft: verlenging van uw abonnement

{salutation}

Uw abonnement Sportpakket Plus wordt op {date} automatisch verlengd. Het jaarbedrag van {amount} schrijven wij af van {iban}. Volgens onze administratie staat het abonnement op naam van {r_name}, BSN {nid}.

Wilt u opzeggen? Laat het dan vóór {date2} weten aan {c_name}, via {phone} of {email}.

Hartelijke groet,

{s_name}
Directie""",
    ],
}

CLOSINGS = ("Mit freundlichen Grüßen", "Freundliche Grüße", "Viele Grüße")  # de template 5
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def render(template: str, fields: dict[str, list[Piece]]) -> tuple[str, list[list]]:
    """Fill `template`; return the text and [start, end, label] for each labelled piece."""
    out, spans, pos = [], [], 0
    for index, part in enumerate(PLACEHOLDER.split(template)):
        # split() puts the placeholder names at odd indices, the literal text between them
        pieces = fields[part] if index % 2 else [(part, None)]
        for text, label in pieces:
            if label:
                spans.append([pos, pos + len(text), label])
            out.append(text)
            pos += len(text)
    return "".join(out), spans


def fields_for(lang: str, template: int, rng: random.Random) -> dict[str, list[Piece]]:
    """Every field a template may use, drawn once per letter."""
    recipient, sender, colleague = person(lang, rng), person(lang, rng), person(lang, rng)
    street, city = address_lines(lang, rng)
    street2, city2 = address_lines(lang, rng)
    nid, nid_label = national_id(lang, recipient, rng)
    r_email = email_of(recipient, lang, rng)
    contact_email = email_of(rng.choice([sender, colleague]), lang, rng)
    company = COMPANIES[lang].split("|")[template]
    products = PRODUCTS[lang].split("|")
    product, product2 = rng.sample(products, 2)
    place = city_of(lang, rng)
    year = str(rng.choice([2023, 2024]))
    ref = rng.choice([f"{year}-{_digits(rng, 5)}", f"{_digits(rng, 3)}/{_digits(rng, 4)}-K"])
    plain = {"fr": "Madame" if recipient.female else "Monsieur"}.get(lang, "")
    return {
        "r_block": recipient_block(lang, recipient, street, city),
        "salutation": salutation(lang, recipient, rng),
        "closing": [(rng.choice(CLOSINGS), None)],
        "title_plain": [(plain, None)],
        "r_name": [(recipient.full, "PERSON")],
        "s_name": [(sender.full, "PERSON")],
        "c_name": [(colleague.full, "PERSON")],
        "address": [(f"{street}, {city}", "STREET_ADDRESS")],
        "address2": [(f"{street2}, {city2}", "STREET_ADDRESS")],
        "phone": [(phone(lang, rng), "PHONE_NUMBER")],
        "email": [(contact_email, "EMAIL_ADDRESS")],
        "r_email": [(r_email, "EMAIL_ADDRESS")],
        "iban": [(iban(*bban(lang, rng)), "IBAN_CODE")],
        "nid": [(nid, nid_label)],
        "company": [(company, "ORGANIZATION")],
        "product": [(product, None)],
        "product2": [(product2, None)],
        "amount": [(amount(lang, rng), None)],
        "amount2": [(amount(lang, rng), None)],
        "date": [(date(lang, rng), None)],
        "date2": [(date(lang, rng), None)],
        "place_date": [(f"{place}, {date(lang, rng)}", None)],
        "ref": [(ref, None)],
        "year": [(year, None)],
    }


def letters(lang: str, n: int, seed: int = 0) -> list[dict]:
    """`n` letters in `lang`, cycling through its templates; same (lang, n, seed), same letters.

    Each letter is {"text", "spans": [[start, end, label], ...], "lang", "template"}.
    """
    if lang not in TEMPLATES:
        raise ValueError(f"no letters for {lang!r}: expected one of {', '.join(LANGS)}")
    rng = random.Random(f"{seed}-{lang}")
    templates = TEMPLATES[lang]
    out = []
    for i in range(n):
        index = i % len(templates)
        text, spans = render(templates[index], fields_for(lang, index, rng))
        out.append({"text": text, "spans": spans, "lang": lang, "template": index})
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="JSONL file to write")
    parser.add_argument("--n", type=int, default=40, help="letters per language")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--langs", default=",".join(LANGS))
    args = parser.parse_args(argv)
    with args.out.open("w", encoding="utf-8") as handle:
        for lang in args.langs.split(","):
            for row in letters(lang, args.n, args.seed):
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
