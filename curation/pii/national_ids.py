"""Checksum-validated national identifiers and IBANs, plain or written with separators.

Each identifier gets a pure validator (`de_tax_id_ok`, `fr_nir_ok`, ... `iban_ok`) that takes
the matched text with its separators, and a Presidio `PatternRecognizer` whose patterns find the
shapes people write (plain, grouped by spaces, dots, slashes or hyphens) and whose
`invalidate_result` drops every candidate that fails the validator, so a checksum failure is
never a match.

Scores follow how often a random number of that shape passes:

* structured shapes with a check digit or letter (Steuer-ID, NIR, DNI/NIE, codice fiscale,
  IBAN) and the shapes only these ids take (dashed SSN, spaced NINO) score 0.85-0.95;
* shapes that other codes take now and then score 0.6-0.75, still above the default 0.5
  threshold: a NINO without spaces (part numbers, 0.75), a DNI whose letter follows a space
  (0.7), an SSN spaced 3-2-4 (0.6), a BSN written 1234.56.782 (0.6, the grouping Dutch
  documents use for it);
* shapes shared with ordinary numbers score below the default 0.5 threshold and need a context
  word (the engine, like Presidio's context enhancer, adds 0.35 when one of `context` is close
  before): a BSN grouped 3-3-3 ("123 456 782", "123.456.782" are also amounts and phone
  fragments);
* bare digit runs that one in ten or eleven numbers pass (a 9-digit BSN or SSN, an order
  number) are reported only when a context word stands within `CONTEXT_WINDOW` characters
  before them, and then at 0.85.

Every pattern is anchored by lookarounds so that it never matches inside a longer digit run,
a longer grouped number or an identifier, and uses bounded quantifiers only.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from curation.pii import entities as E
from curation.pii import lean_imports

# Regex flags for every pattern: case matters (upper-case country codes, NINO letters); the
# case-insensitive parts say so inline (`(?i:...)`, `[A-Za-z]`).
FLAGS = re.MULTILINE

# Characters a context word may stand before a bare-digit candidate ("BSN: 123456782").
CONTEXT_WINDOW = 40

# Not inside a word, an identifier ("INV-123...", "+49..."), or after a digit and a decimal,
# date or path separator ("3.860957...", "12/860957...").
START = r"(?<![\w+\-])(?<![0-9][.,/])"
END = r"(?![\w\-])(?![.,/][0-9])"
# Grouped shapes also must not continue a space-separated digit sequence on either side.
START_GROUPED = START + r"(?<![0-9] )"
END_GROUPED = END + r"(?! [0-9])"
# Shapes that start or end with a letter.
START_WORD = r"(?<![\w\-])"
END_WORD = r"(?![\w\-])"

GATE = "digits"


# -- validators ------------------------------------------------------------------------------


def _compact(text: str, separators: str = " ./-") -> str:
    """`text` without `separators` and whitespace."""
    return re.sub(f"[{re.escape(separators)}\\s]", "", text)


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _iso7064_mod_11_10(digits: str) -> int:
    """The ISO 7064 MOD 11,10 check digit of `digits`."""
    product = 10
    for char in digits:
        total = (int(char) + product) % 10 or 10
        product = total * 2 % 11
    return (11 - product) % 10


def _de_repetition_ok(digits: str) -> bool:
    """The BZSt rule on the first ten digits: exactly one digit occurs more than once, two or
    three times, and a digit occurring three times does not fill three adjacent places."""
    counts = [digits.count(d) for d in set(digits)]
    repeated = [c for c in counts if c > 1]
    if len(repeated) != 1 or repeated[0] not in (2, 3):
        return False
    return re.search(r"(\d)\1\1", digits) is None


def de_tax_id_ok(text: str) -> bool:
    """True for a valid German Steuer-ID (steuerliche Identifikationsnummer).

    Eleven digits, the first not 0, the repetition rule of the first ten digits, and the
    ISO 7064 MOD 11,10 check digit; spaces, dots and slashes between groups are ignored.

    Examples
    --------
    >>> de_tax_id_ok("86095742719"), de_tax_id_ok("86 095 742 719"), de_tax_id_ok("860/957/427/19")
    (True, True, True)
    >>> de_tax_id_ok("86095742718"), de_tax_id_ok("06095742719")
    (False, False)
    >>> de_tax_id_ok("12345678903")  # passes the check digit, but no digit repeats
    False
    """
    digits = _compact(text, " ./")
    if len(digits) != 11 or not _ascii_digits(digits) or digits[0] == "0":
        return False
    return _de_repetition_ok(digits[:10]) and _iso7064_mod_11_10(digits[:10]) == int(digits[10])


# Month codes of a NIR: real months, and 20, 30-42, 50-99 for persons whose month is unknown.
_NIR_MONTH_RE = re.compile(r"0[1-9]|1[0-2]|20|3[0-9]|4[0-2]|[5-9][0-9]")
_NIR_RE = re.compile(r"[1-478][0-9]{4}(?:[0-9]{2}|2[AB])[0-9]{8}")


def fr_nir_ok(text: str) -> bool:
    """True for a valid French NIR (numéro d'inscription au répertoire, "numéro INSEE").

    Sex digit 1/2 (3/4/7/8 for special and temporary numbers), a plausible month code, and the
    key: 97 minus the 13-digit number modulo 97, with Corsica's department 2A counted as 19 and
    2B as 18.

    Examples
    --------
    >>> fr_nir_ok("1 85 05 78 006 084 91"), fr_nir_ok("185057800608491")
    (True, True)
    >>> fr_nir_ok("2 84 05 2A 123 456 32"), fr_nir_ok("1 85 05 78 006 085 91")
    (True, False)
    """
    compact = _compact(text, " ./-")
    if not _NIR_RE.fullmatch(compact) or not _NIR_MONTH_RE.fullmatch(compact[3:5]):
        return False
    department = {"2A": "19", "2B": "18"}.get(compact[5:7], compact[5:7])
    number = int(compact[:5] + department + compact[7:13])
    return 97 - number % 97 == int(compact[13:])


_NIF_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_NIF_RE = re.compile(r"([XYZ][0-9]{7}|[0-9]{8})([A-Z])")
# A NIE's X, Y, Z stand for the leading digit 0, 1, 2 of an 8-digit number.
_NIE_PREFIX = str.maketrans("XYZ", "012")


def es_nif_ok(text: str) -> bool:
    """True for a valid Spanish DNI (8 digits + letter) or NIE (X/Y/Z + 7 digits + letter).

    The letter is "TRWAGMYFPDXBNJZSQVHLCKE"[number % 23], where a NIE's X, Y, Z count as 0, 1,
    2; hyphens, spaces and dots are ignored, and so is the letter case.

    Examples
    --------
    >>> es_nif_ok("12345678Z"), es_nif_ok("12.345.678-Z"), es_nif_ok("X-1234567-L")
    (True, True, True)
    >>> es_nif_ok("12345678A"), es_nif_ok("X1234568L"), es_nif_ok("1234567L")
    (False, False, False)
    """
    match = _NIF_RE.fullmatch(_compact(text, " .-").upper())
    if not match:
        return False
    body, letter = match.groups()
    number = int(body.translate(_NIE_PREFIX))
    return number > 0 and _NIF_LETTERS[number % 23] == letter


# Values of a character in an odd (1st, 3rd, ...) place of a codice fiscale: 0-9 and A-J share
# theirs, K-Z follow the official table.
_CF_ODD_0_9 = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21)
_CF_ODD_K_Z = (2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23)
_CF_ODD = dict(zip("0123456789", _CF_ODD_0_9, strict=True)) | dict(
    zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", _CF_ODD_0_9 + _CF_ODD_K_Z, strict=True)
)
# Values in an even place: a digit counts its value, a letter its alphabet index.
_CF_EVEN = {c: int(c) for c in "0123456789"} | {chr(65 + i): i for i in range(26)}
# Omocodia: the letters that replace 0-9 in the numeric places when two codes would collide.
_CF_OMOCODIA = str.maketrans("LMNPQRSTUV", "0123456789")
_CF_DIGIT = "[0-9LMNPQRSTUV]"
_CF_RE = re.compile(
    f"[A-Z]{{6}}{_CF_DIGIT}{{2}}[ABCDEHLMPRST]{_CF_DIGIT}{{2}}[A-Z]{_CF_DIGIT}{{3}}[A-Z]"
)


def _cf_check_letter(first15: str) -> str:
    """The check letter of the first fifteen characters of a codice fiscale."""
    total = sum((_CF_ODD if i % 2 == 0 else _CF_EVEN)[c] for i, c in enumerate(first15))
    return chr(65 + total % 26)


def it_fiscal_code_ok(text: str) -> bool:
    """True for a valid Italian codice fiscale of a person.

    The 16-character layout (surname, name, year, month letter, day (+40 for women), place,
    check letter), omocodic letters LMNPQRSTUV in the numeric places, a day of 1-31 or 41-71,
    and the check letter from the official odd/even tables. Case and spaces are ignored.

    Examples
    --------
    >>> it_fiscal_code_ok("RSSMRA85T10A562S"), it_fiscal_code_ok("rssmra85t10a562s")
    (True, True)
    >>> it_fiscal_code_ok("RSSMRA85T10A562T"), it_fiscal_code_ok("RSSMRA85T10A56NH")
    (False, True)
    """
    code = _compact(text, " ").upper()
    if not _CF_RE.fullmatch(code):
        return False
    day = int(code[9:11].translate(_CF_OMOCODIA))
    if not (1 <= day <= 31 or 41 <= day <= 71):
        return False
    return _cf_check_letter(code[:15]) == code[15]


def nl_bsn_ok(text: str) -> bool:
    """True for a valid Dutch BSN (burgerservicenummer, formerly sofinummer).

    Nine digits (an 8-digit number is read with its leading zero restored) passing the
    11-proof 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 = 0 (mod 11), not all zeros; dots and spaces
    are ignored.

    Examples
    --------
    >>> nl_bsn_ok("123456782"), nl_bsn_ok("1234.56.782"), nl_bsn_ok("111 222 333")
    (True, True, True)
    >>> nl_bsn_ok("123456783"), nl_bsn_ok("000000000")
    (False, False)
    """
    digits = _compact(text, " .-")
    if len(digits) not in (8, 9) or not _ascii_digits(digits):
        return False
    digits = digits.zfill(9)
    total = sum((9 - i) * int(c) for i, c in enumerate(digits[:8])) - int(digits[8])
    return total % 11 == 0 and int(digits) > 0


_NINO_RE = re.compile(r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]")
_NINO_BAD_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def uk_nino_ok(text: str) -> bool:
    """True for a well-formed UK National Insurance number (no check digit exists).

    Prefix letters without D, F, I, Q, U, V (and O second), not an unallocated pair (BG, GB,
    KN, NK, NT, TN, ZZ), six digits and a suffix A-D, upper case; spaces and hyphens are
    ignored.

    Examples
    --------
    >>> uk_nino_ok("AB123456C"), uk_nino_ok("AB 12 34 56 C")
    (True, True)
    >>> uk_nino_ok("AB-12-34-56-C")
    True
    >>> uk_nino_ok("GB123456C"), uk_nino_ok("DA123456C"), uk_nino_ok("AO123456C")
    (False, False, False)
    """
    compact = _compact(text, " -")
    return bool(_NINO_RE.fullmatch(compact)) and compact[:2] not in _NINO_BAD_PREFIXES


def us_ssn_ok(text: str) -> bool:
    """True for a US Social Security number the SSA could issue.

    Area 001-899 except 666, group 01-99, serial 0001-9999; dashes, dots and spaces are
    ignored.

    Examples
    --------
    >>> us_ssn_ok("536-90-4399"), us_ssn_ok("536 90 4399"), us_ssn_ok("536904399")
    (True, True, True)
    >>> us_ssn_ok("666-90-4399"), us_ssn_ok("936-90-4399"), us_ssn_ok("536-00-4399")
    (False, False, False)
    """
    digits = _compact(text, " -.")
    if len(digits) != 9 or not _ascii_digits(digits):
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area < "900" and group != "00" and serial != "0000"


# IBAN lengths of the SEPA countries from the SWIFT IBAN registry: the EU 27, the EEA (IS, LI,
# NO), CH, GB, MC, SM, AD, VA (the 36 SEPA countries), Gibraltar (a SEPA territory with its own
# prefix), and Albania, Moldova, Montenegro and North Macedonia (admitted to SEPA in 2024/25).
SEPA_IBAN_LENGTHS: dict[str, int] = {
    "AD": 24,
    "AT": 20,
    "BE": 16,
    "BG": 22,
    "CH": 21,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "EE": 20,
    "ES": 24,
    "FI": 18,
    "FR": 27,
    "GB": 22,
    "GR": 27,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IS": 26,
    "IT": 27,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "MC": 27,
    "MT": 31,
    "NL": 18,
    "NO": 15,
    "PL": 28,
    "PT": 25,
    "RO": 24,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "VA": 22,
    "GI": 23,
    "AL": 28,
    "MD": 24,
    "ME": 22,
    "MK": 19,
}
# Other countries of the IBAN registry, accepted as well.
OTHER_IBAN_LENGTHS: dict[str, int] = {
    "AE": 23,
    "AZ": 28,
    "BA": 20,
    "BH": 22,
    "BR": 29,
    "BY": 28,
    "CR": 22,
    "DO": 28,
    "EG": 29,
    "FO": 18,
    "GE": 22,
    "GL": 18,
    "GT": 28,
    "IL": 23,
    "IQ": 23,
    "JO": 30,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LC": 32,
    "LY": 25,
    "MR": 27,
    "MU": 30,
    "PK": 24,
    "PS": 29,
    "QA": 29,
    "RS": 22,
    "SA": 24,
    "SC": 31,
    "ST": 25,
    "SV": 28,
    "TL": 23,
    "TN": 24,
    "TR": 26,
    "UA": 29,
    "VG": 24,
    "XK": 20,
}
IBAN_LENGTHS: dict[str, int] = SEPA_IBAN_LENGTHS | OTHER_IBAN_LENGTHS


def iban_ok(text: str) -> bool:
    """True for an IBAN of a known country with its registry length and mod-97 remainder 1.

    Upper case only; spaces are ignored. Check digits 00, 01 and 99 are never issued.

    Examples
    --------
    >>> iban_ok("DE89370400440532013000"), iban_ok("DE89 3704 0044 0532 0130 00")
    (True, True)
    >>> iban_ok("DE89370400440532013001"), iban_ok("DE8937040044053201300")
    (False, False)
    >>> iban_ok("GB82WEST12345698765432")
    True
    """
    compact = _compact(text, " ")
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact.isascii():
        return False
    if not (compact[2:4].isdigit() and "02" <= compact[2:4] <= "98" and compact.isalnum()):
        return False
    if compact != compact.upper():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


# -- patterns ----------------------------------------------------------------------------------


def _ascii(*parts: str) -> str:
    """The pattern `parts` joined, with `\d` narrowed to ASCII digits (Unicode digits such as
    Arabic-Indic ones never form these ids, and int() would read them)."""
    return "".join(parts).replace(r"\d", "[0-9]")


DE_TAX_ID_PLAIN = _ascii(START, r"[1-9]\d{10}", END)
# 2-3-3-3 as on the BZSt letter, or 3-3-3-2, with one separator kind throughout.
DE_TAX_ID_GROUPED = _ascii(
    START_GROUPED,
    r"(?:[1-9]\d(?P<s>[ ./])\d{3}(?P=s)\d{3}(?P=s)\d{3}",
    r"|[1-9]\d{2}(?P<t>[ ./])\d{3}(?P=t)\d{3}(?P=t)\d{2})",
    END_GROUPED,
)

# Any single space, dot or hyphen between the fields of 1 85 05 78 006 084 36; overseas
# departments also print as 3 + 2 digits ("971 23").
FR_NIR_PATTERN = _ascii(
    START_GROUPED,
    r"[1-478]S\d{2}S\d{2}S(?:(?:\d{2}|2[AB])S\d{3}|9[78]\dS\d{2})S\d{3}S\d{2}".replace(
        "S", "[ .-]?"
    ),
    END_GROUPED,
)

# DNI digits plain or with thousands dots (12.345.678).
_DNI_DIGITS = r"\d{2}(?:\d{6}|\.\d{3}\.\d{3}| \d{3} \d{3})"
ES_DNI_JOINED = _ascii(START, _DNI_DIGITS, r"[-.]?[A-Za-z]", END)
# A lone letter after a space is a DNI letter only in upper case ("y", "a", "e" are words).
ES_DNI_SPACED = _ascii(START, _DNI_DIGITS, r" [A-Z]", END)
ES_NIE = _ascii(START_WORD, r"[XYZxyz][-. ]?\d{7}[-. ]?[A-Za-z]", END)

IT_FISCAL_CODE_PATTERN = (
    START_WORD
    + f"(?i:[A-Z]{{6}}{_CF_DIGIT}{{2}}[ABCDEHLMPRST]{_CF_DIGIT}{{2}}[A-Z]{_CF_DIGIT}{{3}}[A-Z])"
    + END_WORD
)
# Printed in groups of 3, 3, 5 and 5 ("RSS MRA 85T10 A562S"): upper case only, one space each.
IT_FISCAL_CODE_GROUPED = (
    START_WORD
    + f"[A-Z]{{3}} [A-Z]{{3}} {_CF_DIGIT.upper()}{{2}}[ABCDEHLMPRST]{_CF_DIGIT.upper()}{{2}} "
    + f"[A-Z]{_CF_DIGIT.upper()}{{3}}[A-Z]"
    + END_WORD
)

NL_BSN_DOTTED = _ascii(START_GROUPED, r"\d{4}\.\d{2}\.\d{3}", END_GROUPED)
NL_BSN_GROUPED = _ascii(START_GROUPED, r"\d{3}(?P<s>[ .])\d{3}(?P=s)\d{3}", END_GROUPED)
NL_BSN_PLAIN = _ascii(START, r"\d{8,9}", END)

_NINO_PREFIX = "[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
UK_NINO_PLAIN = _ascii(START_WORD, _NINO_PREFIX, r"\d{6}[A-D]", END_WORD)
UK_NINO_SPACED = _ascii(
    START_WORD,
    _NINO_PREFIX,
    r"(?P<ns>[ -])(?:\d{2}(?P=ns)\d{2}(?P=ns)\d{2}|\d{6})(?P=ns)[A-D]",
    END_WORD,
)

US_SSN_DASHED = _ascii(START, r"\d{3}-\d{2}-\d{4}", END)
US_SSN_SPACED = _ascii(START_GROUPED, r"\d{3} \d{2} \d{4}", END_GROUPED)
# Dotted, the shape of version numbers too: below the threshold unless a context word is near.
US_SSN_DOTTED = _ascii(START_GROUPED, r"\d{3}\.\d{2}\.\d{4}", END_GROUPED)
US_SSN_PLAIN = _ascii(START, r"\d{9}", END)


def _iban_pattern(lengths: dict[str, int]) -> str:
    """One alternative per IBAN length: plain, or in groups of four split by single spaces.

    The exact length per country keeps a grouped IBAN from swallowing a following number
    ("BE68 5390 0754 7034 2024"), which would then fail the checksum as a whole.
    """
    by_length: dict[int, list[str]] = {}
    for country, length in lengths.items():
        by_length.setdefault(length, []).append(country)
    alternatives = []
    for length, countries in sorted(by_length.items()):
        full, rest = divmod(length - 4, 4)
        grouped = f"(?: [A-Z0-9]{{4}}){{{full}}}" + (f" [A-Z0-9]{{{rest}}}" if rest else "")
        prefix = "|".join(sorted(countries))
        alternatives.append(f"(?:{prefix})[0-9]{{2}}(?:[A-Z0-9]{{{length - 4}}}|{grouped})")
    return START_WORD + "(?:" + "|".join(alternatives) + ")" + END_WORD


IBAN_PATTERN = _iban_pattern(IBAN_LENGTHS)

# -- context words (lower case: matched against the lower-cased text before a candidate) -----

DE_TAX_ID_CONTEXT = (
    "steuer-id",
    "steuerid",
    "steuer-idnr",
    "steueridentifikationsnummer",
    "steuer-identifikationsnummer",
    "steuerliche identifikationsnummer",
    "identifikationsnummer",
    "idnr",
    "id-nr",
    "bzst",
    "tax id",
    "tax identification number",
)
FR_NIR_CONTEXT = (
    "nir",
    "insee",
    "sécurité sociale",
    "securite sociale",
    "sécu",
    "numéro ss",
    "n° ss",
    "carte vitale",
    "immatriculation",
    "social security",
)
ES_NIF_CONTEXT = (
    "dni",
    "nie",
    "nif",
    "documento nacional de identidad",
    "número de identidad",
    "numero de identidad",
    "identificación fiscal",
    "identificacion fiscal",
    "número de extranjero",
    "tax id",
)
IT_FISCAL_CODE_CONTEXT = (
    "codice fiscale",
    "cod. fiscale",
    "cod. fisc",
    "c.f.",
    "tessera sanitaria",
    "fiscal code",
    "tax code",
)
NL_BSN_CONTEXT = (
    "bsn",
    "burgerservicenummer",
    "burger service nummer",
    "sofinummer",
    "sofi-nummer",
    "sofi nummer",
    "citizen service number",
)
UK_NINO_CONTEXT = (
    "nino",
    "national insurance",
    "ni number",
    "ni no",
    "n.i. number",
    "insurance number",
)
US_SSN_CONTEXT = (
    "ssn",
    "social security",
    "social-security",
    "soc. sec",
    "soc sec",
    "ss#",
    "ss #",
)
IBAN_CONTEXT = (
    "iban",
    "bank account",
    "account number",
    "bankverbindung",
    "kontonummer",
    "konto",
    "coordonnées bancaires",
    "compte",
    "cuenta",
    "conto corrente",
    "rekeningnummer",
    "rekening",
)


# -- recognizers -------------------------------------------------------------------------------


def context_near(text: str, start: int, words: Iterable[str], window: int = CONTEXT_WINDOW) -> bool:
    """True when one of `words` (lower case) occurs in the `window` characters before `start`.

    Examples
    --------
    >>> context_near("BSN: 123456782", 5, ["bsn"]), context_near("Order 123456782", 6, ["bsn"])
    (True, False)
    """
    before = text[max(0, start - window) : start].lower()
    return any(word in before for word in words)


@functools.cache
def _checksum_recognizer_class() -> type:
    """The Presidio class behind every recognizer here (built once: Presidio loads lazily)."""
    PatternRecognizer = lean_imports.presidio("PatternRecognizer")

    class ChecksumRecognizer(PatternRecognizer):
        """Patterns whose matches must pass `validator`; matches of the patterns named in
        `context_only` count only after a context word.

        The check runs in `invalidate_result`, not `validate_result`: Presidio raises every
        validated match to 1.0, which would erase the difference between a grouped BSN and a
        structured id that the pattern scores encode.
        """

        def __init__(
            self,
            *,
            validator: Callable[[str], bool],
            context_only: frozenset[str] = frozenset(),
            **kwargs: Any,
        ) -> None:
            super().__init__(**kwargs)
            self.validator = validator
            self.context_only = context_only

        def invalidate_result(self, pattern_text: str) -> bool:
            return not self.validator(pattern_text)

        def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
            found = super().analyze(text, entities, nlp_artifacts, regex_flags)
            return [r for r in found if self._in_context(text, r)]

        def _in_context(self, text: str, result: Any) -> bool:
            explanation = result.analysis_explanation
            pattern = explanation.pattern_name if explanation else None
            if pattern not in self.context_only:
                return True
            return context_near(text, result.start, self.context or ())

    return ChecksumRecognizer


def checksum_recognizer(
    entity: str,
    name: str,
    patterns: Sequence[tuple[str, str, float]],
    validator: Callable[[str], bool],
    context: Sequence[str],
    *,
    context_only: Iterable[str] = (),
):
    """A Presidio `PatternRecognizer` for `entity` from (pattern name, regex, score) triples."""
    Pattern = lean_imports.presidio("Pattern")

    return _checksum_recognizer_class()(
        supported_entity=entity,
        name=name,
        patterns=[Pattern(name=n, regex=regex, score=score) for n, regex, score in patterns],
        context=list(context),
        global_regex_flags=FLAGS,
        validator=validator,
        context_only=frozenset(context_only),
    )


def de_tax_id_recognizer():
    """German Steuer-ID: plain 11 digits, or grouped 2-3-3-3 / 3-3-3-2."""
    patterns = [
        ("de_tax_id_grouped", DE_TAX_ID_GROUPED, 0.95),
        ("de_tax_id_plain", DE_TAX_ID_PLAIN, 0.85),
    ]
    return checksum_recognizer(
        E.DE_TAX_ID, "CurateDeTaxIdRecognizer", patterns, de_tax_id_ok, DE_TAX_ID_CONTEXT
    )


def fr_nir_recognizer():
    """French NIR, plain or with any common grouping of its fields."""
    patterns = [("fr_nir", FR_NIR_PATTERN, 0.9)]
    return checksum_recognizer(
        E.FR_NIR, "CurateFrNirRecognizer", patterns, fr_nir_ok, FR_NIR_CONTEXT
    )


def es_nif_recognizer():
    """Spanish DNI and NIE, with an optional separator before the letter."""
    patterns = [
        ("es_nie", ES_NIE, 0.95),
        ("es_dni", ES_DNI_JOINED, 0.85),
        ("es_dni_spaced", ES_DNI_SPACED, 0.7),
    ]
    return checksum_recognizer(
        E.ES_NIF, "CurateEsNifRecognizer", patterns, es_nif_ok, ES_NIF_CONTEXT
    )


def it_fiscal_code_recognizer():
    """Italian codice fiscale, any letter case, omocodic forms included."""
    patterns = [
        ("it_fiscal_code", IT_FISCAL_CODE_PATTERN, 0.95),
        ("it_fiscal_code_grouped", IT_FISCAL_CODE_GROUPED, 0.9),
    ]
    return checksum_recognizer(
        E.IT_FISCAL_CODE,
        "CurateItFiscalCodeRecognizer",
        patterns,
        it_fiscal_code_ok,
        IT_FISCAL_CODE_CONTEXT,
    )


def nl_bsn_recognizer():
    """Dutch BSN: 1234.56.782 alone; 123 456 782 weakly; bare 8-9 digits only after a context
    word, since one 9-digit order or invoice number in eleven passes the 11-proof."""
    patterns = [
        ("nl_bsn_dotted", NL_BSN_DOTTED, 0.6),
        ("nl_bsn_grouped", NL_BSN_GROUPED, 0.4),
        ("nl_bsn_plain", NL_BSN_PLAIN, 0.85),
    ]
    return checksum_recognizer(
        E.NL_BSN,
        "CurateNlBsnRecognizer",
        patterns,
        nl_bsn_ok,
        NL_BSN_CONTEXT,
        context_only={"nl_bsn_plain"},
    )


def uk_nino_recognizer():
    """UK National Insurance number, plain or spaced in pairs."""
    patterns = [
        ("uk_nino_spaced", UK_NINO_SPACED, 0.85),
        ("uk_nino_plain", UK_NINO_PLAIN, 0.75),
    ]
    return checksum_recognizer(
        E.UK_NINO, "CurateUkNinoRecognizer", patterns, uk_nino_ok, UK_NINO_CONTEXT
    )


def us_ssn_recognizer():
    """US SSN: dashed, spaced, or 9 bare digits after a context word."""
    patterns = [
        ("us_ssn_dashed", US_SSN_DASHED, 0.85),
        ("us_ssn_spaced", US_SSN_SPACED, 0.6),
        ("us_ssn_dotted", US_SSN_DOTTED, 0.4),
        ("us_ssn_plain", US_SSN_PLAIN, 0.85),
    ]
    return checksum_recognizer(
        E.US_SSN,
        "CurateUsSsnRecognizer",
        patterns,
        us_ssn_ok,
        US_SSN_CONTEXT,
        context_only={"us_ssn_plain"},
    )


def iban_recognizer():
    """IBANs of every SEPA (and other registry) country, plain or in groups of four."""
    patterns = [("iban", IBAN_PATTERN, 0.95)]
    return checksum_recognizer(E.IBAN_CODE, "CurateIbanRecognizer", patterns, iban_ok, IBAN_CONTEXT)


def national_id_recognizers() -> list[tuple[str, object, str]]:
    """(entity, presidio recognizer, gate) for every national id and IBAN.

    gate is "digits" for ids containing two adjacent digits (all of them) – the engine only
    runs a recognizer on texts where its gate regex matches.

    Examples
    --------
    >>> [entity for entity, _, _ in national_id_recognizers()][:3]
    ['DE_TAX_ID', 'FR_NIR', 'ES_NIF']
    """
    builders = (
        de_tax_id_recognizer,
        fr_nir_recognizer,
        es_nif_recognizer,
        it_fiscal_code_recognizer,
        nl_bsn_recognizer,
        uk_nino_recognizer,
        us_ssn_recognizer,
        iban_recognizer,
    )
    out = []
    for build in builders:
        recognizer = build()
        out.append((recognizer.supported_entities[0], recognizer, GATE))
    return out
