"""Given-name and surname lexicons: names the small NER model misses or calls ORG/GPE.

spaCy's small model labels only about two thirds of person names PERSON; the rest come back as
ORG, GPE or nothing, and lower-case names are out of its reach. A list of given names turns
"Title-case word that is a known given name" into evidence of a person, independent of the
model. The lists are read from an installed package or a file, never downloaded:

- `name_lexicon: auto` (default): the US Census 1990 given-name and surname frequency lists
  shipped by the MIT-licensed PyPI package `names` (`dist.male.first`, `dist.female.first`,
  `dist.all.last`) together with the given names and surnames of the person providers of the
  MIT-licensed `faker` package (85 locales, its generic `en` list left out; the Latin-script
  and romanized lists). Census lists alone are Anglo-American: with them recall of
  the international names in presidio-research was 0.88; with both it is 0.90. Both packages
  are locked dependencies, so `auto` is the same list on every install; a package that is
  missing is skipped.
- `name_lexicon: off`: no lexicon.
- `name_lexicon: <folder>`: a folder holding files `first.txt` (given names, one a line) and
  optionally `last.txt` (surnames), e.g. an employee directory's first and last names; census-
  style files (`dist.*.first`, `dist.all.last`, name in the first column) are read too.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import itertools
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from curation.pii import entities as E
from curation.pii import lean_imports
from curation.pii.exceptions import PiiError
from curation.pii.languages import LEADING_ONLY_CAPITALIZED, NAME_PARTICLES, is_department_word
from curation.pii.names import NAME_LIKE_COMMON, in_dictionary
from curation.pii.recognizers import (
    HEADER_WORDS,
    INITIAL,
    KIN_WORDS,
    NAME_TOKEN,
    name_token_not_after,
)
from curation.resources import CACHE_ENV, cache_dirs  # noqa: F401  (CACHE_ENV: re-exported)

log = logging.getLogger(__name__)


@functools.cache
def load_lexicon(setting: str) -> tuple[frozenset[str], frozenset[str]]:
    """(given names, surnames), casefolded; both empty when the setting gives no lexicon."""
    if setting == "off":
        return frozenset(), frozenset()
    if setting == "auto":
        return cached_auto_lexicon(cache_dirs())
    else:
        folder = Path(setting).expanduser()
        if not folder.is_dir():
            raise PiiError(
                f"pii.name_lexicon: {folder} is not a folder: give a folder with first.txt "
                "(and optionally last.txt), or `auto` / `off`"
            )
    first = _read(folder, ("first.txt", "dist.male.first", "dist.female.first"))
    last = _read(folder, ("last.txt", "dist.all.last"))
    if setting != "auto" and not first:
        raise PiiError(f"pii.name_lexicon: {folder} holds no first.txt: add one name a line")
    return first, last


def _build_auto_lexicon() -> tuple[frozenset[str], frozenset[str]]:
    """The `auto` lists read from the installed `names` and `faker` packages (see module doc)."""
    faker_first, faker_last = _faker_names()
    folder = _package_dir("names")
    if folder is None:
        return faker_first, faker_last
    first = _read(folder, ("dist.male.first", "dist.female.first"))
    last = _read(folder, ("dist.all.last",))
    return first | faker_first, last | faker_last


# -- on-disk cache of the `auto` lists --------------------------------------------------------
# Building `auto` imports the 85 locale modules of faker (0.2-1.6 s per process, every worker
# and every `curate redact`); the cached lists load in ~30 ms. Bump the format when the rules
# that turn the packages into lists change (`_read`, `_faker_names`, `_LATIN_NAME_RE`).
CACHE_FORMAT = "curate-name-lexicon-1"


def _package_dir(name: str) -> Path | None:
    """The folder of an installed top-level package, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def auto_lexicon_key() -> str:
    """A digest of everything the `auto` lists are built from: the bytes of the census files and
    of faker's person providers, and the extraction rules. Any change gives a new cache file."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (CACHE_FORMAT, _LATIN_NAME_RE.pattern, repr(_FAKER_NAME_LISTS)):
        digest.update(part.encode() + b"\0")
    sources: list[tuple[str, Path]] = []
    names_dir = _package_dir("names")
    if names_dir is not None:
        sources += [(f"names/{n}", names_dir / n) for n in _CENSUS_FILES]
    faker_dir = _package_dir("faker")
    if faker_dir is not None:
        person = faker_dir / "providers" / "person"
        sources += [(f"faker/{p.relative_to(person)}", p) for p in sorted(person.rglob("*.py"))]
    for label, path in sources:
        digest.update(label.encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"\0missing")
        digest.update(b"\0")
    return digest.hexdigest()


_CENSUS_FILES = ("dist.male.first", "dist.female.first", "dist.all.last")


def cached_auto_lexicon(dirs: list[Path]) -> tuple[frozenset[str], frozenset[str]]:
    """The `auto` lists from the first of `dirs` holding a cache file for the current inputs;
    built and written (atomically, to the first writable folder) when none does.

    The file is plain text: a header `CACHE_FORMAT key first=N last=M`, then the N given names
    and the M surnames, one a line, sorted. A file whose header or counts do not match is
    ignored. Concurrent writers each write a private temporary file and rename it into place,
    so a reader sees a whole file or none.
    """
    key = auto_lexicon_key()
    name = f"name-lexicon-{key}.txt"
    for folder in dirs:
        found = _read_cache(folder / name, key)
        if found is not None:
            return found
    first, last = _build_auto_lexicon()
    for folder in dirs:
        if _write_cache(folder, name, key, first, last):
            break
    return first, last


def cached_words(
    prefix: str, key: str, build: Callable[[], frozenset[str]], dirs: list[Path]
) -> frozenset[str]:
    """A word set derived from installed files, cached like the `auto` lists: the same folders
    (`cache_dirs`), file layout (no surnames) and atomic write; `key` names the inputs."""
    name = f"{prefix}-{key}.txt"
    for folder in dirs:
        found = _read_cache(folder / name, key)
        if found is not None:
            return found[0]
    words = build()
    for folder in dirs:
        if _write_cache(folder, name, key, words, frozenset()):
            break
    return words


def _read_cache(path: Path, key: str) -> tuple[frozenset[str], frozenset[str]] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    lines = text.split("\n")
    header = lines[0].split(" ")
    if len(header) != 4 or header[:2] != [CACHE_FORMAT, key]:
        return None
    try:
        n_first = int(header[2].removeprefix("first="))
        n_last = int(header[3].removeprefix("last="))
    except ValueError:
        return None
    if len(lines) != 1 + n_first + n_last + 1 or lines[-1] != "":
        return None  # truncated or appended to: not a file this module wrote
    return frozenset(lines[1 : 1 + n_first]), frozenset(lines[1 + n_first : -1])


def _write_cache(
    folder: Path, name: str, key: str, first: frozenset[str], last: frozenset[str]
) -> bool:
    """Write the lists into `folder` atomically; False when the folder is not writable."""
    body = "\n".join(
        [f"{CACHE_FORMAT} {key} first={len(first)} last={len(last)}", *sorted(first), *sorted(last)]
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=".name-lexicon-", suffix=".tmp", dir=folder)
    except OSError:
        return False
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(body + "\n")
        os.chmod(temp, 0o644)  # mkstemp makes it private; the lists are public package data
        os.replace(temp, folder / name)
    except OSError:
        Path(temp).unlink(missing_ok=True)
        return False
    return True


# Latin letters (with diacritics), apostrophes and hyphens: the names TITLE_RE can match.
_LATIN_NAME_RE = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ\u0100-\u024f'’-]{2,}")
_FAKER_NAME_LISTS = (
    ("first", "first_names"),
    ("first", "first_names_male"),
    ("first", "first_names_female"),
    ("first", "first_names_nonbinary"),
    ("first", "first_romanized_names"),
    ("last", "last_names"),
    ("last", "last_romanized_names"),
)


def _faker_names() -> tuple[frozenset[str], frozenset[str]]:
    """Given names and surnames of every `faker` person provider, casefolded (empty without
    faker). Only the class attributes are read: no Faker instance, no randomness."""
    try:
        import faker.providers.person as person
    except ImportError:  # a locked dependency; an install without it finds fewer names
        log.warning("faker is not installed: name_lexicon auto has no international names")
        return frozenset(), frozenset()
    import pkgutil

    out: dict[str, set[str]] = {"first": set(), "last": set()}
    for module_info in pkgutil.iter_modules(person.__path__):
        if module_info.name == "en":
            continue  # a generic list that gives surnames as first names ("Jones", "Hall")
        module = importlib.import_module(f"{person.__name__}.{module_info.name}")
        provider = getattr(module, "Provider", None)
        for kind, attribute in _FAKER_NAME_LISTS:
            values = provider.__dict__.get(attribute) if provider is not None else None
            if isinstance(values, (list, tuple, dict)):
                out[kind].update(
                    v.casefold() for v in map(str, values) if _LATIN_NAME_RE.fullmatch(v)
                )
    return frozenset(out["first"]), frozenset(out["last"])


@functools.cache
def frequent_surnames(count: int = 1000) -> frozenset[str]:
    """The `count` most frequent US surnames (census order), casefolded; empty without `names`.

    A word in a given-name list that is also a frequent surname ("Mitchell", "Williams") is no
    evidence that a list like "Jones, Mitchell and Williams" names people rather than a firm.
    """
    return _census_names(("dist.all.last",), count)


@functools.cache
def frequent_names(count: int = 1000) -> frozenset[str]:
    """The `count` most frequent US surnames, female and male given names each (census order),
    casefolded; empty without `names`.

    A capitalized dictionary word is worth a NER look only when it is one of these ("Mark",
    "Green"): the long tail of the lexicon also holds "Click", "Agent" and "London".
    """
    return _census_names(("dist.all.last", "dist.female.first", "dist.male.first"), count)


@functools.cache
def frequent_given_names(count: int = 1000) -> frozenset[str]:
    """The `count` most frequent US female and male given names each, casefolded."""
    return _census_names(("dist.female.first", "dist.male.first"), count)


def _census_names(files: tuple[str, ...], count: int) -> frozenset[str]:
    """The first `count` names of each of the `names` package's census lists."""
    spec = importlib.util.find_spec("names")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    folder = Path(next(iter(spec.submodule_search_locations)))
    found: set[str] = set()
    for name in files:
        path = folder / name
        if path.is_file():
            with path.open(encoding="utf-8", errors="replace") as lines:
                found.update(
                    line.split()[0].casefold()
                    for line in itertools.islice(lines, count)
                    if line.strip()
                )
    return frozenset(found)


def _read(folder: Path, files: tuple[str, ...]) -> frozenset[str]:
    out: set[str] = set()
    for name in files:
        path = folder / name
        if path.is_file():
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                word = line.split("  ", 1)[0].strip() if "  " in line else line.strip()
                if len(word) >= 2:
                    out.add(word.casefold())
    return frozenset(out)


TITLE_RE = re.compile(name_token_not_after(r"[\w@./'’-]") + r"(?![\w@])")
NEXT_TITLE_RE = re.compile(r"[ \t]+(?:" + INITIAL + r"[ \t]+)?(" + NAME_TOKEN + r")(?![\w@])")
# Particles then a capitalized surname after a given name: "Sanne de Wit", "Jan van der Berg".
# A particle that also starts a phrase ("der", "zu", "le", "la") opens a surname only capitalized.
PARTICLE_SURNAME_RE = re.compile(
    r"[ \t]+(?:(?i:"
    + "|".join(p for p in NAME_PARTICLES if p not in LEADING_ONLY_CAPITALIZED)
    + r")|"
    + "|".join(p.capitalize() for p in LEADING_ONLY_CAPITALIZED)
    + r")"
    r"(?:[ \t]+(?i:" + "|".join(NAME_PARTICLES) + r")){0,2}[ \t]+(" + NAME_TOKEN + r")(?![\w@])"
)
LOWER_RE = re.compile(r"(?<![\w@./'’-])[a-zà-öø-ÿ\u0100-\u024f]{2,}(?:['’]s)?(?![\w@])")
LINE_RE = re.compile(r"[^\n]+")
WORD_RE = re.compile(r"[^\W\d_]+")
LOWER_WORD = r"[a-zà-öø-ÿ\u0100-\u024f]{2,}"
# "silvana, adam, christopher and caleb" on a line without capitals.
LOWER_LIST_RE = re.compile(
    rf"(?<![\w@.]){LOWER_WORD}(?:,[ \t]+{LOWER_WORD})+,?[ \t]+(?:and|or)[ \t]+{LOWER_WORD}(?![\w@])"
)


_ASCII_UPPER_RE = re.compile(r"[A-Z]")


def _has_upper(line: str) -> bool:
    if line.isascii():  # most lines: one C-level scan instead of a generator per character
        return _ASCII_UPPER_RE.search(line) is not None
    return any(c.isupper() for c in line)


POSSESSIVE_RE = re.compile(r"['’]s?$")


def strip_possessive(word: str) -> str:
    """`word` without a final apostrophe or "'s": what `POSSESSIVE_RE.sub("", word)` gives for
    a word without a line break, without a regex call per capitalized word of a text.

    >>> [strip_possessive(w) for w in ("anna's", "james’", "o'neil", "bess")]
    ['anna', 'james', "o'neil", 'bess']
    """
    if word.endswith(("'", "’")):
        return word[:-1]
    if word.endswith(("'s", "’s")):
        return word[:-2]
    return word


PREV_WORD_RE = re.compile(r"(\w+)[ \t]+$")
DETERMINERS = frozenset(
    [
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "my",
        "your",
        "our",
        "their",
        "his",
        "her",
        "its",
        "any",
        "every",
        "each",
        "no",
        "some",
    ]
)
# Lower-case pairs count only on lines written without capitals (chat, lower-cased data), where
# the missing capital says nothing; elsewhere "price risk" is two words.
NO_CAPITALS_RE = re.compile(r"^[^A-Z]*$")


NEXT_WORD_RE = re.compile(r"[ \t]+([^\W\d_]+)\.?(?![\w@])|[ \t]+\d{1,4}(?![\d.,:/-])")


def _ends_place_or_firm(text: str, at: int, reject: frozenset[str]) -> bool:
    """The word after `at` makes the words before it a street, place or firm name: an
    organisation or street word ("PLC", "Street") or a house number ("Kastanjehof 27")."""
    after = NEXT_WORD_RE.match(text, at)
    if after is None:
        return False
    word = after.group(1)
    return word is None or word.casefold() in reject


# Pronouns and prepositions that prose writes in lower case: capitalized right after a word,
# they make it part of a title in title case ("Carry Me Back", "Will You Marry Me").
TITLE_CASE_WORDS = frozenset(["Me", "You", "My", "Your", "To", "Of", "The", "Back", "Up", "Down"])
_NEXT_WORD_RE = re.compile(r"[ \t]+([A-Z][a-z]*)\b")


def _before_title_case_word(text: str, at: int) -> bool:
    """Whether the word after `at` is a capitalized pronoun or preposition (see
    `TITLE_CASE_WORDS`).

    >>> _before_title_case_word('"Carry Me Back"', 6), _before_title_case_word("Anna Me", 4)
    (True, True)
    >>> _before_title_case_word("Anna to", 4)
    False
    """
    found = _NEXT_WORD_RE.match(text, at)
    return found is not None and found.group(1) in TITLE_CASE_WORDS


def _after_determiner(text: str, at: int) -> bool:
    before = PREV_WORD_RE.search(text, max(0, at - 12), at)
    return before is not None and before.group(1).lower() in DETERMINERS


def _lower_case_line(text: str, at: int) -> bool:
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    line = text[start : len(text) if end == -1 else end]
    return not any(c.isupper() for c in line)


def _addressed(text: str, start: int, end: int) -> bool:
    """Whether the word at `start:end` is called out at the end of a sentence after a comma
    ("Don't go, Brandon!", "Ready, Austin?"): a person addressed, though NER may call the
    lone given name a place; after a full stop it may still end a list of places.

    >>> [_addressed(t, 10, 17) for t in ("Come now, Brandon!", "Come now, Brandon.")]
    [True, False]
    """
    return start >= 2 and text[start - 2 : start] == ", " and end < len(text) and text[end] in "!?"


# A sign-off line: a dash or tilde, then a name and nothing else ("-Jeff", "--sally", "~ Mike
# Grigsby"). The dash hides the word from `TITLE_RE` and `LOWER_RE`, which skip hyphenated words.
DASH_SIGNOFF_RE = re.compile(
    r"(?m)^[ \t]*(?:-{1,2}|[–—~])[ \t]*(?P<name>[^\W\d_]{2,}(?:[ \t]+[^\W\d_]{2,})?)[ \t]*$"
)


def dash_signoffs(
    text: str, first: frozenset[str], common: frozenset[str]
) -> list[tuple[int, int]]:
    r"""Sign-off lines whose first word is a known given name, in any case.

    Right after the dash, a given name that is also a common word signs too ("--Bill",
    "-Mark"); after "- " it may be a bullet ("- Grant", "- Bill") and must be no common word.

    >>> text = "Call me.\n-Jeff\n--thanks\n- see below\n-Bill\n- Bill"
    >>> first = frozenset({"jeff", "see", "bill"})
    >>> [text[a:b] for a, b in dash_signoffs(text, first, frozenset({"see", "bill"}))]
    ['Jeff', 'Bill']
    """
    found = []
    if "-" not in text and "~" not in text and "–" not in text and "—" not in text:
        return found
    for match in DASH_SIGNOFF_RE.finditer(text):
        given = match.group("name").split()[0].casefold()
        attached = text[match.start("name") - 1] in "-–—~"
        if given in first and (given not in common or (attached and given in NAME_LIKE_COMMON)):
            found.append(match.span("name"))
    return found


# A line written in capitals that is only a name ("JEFF DASOVICH", "SALLY J. BECK"): signature
# blocks and letterheads, where the capitals hide which words are names.
UPPER_NAME_LINE_RE = re.compile(
    r"(?m)^[ \t]*(?:-{1,2}|[–—~])?[ \t]*(?P<name>(?P<given>[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’-]+)"
    r"(?:[ ][A-Z]\.?)?(?:[ ](?P<surname>[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’-]+))?)[ \t]*,?[ \t]*$"
)


def upper_case_names(
    text: str,
    first: frozenset[str],
    common: frozenset[str],
    reject: frozenset[str],
    dictionary: frozenset[str],
) -> list[tuple[int, int]]:
    r"""Lines in capitals that hold only a known given name, maybe with an initial and a surname.

    Headings in capitals look the same ("WINTER TRAVEL", "HILTON HOTELS"), so each word must be
    a frequent census name or no `dictionary` word (the NER model's lemma index; without one,
    only frequent names count).

    >>> text = "JEFF DASOVICH\nSR. DIRECTOR\nWINTER TRAVEL\nSALLY\nMARK TO MARKET"
    >>> first = frozenset({"jeff", "sally", "winter", "mark"})
    >>> dictionary = frozenset({"winter", "travel", "mark", "market", "director"})
    >>> spans = upper_case_names(text, first, frozenset({"to"}), frozenset(), dictionary)
    >>> [text[a:b] for a, b in spans]
    ['JEFF DASOVICH', 'SALLY']
    """
    found: list[tuple[int, int]] = []
    if not _ASCII_UPPER_RE.search(text):
        return found
    given_names, surnames = frequent_given_names(), frequent_surnames()

    def plausible(word: str, frequent: frozenset[str]) -> bool:
        if word in common or word in reject:
            return False
        return word in frequent or bool(dictionary) and not in_dictionary(word, dictionary)

    for match in UPPER_NAME_LINE_RE.finditer(text):
        given = match.group("given").casefold()
        surname = match.group("surname")
        if given not in first or not plausible(given, given_names):
            continue
        if surname is not None and not plausible(surname.casefold(), surnames):
            continue
        found.append(match.span("name"))
    return found


# Verbs that put the speaker after them in reported speech ('..." said Maslin to Antonio',
# '"...," says Hartvig.'). The speaker ends a clause: punctuation, a line end or a preposition
# follows, not a noun ("said Enron spokesman ..." names the firm, then the person).
REPORTING_VERBS = (
    "said",
    "says",
    "asked",
    "asks",
    "replied",
    "replies",
    "added",
    "adds",
    "explained",
    "answered",
    "exclaimed",
    "wrote",
    "writes",
)
# The verb is matched with the blank or quote before it, not with a word boundary: a pattern
# that starts with a class of a few characters lets `re` skip ahead (about half the time of
# `cue_words_re` on e-mail, whose first letters are the commonest ones).
REPORTED_SPEAKER_RE = re.compile(
    r"[\s\"“”'(,](?:"
    + "|".join(REPORTING_VERBS)
    + r")[ \t]+(?P<name>"
    + NAME_TOKEN
    + r"(?:[ \t]+(?:"
    + INITIAL
    + r"[ \t]+)?"
    + NAME_TOKEN
    + r")?)(?![\w@])"
    r"(?:[ \t]+to[ \t]+(?P<addressee>" + NAME_TOKEN + r")(?=[ \t]*(?:[,.;:!?\"”)]|$)))?"
    r"(?=[ \t]*(?:[,.;:!?\"”)]|$)|[ \t]+(?:to|in|on|at|of|as|after|when|while|who|from)\b)",
    re.MULTILINE,
)


def reported_speakers(
    text: str,
    names: frozenset[str],
    common: frozenset[str],
    reject: frozenset[str],
    dictionary: frozenset[str],
) -> list[tuple[int, int]]:
    """Speakers named after a reporting verb, and the person spoken to after them ("said
    Maslin to Antonio", where NER may call "Antonio" a place): each word a known name
    (`names`) or no `dictionary` word, none a common, organisation or place word.

    >>> text = ' said Maslin to Ann. said Monday. said Acme spokesman Bo, says Bruce Dale.'
    >>> text += ' asked Pool.'
    >>> spans = reported_speakers(text, frozenset({"bruce", "dale"}), frozenset({"monday"}),
    ...                           frozenset(), frozenset({"dale", "pool"}))
    >>> [text[a:b] for a, b in spans]
    ['Maslin', 'Ann', 'Bruce Dale']
    """
    found: list[tuple[int, int]] = []
    for match in REPORTED_SPEAKER_RE.finditer(text):
        if not _name_like(match.group("name"), names, common, reject, dictionary):
            continue
        found.append(match.span("name"))
        addressee = match.group("addressee")
        if addressee is not None and _name_like(addressee, names, common, reject, dictionary):
            found.append(match.span("addressee"))
    return found


# A name right before the path of a Lotus Notes address: "Okechi Nwosu/HOU/ECT",
# "Tushar Dhruv/Corp/Enron@ENRON". Two path parts or an "@" tell it from a pair ("Jeff/Sara").
NOTES_NAME_RE = re.compile(
    r"(?P<name>"
    + name_token_not_after(r"[\w@./]")
    + r"(?:[ \t]+"
    + INITIAL
    + r")?(?:[ \t]+"
    + NAME_TOKEN
    + r"){1,2})/[A-Z][\w&-]{0,30}(?:/[A-Za-z][\w&-]{0,30}|@)"
)
# A "/" between a small letter and a capital; the pattern starts with the slash so that `re`
# finds it by a fast search instead of trying every small letter.
_SLASH_CAPITAL_RE = re.compile(r"/(?<=[a-z]/)[A-Z]")


def notes_address_names(
    text: str,
    names: frozenset[str],
    common: frozenset[str],
    reject: frozenset[str],
    dictionary: frozenset[str],
) -> list[tuple[int, int]]:
    """Names of Lotus Notes addresses written without blanks, in headers and in "Forwarded by"
    lines. Mailboxes have such addresses too ("Enron Announcements/Corp/Enron"), so each word
    must be a known name (`names`) or no `dictionary` word, and no common, organisation or
    place word.

    >>> text = "To: Okechi Nwosu/HOU/ECT@ECT, Enron News/Corp/Enron; Jeff/Sara"
    >>> spans = notes_address_names(text, frozenset(), frozenset(), frozenset(),
    ...                             frozenset({"news"}))
    >>> [text[a:b] for a, b in spans]
    ['Okechi Nwosu']
    """
    found: list[tuple[int, int]] = []
    lines = _lines_around(text, _SLASH_CAPITAL_RE.finditer(text))
    for start, end in lines:
        for match in NOTES_NAME_RE.finditer(text, start, end):
            if _name_like(match.group("name"), names, common, reject, dictionary):
                found.append(match.span("name"))
    return found


def _lines_around(text: str, hits: Iterable[re.Match[str]]) -> list[tuple[int, int]]:
    """The distinct lines that hold `hits`, as (start, end): a pattern that needs such a hit is
    scanned there only, not over the whole text."""
    lines: list[tuple[int, int]] = []
    for hit in hits:
        if lines and hit.start() < lines[-1][1]:
            continue
        start = text.rfind("\n", 0, hit.start()) + 1
        end = text.find("\n", hit.end())
        lines.append((start, len(text) if end == -1 else end))
    return lines


def _name_like(
    value: str,
    names: frozenset[str],
    common: frozenset[str],
    reject: frozenset[str],
    dictionary: frozenset[str],
) -> bool:
    """Whether each word of `value` (initials aside) is a known name or no dictionary word, and
    no common, organisation or place word."""
    words = [strip_possessive(w.casefold().rstrip(".")) for w in value.split()]
    return all(
        w not in common
        and w not in reject
        and (w in names or not dictionary or not in_dictionary(w, dictionary))
        for w in words
        if len(w) > 1
    )


# A line that holds one capitalized word and a comma, colon or dash: how an e-mail addresses
# its reader ("Okechi,", "Okechi -", "John:") before the message. Matched from the line break
# before it (a literal `re` finds by a fast search; `^` is tried at every position), and at
# the start of the text by `match`.
_ADDRESSED_LINE = (
    r"[ \t>]*(?P<name>" + NAME_TOKEN + r")[ \t]*(?P<mark>,|:|-{1,2}|–)[ \t]*(?=\r?\n|\Z)"
)
ADDRESSED_LINE_RE = re.compile(r"\n" + _ADDRESSED_LINE)
ADDRESSED_FIRST_LINE_RE = re.compile(_ADDRESSED_LINE)


# Words that address a group or a relative, not a person by name.
NOT_ADDRESSEES = frozenset(KIN_WORDS) | frozenset(
    ("gentlemen", "ladies", "folks", "guys", "all", "everyone", "everybody", "friends")
    + ("colleagues", "team", "sirs")
)


def addressed_lines(
    text: str,
    names: frozenset[str],
    common: frozenset[str],
    reject: frozenset[str],
    dictionary: frozenset[str],
) -> list[tuple[int, int]]:
    r"""The reader's name on a line of its own before a message ("Okechi,\nPlease see ...").

    The word must be a known name (`names`) or no `dictionary` word, and no common, header,
    organisation, place, department, kin or group word: "Thanks,", "Team -", "Mom,",
    "Gentlemen," stay. Before a colon only a known name counts ("Jackups:" labels a list).
    Without a `dictionary` only known names count. A line at the end of the text addresses
    no one.

    >>> text = "Okechi,\nsee below.\nTeam -\nNotes:\nJackups:\nAnn:\nThanks,\nAnn"
    >>> spans = addressed_lines(text, frozenset({"ann"}), frozenset({"thanks"}),
    ...                         frozenset({"team"}), frozenset({"note"}))
    >>> [text[a:b] for a, b in spans]
    ['Okechi', 'Ann']
    """
    found: list[tuple[int, int]] = []
    first = ADDRESSED_FIRST_LINE_RE.match(text)
    for match in itertools.chain([first] if first else [], ADDRESSED_LINE_RE.finditer(text)):
        if match.end() >= len(text.rstrip()):
            continue
        word = strip_possessive(match.group("name").casefold())
        if len(word) < 3 or word in common or word in reject or word in NOT_ADDRESSEES:
            continue
        if word in HEADER_WORDS or is_department_word(word):
            continue
        known = word in names
        if known or (
            dictionary and match.group("mark") != ":" and not in_dictionary(word, dictionary)
        ):
            found.append(match.span("name"))
    return found


# One or two initials with their full stops, then a capitalized word: "J. Okonkwo",
# "J.R. Okonkwo". A match starts at the first full stop, the initial being checked behind it:
# a pattern that starts with a literal is found by a fast search, one that starts with a
# capital is tried at every capital of the text (ten times the time on e-mail).
INITIAL_SURNAME_RE = re.compile(
    r"\.(?<=(?<![\w.])[A-Z]\.)(?:[ \t]?[A-Z]\.)?[ \t]+(?P<surname>" + NAME_TOKEN + r")(?![\w@])"
)


def initial_surnames(
    text: str,
    last: frozenset[str],
    common: frozenset[str],
    reject: frozenset[str],
    dictionary: frozenset[str],
) -> list[tuple[int, int]]:
    r"""A surname after initials ("send it to J. Okonkwo"), which the small NER model often
    leaves out. The surname is no common, organisation or place word, and no `dictionary`
    word unless a frequent census surname ("C. Smith"; "U.S. Postal" is no name). At a line's
    start it must also be a known surname (`last`): "A." and "B." label outline items too
    ("B. Enron's view").

    >>> text = "Ask J. Okonkwo.\nB. Enron's view\nplan B. Then\nC. Smith wrote\nU.S. Postal"
    >>> words = frozenset({"then", "view", "smith", "postal"})
    >>> spans = initial_surnames(text, frozenset({"smith"}), frozenset({"then"}), frozenset(),
    ...                          words)
    >>> [text[a:b] for a, b in spans]
    ['J. Okonkwo', 'C. Smith']
    """
    found: list[tuple[int, int]] = []
    if ". " not in text and ".\t" not in text:
        return found
    for match in INITIAL_SURNAME_RE.finditer(text):
        surname = strip_possessive(match.group("surname").casefold())
        if surname in common or surname in reject:
            continue
        if in_dictionary(surname, dictionary) and surname not in frequent_surnames():
            continue
        start = match.start() - 1  # the initial
        line_start = text.rfind("\n", 0, start) + 1
        if not text[line_start:start].strip(" \t>*-") and surname not in last:
            continue
        found.append((start, match.end("surname")))
    return found


NEXT_LOWER_RE = re.compile(r"[ \t]+(?:[a-z]\.?[ \t]+)?([a-zà-öø-ÿ'’-]{2,})(?![\w@])")


def lexicon_recognizer(
    first: frozenset[str],
    last: frozenset[str],
    common: frozenset[str],
    reject: frozenset[str],
    *,
    single_score: float = 0.6,
    full_score: float = 0.75,
    cue_re: re.Pattern[str] | None = None,
    dictionary: Callable[[], frozenset[str]] | None = None,
):
    """Presidio recognizer: a known given name in Title case, with the surname that follows.

    "Marlene" alone scores `single_score`; "Marlene Okafor" or "Marlene J. Okafor" scores
    `full_score`. A lower-case pair counts only when both words are in the lists ("patricia
    desrosiers" needs a surname list). Common English words ("Will", "May", "Grant" at a
    sentence start) and organisation/place words never count. Sign-off lines after a dash and
    lines in capitals that hold only a name count too; `dictionary` (read on first use) gives
    the English words such a line must not be made of (see `upper_case_names`). So do names
    in positions that only people take, where each word is a known name or no dictionary
    word: after a reporting verb (`reported_speakers`), after initials (`initial_surnames`),
    alone on a line before a message (`addressed_lines`) and before a Lotus Notes path
    (`notes_address_names`); and a known given name called out at a sentence's end ("...,
    Brandon!") scores as a full name, above NER's place label.

    With `cue_re` (strict mode, for languages that capitalize nouns or whose text the English
    model does not read) a capital is no evidence: a given name counts only before a known
    surname ("Annegret Vollmer") or right after a cue that `cue_re` finds at the end of the
    text before it ("Liebe Annegret", "Hallo Tobias"); lower-case lines are not read.
    """
    LocalRecognizer, RecognizerResult = lean_imports.presidio("LocalRecognizer", "RecognizerResult")

    # After a known given name and surname, a particle is a preposition ("Melania Nitto al
    # numero", "Jorge Godoy al 682"), not the start of a firm's or a street's name.
    place_words = reject - frozenset(NAME_PARTICLES) - {"al", "el", "bin"}

    all_names = first | last

    def is_surname_token(token: str) -> bool:
        lower = token.casefold()
        return lower not in common and lower not in reject

    class LexiconNameRecognizer(LocalRecognizer):
        def load(self) -> None:
            pass

        def analyze(self, text, entities, nlp_artifacts=None):
            if cue_re is not None:
                return self._strict(text)
            results = []
            for match in TITLE_RE.finditer(text):
                lower = strip_possessive(match.group().casefold())
                if lower not in first or lower in common or lower in reject:
                    continue
                end, score = match.end(), single_score
                if _after_determiner(text, match.start()):
                    continue  # "the Job", "a Tie": a noun, not a name
                if _before_title_case_word(text, match.end()):
                    continue  # "Carry Me Back To ...": a title in title case, not a name
                if _ends_place_or_firm(text, end, reject):
                    continue  # "Drake PLC", "Marina Street": part of a firm or place name
                after = NEXT_TITLE_RE.match(text, end)
                if after and is_surname_token(after.group(1)):
                    if _ends_place_or_firm(text, after.end(1), reject):
                        continue  # "Oscar Mill Street", "Peter Kastanjehof 27"
                    end, score = after.end(1), full_score
                elif _addressed(text, match.start(), end):
                    score = full_score
                results.append(RecognizerResult(E.PERSON, match.start(), end, score))
            words = dictionary() if dictionary else frozenset()
            # names in positions only people take: each finder gives (start, end) spans
            positioned = (
                dash_signoffs(text, first, common),
                reported_speakers(text, all_names, common, reject, words),
                initial_surnames(text, last, common, reject, words),
                addressed_lines(text, all_names, common, reject, words),
                notes_address_names(text, all_names, common, reject, words),
                upper_case_names(text, first, common, reject, words),
            )
            results.extend(
                RecognizerResult(E.PERSON, start, end, full_score)
                for spans in positioned
                for start, end in spans
            )
            lower_lines = [
                (m.start(), m.end()) for m in LINE_RE.finditer(text) if not _has_upper(m.group())
            ]
            for start, end in lower_lines:
                # On a line without capitals a known given name is a name: the missing capital
                # says nothing there (chat, lower-cased exports).
                for match in LOWER_RE.finditer(text, start, end):
                    word = strip_possessive(match.group())
                    known = len(word) >= 4 and word in first
                    if (
                        known
                        and word not in common
                        and word not in reject
                        and not _after_determiner(text, match.start())
                    ):
                        stop = match.start() + len(word)
                        results.append(
                            RecognizerResult(E.PERSON, match.start(), stop, single_score)
                        )
                for match in LOWER_LIST_RE.finditer(text, start, end):
                    items = list(WORD_RE.finditer(text, match.start(), match.end()))
                    items = [m for m in items if m.group() not in ("and", "or")]
                    known = sum(m.group() in first for m in items)
                    if known * 2 >= len(items) and not any(m.group() in common for m in items):
                        results.extend(
                            RecognizerResult(E.PERSON, m.start(), m.end(), full_score)
                            for m in items
                        )
            if last and any(
                NO_CAPITALS_RE.match(line) and " " in line.strip() for line in text.splitlines()
            ):
                for match in LOWER_RE.finditer(text):
                    given = match.group()
                    if given not in first or given in common:
                        continue
                    after = NEXT_LOWER_RE.match(text, match.end())
                    surname = after.group(1) if after else ""
                    if (
                        surname in last
                        and surname not in common
                        and surname not in reject
                        and _lower_case_line(text, match.start())
                    ):
                        results.append(
                            RecognizerResult(E.PERSON, match.start(), after.end(1), single_score)
                        )
            return results

        def _strict(self, text):
            results = []
            for match in TITLE_RE.finditer(text):
                lower = strip_possessive(match.group().casefold())
                if lower not in first or lower in common or lower in reject:
                    continue
                after = NEXT_TITLE_RE.match(text, match.end())
                surname = after.group(1).casefold() if after else ""
                if surname in last and is_surname_token(surname):
                    if _ends_place_or_firm(text, after.end(1), place_words):
                        continue
                    results.append(
                        RecognizerResult(E.PERSON, match.start(), after.end(1), full_score)
                    )
                elif (particled := PARTICLE_SURNAME_RE.match(text, match.end())) and (
                    particled.group(1).casefold() not in common
                    and particled.group(1).casefold() not in reject
                    and not is_department_word(particled.group(1))
                ):
                    results.append(
                        RecognizerResult(E.PERSON, match.start(), particled.end(1), full_score)
                    )
                elif cue_re.search(text, max(0, match.start() - 30), match.start()):
                    results.append(
                        RecognizerResult(E.PERSON, match.start(), match.end(), single_score)
                    )
            return results

    return LexiconNameRecognizer(supported_entities=[E.PERSON], name="LexiconName")
