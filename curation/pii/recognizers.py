"""Presidio recognizers for what the stock registry misses or gets wrong on enterprise text.

Every detector of the stage is a Presidio recognizer (`PatternRecognizer` or `LocalRecognizer`),
so they can be registered in any `AnalyzerEngine`. The stock ones are reused where they are
right (credit cards with Luhn, IBAN with its checksum, IP, US SSN, UK NINO, DE Steuer-ID); ours
cover what Presidio lacks or misses: lenient e-mail addresses (Enron-style `t..renwick@enron.com`,
X.400 addresses), international phone numbers found by a cheap candidate pattern and confirmed
by `phonenumbers` in several regions, FR INSEE numbers with their key, dates of birth only next
to a birth context word, URLs with personal paths, street addresses, and names in e-mail
headers, signatures and after titles. Presidio's recognizers are imported lazily (heavy).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from curation.pii import entities as E
from curation.pii import languages as L
from curation.pii import lean_imports

log = logging.getLogger(__name__)

# Regex flags Presidio would otherwise default to (IGNORECASE breaks Title-case name patterns).
FLAGS = re.MULTILINE

# Latin script incl. Latin Extended-A/B (Kateřina, Šušulić), whose upper and lower letters
# interleave, so that block is allowed in both positions.
# Bounded lengths: an unbounded hyphen chain ("Ab-Ab-Ab-...", ids, base64) would be rescanned
# from every start position, quadratic in the run's length.
NAME_FIRST = r"[A-ZÀ-ÖØ-Þ\u0100-\u024f]"
NAME_REST = (
    r"[a-zß-öø-ÿ\u0100-\u024f'’]{0,40}"
    r"(?:-[A-ZÀ-ÖØ-Þ\u0100-\u024f]?[a-zß-öø-ÿ\u0100-\u024f'’]{1,40}){0,3}"
)
# A capital inside a surname after "Mc"/"Mac" or an apostrophe ("McDowell", "MacLeod",
# "O'Brien", "D'Aveni"): without it such names split into pieces no rule reads as a name.
NAME_INNER_CAPITAL = r"(?:(?<=M)a?c[A-Z]|(?<=[OD])['’][A-Z])?"
NAME_TOKEN = NAME_FIRST + NAME_INNER_CAPITAL + NAME_REST


def name_token_not_after(*before: str) -> str:
    r"""`NAME_TOKEN` not right after any of `before` (lookbehind bodies of one width each):
    the same matches as `(?<!b1)(?<!b2)...` + NAME_TOKEN, written so that `re` can skip ahead.

    `re` jumps straight to the next possible first character only when a pattern starts with
    a character class; a lookbehind in front makes it try the whole pattern at every position
    of the text (about twice the time on e-mail). So the first character is matched first and
    the lookbehinds, widened by that one character, are checked after it.

    >>> pattern = re.compile(name_token_not_after(r"[\w@./]"))
    >>> [m.group() for m in pattern.finditer("Ann x.Bob @Cy Dee-Ann")]
    ['Ann', 'Dee-Ann']
    """
    checks = "".join(r"(?<!" + body + r"[\s\S])" for body in before)
    return NAME_FIRST + checks + NAME_INNER_CAPITAL + NAME_REST


INITIAL = r"[A-Z]\.?"
# Initials before a surname after a title ("dhr. P. Jansen", "Herr J.P. Vollmer").
INITIALS = r"(?:[A-Z]\.[ \t]*){1,3}"


def _particles_re() -> str:
    """One to three name particles and the space after them ("van der ", "De ", "de la "), or
    an elided one written against the surname ("d'"). The first particle sets the case rule:
    "le", "la" and "der" open a surname only capitalized (see `languages.NAME_PARTICLES`)."""
    any_case = "|".join(L.NAME_PARTICLES)
    first = [p for p in L.NAME_PARTICLES if p not in L.LEADING_ONLY_CAPITALIZED]
    capitalized = [p.capitalize() for p in L.LEADING_ONLY_CAPITALIZED]
    elided = "(?i:" + "|".join(L.ELIDED_PARTICLES) + r")['’]"
    opening = "(?:(?i:" + "|".join(first) + ")|" + "|".join(capitalized) + ")"
    return (
        r"(?:" + opening + r"(?:[ \t]+(?i:" + any_case + r")){0,2}[ \t]+(?:" + elided + r")?"
        r"|" + elided + r")"
    )


PARTICLES = _particles_re()
# A name token with the particles that belong to it: "Weizsäcker", "van der Meer-de", "d'Arce".
NAME_PART = r"(?:" + PARTICLES + r")?" + NAME_TOKEN
# Academic titles stacked after a title: "Frau Prof. Dr. Müller", "Geachte mr. drs. Jansen".
ACADEMIC = r"(?:[ \t]+(?i:" + "|".join(L.ACADEMIC_TITLES) + r")\.?){0,3}"
_PARTICLE_WORDS = frozenset(L.NAME_PARTICLES)


def is_particle(token: str) -> bool:
    """True for a name particle standing as its own word ("van", "De", "della").

    Examples
    --------
    >>> is_particle("van"), is_particle("De"), is_particle("Vries")
    (True, True, False)
    """
    return token.casefold() in _PARTICLE_WORDS


# Letters that `re` matches to an ASCII letter under IGNORECASE besides its two cases.
_CASE_FOLDS = {"i": "İı", "s": "ſ", "k": "\u212a"}


def cue_words_re(cues: Sequence[str]) -> str:
    r"""`\b(?i:cue1|cue2|...)` for cues that each start with an ASCII letter, written so that
    `re` can skip ahead (see `name_token_not_after`).

    The cues are grouped by first letter, in their order: at a position only the cues of
    its letter can match, so trying those in order matches what the plain alternation
    matches. The class in front holds every character IGNORECASE matches to a first letter.

    >>> pattern = re.compile(cue_words_re(("hi", "hey", "thanks")) + r" (\w+)")
    >>> [m.group() for m in pattern.finditer("Hi Ann, HEY Bob, ohi Cy, thanks Dee")]
    ['Hi Ann', 'HEY Bob', 'thanks Dee']
    """
    groups: dict[str, list[str]] = {}
    for cue in cues:
        groups.setdefault(cue[0].lower(), []).append(cue[1:])
    first = "".join(
        letter + letter.upper() + _CASE_FOLDS.get(letter, "") for letter in sorted(groups)
    )
    branches = "|".join(
        rf"(?<=(?i:{letter}))(?i:{'|'.join(rests)})" for letter, rests in groups.items()
    )
    return rf"[{first}](?<!\w[\s\S])(?:{branches})"


@functools.cache
def header_field_re(fields: tuple[str, ...]) -> re.Pattern[str]:
    """Header lines (`From:`, `Von:`, `À :`) of the given field names; group `value`."""
    names = "|".join(sorted(fields, key=len, reverse=True))
    return re.compile(
        r"^[ \t>]*(?:X[ \t]?-[ \t]?)?(?:" + names + r")[ \t]*:[ \t]*(?P<value>[^\n]*)$",
        re.MULTILINE | re.IGNORECASE,
    )


# Groups that hold a name in the patterns of `group_name_recognizer`; one takes part per match.
NAME_GROUPS = ("name", "same_line_name")


@functools.cache
def signature_re(closings: tuple[str, ...]) -> re.Pattern[str]:
    """A closing line ("Best regards,", "Mit freundlichen Grüßen") and the name line after it,
    or a closing, a comma and a name ending the same line ("Danke, Jürgen").

    On its own line a name may be written in lower case; after a comma on the closing's line
    every word must be capitalized, or "Thanks, see you tomorrow" would be a name.
    """
    return re.compile(
        r"^[ \t>]*(?:" + "|".join(closings) + r")(?:[ \t]*[,!.]?[ \t]*\r?\n"
        r"(?:[ \t>]*\r?\n)?[ \t>]*(?P<name>" + NAME_PART + r"(?:[ \t]+(?:" + INITIAL + r"|"
        r"" + NAME_PART + r")){0,3})"
        r"|[ \t]*,[ \t]*(?P<same_line_name>(?-i:" + NAME_PART + r"(?:[ \t]+(?:" + INITIAL + r"|"
        r"" + NAME_PART + r")){0,2})))[ \t]*[,.!]?[ \t]*$",
        re.MULTILINE | re.IGNORECASE,
    )


@functools.cache
def signoff_initials_re(closings: tuple[str, ...]) -> re.Pattern[str]:
    r"""Two or three capitals signing a message: after a closing ("Thanks, SPR"; "Regards" then
    "TK" on the next line), or alone on the line before a quoted message or ending the text.

    >>> pattern = signoff_initials_re(("thanks",))
    >>> [m.group("name") or m.group("same_line_name") for m in pattern.finditer(
    ...     "Thanks , SPR\nTK\nOriginal Message\nFrom: x\nSee the FAQ\nMK")]
    ['SPR', 'TK', 'MK']
    """
    initials = r"(?-i:[A-Z]{2,3})"
    return re.compile(
        r"^[ \t>]*(?:(?:" + "|".join(closings) + r")[ \t]*[,!.]?[ \t]*(?:\r?\n[ \t>]*)?"
        r"(?P<name>" + initials + r")"
        r"|(?P<same_line_name>" + initials + r")(?=[ \t]*(?:(?:\r?\n[ \t>]*)+(?:-+[ \t]*)?"
        r"(?:original message|from[ \t]*:)|\s*\Z)))[ \t]*[.!]?[ \t]*$",
        re.MULTILINE | re.IGNORECASE,
    )


@functools.cache
def title_name_re(titles: tuple[str, ...], salutations: tuple[str, ...] = ()) -> re.Pattern[str]:
    """A title ("Dr", "Herr", "sig.ra", "Sehr geehrter Herr") and the name after it.

    With `salutations`, two titles may follow each other ("Sr. D. Álvaro") and a salutation
    may precede them; a salutation alone is no cue (German "Liebe Kolleginnen"). Academic
    titles may stack after a title ("Frau Prof. Dr. Müller"); the name may start with initials
    ("dhr. P. Jansen") and carry particles ("heer Van den Broek", "Sr. Núñez de Arce").
    """
    title = r"(?i:" + "|".join(titles) + r")\.?"
    if salutations:
        lead = (
            r"\b(?:(?i:"
            + "|".join(salutations)
            + r")[ \t]+)?"
            + title
            + r"(?:[ \t]+"
            + title
            + r")?"
        )
    elif all(t[:1].isascii() and t[:1].isalpha() for t in titles):
        lead = cue_words_re(titles) + r"\.?"  # the same matches, found faster
    else:
        lead = r"\b" + title
    return re.compile(
        lead
        + ACADEMIC
        + r"[ \t]+(?P<name>(?:"
        + INITIALS
        + r")?"
        + NAME_PART
        + r"(?:[ \t]+(?:"
        + INITIAL
        + r"[ \t]+)?"
        + NAME_TOKEN
        + r")?(?:[ \t]+"
        + PARTICLES
        + NAME_TOKEN
        + r"(?:[ \t]+"
        + NAME_TOKEN
        + r")?)?)"
    )


HEADER_FIELD_RE = header_field_re(L.BASE_HEADER_FIELDS)
SIGNATURE_RE = signature_re(L.closings(L.ENGLISH))
TITLE_NAME_RE = title_name_re(L.titles(L.ENGLISH))
# A first name, a middle initial and a last name: "Norma J. Whitcombe", "Ottokar B Lindqvist".
MIDDLE_INITIAL_RE = re.compile(
    r"(?P<name>"
    + name_token_not_after(r"[\w@./]")
    + r"[ \t]+[A-Z]\.?[ \t]+"
    + NAME_TOKEN
    + r")(?![\w@])"
)
# Phrases that introduce a person (each starts with an ASCII letter, see `cue_words_re`).
PERSON_CUES = (
    "my name is",
    "name is",
    r"names?[ \t]*:",
    "named",
    "called",
    "i am",
    "i'm",
    "this is",
    "dear",
    "hi",
    "hello",
    "hey",
    r"attn\.?:?",
    "attention:",
    "user:",
    "customer:",
    "contact:",
    "ask",
    "tell",
    "told",
    "thanks",
    "thank you",
    "shouted at",
    "forwarded by",
    "talked to",
    "talked with",
    "talk to",
    "check with",
    "checked with",
    "speak to",
    "spoke to",
    "speak with",
    "spoke with",
    "follow up with",
    "met with",
    "meet with",
    "call me",
    "calls me",
    "married",
    "hired",
    "interviewed",
    "congratulations",
    "congrats",
    r"named (?:him|her)",
    *(rf"{word} ?name(?: is|\?|:)" for word in ("first", "last", "maiden", "full", "sur")),
    r"my (?:kid|son|daughter|wife|husband|brother|sister|mother|father|boss|colleague)",
)
# Phrases that introduce a person; after "name is"/"name:" even lower-case names count.
PERSON_CUE_RE = re.compile(
    cue_words_re(PERSON_CUES)
    + r"[ \t]+(?P<name>"
    + NAME_TOKEN
    + r"(?:[ \t]+(?:"
    + INITIAL
    + r"|"
    + NAME_PART
    + r")){0,2})"
    r"(?![\w@])"
)
# A name followed by what only people do ("Radomir shouted", "Greta lives near") or joined to
# the writer as an object ("call Tushar and me"); verbs that companies do too ("Enron said",
# "agreed", "confirmed") are left out, and so is "and I", which also joins two clauses ("it's
# Mid October and I am checking").
PERSON_VERB_RE = re.compile(
    r"(?P<name>" + name_token_not_after(r"[\w@./]") + r"(?:[ \t]+" + NAME_TOKEN + r")?)[ \t]+"
    r"(?:shouted|whispered|smiled|laughed|cried|lives|lived|married|was born|is a very|"
    r"had given|works as|worked as|thinks|thought|wants|wanted|knows|knew|and me)\b"
)
# Speaker labels of transcripts, chats and scripts: "Radomir: "Who is there?"", "Éva: Not now.
# Nicole: Why not?" at a line start or after a sentence, followed by a quote or a capital.
SPEAKER_RE = re.compile(
    r"(?:^|(?<=[.!?\"”][ \t]))[ \t>]*(?P<name>" + NAME_TOKEN + r")[ \t]*:[ \t]*(?=[\"“'A-ZÀ-Þ])",
    re.MULTILINE,
)


# Head words of job titles, as signature and contact blocks write them under a name.
JOB_TITLE_WORDS = (
    "manager",
    "director",
    "assistant",
    "engineer",
    "analyst",
    "president",
    "officer",
    "specialist",
    "coordinator",
    "consultant",
    "counsel",
    "attorney",
    "administrator",
    "representative",
    "associate",
    "executive",
    "supervisor",
    "driver",
    "trader",
    "ceo",
    "cfo",
    "cto",
    "coo",
    "vp",
    "partner",
    "accountant",
    "clerk",
    "secretary",
    "lawyer",
    "developer",
    "designer",
    "architect",
    "scientist",
    "technician",
    "advisor",
    "adviser",
    "planner",
    "scheduler",
    "controller",
    "treasurer",
    "chairman",
    "founder",
    "intern",
    "professor",
    "recruiter",
    "economist",
    "geologist",
    "paralegal",
    "receptionist",
    "gerente",
    "directeur",
    "directrice",
    "directora",
    "direttore",
    "direttrice",
    "geschäftsführer",
    "geschäftsführerin",
    "leiter",
    "leiterin",
    "sachbearbeiter",
    "sachbearbeiterin",
    "responsable",
    "adviseur",
)
# A line that holds only a name (two to four words, particles and initials allowed), then,
# right below or after one blank line, a short line with a job title: a signature or contact
# block ("Michelle Lokay / Account Director", "Maika van de Noort / Employment manager").
TITLED_NAME_LINE_RE = re.compile(
    r"^[ \t>]*(?P<name>"
    + NAME_TOKEN
    + r"(?:[ \t]+(?:"
    + INITIAL
    + r"|"
    + NAME_PART
    + r")){1,3})[ \t]*,?[ \t]*\r?\n(?:[ \t>]*\r?\n)?[ \t>]*"
    r"(?=[^\n.!?]{0,50}\b(?i:" + "|".join(JOB_TITLE_WORDS) + r")\b[^\n.!?]{0,50}$)",
    re.MULTILINE,
)


# A name addressed at the start of a sentence, before a request or a question ("Warrane, can
# I speak to your boss?", "Okonkwo, please send ...").
VOCATIVE_RE = re.compile(
    r"(?:^|(?<=[.!?][ \t]))[ \t>]*(?P<name>"
    + NAME_TOKEN
    + r"),[ \t]+(?=(?:can|could|would|will|please|do|did|are|have|I|we|you)\b)",
    re.MULTILINE,
)
# Kin and household words: "Asya's kid", "Okafor's wife" name a person's family.
KIN_WORDS = (
    "kid",
    "kids",
    "son",
    "sons",
    "daughter",
    "daughters",
    "wife",
    "husband",
    "mother",
    "mom",
    "mum",
    "father",
    "dad",
    "brother",
    "sister",
    "boyfriend",
    "girlfriend",
    "baby",
    "children",
    "parents",
    "grandmother",
    "grandfather",
    "aunt",
    "uncle",
    "cousin",
    "fiancé",
    "fiancée",
    "fiance",
    "fiancee",
    "nephew",
    "niece",
)
POSSESSIVE_KIN_RE = re.compile(
    r"(?P<name>"
    + name_token_not_after(r"[\w@./]")
    + r")['’]s[ \t]+(?:"
    + "|".join(KIN_WORDS)
    + r")\b"
)


def titled_name_line_recognizer(
    common_words: frozenset[str],
    reject_words: frozenset[str],
    dictionary: Callable[[], frozenset[str]],
    names: frozenset[str],
):
    """A name on its own line above a job title (see `TITLED_NAME_LINE_RE`)."""
    return name_like_recognizer(
        "TitledNameLine", TITLED_NAME_LINE_RE, 0.8, common_words, reject_words, dictionary, names
    )


def name_like_recognizer(
    name: str,
    pattern: re.Pattern[str],
    score: float,
    common_words: frozenset[str],
    reject_words: frozenset[str],
    dictionary: Callable[[], frozenset[str]],
    names: frozenset[str],
):
    """Group `name` of `pattern` when every word of it is name-like.

    Name-like: no common word, no organisation or place word (`reject_words`), no job title
    word, and a known name (`names`, casefolded) or no dictionary word (`dictionary`, read on
    first use): "Quarterly Results" above "Sales Director" is a heading, "Einojuhani Pyysalo"
    above "Bus driver" a person; "Finally, can we" is no vocative, "Warrane, can I" is.
    """
    LocalRecognizer, RecognizerResult = lean_imports.presidio("LocalRecognizer", "RecognizerResult")

    def name_like(word: str) -> bool:
        lower = word.casefold().rstrip(".")
        if len(lower) == 1 or is_particle(lower):
            return True
        if lower in common_words or lower in reject_words or lower in JOB_TITLE_WORDS:
            return False
        return lower in names or not _in_dictionary(lower, dictionary())

    class NameLikeRecognizer(LocalRecognizer):
        def load(self) -> None:
            pass

        def analyze(self, text, entities, nlp_artifacts=None):
            results = []
            for match in pattern.finditer(text):
                words = match.group("name").split()
                if all(name_like(w) for w in words) and any(len(w) > 2 for w in words):
                    start, end = match.span("name")
                    results.append(RecognizerResult(E.PERSON, start, end, score))
            return results

    return NameLikeRecognizer(supported_entities=[E.PERSON], name=name)


def _in_dictionary(word: str, dictionary: frozenset[str]) -> bool:
    """`names.in_dictionary` (imported late: `names` imports this module)."""
    from curation.pii.names import in_dictionary

    return in_dictionary(word, dictionary)


def word_set(blob: str) -> frozenset[str]:
    """The whitespace-separated words of `blob` (word lists written as text blocks)."""
    return frozenset(blob.split())


# Capitals that end messages without signing them.
NOT_INITIALS = word_set("fyi asap tbd tba eom nb ps pls thx ty np na tia imo btw usa uk eu")
# Capitals after a name's comma that are a suffix, a degree or a role, not initials.
NAME_SUFFIXES = word_set("jr sr ii iii iv md phd cpa esq dds rn pe mba vp svp evp ceo cfo cto coo")


# Labels that name a role or a field, not a person.
SPEAKER_ROLES = word_set(
    """user bot agent customer client assistant system operator support admin moderator host
    guest interviewer interviewee speaker caller q a question answer note notes warning address
    phone mobile email name date time where when location subject status title summary
    description comment comments result reason source url tel fax cc bcc re fw fwd attn
    attention contact update edit todo tip example important disclaimer response reply"""
)


# A name no list holds must look like one to label a speaker: one capital, then three or more
# small letters ("Ubul", not "X-From", "CC", "Re").
PLAIN_NAME_RE = re.compile(r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]{3,}")
# Words of header and form fields in any language ("From", "Betreff", "Body").
HEADER_WORDS = frozenset(
    w.casefold() for field in L.every(L.HEADER_FIELDS) for w in re.findall(r"[^\W\d_]+", field)
) | word_set("body message text header footer")


def speaker_name_recognizer(
    names: frozenset[str],
    common_words,
    reject_words: frozenset[str] = frozenset(),
    dictionary: Callable[[], frozenset[str]] | None = None,
):
    """Speaker labels of a dialogue: a text with two or more different labels (one is not a
    dialogue; "Note: This" is a field) names its speakers, when the label is a known given
    name or surname (`names`, casefolded). "Python: Yes / Java: No" is a field list, not a
    dialogue; roles ("User:", "Bot:"), common words and organisation or place words never
    count. Once one label is a known name, the others may be names no list holds ("Ubul:"
    beside "Nicole:"), if they are no word of `dictionary` (read on first use) either."""
    LocalRecognizer, RecognizerResult = lean_imports.presidio("LocalRecognizer", "RecognizerResult")

    def is_label(value: str) -> bool:
        lower = value.casefold()
        return (
            lower not in SPEAKER_ROLES and lower not in common_words and lower not in reject_words
        )

    def is_unknown_name(value: str) -> bool:
        lower = value.casefold()
        return (
            dictionary is not None
            and PLAIN_NAME_RE.fullmatch(value) is not None
            and lower not in HEADER_WORDS
            and lower not in dictionary()
        )

    class SpeakerNameRecognizer(LocalRecognizer):
        def load(self) -> None:
            pass

        def analyze(self, text, entities, nlp_artifacts=None):
            labels = [m for m in SPEAKER_RE.finditer(text) if is_label(m.group("name"))]
            known = [m for m in labels if m.group("name").casefold() in names]
            if known:
                known += [
                    m
                    for m in labels
                    if m.group("name").casefold() not in names and is_unknown_name(m.group("name"))
                ]
            if len({m.group("name") for m in known}) < 2:
                return []
            return [RecognizerResult(E.PERSON, m.start("name"), m.end("name"), 0.7) for m in known]

    return SpeakerNameRecognizer(supported_entities=[E.PERSON], name="SpeakerName")


LOWER_NAME_CUE_RE = re.compile(
    r"\b(?i:my name is|name is|name[ \t]*:)[ \t]+(?P<name>[a-zà-öø-ÿ'’-]{2,}"
    r"(?:[ \t]+[a-z]\.?)?(?:[ \t]+[a-zà-öø-ÿ'’-]{2,})?)(?![\w@])"
)
# Starts only where a local part can start (not inside "a.b.c" runs, which would make the scan
# quadratic), but also after a lone dot (".abby@enron.com" in tokenized text).
EMAIL_RE = r"(?:(?<![\w.+-])|(?<=[\s<(\[\"']\.))[A-Za-z0-9_][\w.+'-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"
X400_RE = r"/O=[A-Za-z0-9]+(?:/OU=[\w-]+)*(?:/CN=[\w.-]+)+"
# Addresses written with spaces ("chuck . paul @ a-closer-look . com"), by obfuscation or by a
# tokenizer, and Lotus Notes mailboxes ("Tushar Dhruv@ENRON", "Miguel Maltes@ENRON_DEVELOPMENT").
SPACED_EMAIL_RE = (
    r"(?<![\w.+-])[A-Za-z0-9_][\w'+-]*(?:[ \t]?\.[ \t]?[\w'+-]+)*[ \t]?@[ \t]?[A-Za-z0-9-]+"
    r"(?:[ \t]?[.-][ \t]?[A-Za-z0-9-]+)*[ \t]?\.[ \t]?[A-Za-z]{2,}\b"
)
NOTES_MAILBOX_RE = r"\b(?:[A-Z][\w'’-]*[ \t]){1,3}[A-Z][\w'’-]*@[A-Z][A-Za-z]*(?:_[A-Z]+)*\b"

# Digit groups joined by single separators: two numbers side by side ("713-345-7831  713-410-1624",
# "800-538-7424 - 410-867-7424") stay two candidates.
PHONE_CANDIDATE_RE = re.compile(
    r"(?<![\w+/.-])(?:\+|00)?(?:\(\d{1,5}\)[ .-]?)?\d+(?:(?:[ .\-/]|[ ]?\([ ]?|[ ]?\)[ ]?)\d+)*"
    r"(?:[ \t]*(?:x|ext\.?|extension|#)[ \t]*\d{1,6}\b)?(?![\d/])",
    re.IGNORECASE,
)
PHONE_CONTEXT = (
    "phone",
    "tel",
    "fax",
    "mobile",
    "cell",
    "call",
    "ph",
    "telefon",
    "tél",
    "handy",
    "dial",
    "reach",
    "answering",
    "number",
    "contact",
    "sms",
    "whatsapp",
    "text me",
    "registered",
)
PHONE_CONTEXT_AFTER = re.compile(
    r"\W{0,3}(?:office|mobile|cell|home|work|fax|direct|\(?[omhwf]\))\b", re.I
)
PHONE_SHAPE_RE = re.compile(r"\d{3}[.-]\d{4}|^\(\d+\)|\d{2}([ .-])\d{2}\1\d{2}\1\d{2}")
# A date, alone or with the hour of a time after it ("01/04/2001 10" of "01/04/2001 10:22 AM":
# the candidate stops at the colon).
DATE_LIKE_RE = re.compile(r"\d{1,4}([/.-])\d{1,2}\1\d{1,4}(?:[ \t]\d{1,2})?|\d{4}-\d{2}-\d{2}.*")

# Month names of every language the stage knows (one list, in `languages`), any case.
MONTHS = r"(?i:" + "|".join(map(re.escape, L.month_words())) + r")"
DATE_PATTERNS = (
    r"\b\d{1,2}[./-]\d{1,2}[./-](?:19|20)?\d{2}\b",
    r"\b(?:19|20)\d{2}-\d{2}-\d{2}\b",
    r"\b" + MONTHS + r"\.?[ \t]+\d{1,2}(?:st|nd|rd|th)?,?[ \t]+(?:19|20)\d{2}\b",
    r"\b\d{1,2}(?:st|nd|rd|th|\.)?[ \t]+(?:of[ \t]+)?" + MONTHS + r"\.?,?[ \t]+(?:19|20)\d{2}\b",
)
DOB_CONTEXT = (
    "born",
    "birth",
    "dob",
    "d.o.b",
    "birthday",
    "geboren",
    "geb.",
    "geburtsdatum",
    "né le",
    "née le",
    "naissance",
)

STREET_SUFFIX = (
    r"(?:(?:Street|Avenue|Road|Boulevard|Lane|Drive|Court|Way|Place|Parkway|Highway|Terrace|"
    r"Circle|Square|Trail|Plaza|Crescent|Close|Row|Mews|Walk|Freeway|Expressway|Pike|Alley|Via|"
    r"Calle|Strasse|Straße)\b|(?:St|Ave|Rd|Blvd|Ln|Dr|Ct|Pl|Pkwy|Hwy|Ter|Cir|Sq|Trl|Plz|Fwy)\b\.?)"
)
ADDRESS_PATTERNS = (
    # US/UK: "1400 Smith Street, Suite 3900, Houston, TX 77002"
    r"\b\d{1,6}[A-Za-z]?[ \t]+(?:(?:[NSEW]\.?|North|South|East|West)[ \t]+)?"
    r"(?:[A-Z0-9][\w'’.-]*[ \t]+){0,4}"
    + STREET_SUFFIX
    + r"(?:,?[ \t]+(?:Apt|Apartment|Suite|Ste|Unit|Floor|Fl|Room|Rm|#)\.?[ \t]*#?[\w-]+)?"
    r"(?:,?[ \t\n]+[A-Z][a-zA-Z]+(?:[ \t][A-Z][a-zA-Z]+){0,2},?[ \t]+[A-Z]{2}[ \t]+\d{5}(?:-\d{4})?)?",
    # DE/AT/CH: "Hauptstraße 5a, 10115 Berlin"
    r"\b[A-ZÄÖÜ][\wäöüß-]{0,40}(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|ufer|chaussee)"
    r"[ \t]+\d{1,4}[a-z]?\b(?:,?[ \t]+\d{4,5}[ \t]+[A-ZÄÖÜ][\wäöüß-]+)?",
    # FR: "12 bis, rue de la Paix, 75002 Paris"
    r"\b\d{1,6}(?:[ \t]+\d{1,4})?(?:[ \t]?(?:bis|ter))?,?[ \t]+(?i:rue|avenue|av\.|boulevard|bd|"
    r"place|chemin|allée|impasse|quai|route)[ \t]+(?:(?:de|du|des|la|le|l['’]|d['’])[ \t]*)*[A-Z][\w'’-]+"
    r"(?:[ \t]+[A-Z][\w'’-]+){0,3}(?:,?[ \t]+\d{5}[ \t]+[A-Z][\w-]+)?",
    r"\bP\.?[ \t]?O\.?[ \t]+Box[ \t]+\d+\b",
    # Street word after the name, then the number: "Kertész u. 14.", "Bartók tér 3.",
    # "Grazer Strasse 41", "Filadelfeos Str. 12", "ul. Lipowa 7", "Pod Hradem 212"
    r"\b(?:\d{1,6}[ \t]+)?(?:[A-ZÀ-ÞŁŚŻŹĆŃ][\w'’.-]{0,40}[ \t]+){1,4}(?:u\.|utca|út|útja|tér|krt\.|körút|rkp\.|"
    r"Str\.|Strasse|Straße|Gasse|Weg|Platz|Allee|Laan|Straat|Plein|Kade|ulica|ulice|náměstí|"
    r"nám\.|trg|cesta|Vej|Gade|Gatan|Vägen)[ \t]+\d{1,5}[a-zA-Z]?\b\.?",
    r"\b(?:ul\.|al\.|pl\.|os\.)[ \t]+(?:[A-ZÀ-ÞŁŚŻŹĆŃ][\w'’.-]{0,40}[ \t]+){1,3}\d{1,5}[a-zA-Z]?\b",
    # ES/IT/PT street word first: "Calle Mayor 5", "Paseo de la Castellana 100", "Via Roma 10",
    # "Corso Vittorio Emanuele II 45", "Rua das Flores 9", "C/ Mayor, 5"
    r"\b(?:Calle|C/|Avenida|Avda\.|Paseo|Plaza|Pza\.|Camino|Ronda|Travesía|Carrer|Via|Viale|"
    r"Piazza|P\.zza|Piazzale|Corso|Largo|Vicolo|Lungomare|Rua|Praça|Travessa)[ \t]*"
    r"(?:(?:de|del|de la|de los|de las|della|delle|dei|degli|di|da|do|dos|das)[ \t]+)?"
    r"(?:[A-ZÀ-Þ][\w'’.-]{0,40}[ \t]+){0,3}[A-ZÀ-Þ][\w'’.-]{0,40},?[ \t]+"
    r"(?:(?:n\.|nº|n°|núm\.|no\.)[ \t]*)?\d{1,5}[a-zA-Z]?\b"
    r"(?:,?[ \t]+\d{5}[ \t]+[A-ZÀ-Þ][\w'’-]+)?",
    # Street name with a joined street word: "Hersnapvej 75", "Koivukatu 12", "Eikenlaan 41"
    r"\b[A-ZÀ-ÞÆØÅ][\wäöüåæøéß-]{0,30}(?:vej|vägen|gatan|gata|katu|kuja|tie|laan|straat|weg|plein|"
    r"gracht|kade|gasse|veien|vegen|gade|stræde|gränd|torget|utca)[ \t]+\d{1,5}[a-z]?\b",
    # International: "2210 17 Marsh Avenue", "541 Avenida Pedro Ulisses 888 Apt. 120"
    r"\b\d{1,6}[ \t]+(?:\d{1,5}[ \t]+)?(?:(?:ul\.|út|rue|via|rua|avda\.)[ \t]+)?"
    r"(?:[A-ZÀ-ÞΑ-Ω][\w'’.-]{0,40}[ \t]+){1,4}\d{1,5}[A-Za-z]?\b\.?"
    r"(?:,?[ \t]+(?:Apt|Apartment|Suite|Ste|Unit)\.?[ \t]*#?\d+)?",
    r"\b(?:Apt|Apartment|Suite|Unit)\.?[ \t]*#?\d{1,5}\b(?:[ \t]+Box[ \t]+\d+)?",
    # An address block: a line of street and house number, then a line of postcode and town
    # ("Lange Voorhout 50\n2511 BT Den Haag"); the postcode line is what makes it an address.
    # Only from a line start: mid-sentence, German nouns ("Ihrer Anschrift") would join it.
    r"^(?:[A-ZÀ-Þ][\w'’.-]{0,40}[ \t]+){1,3}\d{1,5}[a-zA-Z]?[ \t]*\n[ \t]*"
    r"(?:\d{4}[ \t]?[A-Z]{2}|\d{5})[ \t]+[A-ZÀ-Þ][\w'’-]+",
    # The same on one line with a Dutch postcode, which no other number looks like:
    # "aan de Lange Voorhout 123, 3511 LN Utrecht"
    r"\b(?:[A-ZÀ-Þ][\w'’.-]{0,40}[ \t]+){1,2}\d{1,5}[a-zA-Z]?,[ \t]+\d{4}[ \t]?[A-Z]{2}"
    r"[ \t]+[A-ZÀ-Þ][\w'’-]+",
    r"\b(?:PSC|CMR|Unit)[ \t]+\d{3,5},?[ \t]+Box[ \t]+\d{3,5}\b|\b[AFD]PO[ \t]+A[AEP][ \t]+\d{5}\b",
)
# Word(s) + house number ("Koivukatu 12", "Rua das Flores 9"): too close to "Windows 10" to stand
# alone, so only after an address word. Word lengths in these patterns are bounded ({0,40}): an
# unbounded run before a fixed suffix rescans long hyphenated ids or base64 quadratically.
ADDRESS_CONTEXT_PATTERNS = (r"\b(?:[A-ZÀ-Þ][\w'’.-]{1,40}[ \t]+){1,3}\d{1,5}[a-z]?\b",)
ADDRESS_CONTEXT = (
    "address",
    "adresse",
    "anschrift",
    "lives",
    "live at",
    "living",
    "located",
    "ship to",
    "mail to",
    "moved to",
    "street",
    "residence",
    "domicile",
)

# The rest of a URL, not ending in sentence punctuation.
_URL_TAIL = r"(?:[^\s<>\"']*[^\s<>\"'.,;:!?)])?"
PERSONAL_URL_PATTERNS = (
    r"\b(?:https?://|www\.)[^\s<>\"']*?/(?:~|%7[eE])[\w%-]+" + _URL_TAIL,
    r"\b(?:https?://|www\.)[^\s<>\"'/]+/(?:[^\s<>\"']*/)?(?:users?|people|person|profiles?|home|"
    r"staff|members?|employees?|author|in|pub)/[\w%@-]+" + _URL_TAIL,
    r"\b(?:https?://)?(?:www\.)?(?:linkedin\.com/in|facebook\.com|twitter\.com|x\.com|"
    r"instagram\.com|github\.com)/[\w%-]+" + _URL_TAIL,
)


def context_before(text: str, start: int, words: Iterable[str], window: int = 35) -> bool:
    """True when one of `words` occurs in the `window` characters before `start` (lowercased)."""
    before = text[max(0, start - window) : start].lower()
    return any(word in before for word in words)


def _pattern(name: str, regex: str, score: float):
    Pattern = lean_imports.presidio("Pattern")

    return Pattern(name=name, regex=regex, score=score)


# What every match of each e-mail pattern holds. No pattern matches across a line break, so a
# line without its marker cannot hold a match.
EMAIL_MARKERS = {"email": "@", "x400": "/O=", "spaced_email": "@", "notes_mailbox": "@"}


def marked_lines(text: str, marker: str) -> list[tuple[int, int]]:
    r"""Bounds of the runs of consecutive lines that hold `marker` (without the final newline).

    >>> text = "a\nb@c\nd@e\nf\ng@h"
    >>> [text[a:b] for a, b in marked_lines(text, "@")]
    ['b@c\nd@e', 'g@h']
    """
    runs: list[tuple[int, int]] = []
    at = text.find(marker)
    while at != -1:
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        end = len(text) if end == -1 else end
        if runs and runs[-1][1] + 1 >= start:
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((start, end))
        at = text.find(marker, end)
    return runs


def email_recognizer():
    """E-mail addresses, lenient on local parts (`k..allen@`), plus X.400 mailbox paths."""
    PatternRecognizer = lean_imports.presidio("PatternRecognizer")

    class CurateEmailRecognizer(PatternRecognizer):
        """Presidio's pattern matching, its results and their order, at a fraction of the cost.

        A text holds thousands of addresses in a long thread: Presidio builds an explanation
        and a result per raw match (two patterns find most addresses) and scans every line with
        every pattern. Here each pattern reads only the lines that hold its marker
        (`EMAIL_MARKERS`), with the same `regex` engine and flags, and duplicates and contained
        matches go as in `EntityRecognizer.remove_duplicates` before any result is built.
        """

        def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
            import regex

            RecognizerResult = lean_imports.presidio("RecognizerResult")
            REGEX_TIMEOUT_SECONDS = lean_imports.presidio("REGEX_TIMEOUT_SECONDS")

            flags = regex_flags or self.global_regex_flags
            # (start, end, score) -> the first pattern that found it, as Presidio's set keeps
            found: dict[tuple[int, int, float], Any] = {}
            lines: dict[str, list[tuple[int, int]]] = {}
            for pattern in self.patterns:
                if not pattern.compiled_regex or pattern.compiled_with_flags != flags:
                    pattern.compiled_with_flags = flags
                    pattern.compiled_regex = regex.compile(pattern.regex, flags=flags)
                finditer = pattern.compiled_regex.finditer
                marker = EMAIL_MARKERS[pattern.name]
                if marker not in lines:
                    lines[marker] = marked_lines(text, marker)
                try:
                    for start, end in lines[marker]:
                        for match in finditer(text, start, end, timeout=REGEX_TIMEOUT_SECONDS):
                            a, b = match.span()
                            if a < b:
                                found.setdefault((a, b, pattern.score), pattern)
                except TimeoutError:  # as Presidio: the pattern's matches so far stay
                    log.warning("regex pattern %r timed out, skipping", pattern.name)
            results = []
            for key in _without_contained(found):
                pattern = found[key]
                explanation = self.build_regex_explanation(
                    self.name, pattern.name, pattern.regex, pattern.score, None, flags
                )
                results.append(
                    RecognizerResult(
                        self.supported_entities[0],
                        key[0],
                        key[1],
                        key[2],
                        analysis_explanation=explanation,
                        recognition_metadata={
                            RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                        },
                    )
                )
            return results

    return CurateEmailRecognizer(
        supported_entity=E.EMAIL_ADDRESS,
        name="CurateEmailRecognizer",
        patterns=[
            _pattern("email", EMAIL_RE, 0.95),
            _pattern("x400", X400_RE, 0.9),
            _pattern("spaced_email", SPACED_EMAIL_RE, 0.85),
            _pattern("notes_mailbox", NOTES_MAILBOX_RE, 0.85),
        ],
        global_regex_flags=FLAGS,
    )


def _without_contained(found) -> list[tuple[int, int, float]]:
    """(start, end, score) matches of one entity type as `EntityRecognizer.remove_duplicates`
    leaves them: without those another contains at an equal or higher score, highest score
    first, then by start, longest first.

    >>> _without_contained({(0, 9, 0.85), (2, 9, 0.95), (0, 9, 0.95), (3, 5, 0.5)})
    [(0, 9, 0.95)]
    """
    kept: list[tuple[int, int, float]] = []
    active: list[tuple[int, int, float]] = []
    for start, end, score in sorted(found, key=lambda m: (m[0], m[0] - m[1], -m[2])):
        if score == 0:
            continue
        active = [m for m in active if m[1] >= start]
        if any(start >= a and end <= b and score <= s for a, b, s in active):
            continue
        kept.append((start, end, score))
        active.append((start, end, score))
    return sorted(kept, key=lambda m: (-m[2], m[0], m[0] - m[1]))


def street_address_recognizer():
    PatternRecognizer = lean_imports.presidio("PatternRecognizer")

    return PatternRecognizer(
        supported_entity=E.STREET_ADDRESS,
        name="StreetAddressRecognizer",
        patterns=[_pattern(f"address_{i}", p, 0.6) for i, p in enumerate(ADDRESS_PATTERNS)],
        context=["address", "street", "adresse", "anschrift", "live", "located", "ship"],
        global_regex_flags=FLAGS,
    )


def address_in_context_recognizer():
    return context_required_recognizer(
        E.STREET_ADDRESS,
        "AddressInContextRecognizer",
        ADDRESS_CONTEXT_PATTERNS,
        ADDRESS_CONTEXT,
        0.6,
        flags=FLAGS,
    )


def personal_url_recognizer():
    PatternRecognizer = lean_imports.presidio("PatternRecognizer")

    return PatternRecognizer(
        supported_entity=E.PERSONAL_URL,
        name="PersonalUrlRecognizer",
        patterns=[_pattern(f"url_{i}", p, 0.8) for i, p in enumerate(PERSONAL_URL_PATTERNS)],
        global_regex_flags=FLAGS | re.IGNORECASE,
    )


def context_required_recognizer(
    entity: str, name: str, regexes: Sequence[str], context, score, flags: int | None = None
):
    """A pattern recognizer that reports a match only after one of its context words."""
    PatternRecognizer = lean_imports.presidio("PatternRecognizer")

    class ContextRequiredRecognizer(PatternRecognizer):
        def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
            found = super().analyze(text, entities, nlp_artifacts, regex_flags)
            return [r for r in found if context_before(text, r.start, self.context)]

    return ContextRequiredRecognizer(
        supported_entity=entity,
        name=name,
        patterns=[_pattern(f"{name}_{i}", p, score) for i, p in enumerate(regexes)],
        context=list(context),
        global_regex_flags=FLAGS | re.IGNORECASE if flags is None else flags,
    )


def date_of_birth_recognizer():
    return context_required_recognizer(
        E.DATE_OF_BIRTH, "DateOfBirthRecognizer", DATE_PATTERNS, DOB_CONTEXT, 0.85
    )


def phone_recognizer(regions: Sequence[str]):
    """International phone numbers: a cheap candidate regex, confirmed by `phonenumbers`."""
    import phonenumbers

    LocalRecognizer, RecognizerResult = lean_imports.presidio("LocalRecognizer", "RecognizerResult")

    class CuratePhoneRecognizer(LocalRecognizer):
        def load(self) -> None:
            pass

        def analyze(self, text, entities, nlp_artifacts=None):
            results = []
            for match in PHONE_CANDIDATE_RE.finditer(text):
                candidate = match.group()
                if len(candidate) < PHONE_MIN_DIGITS:
                    continue  # too few characters for the digits a number needs
                score = _phone_score(candidate, text, match, regions, phonenumbers)
                if score:
                    results.append(
                        RecognizerResult(E.PHONE_NUMBER, match.start(), match.end(), score)
                    )
            return results

    return CuratePhoneRecognizer(supported_entities=[E.PHONE_NUMBER], name="CuratePhoneRecognizer")


# Digits of the shortest and longest numbers `_phone_score` accepts (E.164 allows 15).
PHONE_MIN_DIGITS = 7
PHONE_MAX_DIGITS = 15


def _phone_score(candidate: str, text: str, match, regions, phonenumbers) -> float:
    core = re.split(r"(?i)[ \t]*(?:x|ext\.?|extension|#)[ \t]*\d+$", candidate)[0]
    digits = sum(c.isdigit() for c in core)
    if digits < PHONE_MIN_DIGITS or digits > PHONE_MAX_DIGITS or DATE_LIKE_RE.fullmatch(core):
        return 0.0
    separated = any(c in core for c in " -.()/")
    international = core.startswith(("+", "00"))
    in_context = context_before(text, match.start(), PHONE_CONTEXT, 40) or bool(
        PHONE_CONTEXT_AFTER.match(text, match.end(), match.end() + 20)
    )
    # Short groups of digits split by spaces only ("79063 63") are house numbers and codes far
    # more often than phone numbers: without context they need a phone-like shape.
    if digits <= 8 and not (international or in_context or PHONE_SHAPE_RE.search(core)):
        return 0.0
    for region in (None,) if international else regions:
        try:
            number = phonenumbers.parse(core, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return 0.9 if separated or international else 0.6
    if in_context or (international and digits >= 8):
        return 0.7
    # Formatted like a phone number but fictitious (555 numbers, synthetic data): still personal.
    if separated and digits >= 10 and re.search(r"\d{3}[ .-]\d{4}\b", core):
        return 0.6
    return 0.0


def has_known_name(value: str, names: frozenset[str] | None, common_words) -> bool:
    """True without a name list; with one, when a word of `value` is a listed name that is not
    a common word. Where every noun is capitalized (German) capitals prove nothing, so a header
    or signature value must hold a known name ("An: Buchhaltung" does not)."""
    if names is None:
        return True
    for word in re.findall(r"[^\W\d_][\w'’-]*", value):
        lower = word.casefold()
        if lower in names and lower not in common_words and not is_particle(lower):
            return True
    return False


def header_name_recognizer(
    common_words: frozenset[str],
    reject_words: frozenset[str] = frozenset(),
    *,
    field_re: re.Pattern[str] | None = None,
    names: frozenset[str] | None = None,
):
    """Names in From/To/Cc (and X-From/X-To) header lines, including `Last , First M.` forms.

    `field_re` gives the header fields (localized clients write "Von:", "À :"); with `names`,
    a run counts only when it holds a known name (see `has_known_name`).
    """
    fields = HEADER_FIELD_RE if field_re is None else field_re
    LocalRecognizer, RecognizerResult = lean_imports.presidio("LocalRecognizer", "RecognizerResult")

    # Not names: <addresses>, anything with an @, Lotus Notes paths ("/ HOU / ECT@ECT"),
    # [bracketed] organisations and quotes. A local part holds no "/": in a Notes address
    # written without blanks ("Okechi Nwosu/HOU/ECT@ECT") the name before the path stays and
    # the path, after a "/", starts no word of a run.
    mask_re = re.compile(r"<[^>\n]*>|[^\s/]*@\S*|[ \t]/[^,;\n]*|\[[^\]\n]*\]|[\"']|" + X400_RE)
    word = r"(?<![\w@./])(?:(?:" + PARTICLES + r")?" + NAME_TOKEN + r"|" + INITIAL + r")(?![\w@])"
    run_re = re.compile(word + r"(?:(?:[ \t]+|[ \t]*,[ \t]*)" + word + r")*")

    class HeaderNameRecognizer(LocalRecognizer):
        def load(self) -> None:
            pass

        def analyze(self, text, entities, nlp_artifacts=None):
            results = []
            for header in fields.finditer(text):
                value = header.group("value")
                offset = header.start("value")
                masked = mask_re.sub(_mask_header_part, value)
                for run in run_re.finditer(masked):
                    # "The New York Times", "Benefits Service Center": senders, not people.
                    words = re.split(r"[\s,]+", run.group().lower())
                    if any(w.rstrip(".") in reject_words for w in words):
                        continue
                    if _list_or_team_prefix(masked, run.start()):
                        continue
                    if not has_known_name(run.group(), names, common_words):
                        continue
                    span = _trim_common(run.group(), common_words)
                    if span is None:
                        continue
                    lo, hi = span
                    start = offset + run.start() + lo
                    hi = run.start() + hi
                    initials = header_initials_after(masked, run, common_words)
                    if initials is not None:
                        hi = initials
                    results.append(RecognizerResult(E.PERSON, start, offset + hi, 0.85))
                for lo, hi in lower_case_header_names(masked, common_words, reject_words):
                    results.append(RecognizerResult(E.PERSON, offset + lo, offset + hi, 0.7))
            return results

    return HeaderNameRecognizer(supported_entities=[E.PERSON], name="HeaderNameRecognizer")


_LOWER_HEADER_WORD = r"[a-zß-öø-ÿ\u0100-\u024f][a-zß-öø-ÿ\u0100-\u024f'’-]{1,40}"
# Two or three lower-case words of one header entry: "john smith", "dasovich, jeff",
# "james d steffes". The first letter comes before the lookbehind (see
# `name_token_not_after`): `re` then skips ahead to the next lower-case letter.
LOWER_HEADER_RUN_RE = re.compile(
    r"[a-zß-öø-ÿ\u0100-\u024f](?<![\w@./'’-][\s\S])[a-zß-öø-ÿ\u0100-\u024f'’-]{1,40}"
    + r"(?:(?:[ \t]+|[ \t]*,[ \t]*)(?:[a-z]\.?[ \t]+)?"
    + _LOWER_HEADER_WORD
    + r"){1,2}(?![\w@./])"
)


def lower_case_header_names(
    value: str, common_words: frozenset[str], reject_words: frozenset[str]
) -> list[tuple[int, int]]:
    """Names a header writes in lower case ("From: john smith <...>", "To: dasovich, jeff"):
    a run of two or three words with a frequent census given name among them and no common,
    organisation, place or department word ("To: sales team", "To: all hands" stay).

    >>> value = "john smith <>; dasovich, jeff; sales team; mark to market"
    >>> [value[a:b] for a, b in lower_case_header_names(value, frozenset({"to"}), frozenset())]
    ['john smith', 'dasovich, jeff']
    """
    from curation.pii.lexicon import frequent_given_names

    found: list[tuple[int, int]] = []
    given = frequent_given_names()
    for run in LOWER_HEADER_RUN_RE.finditer(value):
        words = [w for w in re.split(r"[\s,]+", run.group()) if len(w.rstrip(".")) > 1]
        if any(w in common_words or w in reject_words or L.is_department_word(w) for w in words):
            continue
        if any(w in given for w in words):
            found.append(run.span())
    return found


# Two or three capitals that end a `Last , First` header entry in the place of the given name
# ("Lohman , TK"): people known by their initials are listed that way.
HEADER_INITIALS_RE = re.compile(r"[ \t]*,[ \t]*([A-Z]{2,3})(?=[ \t]*(?:[;,\0<(\[]|$))")


def header_initials_after(value: str, run: re.Match[str], common_words) -> int | None:
    r"""End of the initials that stand as the given name after a surname run of a header
    entry, or None. The run must end in a name word, not in an initial or a common word, and
    the capitals must be no acronym that ends messages ("FYI"), no common word ("IT", "US")
    and no suffix or role ("JR", "CFO").

    >>> run = re.match(r"\w+", "Lohman , TK ; Moore , Jan")
    >>> header_initials_after("Lohman , TK ; Moore , Jan", run, frozenset())
    11
    >>> run = re.match(r"\w+", "Lohman , IT")
    >>> header_initials_after("Lohman , IT", run, frozenset({"it"})) is None
    True
    """
    found = HEADER_INITIALS_RE.match(value, run.end())
    if found is None:
        return None
    last = run.group().rsplit(None, 1)[-1].rstrip(",")
    initials = found.group(1).lower()
    if len(last) < 2 or last.lower() in common_words:
        return None
    if initials in common_words or initials in NOT_INITIALS or initials in NAME_SUFFIXES:
        return None
    return found.end(1)


def _mask_header_part(match: re.Match[str]) -> str:
    """What a masked part of a header value becomes: quotes a space (a name's apostrophe,
    "Paul Y'Barbo", still joins its words), anything else (addresses, Notes paths) a character
    no run of names crosses: "Gulay Soykok / ENRON@enronXgate , Sean Riordan" holds two
    names, not one span over the mail system's path."""
    value = match.group()
    return " " if value in "\"'" else "\0" * len(value)


# Marks a distribution list in an address header ("DL - IT Calgary", "DG Sales Europe").
LIST_MARKERS = word_set("dl dg pdl")


def _list_or_team_prefix(value: str, at: int) -> bool:
    """Whether the header entry holding a run starts with a distribution-list marker or a
    department word before it: "DL - IT Calgary" is a mailing list named after a place.

    >>> _list_or_team_prefix("Zufferli , John ; DL - IT Calgary", 28)
    True
    >>> _list_or_team_prefix("Zufferli , John ; Ann Lee", 18)
    False
    """
    # the entry starts after the last separator before `at` (a backward search: a regex
    # anchored at `at` would try every earlier position, quadratic in a long header)
    start = max(value.rfind(";", 0, at), value.rfind(",", 0, at))
    prefix = value[start + 1 : at]
    return any(
        w.lower() in LIST_MARKERS or L.is_department_word(w)
        for w in re.findall(r"[^\W\d_]+", prefix)
    )


def _trim_common(run: str, common_words: frozenset[str]) -> tuple[int, int] | None:
    """Bounds of the name in `run`, or None when it holds none: the name sheds common words
    and punctuation at its ends but keeps the particles before its surname ("De Vries", whose
    "de" is a Dutch stop word); particles followed by a common or department word end it
    ("Müller von der Buchhaltung"); any other department word makes the run no person
    ("Customer Success", "The Marketing Team")."""
    tokens = [(m.start(), m.end()) for m in re.finditer(r"[^\s,]+", run)]
    words = [run[a:b] for a, b in tokens]
    for index in range(1, len(words)):
        if not is_particle(words[index]) or is_particle(words[index - 1]):
            continue
        after = index
        while after < len(words) and is_particle(words[after]):
            after += 1
        tail = words[after].rstrip(".").lower() if after < len(words) else ""
        if not tail or tail in common_words or L.is_department_word(tail):
            del tokens[index:], words[index:]
            break
    if any(L.is_department_word(w) for w in words):
        return None
    keep = [
        i
        for i, w in enumerate(words)
        if w.rstrip(".").lower() not in common_words
        and len(w.rstrip(".")) > 0
        and not is_particle(w)
    ]
    if not keep or all(len(words[i].rstrip(".")) == 1 for i in keep):
        return None
    first = keep[0]
    while first > 0 and is_particle(words[first - 1]):
        first -= 1
    return tokens[first][0], tokens[keep[-1]][1]


def group_name_recognizer(
    name: str,
    pattern: re.Pattern[str],
    score: float,
    common_words,
    reject_words: frozenset[str] = frozenset(),
    *,
    names: frozenset[str] | None = None,
):
    """Names captured by group `name` of `pattern` (signatures, titles, cues).

    Common words are trimmed from the ends; a capture holding any of `reject_words`
    (organisation and place words) is not a person; with `names`, a capture must hold a known
    name (see `has_known_name`).
    """
    LocalRecognizer, RecognizerResult = lean_imports.presidio("LocalRecognizer", "RecognizerResult")

    class GroupNameRecognizer(LocalRecognizer):
        def load(self) -> None:
            pass

        def analyze(self, text, entities, nlp_artifacts=None):
            results = []
            for match in pattern.finditer(text):
                group = next(g for g in NAME_GROUPS if match.group(g) is not None)
                value = match.group(group)
                if reject_words and any(
                    t.lower().rstrip(".") in reject_words for t in value.split()
                ):
                    continue
                if not has_known_name(value, names, common_words):
                    continue
                span = _trim_common(value, common_words)
                if span is None:
                    continue
                start = match.start(group)
                results.append(RecognizerResult(E.PERSON, start + span[0], start + span[1], score))
            return results

    return GroupNameRecognizer(supported_entities=[E.PERSON], name=name)


def deny_list_recognizer(entity: str, values: Sequence[str], *, case_sensitive: bool, score=1.0):
    """Exact terms (an employee directory, customer names): Presidio's deny-list recognizer."""
    PatternRecognizer = lean_imports.presidio("PatternRecognizer")

    terms = sorted({v.strip() for v in values if v.strip()}, key=len, reverse=True)
    return PatternRecognizer(
        supported_entity=entity,
        name=f"DenyList_{entity}",
        deny_list=terms,
        deny_list_score=score,
        global_regex_flags=FLAGS if case_sensitive else FLAGS | re.IGNORECASE,
    )


def custom_pattern_recognizer(spec, index: int):
    """A recognizer declared in the spec (`pii.recognizers[i]`)."""
    PatternRecognizer = lean_imports.presidio("PatternRecognizer")

    flags = FLAGS if spec.case_sensitive else FLAGS | re.IGNORECASE
    patterns = [_pattern(f"custom_{index}_{i}", p, spec.score) for i, p in enumerate(spec.patterns)]
    if spec.require_context:
        return context_required_recognizer(
            spec.entity, f"Custom_{index}_{spec.entity}", spec.patterns, spec.context, spec.score
        )
    return PatternRecognizer(
        supported_entity=spec.entity,
        name=f"Custom_{index}_{spec.entity}",
        patterns=patterns,
        context=list(spec.context) or None,
        global_regex_flags=flags,
    )


# National ids (US SSN, UK NINO, DE Steuer-ID, ...) come from `curation.pii.national_ids`,
# which also reads them with separators; Presidio's IBAN stays for lower-case IBANs.
STOCK_ENTITIES = (E.CREDIT_CARD, E.IBAN_CODE, E.IP_ADDRESS)


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of card numbers.

    Examples
    --------
    >>> luhn_ok("4111111111111111"), luhn_ok("4111111111111112")
    (True, False)
    """
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


# 12-19 digits, whole or in groups: Presidio's card pattern misses 19-digit Visa, Mir (2xxx),
# 15-digit JCB (2131/1800) and 12-digit Maestro numbers.
CARD_RE = r"(?<![\d+-])(?:\d[ -]?){11,18}\d(?![\d-])"
CARD_PREFIXES = ("2", "3", "4", "5", "6", "1800", "0604")


def credit_card_recognizer():
    """Card numbers of 12-19 digits with a known issuer prefix and a valid Luhn checksum."""
    PatternRecognizer = lean_imports.presidio("PatternRecognizer")

    class CardRecognizer(PatternRecognizer):
        def validate_result(self, pattern_text: str) -> bool:
            digits = re.sub(r"[ -]", "", pattern_text)
            groups = re.split(r"[ -]", pattern_text)
            # Separators, when present, split numbers the way cards print (groups of 3 to 6).
            if len(groups) > 1 and not all(3 <= len(g) <= 6 for g in groups):
                return False
            return digits.startswith(CARD_PREFIXES) and luhn_ok(digits)

    return CardRecognizer(
        supported_entity=E.CREDIT_CARD,
        name="CurateCreditCardRecognizer",
        patterns=[_pattern("card", CARD_RE, 0.3)],
        context=["card", "credit", "visa", "mastercard", "amex", "cc", "kreditkarte", "carte"],
        global_regex_flags=FLAGS,
    )


def iban_recognizer():
    """Presidio's IBAN recognizer (country formats + mod-97), also for lower-case IBANs."""
    IbanRecognizer = lean_imports.presidio("IbanRecognizer")

    class CaseInsensitiveIban(IbanRecognizer):
        # The engine's RE2 prefilter must ignore case: the patterns read the upper-cased text.
        matches_upper_cased = True

        def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
            upper = text.upper()
            # Offsets stay valid only when upper-casing keeps the length (not for "ß").
            source = upper if len(upper) == len(text) else text
            return super().analyze(source, entities, nlp_artifacts, regex_flags)

    return CaseInsensitiveIban()


@functools.cache
def stock_recognizers() -> dict[str, object]:
    """Presidio's own recognizers for the checksummed or fixed-format types."""
    IpRecognizer = lean_imports.presidio("IpRecognizer")

    return {
        E.CREDIT_CARD: credit_card_recognizer(),
        E.IBAN_CODE: iban_recognizer(),
        E.IP_ADDRESS: IpRecognizer(),
    }
