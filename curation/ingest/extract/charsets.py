"""Which text encoding undeclared bytes are in, and why: one decision, recorded with its reason.

Order: a BOM, a declared charset that fits, strict UTF-8, then the best reading among the
single-byte Latin code pages, then charset-normalizer (Cyrillic, Greek, CJK, ...).

Latin pages are judged here rather than by charset-normalizer because on short Latin-script
text it rates cp1252, cp1250 and cp1257 equally and may pick any ("crème brûlée" read as cp1257
is "crčme brūlée"). Each page's reading is scored by how well its accented letters fit one
language's alphabet (French è and û, or Hungarian ő and ű, but not both), then by that
language's function words; a reading with a symbol inside a word (cp1250 Polish "ł" read as
cp1252 is "³") or mostly non-ASCII letters (Cyrillic read as Latin) is out. Equal readings go
to cp1252 first: Western European text is what undeclared 8-bit files on these shares
overwhelmingly are, and a German or French text reads identically in several pages.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from dataclasses import dataclass

from curation.exceptions import ExtractionError
from curation.ingest.reasons import IngestReason

BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# How much text the language checks read: enough words to decide, bounded time on 50 MB.
SAMPLE_CHARS = 65_536
# Latin-script prose has 1-15% accented letters (Icelandic and Czech the most); Cyrillic, Greek
# or CJK bytes read as a Latin page are mostly non-ASCII letters.
MAX_ACCENTED_SHARE = 0.4
# Below this share of accented letters fitting one alphabet, no Latin reading is trusted.
MIN_FIT = 0.75

# Single-byte Latin pages in order of preference among equally good readings.
LATIN_PAGES = ("cp1252", "iso8859-15", "cp1250", "iso8859-2", "cp1257", "iso8859-13", "cp1254")
_PAGE_NAMES = {"iso8859-15": "Latin-9", "iso8859-2": "Latin-2", "iso8859-13": "Latin-7"}

# Accented letters (lower case) of each language or group. "Western" is one group: French,
# German, Spanish, Italian, Portuguese, Dutch, Catalan, Swedish, Danish, Norwegian, Finnish
# (a letter names a French recipient, a German street and a Spanish company in one file).
ALPHABETS = {
    "Western European": "àáâãäåæçèéêëìíîïñòóôõöøùúûüÿœßªº",
    "Icelandic": "áðéíóúýþæö",
    "Czech": "áčďéěíňóřšťúůýž",
    "Slovak": "áäčďéíĺľňóôŕšťúýž",
    "Polish": "ąćęłńóśźż",
    "Hungarian": "áéíóöőúüű",
    "Croatian/Slovene": "čćđšž",
    "Romanian": "ăâîșşțţ",
    "Lithuanian": "ąčęėįšųūž",
    "Latvian": "āčēģīķļņšūž",
    "Estonian": "õäöüšž",
    "Turkish": "çğıöşü\u0307",  # "İ".lower() is "i" + U+0307
}
_ANY_LANGUAGE = "µ"
# Frequent function words, ASCII spellings only (accented ones are what is in question).
FUNCTION_WORDS = {
    "Western European": (
        "le la les de des du et est un une pour pas que qui dans sur au aux nous vous il elle "
        "der die das und ist nicht ein eine zu den dem mit sich auf auch es an als im wir sie "
        "ich bei von oder aus nach el los las del y en por con para se no su lo como mas pero "
        "di della e che per non sono gli da nel alla o os as do da dos das em um uma com na ao "
        "het een en van dat op te niet zijn voor met er aan ook bij maar naar els amb i och att "
        "det som ett av med har inte till om og er af ikke vi"
    ),
    "Icelandic": "og ad er a i sem um vid til fra hann hun ekki",
    "Czech": "a je se na v ze to ve do pro jsou jako tak ale by byl jak po od ktery",
    "Slovak": "a je sa na v z to do pre ako ale by som od po ktory",
    "Polish": "i w na z sie nie do to jest ze o jak po a od dla tak za ale",
    "Hungarian": "a az es hogy nem egy is meg van de csak mint ez el volt ha",
    "Croatian/Slovene": "i je u na se da za od su a kao ali ili bi ne po",
    "Romanian": "si in de la cu nu o un care pe din este mai ca se",
    "Lithuanian": "ir kad yra tai su is bet ne kaip jo per",
    "Latvian": "un ir ka ar par no uz bet kas to ja",
    "Estonian": "ja on ei et see kui oli mis aga ka",
    "Turkish": "ve bir bu da de ile icin ne gibi daha cok olarak",
}
_WORDS = {language: frozenset(words.split()) for language, words in FUNCTION_WORDS.items()}
_WORD = re.compile(r"[^\W\d_]+")
_C1 = re.compile(rb"[\x80-\x9f]")
_LATIN9_POSITIONS = re.compile(rb"[\xa4\xa6\xa8\xb4\xb8\xbc\xbd\xbe]")
# Punctuation that legitimately touches letters (l’école, l·l, soft hyphens); any other
# non-letter from a page's upper half inside a word means the page is wrong.
_WORD_PUNCTUATION = frozenset("‘’‚“”„–—…·\xad\xa0«»‹›")
_LATIN1_LABELS = {"latin_1", "iso8859_1", "ascii"}


@dataclass(frozen=True)
class Decoded:
    """Text, the codec used (Python's name) and a one-line reason for choosing it."""

    text: str
    encoding: str
    reason: str


def encoding_metadata(decoded: Decoded) -> dict[str, str]:
    """`encoding`, and `encoding_reason` unless the text simply was UTF-8 (nothing to explain).

    Examples
    --------
    >>> encoding_metadata(Decoded("x", "cp1250", "cp1250: 100% of accented letters are Polish"))
    {'encoding': 'cp1250', 'encoding_reason': 'cp1250: 100% of accented letters are Polish'}
    """
    if decoded.encoding == "utf-8":
        return {"encoding": decoded.encoding}
    return {"encoding": decoded.encoding, "encoding_reason": decoded.reason}


def decode_bytes(data: bytes, what: str, *, declared: str | None = None) -> Decoded:
    """Decode `data`, saying why the encoding was chosen; `ingest.encoding_error` when nothing fits.

    Examples
    --------
    >>> decode_bytes("crème brûlée".encode("latin-1"), "x").text
    'crème brûlée'
    >>> decode_bytes("Zażółć gęślą jaźń, powiedział".encode("cp1250"), "x").encoding
    'cp1250'
    """
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(encoding), encoding, f"{encoding} byte order mark")
            except UnicodeDecodeError as error:
                raise ExtractionError(
                    IngestReason.ENCODING_ERROR,
                    f"{what} has a {encoding} BOM but is not {encoding}: {error.reason}",
                ) from error
    if declared:
        found = _declared(data, declared)
        if found is not None:
            return found
    try:
        return Decoded(data.decode("utf-8"), "utf-8", "valid UTF-8")
    except UnicodeDecodeError:
        pass
    latin = latin_reading(data)
    if latin is not None:
        return latin
    return _detected(data, what)


def _declared(data: bytes, declared: str) -> Decoded | None:
    """The declared charset if Python knows it and the bytes fit it, else None."""
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        return None
    if name.replace("-", "_") in _LATIN1_LABELS and _C1.search(data):
        # Bytes 0x80-0x9F are controls in Latin-1 but quotes, dashes and € in cp1252: what such
        # files really are (browsers read every Latin-1 label as cp1252 for this reason).
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            return None
        return Decoded(text, "cp1252", f"declared {declared}, with cp1252 bytes 0x80-0x9F")
    try:
        return Decoded(data.decode(name), name, f"declared {declared}")
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True)
class _Reading:
    page: str
    language: str
    fit: float
    words: int
    latin9: bool  # a Latin-9 reading whose letters (œ, €) the cp1252 reading has as symbols

    def key(self) -> tuple[float, int, bool, int]:
        return (round(self.fit, 2), self.words, self.latin9, -LATIN_PAGES.index(self.page))


def latin_reading(data: bytes) -> Decoded | None:
    """The best single-byte Latin reading of `data`, or None when no Latin page fits it.

    Examples
    --------
    >>> latin_reading("Le cœur a 10 €".encode("iso8859-15")).encoding
    'iso8859-15'
    >>> latin_reading("Děkujeme za Vaši objednávku, přijde v pondělí.".encode("cp1250")).encoding
    'cp1250'
    >>> latin_reading("Привет, как дела?".encode("koi8-r")) is None
    True
    """
    has_c1 = bool(_C1.search(data))
    readings: list[_Reading] = []
    texts: dict[str, str] = {}
    for page in LATIN_PAGES:
        if page.startswith("iso") and has_c1:
            continue  # 0x80-0x9F are control characters in the ISO pages, never text
        if page == "iso8859-15" and not _LATIN9_POSITIONS.search(data):
            continue  # reads exactly like cp1252
        try:
            texts[page] = data.decode(page)
        except UnicodeDecodeError:
            continue
        reading = _score(page, texts[page][:SAMPLE_CHARS])
        if reading is not None:
            readings.append(reading)
    if not readings:
        return None
    if "iso8859-15" in texts and "cp1252" in texts:
        latin9 = _latin9_fits_better(
            texts["cp1252"][:SAMPLE_CHARS], texts["iso8859-15"][:SAMPLE_CHARS]
        )
        readings = [
            _Reading(r.page, r.language, r.fit, r.words, latin9 and r.page == "iso8859-15")
            for r in readings
        ]
    best = max(readings, key=_Reading.key)
    if best.fit < MIN_FIT:
        return None
    name = _PAGE_NAMES.get(best.page, best.page)
    why = f"{name}: {best.fit:.0%} of accented letters are {best.language}"
    if best.words:
        why += f", {best.words} {best.language} function words"
    tied = [r.page for r in readings if r.key()[:3] == best.key()[:3] and r is not best]
    if tied:
        why += f"; preferred to {', '.join(tied)}, which read the same"
    return Decoded(texts[best.page], best.page, why)


def _score(page: str, sample: str) -> _Reading | None:
    """How well one page's reading fits its best language; None when it cannot be text."""
    words = _WORD.findall(sample)
    accented = Counter(
        ch for word in words for ch in word.lower() if ord(ch) > 127 and ch.isalpha()
    )
    n_letters = sum(ch.isalpha() for word in words for ch in word)
    n_accented = sum(accented.values())
    if n_letters == 0 or n_accented / n_letters > MAX_ACCENTED_SHARE:
        return None
    if _symbol_inside_word(sample):
        return None
    ascii_words = Counter(word.lower() for word in words if word.isascii())
    best: _Reading | None = None
    for language, alphabet in ALPHABETS.items():
        fitting = sum(n for ch, n in accented.items() if ch in alphabet or ch in _ANY_LANGUAGE)
        fit = fitting / n_accented if n_accented else 1.0
        hits = sum(ascii_words[word] for word in _WORDS[language])
        reading = _Reading(page, language, fit, hits, latin9=False)
        if best is None or reading.key() > best.key():
            best = reading
    return best


def _latin9_fits_better(cp1252: str, latin9: str) -> bool:
    """Latin-9 wins where its letters sit inside words or its € beside a number."""
    score = 0
    for index, (old, new) in enumerate(zip(cp1252, latin9, strict=False)):
        if old == new:
            continue
        before = latin9[index - 1] if index else " "
        after = latin9[index + 1] if index + 1 < len(latin9) else " "
        if new == "€":
            near = latin9[max(0, index - 2) : index + 3]
            score += 1 if any(ch.isdigit() for ch in near) else -1
        elif before.isalpha() or after.isalpha():
            score += 1
        elif old in "¼½¾" and (before.isdigit() or after.isdigit()):
            score -= 1
    return score > 0


def _symbol_inside_word(text: str) -> bool:
    for match in re.finditer(r"[^\x00-\x7f]", text):
        ch, start = match.group(), match.start()
        if ch.isalpha() or ch in _WORD_PUNCTUATION or start == 0 or match.end() == len(text):
            continue
        if text[start - 1].isalpha() and text[match.end()].isalpha():
            return True
    return False


def _detected(data: bytes, what: str) -> Decoded:
    """charset-normalizer's reading, for scripts other than Latin."""
    import charset_normalizer

    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise ExtractionError(
            IngestReason.ENCODING_ERROR,
            f"{what} is not UTF-8 and no other text encoding fits it: convert it to UTF-8",
        )
    language = best.language if best.language and best.language != "Unknown" else "no language"
    return Decoded(
        str(best),
        best.encoding,
        f"charset-normalizer: {language}, chaos {best.chaos:.2f}, coherence {best.coherence:.2f}",
    )
