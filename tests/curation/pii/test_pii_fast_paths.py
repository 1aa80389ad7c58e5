"""Faster forms of patterns and recognizers give exactly what the plain forms give."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from presidio_analyzer import PatternRecognizer

from curation.pii import languages as LANG
from curation.pii import lexicon as L
from curation.pii import names as N
from curation.pii import recognizers as R
from curation.pii.engine import _allow_pattern, _alternation_re2, _packaged_allow_list
from curation.pii.prefilter import matches_or_none, take, text_column

NAME = R.NAME_TOKEN
WORDS = tuple(
    [
        "Ann",
        "Bob",
        "Dee-Ann",
        "O'Neil",
        "McEwan",
        "İsmail",
        "Ärzte",
        "ſir",
        "Mr",
        "MRS.",
        "Dr.",
        "Herr",
        "Prof.",
        "my",
        "name",
        "is",
        "Hi",
        "hey",
        "thanks",
        "THANK",
        "YOU",
        "called",
        "and",
        "or",
        "&",
        ",",
        "x.",
        "@",
        "/",
        "-",
        "J.",
        "J",
        "jane@x.com",
        "a.b@c.org",
        "/O=ENRON/OU=NA/CN=JS",
        "chuck",
        ".",
        "paul",
        "@",
        "a-closer-look",
        ".",
        "com",
        "Tana",
        "Jones@ENRON",
        "shouted",
        "lives",
        "Docker",
        "Hub",
        "Red",
        "Hat",
        "Jones,",
        "Mitchell",
        "and",
        "Williams",
        "at",
        "of",
        "LLP",
        "'s",
        "’s",
        "'",
        "’",
    ]
)


def _texts(n: int, seed: int) -> list[str]:
    """Random texts made of name-like words, cue words, separators and odd characters."""
    rng = random.Random(seed)
    glue = (" ", "", " \t", "\n", ", ", ".", "-", "\n\n")
    alphabet = "aAbBzZéÉ '’-./@,\t\nMcOx&_0İıſ\u212a"
    out = []
    for _ in range(n):
        if rng.random() < 0.5:
            out.append(
                "".join(rng.choice(WORDS) + rng.choice(glue) for _ in range(rng.randrange(12)))
            )
        else:
            out.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(40))))
    return out


TEXTS = _texts(6000, 3)


def _spans(pattern: re.Pattern[str], texts=TEXTS) -> list:
    return [
        [(m.span(), m.groups()) for m in pattern.finditer(t)]
        + [m.span() for m in pattern.finditer(t, 2, max(2, len(t) - 1))]
        for t in texts
    ]


def _plain_title_name_re(titles) -> str:
    """`recognizers.title_name_re` without salutations, as a plain alternation."""
    return (
        r"\b(?i:"
        + "|".join(titles)
        + r")\.?"
        + R.ACADEMIC
        + r"[ \t]+(?P<name>(?:"
        + R.INITIALS
        + r")?"
        + R.NAME_PART
        + r"(?:[ \t]+(?:"
        + R.INITIAL
        + r"[ \t]+)?"
        + NAME
        + r")?(?:[ \t]+"
        + R.PARTICLES
        + NAME
        + r"(?:[ \t]+"
        + NAME
        + r")?)?)"
    )


@pytest.mark.parametrize(
    ("fast", "plain"),
    [
        (N.CANDIDATE_RE, r"(?<![\w@./])" + NAME + r"(?![\w@])"),
        (L.TITLE_RE, r"(?<![\w@./'’-])" + NAME + r"(?![\w@])"),
        (
            N.SLASH_PAIR_RE,
            r"(?<![\w@./])(" + NAME + r")/(" + NAME + r")(?![\w@/])",
        ),
        (
            N.LIST_RE,
            r"(?<![\w@./])(?<!,[ \t])" + NAME + r"(?:,[ \t]+" + NAME + r")+,?[ \t]+"
            r"(?:and|or|&)[ \t]+" + NAME,
        ),
        (
            R.MIDDLE_INITIAL_RE,
            r"(?<![\w@./])(?P<name>" + NAME + r"[ \t]+[A-Z]\.?[ \t]+" + NAME + r")(?![\w@])",
        ),
        (
            R.PERSON_CUE_RE,
            r"\b(?i:"
            + "|".join(R.PERSON_CUES)
            + r")[ \t]+(?P<name>"
            + NAME
            + r"(?:[ \t]+(?:"
            + R.INITIAL
            + "|"
            + R.NAME_PART
            + r")){0,2})(?![\w@])",
        ),
        (R.TITLE_NAME_RE, _plain_title_name_re(LANG.titles(LANG.ENGLISH))),
    ],
)
def test_fast_pattern_matches_like_the_plain_one(fast, plain):
    assert fast.pattern != plain
    assert _spans(fast) == _spans(re.compile(plain, fast.flags))


def test_cue_words_class_holds_every_case_fold():
    everything = "".join(map(chr, range(0x110000))).replace("\n", "")
    for letter in "abcdefghijklmnopqrstuvwxyz":
        folds = set(re.findall("(?i)" + letter, everything))
        assert folds == set(letter + letter.upper() + R._CASE_FOLDS.get(letter, "")), letter


def test_allow_list_pattern_matches_like_the_plain_one():
    terms = sorted(set(_packaged_allow_list()), key=len, reverse=True)
    fast = _allow_pattern(terms)
    plain = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, terms)) + r")(?!\w)", re.IGNORECASE)
    texts = TEXTS + [" ".join(random.Random(i).sample([*terms, *WORDS], 8)) for i in range(500)]
    assert fast.pattern != plain.pattern
    assert _spans(fast, texts) == _spans(plain, texts)
    assert _allow_pattern(["1Password", "Acme"]).flags & re.IGNORECASE  # plain form kept


def test_email_recognizer_gives_presidios_results():
    fast = R.email_recognizer()
    plain = PatternRecognizer(
        supported_entity="EMAIL_ADDRESS",
        name=fast.name,
        patterns=fast.patterns,
        global_regex_flags=fast.global_regex_flags,
    )

    def results(recognizer, text):
        return [
            (r.start, r.end, r.score, r.analysis_explanation.pattern_name)
            for r in recognizer.analyze(text, ["EMAIL_ADDRESS"])
        ]

    texts = TEXTS + ["x\n.abby@enron.com\na@b.co a@b.co.uk\nTana Jones@ENRON x@y.com"]
    assert [results(fast, t) for t in texts] == [results(plain, t) for t in texts]


def test_firm_spans_read_only_lines_with_and():
    given = frozenset({"ann", "bob"})
    for text in TEXTS:
        N.firm_spans.cache_clear()
        expected = []
        if " and " in text or "&" in text:
            for match in N.FIRM_RE.finditer(text):
                org = match.group("org")
                is_org = org is not None and org.lower() in N.ORG_GEO_WORDS | N.SUFFIX_WORDS
                if not (match.group("cue") or is_org):
                    continue
                items = [t.strip(" ,") for t in re.split(r",|\band\b|&", match.group("list"))]
                if sum(t.casefold() in given for t in items) * 2 < len(items) or is_org:
                    expected.append(match.span("list"))
        assert list(N.firm_spans(text, given)) == expected


def test_strip_possessive_is_the_regex_substitution():
    rng = random.Random(1)
    for _ in range(20000):
        word = "".join(rng.choice("ab's’S") for _ in range(rng.randrange(6)))
        assert L.strip_possessive(word) == L.POSSESSIVE_RE.sub("", word)


def _plain_name_like_neighbours(text, people):
    """`names.name_like_neighbours` as it was: every span, no precheck."""
    found = []
    for start, end in people:
        after = N._NEXT_WORD_RE.match(text, end)
        if after and after.group(1).lower() in N.NAME_LIKE_COMMON:
            found.append(after.span(1))
        line_start = max(text.rfind("\n", 0, start) + 1, start - 40)
        before = N._PREV_WORD_RE.search(text, line_start, start)
        if before and before.group(1).lower() in N.NAME_LIKE_COMMON:
            found.append(before.span(1))
    for start, end in people:
        after = N._PARTICLE_TAIL_RE.match(text, end)
        if after and after.group("surname").casefold() not in N._never_surname():
            found.append(after.span("tail"))
        if not N._ends_with_particle(text, start):
            continue
        line_start = max(text.rfind("\n", 0, start) + 1, start - 60)
        before = N._PARTICLE_HEAD_RE.search(text, line_start, start)
        if before is None:
            continue
        particles = before.group("particles")
        if particles[0].islower() and len(particles.split()) < 2:
            continue
        head = before.start("particles")
        given = before.group("given")
        if given and given.casefold() not in N._never_given() and particles[0].islower():
            head = before.start("given")
        found.append((head, before.start("particles") + len(particles.rstrip())))
    return found


def test_name_like_neighbours_find_the_same_neighbours():
    words = [*WORDS, "May", "Will", "June", "van", "de", "Wit", "der", "Berg", "De", "Vries"]
    rng = random.Random(9)
    for _ in range(5000):
        text = "".join(rng.choice(words) + rng.choice((" ", "\n", "\t", "")) for _ in range(12))
        people = [m.span() for m in N.CANDIDATE_RE.finditer(text)]
        people += people[: rng.randrange(len(people) + 1)]  # names found twice
        found = N.name_like_neighbours(text, people)
        plain = _plain_name_like_neighbours(text, people)
        # the same spans, first found in the same order; only repeats are gone
        assert list(dict.fromkeys(found)) == list(dict.fromkeys(plain))


def test_text_column_and_matches_without_pandas():
    texts = ["ab", "", "é@x", "x" * 3]
    column = text_column(texts)
    assert column.type == pa.large_string()
    assert column.to_pylist() == texts
    assert matches_or_none(column, "@").tolist() == [False, False, True, False]
    sliced = take(column, np.array([3, 2]))
    assert matches_or_none(sliced, "x").tolist() == [True, True]
    assert matches_or_none(column, "(?<=a)b") is None  # RE2 has no lookbehind


def test_prefilter_alternation_is_the_union():
    patterns = ("(?i)(?:ab)", "c[0-9]", "(?i)(?:é)")
    texts = ["AB", "c1", "É", "c", "xab", ""]
    column = text_column(texts)
    union = np.zeros(len(texts), bool)
    for pattern in patterns:
        union |= matches_or_none(column, pattern)
    assert matches_or_none(column, _alternation_re2(patterns)).tolist() == union.tolist()


def test_redact_command_imports_neither_polars_nor_pandas(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": 1, "text": "Mail jane.doe@example.com"}\n', encoding="utf-8")
    code = (
        "import sys\n"
        "from curation.pii.config import PiiConfig\n"
        "from curation.pii.files import redact_file\n"
        "from flows.commands.redact import identify_languages\n"
        f"redact_file({str(source)!r}, {str(tmp_path / 'out.jsonl')!r}, PiiConfig(ner=False),"
        " identify=identify_languages)\n"
        "print(sorted(m for m in ('polars', 'pandas') if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_lid_cap_is_the_one_filters_use():
    from filters.langid import MAX_CHARS
    from flows.commands.redact import LID_MAX_CHARS

    assert LID_MAX_CHARS == MAX_CHARS


def test_model_dictionary_cache_gives_the_index_words(tmp_path, monkeypatch):
    from spacy.util import get_package_path

    from curation.pii import engine
    from curation.pii.config import DEFAULT_NER_MODELS

    model = DEFAULT_NER_MODELS[LANG.ENGLISH]
    expected = engine._lemma_words(sorted(get_package_path(model).glob("**/lemmatizer/lookups")))
    monkeypatch.setattr(L, "cache_dirs", lambda: [tmp_path])
    engine.model_dictionary.cache_clear()
    try:
        built = engine.model_dictionary(model)
        written = list(tmp_path.glob("model-dictionary-*.txt"))
        engine.model_dictionary.cache_clear()
        monkeypatch.setattr(engine, "_lemma_words", lambda _: pytest.fail("read again"))
        cached = engine.model_dictionary(model)
    finally:
        engine.model_dictionary.cache_clear()

    assert len(written) == 1
    assert built == cached == expected
    assert "outage" in cached


def _plain_find_name_tokens(text, tokens):
    """`names.find_name_tokens` as it was: every token searched for."""
    hits = []
    for word in {v for t in tokens for v in (t, t.upper())}:
        at = text.find(word)
        while at != -1:
            end = at + len(word)
            before = text[at - 1] if at else " "
            after = text[end] if end < len(text) else " "
            if not (before.isalnum() or before in "_@.") and not (after.isalnum() or after in "_@"):
                hits.append((at, end))
            at = text.find(word, at + 1)
    hits.sort(key=lambda h: (h[0], -h[1]))
    found = []
    for start, end in hits:
        if not found or start >= found[-1][1]:
            found.append((start, end))
    return found


def test_find_name_tokens_skips_only_tokens_that_cannot_occur():
    words = ["Ann", "ANN", "Anna", "O'Neil", "Dee-Ann", "ann", "Ä", "ä", "ß", "SS", "İ", "1"]
    seps = ["", " ", ".", "_", "@", "-", "\n"]
    rng = random.Random(4)
    for _ in range(20000):
        text = "".join(rng.choice(words) + rng.choice(seps) for _ in range(rng.randrange(12)))
        tokens = set(rng.sample(words, 4))
        assert N.find_name_tokens(text, tokens) == _plain_find_name_tokens(text, tokens)
