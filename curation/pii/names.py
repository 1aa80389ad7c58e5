"""Person names: where NER must run, which NER spans to trust, and same-document propagation.

NER is the stage's cost (spaCy's small NER alone runs at ~68k chars/s here), so it only reads a
few words around each capitalized word that is not a common English word: text without one
cannot hold a name the model would find, and the model sees no further than four tokens anyway.
Its PERSON spans are cleaned of the small model's known false positives (numbers, e-mail
addresses, common words); two-word names it calls ORG or GPE are taken back when they hold no
organisation or place word. Finally every name token found anywhere in a document (by NER, in a
From/To header, a signature, an e-mail address's local part, a list of names or a deny list) is
searched for in the whole document, so "Marlene" alone in a signature is redacted once
"Okafor , Marlene" was seen in a header; initials that stand for a name ("Lohman , TK" in a
header, "SPR" signing) are searched for the same way.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Iterable

from curation.pii import languages as LANG
from curation.pii.recognizers import NAME_SUFFIXES, NAME_TOKEN, marked_lines, name_token_not_after
from curation.pii.recognizers import PARTICLES as PARTICLES_RE
from curation.pii.recognizers import word_set as _words

CANDIDATE_RE = re.compile(name_token_not_after(r"[\w@./]") + r"(?![\w@])")
LIST_ITEM_RE = CANDIDATE_RE
LIST_RE = re.compile(
    name_token_not_after(r"[\w@./]", r",[ \t]")
    + r"(?:,[ \t]+"
    + NAME_TOKEN
    + r")+,?[ \t]+(?:and|or|&)[ \t]+"
    + NAME_TOKEN,
)
LOCAL_PART_RE = re.compile(r"(?<![\w.+'-])([A-Za-z0-9_][\w.+'-]*)@")

# Words that start sentences, fill headers and signatures, or name calendar units: capitalized
# often, names almost never. spaCy's English stop words are added at load time.
EXTRA_COMMON = _words(
    """
re fw fwd subject original message sent date from to cc bcc attached attachment please thanks
thank regards best cheers sincerely dear hi hello hey team all everyone group department inc
corp ltd llc gmbh plc co company mr mrs ms dr prof sir madam am pm est pst cst edt pdt monday
tuesday wednesday thursday friday saturday sunday january february march april may june july
august september october november december jan feb mar apr jun jul aug sep sept oct nov dec
today tomorrow yesterday yes no ok okay note notes meeting call agenda update report draft final
new see let also just sure great good morning afternoon evening night week month year day would
could should will shall can may might must need let's i'm we're you're it's that's
"""
)


# Words that make a capitalized phrase an organisation, a place or a work, not a person. NER of
# the small model often labels two-word person names ORG or GPE; a phrase without any of these
# words is taken back as a name.
ORG_GEO_WORDS = _words(
    """
inc corp corporation company co ltd llc llp plc gmbh ag sa nv bv group holdings partners bank
capital fund trust university college school institute academy association foundation society
orchestra band club church hospital clinic center centre agency department ministry council
committee board office services service solutions systems technologies technology labs lab
energy power gas oil electric airlines airways motors media news times journal post press
records studio studios network international global national federal state city county street
avenue road boulevard lane drive court square park bridge river lake mount island bay north
south east west new san santa saint st fort port republic kingdom united america american europe
european africa asia pacific atlantic university government commission authority market markets
exchange securities financial insurance pharmaceuticals industries enterprises hotel restaurant
cafe bar museum gallery theatre theater library tales data public explorer southern northern
eastern western central upper lower greater village town station nord sud consulting software
research economic economics analytics score unlimited health healthcare investments investment
incorporated associates advisors advisers ventures rue rua rúa calle strasse straße legal credit
treasury risk tax compliance trading operations payroll facilities settlements contracts
logistics procurement purchasing audit underwriting structuring
"""
)
# Last words that end street, place and organisation names: a NER "PERSON" ending in one of
# them ("Virtanen Road", "Palmer Orchestra") is not a person.
SUFFIX_WORDS = _words(
    """
street streets st road rd avenue ave boulevard blvd lane ln drive way place court square trail
pass bypass crossroad crossroads harbor harbour greens green turnpike route extension extensions
union park parkway highway hwy heights hills hill village mill mills bridge station plaza
terrace gardens grove ridge point port view valley creek lake falls inc corp corporation ltd
llc plc gmbh co company group orchestra band club society weekly daily magazine gazette times
tribune herald review journal news university college school institute foundation bank
incorporated investments associates
"""
)
RECLASSIFIED_LABELS = frozenset({"ORG", "GPE", "FAC", "NORP", "LOC", "PRODUCT", "WORK_OF_ART"})
# Name particles (one list, in `languages`) and the Arabic ones ("bin", "al", "el").
PARTICLES = frozenset(LANG.NAME_PARTICLES) | _words("bin al el")
NAME_OR_INITIAL_RE = re.compile(r"(?:" + NAME_TOKEN + r"|[A-Z]\.?)")


def looks_like_full_name(value: str, common: frozenset[str]) -> bool:
    """Two to four capitalized tokens (initials and particles allowed), none a common,
    organisation or place word: how a person's full name looks.

    Examples
    --------
    >>> looks_like_full_name("Thelma Mitchell", frozenset())
    True
    >>> looks_like_full_name("Geertje ten Brink", frozenset())
    True
    >>> looks_like_full_name("Fernandez Inc.", frozenset())
    False
    """
    tokens = value.split()
    if not 2 <= len(tokens) <= 4:
        return False
    names = 0
    for index, token in enumerate(tokens):
        lower = token.lower().rstrip(".")
        if lower in PARTICLES and 0 < index < len(tokens) - 1:
            continue
        if not NAME_OR_INITIAL_RE.fullmatch(token) or lower in common or lower in ORG_GEO_WORDS:
            return False
        names += len(lower) > 1
    return names >= 2


def coordinated_names(
    text: str, people: list[tuple[int, int]], names: frozenset[str] | None = None
) -> list[tuple[int, int]]:
    """Items of a list ("Kateřina, James, Emily and Jodi") where one item is already a person;
    common, organisation and place words are not items. Pairs count too where the other
    word is a known name (`names`, casefolded; by default the `auto` lexicon): see
    `coordinated_pairs`.

    >>> text = "Ann, Bob and Cy met; Kadiev and Adams left"
    >>> [text[a:b] for a, b in coordinated_names(text, [(0, 3), (32, 37)], frozenset({"kadiev"}))]
    ['Ann', 'Bob', 'Cy', 'Kadiev']
    """
    found: list[tuple[int, int]] = []
    stop = _list_stop_words()
    for match in LIST_RE.finditer(text):
        items = [
            m.span()
            for m in LIST_ITEM_RE.finditer(text, match.start(), match.end())
            if m.group().lower() not in stop
        ]
        if any(a < pe and ps < b for a, b in items for ps, pe in people):
            found.extend(items)
    if names is None:
        names = _auto_names()
    return found + coordinated_pairs(text, people, names)


@functools.cache
def _list_stop_words() -> frozenset[str]:
    """Words that are no item of a list of names: common, organisation and place words (one
    set, built once: the union costs more than the rest of a short document's list search)."""
    return common_words() | ORG_GEO_WORDS | SUFFIX_WORDS


@functools.cache
def _auto_names() -> frozenset[str]:
    """Given names and surnames of the `auto` lexicon (imported late: `lexicon` imports this
    module)."""
    from curation.pii.lexicon import load_lexicon

    first, last = load_lexicon("auto")
    return first | last


# The word after a person across "and" or "&" ("Murphy| and Marrero"), not the start of a
# longer list; and the word before a person across it ("Marrero and |Murphy").
_PAIR_NEXT_RE = re.compile(
    r"[ \t]+(?:and|&)[ \t]+(" + NAME_TOKEN + r")(?![\w@])(?![ \t]*,[ \t]*" + NAME_TOKEN + r")"
)
_PAIR_PREV_RE = re.compile(
    r"(" + name_token_not_after(r"[\w@./]", r",[ \t]") + r")[ \t]+(?:and|&)[ \t]+$"
)
# A person that is one word, neither inside a longer list nor right after "@", "." or "/".
_PAIR_PERSON_RE = re.compile(name_token_not_after(r"[\w@./]", r",[ \t]"))
# A capitalized word right before a pair, or right after it.
_PAIR_BEFORE_RE = re.compile(r"[A-ZÀ-ÖØ-Þ][\w'’.-]*[ \t]+$")
_PAIR_AFTER_RE = re.compile(r"[ \t]+[A-ZÀ-ÖØ-Þ]")


def coordinated_pairs(
    text: str, people: list[tuple[int, int]], names: frozenset[str]
) -> list[tuple[int, int]]:
    """The other word of a pair ("Marrero and Murphy") where one word alone is a person and
    the other a known name (`names`, casefolded).

    A single word NER calls a person is wrong more often than a full name, and pairs of
    firms are common ("Hertz and Avis", "Northwest and Delta"): the known name keeps most of
    them out. The pair must stand alone: a capitalized word right before or after it makes
    it part of a longer name ("Lockheed Martin and Motorola", "Gray Davis and Senate
    Democrats"). Surname pairs that name a firm ("at Vinson and Elkins") are dropped
    afterwards (see `firm_spans`). Only the text next to each person is read.

    >>> text = "Marrero and Murphy were there; Procter and Gamble; Tapti and Ravi"
    >>> people = [(12, 18), (31, 49), (61, 65)]
    >>> names = frozenset({"marrero", "gamble", "procter"})
    >>> [text[a:b] for a, b in coordinated_pairs(text, people, names)]
    ['Marrero']
    >>> text = "Lockheed Martin and Moore; Moore and Kim, Lee"
    >>> coordinated_pairs(text, [(9, 15), (26, 31)], frozenset({"moore", "kim"}))
    []
    """
    found: list[tuple[int, int]] = []
    joins = _joins(text)
    if not joins:
        return found
    stop = _list_stop_words()
    for start, end in dict.fromkeys(people):
        joined_after = end in joins
        if not (joined_after or start - 5 in joins or start - 3 in joins):
            continue  # most names: no "and" next to them, no regex run
        if not _PAIR_PERSON_RE.fullmatch(text, start, end):
            continue
        after = _PAIR_NEXT_RE.match(text, end) if joined_after else None
        if after is not None:
            if _stands_alone(text, start, after.end()) and _pair_item(after.group(1), stop, names):
                found.append(after.span(1))
            continue
        before = _PAIR_PREV_RE.search(text, max(0, start - 50), start)
        if (
            before is not None
            and _stands_alone(text, before.start(), end)
            and _pair_item(before.group(1), stop, names)
        ):
            found.append(before.span(1))
    return found


def _joins(text: str) -> set[int]:
    """Where " and " and " & " start: a pair's words touch one of them (found by `str.find`,
    faster than a regex over the whole text, and read for a few names only).

    >>> sorted(_joins("Ann and Bo & Cy"))
    [3, 10]
    """
    found: set[int] = set()
    for needle in (" and ", " & "):
        at = text.find(needle)
        while at != -1:
            found.add(at)
            at = text.find(needle, at + 1)
    return found


def _stands_alone(text: str, start: int, end: int) -> bool:
    """Whether no capitalized word touches the pair at `start:end` on either side."""
    return not (
        _PAIR_BEFORE_RE.search(text, max(0, start - 60), start) or _PAIR_AFTER_RE.match(text, end)
    )


def _pair_item(word: str, stop: frozenset[str], names: frozenset[str]) -> bool:
    """Whether the other word of a pair is a name: a known one, in no capitals ("FERC"), no
    common, organisation or place word."""
    lower = word.casefold()
    return lower in names and not word.isupper() and lower not in stop


SLASH_PAIR_RE = re.compile(
    r"(" + name_token_not_after(r"[\w@./]") + r")/(" + NAME_TOKEN + r")(?![\w@/])"
)


def slash_pairs(
    text: str, people: list[tuple[int, int]], given: frozenset[str]
) -> list[tuple[int, int]]:
    """The other name of a pair joined by a slash ("Jeff/Sara,") where one is a person already
    and the other a known given name. A third part ("Tana Jones/HOU/ECT") makes it an address
    of an e-mail system, not a pair.

    >>> text = "Jeff/Sara, see below. Tana Jones/HOU/ECT"
    >>> [text[a:b] for a, b in slash_pairs(text, [(0, 4), (22, 26)], frozenset({"sara"}))]
    ['Sara']
    """
    found: list[tuple[int, int]] = []
    if "/" not in text:
        return found
    for match in SLASH_PAIR_RE.finditer(text):
        for this, other in ((1, 2), (2, 1)):
            a, b = match.span(this)
            if any(ps < b and a < pe for ps, pe in people):
                if match.group(other).casefold() in given:
                    found.append(match.span(other))
                break
    return found


# Common words that are also given names or surnames ("Will, Jennifer", "January, Ann"): in a
# From/To header they are kept as part of the name; elsewhere they stay common words.
NAME_LIKE_COMMON = _words(
    """
will may june april august january jan mark bill grant rose frank joy hope faith summer dawn
ray sue pat don guy jack rich young long short white black brown green king price
"""
)


@functools.cache
def common_words(extra: tuple[str, ...] = ()) -> frozenset[str]:
    """Lowercased words never treated as names on their own (plus the allow list's words)."""
    words = set(LANG.spacy_stop_words(LANG.ENGLISH)) | set(EXTRA_COMMON)
    for phrase in extra:
        words.update(phrase.lower().split())
    return frozenset(words)


# Words of context kept on each side of a possible name. spaCy's small NER sees four tokens to
# each side (tok2vec: window 1, depth 4) and a word is at least one token; on the labelled sets
# 4 and 6 words give the same names, and 4 reads ~10% less text.
WINDOW_WORDS = 4
_WORD_RE = re.compile(r"\S+")
_WORDS_AFTER = re.compile(rf"\S*(?:[ \t]+\S+){{0,{WINDOW_WORDS}}}")


# Endings stripped to find an inflected word in a dictionary of lemmas ("outages", "updated").
_INFLECTIONS = (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""))
_INFLECTIONS += (("ing", "e"), ("ly", ""), ("'s", ""))


def in_dictionary(word: str, dictionary: frozenset[str]) -> bool:
    """Whether lowercased `word`, or it without a regular English ending, is a dictionary word.

    >>> in_dictionary("outages", frozenset({"outage"}))
    True
    >>> in_dictionary("okafor", frozenset({"outage"}))
    False
    """
    if word in dictionary:
        return True
    return any(
        word.endswith(end) and word[: -len(end)] + lemma in dictionary
        for end, lemma in _INFLECTIONS
        if len(word) > len(end) + 2
    )


def needs_ner(
    token: str, common: frozenset[str], names: frozenset[str], dictionary: frozenset[str]
) -> bool:
    """Whether a capitalized token can start a name only NER would find.

    Single letters, common words and `X-` header labels cannot; a word that is no dictionary
    word can ("Okafor", "Enron"); a dictionary word only when it is a frequent given name or
    surname (`names`: "Mark", "Green" yes; "Outages", "Energy", "Click" no: a capitalized
    dictionary word that is no frequent name is a heading, a product or a place word).

    >>> needs_ner("Outages", frozenset(), frozenset({"okafor"}), frozenset({"outage"}))
    False
    >>> needs_ner("Okafor", frozenset(), frozenset({"okafor"}), frozenset({"outage"}))
    True
    """
    word = token.lower()
    if len(word) < 2 or word in common or word.startswith("x-"):
        return False
    head, apostrophe, _ = word.partition("'")
    if apostrophe and head in common:
        return False  # "I'll", "We've"
    return word in names or not dictionary or not in_dictionary(word, dictionary)


# `needs_ner` per distinct word: a batch repeats its capitalized words (names, headings,
# quoted lines) many times over, with the same word lists.
_needs_ner_cached = functools.lru_cache(maxsize=1 << 16)(needs_ner)


def ner_segments(
    text: str,
    common: frozenset[str],
    skip=None,
    *,
    covered: Iterable[tuple[int, int]] = (),
    names: frozenset[str] = frozenset(),
    dictionary: frozenset[str] = frozenset(),
    forced: Iterable[int] = (),
) -> list[tuple[int, int]]:
    """Character ranges around possible names: a few words each side, within one line.

    Lines, not documents, bound a segment: e-mail threads and document sets repeat lines
    (quoted replies, signatures, disclaimers), so the caller runs NER once per distinct segment.
    `skip` (a compiled pattern) removes lines another recognizer owns, such as From/To headers.
    A capitalized word inside a `covered` span (found already by a pattern, a header or the
    lexicon) or failing `needs_ner` opens no segment: NER there could only repeat a finding.
    A word starting at one of the `forced` offsets opens one all the same: NER's label is what
    decides it ("to France": a place, though "France" is a dictionary word and a given name).
    """
    forced = frozenset(forced)
    segments: list[tuple[int, int]] = []
    skipped_line = -1
    spans = sorted(covered)
    starts = [a for a, _ in spans]
    reach = list(itertools.accumulate((b for _, b in spans), max))
    for match in CANDIDATE_RE.finditer(text):
        if match.start() not in forced and not _needs_ner_cached(
            match.group(), common, names, dictionary
        ):
            continue
        k = bisect.bisect_right(starts, match.start()) - 1
        if k >= 0 and reach[k] >= match.end():
            continue
        line_start = text.rfind("\n", 0, match.start()) + 1
        if line_start == skipped_line:
            continue
        if skip is not None and skip.match(text, line_start):
            skipped_line = line_start
            continue
        line_end = text.find("\n", match.end())
        line_end = len(text) if line_end == -1 else line_end
        after = _WORDS_AFTER.match(text, match.end(), min(line_end, match.end() + 200))
        end = after.end() if after else match.end()
        if segments and line_start <= segments[-1][1] and match.start() <= segments[-1][1]:
            # Inside the current window: only its end moves.
            segments[-1] = (segments[-1][0], max(end, segments[-1][1]))
            continue
        lo = max(line_start, match.start() - 200)
        words = [m.start() for m in _WORD_RE.finditer(text, lo, match.start())]
        start = words[-WINDOW_WORDS] if len(words) >= WINDOW_WORDS else (words[0] if words else lo)
        if segments and start <= segments[-1][1] + 1 and line_start <= segments[-1][1]:
            segments[-1] = (segments[-1][0], max(end, segments[-1][1]))
        else:
            segments.append((start, end))
    return segments


_TRAILING_LOWER_RE = re.compile(r"(?:[ \t]+(?:[a-z]+|['’]s))+$")


# "of" and the capitalized words after it that NER joins to a name: "Yuito Hirai of Acme".
_OF_TAIL_RE = re.compile(r"[ \t]+of[ \t]+[A-ZÀ-ÖØ-Þ][^\n]*$")


def strip_trailing_lower(value: str) -> str:
    """`value` without the lower-case words at its end and without an "of" and what follows
    it: NER's "Dobrosław Tomaszewski of" (before "of Fernandez Inc.") and "Yuito Hirai of
    Fernandez Inc." are judged as the name they hold.

    >>> strip_trailing_lower("Dobrosław Tomaszewski of")
    'Dobrosław Tomaszewski'
    >>> strip_trailing_lower("Yuito Hirai of Fernandez Inc.'s")
    'Yuito Hirai'
    """
    return _TRAILING_LOWER_RE.sub("", _without_of_tail(value))


def _without_of_tail(value: str) -> str:
    """`value` cut before " of " and a capitalized word, when a word precedes it."""
    if " of " not in value and "\tof" not in value:
        return value
    found = _OF_TAIL_RE.search(value)
    return value[: found.start()] if found and found.start() > 0 else value


def clean_person_span(text: str, start: int, end: int, common: frozenset[str]):
    """Trim a NER PERSON span to its name tokens, or None for a known false positive.

    Numbers and dashes in front of the name are a list item's label, not part of the name:
    "Item 4 - Don Powell 's query" keeps "Don Powell". A digit, "@" or "/" from the first
    name token on rejects the span (ids, addresses, "Tracy+20Flynn").

    >>> text = "Item 4 - Don Powell 's query"
    >>> a, b = clean_person_span(text, 0, 22, frozenset({"item"}))
    >>> text[a:b]
    'Don Powell'
    """
    value = _without_of_tail(text[start:end])
    end = start + len(value)
    if "@" in value or "/" in value:
        return None
    if any(LANG.is_department_word(word) for word in value.split()):
        return None  # "Customer Success", "Service Client": a team signs, not a person
    label = _LIST_LABEL_RE.match(value)
    skip = label.end() if label else 0
    tokens = [m for m in CANDIDATE_RE.finditer(value, skip) if m.group().lower() not in common]
    if not tokens or value.split()[-1].lower().rstrip(".,") in SUFFIX_WORDS:
        return None
    # Keep from the first to the last name token: drops "Thanks" in "Thanks Heather".
    lo, hi = tokens[0].start(), tokens[-1].end()
    if hi - lo < 2 or any(c.isdigit() for c in value[skip:]):
        return None
    return start + lo, start + hi


# A list item's label in front of a name: a word or two, a number and a separator
# ("Item 4 - ", "No. 2: ", "3) ").
_LIST_LABEL_RE = re.compile(r"(?:[^\W\d_]+\.?[ \t]+){0,2}\d+[.)]?[ \t]*[-–:)][ \t]*")


LOWER_TOKEN_RE = re.compile(r"(?<![\w'’-])[^\W\d_A-Z]{3,}(?![\w'’-])")


def name_tokens(text: str, spans: Iterable[tuple[int, int]], common: frozenset[str]) -> set[str]:
    """Name tokens (>= 3 letters, not common) inside `spans` of `text`.

    A name found written in lower case ("everyone calls me borna") is looked for in lower
    case too; a capitalized one only capitalized or in capitals (see `find_name_tokens`).

    >>> text = "my name is borna jerković, and Borna is"
    >>> sorted(name_tokens(text, [(11, 25), (31, 36)], frozenset({"is"})))
    ['Borna', 'borna', 'jerković']
    """
    found: set[str] = set()
    for start, end in spans:
        for match in CANDIDATE_RE.finditer(text, start, end):
            token = match.group()
            if len(token) >= 3 and token.lower() not in common:
                found.add(token)
        for match in LOWER_TOKEN_RE.finditer(text, start, end):
            token = match.group()
            if token.islower() and token not in common:
                found.add(token)
        initials = initials_token(text, start, end)
        if initials is not None and initials.lower() not in common:
            found.add(initials)
    return found


# Initials that are a whole name ("SPR" signing, found by the sign-off rule) or the given name
# of a `Last , First` header entry ("Lohman , TK").
_INITIALS_NAME_RE = re.compile(r"(?:[^\n]*,[ \t]*)?([A-Z]{2,3})$")


def initials_token(text: str, start: int, end: int) -> str | None:
    """The initials a person span stands for, or None: a span of two or three capitals, or
    one ending in them after a comma. Searched for in the rest of the document, they find the
    same person where a message mentions or signs with them ("TK to input the rates").

    >>> text = "Lohman , TK; SPR; Ann Lee; Al Roe, JR"
    >>> [initials_token(text, a, b) for a, b in ((0, 11), (13, 16), (18, 25), (27, 37))]
    ['TK', 'SPR', None, None]
    """
    if end - start < 2 or not text[end - 1].isupper():
        return None
    found = _INITIALS_NAME_RE.match(text, start, end)
    if found is None or found.group(1).lower() in NAME_SUFFIXES:
        return None
    return found.group(1)


def local_part_tokens(text: str, spans: Iterable[tuple[int, int]], common: frozenset[str]):
    """Title-cased name-like pieces of e-mail local parts (`heather.dunton@` -> Heather, Dunton)."""
    found: set[str] = set()
    for start, end in spans:
        at = text.find("@", start, end)
        if at == -1:
            continue
        for piece in re.split(r"[\W_\d]+", _decoded_local_part(text[start:at])):
            if len(piece) >= 3 and piece.isalpha() and piece.lower() not in common:
                found.add(piece.capitalize())
    return found


_IMCEA_CODE_RE = re.compile(r"\+([0-9A-F]{2})")


def _decoded_local_part(local: str) -> str:
    """An Exchange-encapsulated address (IMCEA: "+20" a space, "+40" an "@") decoded and cut
    at its own "@": the domain it wraps ("+40ENRON") is no name.

    >>> _decoded_local_part("IMCEANOTES-Tracy+20Flynn+20+3Ctscott+40radstrat+2Ecom+3E+40ENRON")
    'IMCEANOTES-Tracy Flynn <tscott'
    >>> _decoded_local_part("heather.dunton")
    'heather.dunton'
    """
    if "+40" not in local:
        return local
    decoded = _IMCEA_CODE_RE.sub(lambda m: chr(int(m.group(1), 16)), local)
    return decoded.partition("@")[0]


# Maximal runs of letters and digits (what `str.isalnum` accepts, `\w` without "_").
_ALNUM_RUN_RE = re.compile(r"[^\W_]+")


def find_name_tokens(text: str, tokens: Iterable[str]) -> list[tuple[int, int]]:
    """Every token, in Title case or upper case, as a whole word: leftmost, then longest.

    `str.find` per token rather than one compiled alternation: the token set differs per
    document, and compiling it cost more than the search. A token of letters and digits only
    is found only where it is a whole run of them, so one that is no such run of the text
    (most upper-case forms, names of other threads) is not searched for.

    >>> text = "Marlene wrote. MARLENE.X and Marlene@x stay; Marlene-Jo too"
    >>> [text[a:b] for a, b in find_name_tokens(text, {"Marlene", "Marlene-Jo"})]
    ['Marlene', 'MARLENE', 'Marlene-Jo']
    """
    hits: list[tuple[int, int]] = []
    n = len(text)
    runs: set[str] | None = None
    for word in {v for t in tokens for v in (t, t.upper())}:
        if word.isalnum():
            if runs is None:
                runs = set(_ALNUM_RUN_RE.findall(text))
            if word not in runs:
                continue
        width = len(word)
        at = text.find(word)
        while at != -1:
            end = at + width
            before = text[at - 1] if at else " "
            after = text[end] if end < n else " "
            if not (before.isalnum() or before in "_@.") and not (after.isalnum() or after in "_@"):
                hits.append((at, end))
            at = text.find(word, at + 1)
    hits.sort(key=lambda h: (h[0], -h[1]))
    found: list[tuple[int, int]] = []
    for start, end in hits:
        if not found or start >= found[-1][1]:
            found.append((start, end))
    return found


_NEXT_WORD_RE = re.compile(r"[ \t]+([A-Z][a-z]+)(?=[ \t]*(?:$|[,;|\n]))", re.MULTILINE)
_PREV_WORD_RE = re.compile(r"(?:^|(?<=\n))[ \t]*([A-Z][a-z]+)[ \t]+$", re.MULTILINE)
# Particles and a surname after a name ("Sanne| de Wit", "Álvaro Núñez| de Arce"); the surname
# ends the name: a capitalized word after it makes the phrase an organisation ("Vollmer von der
# Deutschen Bank").
_PARTICLE_TAIL_RE = re.compile(
    r"[ \t]+(?P<tail>" + PARTICLES_RE + r"(?P<surname>" + NAME_TOKEN + r"))(?![\w@])"
    r"(?![ \t]+[A-ZÀ-ÖØ-Þ])"
)
# Particles right before a name ("Van den |Broek", "Jan van der |Berg"), with the given name
# before lower-case particles.
_PARTICLE_HEAD_RE = re.compile(
    r"(?:(?<![\w@./])(?P<given>" + NAME_TOKEN + r")[ \t]+)?(?P<particles>" + PARTICLES_RE + r")$"
)


@functools.cache
def _never_surname() -> frozenset[str]:
    """Words of any known language that never end a name: stop words, months and weekdays,
    organisation, place and department words."""
    words = set(common_words()) | ORG_GEO_WORDS | SUFFIX_WORDS | LANG.DEPARTMENT_WORDS
    for profile in LANG.KNOWN:
        words |= LANG.stop_words(profile)
    return frozenset(words | LANG.calendar_words())


@functools.cache
def _never_given() -> frozenset[str]:
    """Words that never start a name before its particles: common words except name-like ones
    ("Jan van der Berg"), stop words of every language, organisation and department words."""
    words = (set(common_words()) - NAME_LIKE_COMMON) | ORG_GEO_WORDS | LANG.DEPARTMENT_WORDS
    for profile in LANG.KNOWN:
        words |= LANG.stop_words(profile)
    return frozenset(words)


_PARTICLE_SUFFIXES = tuple(LANG.NAME_PARTICLES)
_ELIDED = frozenset(LANG.ELIDED_PARTICLES)


def _ends_with_particle(text: str, at: int) -> bool:
    """Whether the text before `at` ends the way `_PARTICLE_HEAD_RE` needs: a particle and
    blanks, or an elided particle and its apostrophe. A few string operations instead of a
    regex search from the line start, for each of a document's names."""
    if at < 2:
        return False
    last = text[at - 1]
    if last in "'’":
        return text[at - 2].casefold() in _ELIDED
    if last not in " \t":
        return False
    head = text[max(0, at - 16) : at].rstrip(" \t").casefold()
    # a suffix, not a word: the pattern has no boundary before its particles
    return head.endswith(_PARTICLE_SUFFIXES)


def particle_neighbours(text: str, people: list[tuple[int, int]]) -> list[tuple[int, int]]:
    r"""The particles and surname after a name, and the particles before it, as name spans.

    After a name, particles and one capitalized word that ends the name ("Sanne| de Wit").
    Before it, capitalized particles ("De |Vries") or two or more ("Jan van der |Berg"), with
    the given name before them; a single lower-case particle stays ("Bericht von |Vollmer",
    "la factura de |Berrocal"), as do stop words, months, organisation and department words.

    Examples
    --------
    >>> text = "Met Sanne de Wit en Jan van der Berg."
    >>> [text[a:b] for a, b in particle_neighbours(text, [(4, 9), (32, 36)])]
    ['de Wit', 'Jan van der']
    """
    found = []
    n = len(text)
    for start, end in people:
        # the pattern starts with a blank: most names are followed by punctuation or a line end
        after = _PARTICLE_TAIL_RE.match(text, end) if end < n and text[end] in " \t" else None
        if after and after.group("surname").casefold() not in _never_surname():
            found.append(after.span("tail"))
        if not _ends_with_particle(text, start):
            continue
        line_start = max(text.rfind("\n", 0, start) + 1, start - 60)
        before = _PARTICLE_HEAD_RE.search(text, line_start, start)
        if before is None:
            continue
        particles = before.group("particles")
        if particles[0].islower() and len(particles.split()) < 2:
            continue
        head = before.start("particles")
        given = before.group("given")
        if given and given.casefold() not in _never_given() and particles[0].islower():
            head = before.start("given")
        found.append((head, before.start("particles") + len(particles.rstrip())))
    return found


def name_like_neighbours(text: str, people: list[tuple[int, int]]) -> list[tuple[int, int]]:
    r"""Name-like common words right next to a name at a line's edge ("Jennifer May", "Jan Smith"),
    and the particles that belong to it (see `particle_neighbours`).

    Examples
    --------
    >>> text = "Thanks\nJennifer May\nMay 5 works"
    >>> [text[a:b] for a, b in name_like_neighbours(text, [(7, 15)])]
    ['May']
    """
    # The same name found twice (by NER and by propagation) has the same neighbours.
    people = list(dict.fromkeys(people))
    found = []
    n = len(text)
    for start, end in people:
        # Both patterns need a blank next to the name: check that character first.
        if end < n and text[end] in " \t":
            after = _NEXT_WORD_RE.match(text, end)
            if after and after.group(1).lower() in NAME_LIKE_COMMON:
                found.append(after.span(1))
        if start and text[start - 1] in " \t":
            line_start = max(text.rfind("\n", 0, start) + 1, start - 40)
            before = _PREV_WORD_RE.search(text, line_start, start)
            if before and before.group(1).lower() in NAME_LIKE_COMMON:
                found.append(before.span(1))
    return found + particle_neighbours(text, people)


# Weak person evidence (a lone given name from the lexicon): NER's own ORG/GPE/LOC label for the
# same words outweighs it ("Victoria", "Dolores" as places).
WEAK_SCORE = 0.65
# NER labels that outweigh weak evidence: places. The small model calls many lone given names
# ORG or WORK_OF_ART, so those labels do not.
VETO_LABELS = frozenset({"GPE", "LOC", "FAC", "NORP"})
# Words in given-name lists that are far more often a rank, a title or an interjection.
NOT_GIVEN_NAMES = _words(
    """
oh ah eh uh hm hmm wow yay king queen prince princess duke duchess lord lady baron count
countess earl sir dame saint pope bishop captain major general colonel sergeant chief judge
justice senator governor president mayor doctor nurse sister brother father mother aunt uncle
mon tue tues wed thu thur thurs fri sat sun royal
"""
)
# How far after a street address a capitalized word is still its city or region.
ADDRESS_TAIL_CHARS = 60
# A line break or a sentence end ("meetings.  Randy", "Smith Street. Dear Heather") between an
# address and a name.
SENTENCE_GAP_RE = re.compile(r"\n|[!?]|(?:^|[a-z]{4})[.]\s")
# Surnames joined like a firm's name: "Jones, Mitchell and Williams", "the Clark, Romero and Hall
# Orchestra". After at/from/for/the, or before an organisation word, it is a firm.
FIRM_RE = re.compile(
    r"(?:\b(?P<cue>at|from|for|of|by|the|The)[ \t]+)?(?P<list>"
    + NAME_TOKEN
    + r"(?:,[ \t]+"
    + NAME_TOKEN
    + r")*,?[ \t]+(?:and|&)[ \t]+"
    + NAME_TOKEN
    + r")(?:[ \t]+(?P<org>"
    + NAME_TOKEN
    + r"))?"
)


def _unknown_after_place_word(text: str, span, names: frozenset[str]) -> bool:
    """One word NER calls a person, after "in"/"at"/"to"/"from", in no name list: a place."""
    value = text[span.start : span.end]
    if " " in value:
        return False
    before = PLACE_CUE_RE.search(text, max(0, span.start - 12), span.start)
    return before is not None and value.casefold() not in names


PLACE_CUE_RE = re.compile(r"\b(?:in|at|to|from|into|visit|visited|near)[ \t]+$")
# Before a place more than before a person: a place preposition, or "of" after a capitalized
# word ("Power Pool of Alberta", "University of Houston").
PLACE_BEFORE_RE = re.compile(
    r"(?:\b(?:in|at|to|from|into|visit|visited|near)|[A-Z][\w'’-]*[ \t]+of)[ \t]+$"
)


def needs_place_check(text: str, span) -> bool:
    """Whether NER must still read a weak PERSON span: a lone known given name ("Houston",
    "Alberta", "Florence" are places too) right after a place preposition. Only NER's label
    for it (GPE, LOC: see `drop_non_persons`) tells the place from the person.

    >>> from types import SimpleNamespace as S
    >>> text = "Trip to Houston; ask Houston"
    >>> [needs_place_check(text, S(entity="PERSON", start=a, end=a + 7, score=0.6)) for a in (8, 21)]
    [True, False]
    """
    from curation.pii import entities as E

    if span.entity != E.PERSON or span.score > WEAK_SCORE:
        return False
    return PLACE_BEFORE_RE.search(text, max(0, span.start - 30), span.start) is not None


@functools.lru_cache(maxsize=2)
def firm_spans(text: str, given: frozenset[str]) -> tuple[tuple[int, int], ...]:
    """Surname lists used as a firm's name (see `FIRM_RE`), after a cue or before an
    organisation word, or made mostly of words that are no given name.

    Cached for the last texts: the engine drops non-persons before and after propagating
    names. A match never crosses a line, so only lines with "and" or "&" are read.

    >>> text = "Offices of Jones, Mitchell and Williams LLP; ask Ann and Bob"
    >>> [text[a:b] for a, b in firm_spans(text, frozenset({"ann", "bob"}))]
    ['Jones, Mitchell and Williams']
    """
    if " and " not in text and "&" not in text:
        return ()
    firms = []
    for start, end in _lines_with(text, ("and", "&")):
        for match in FIRM_RE.finditer(text, start, end):
            org = match.group("org")
            is_org = org is not None and org.lower() in ORG_GEO_WORDS | SUFFIX_WORDS
            if not (match.group("cue") or is_org):
                continue
            items = [t.strip(" ,") for t in re.split(r",|\band\b|&", match.group("list"))]
            if sum(t.casefold() in given for t in items) * 2 < len(items) or is_org:
                firms.append(match.span("list"))
    return tuple(firms)


def _lines_with(text: str, markers: Iterable[str]) -> list[tuple[int, int]]:
    """Bounds of the runs of consecutive lines that hold one of `markers` (see
    `recognizers.marked_lines`)."""
    found = sorted(run for marker in markers for run in marked_lines(text, marker))
    runs: list[tuple[int, int]] = []
    for start, end in found:
        if runs and start <= runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], max(end, runs[-1][1]))
        else:
            runs.append((start, end))
    return runs


def drop_non_persons(
    text: str,
    spans,
    vetoes: list[tuple[int, int]],
    given: frozenset[str],
    names: frozenset[str] = frozenset(),
):
    """PERSON spans that are not people: weak hits NER calls a place or organisation, words
    right after a street address (its city), surname lists used as a firm's name, and (with a
    name lexicon, `names` = given names and surnames) a lone unknown word NER calls a person
    right after a place preposition ("flew to Coles")."""
    from curation.pii import entities as E

    if not any(s.entity == E.PERSON for s in spans):
        return spans
    addresses = [(s.start, s.end) for s in spans if s.entity == E.STREET_ADDRESS]
    firms = firm_spans(text, given)

    def keep(s) -> bool:
        if s.entity != E.PERSON:
            return True
        if names and s.score > 0.8 and _unknown_after_place_word(text, s, names):
            return False
        if s.score <= WEAK_SCORE and any(a < s.end and s.start < b for a, b in vetoes):
            return False
        for a, b in addresses:
            gap = text[b : s.start]
            if a <= s.start and len(gap) <= ADDRESS_TAIL_CHARS and not SENTENCE_GAP_RE.search(gap):
                return False
        return not any(a <= s.start and s.end <= b for a, b in firms)

    return [s for s in spans if keep(s)]
