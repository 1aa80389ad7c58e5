"""RE2 prefilters: a superset of each Python pattern, and detection unchanged by them."""

from __future__ import annotations

import random
import re
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pytest
import regex

from curation.pii import PiiConfig
from curation.pii import names as N
from curation.pii.engine import Redactor, get_redactor
from curation.pii.prefilter import re2_compiles, recognizer_prefilters, superset_re2


def re2_matches(pattern: str, texts: list[str]) -> list[bool]:
    return pc.match_substring_regex(pa.array(texts, pa.large_string()), pattern).to_pylist()


@pytest.mark.parametrize(
    ("pattern", "flags", "texts"),
    [
        (r"(?<![\w+])\d{3}-\d{2}-\d{4}(?![\w-])", 0, ["SSN 536-90-4399.", "x536-90-4399", "1-2"]),
        (r"\b(\d{2})([ ./-])\d{3}\2\d{3}\b", 0, ["86 095 742 719", "86.095.742", "86 095.742"]),
        (r"[^\s<>\"']+@[^\s<>]+", 0, ["a\u00a0b@c", "jane@x.org", "<@>", "a\u2003@b"]),
        (r"(?i:herr|frau)[ \t]+[A-ZÄÖÜ][a-zäöüß]+", 0, ["HERR Müller", "frau öz", "Herr Özil"]),
        (r"^[ \t>]*(?:From|To)[ \t]*:.*$", re.MULTILINE | re.IGNORECASE, ["x\n> from: a", "fr:"]),
        (r"[A-Z][\w'’.-]{0,40}[ \t]+\d{1,5}\b", 0, ["Straße\u0301 12", "Rue 5", "rue 5"]),
        (r"\D\W\S", 0, ["a b", "1 2", "é!x"]),
    ],
)
def test_prefilter_passes_every_text_the_pattern_matches(pattern, flags, texts):
    prefilter = superset_re2(pattern, flags)

    assert prefilter is not None and re2_compiles(prefilter)
    passed = re2_matches(prefilter, texts)
    for text, ok in zip(texts, passed, strict=True):
        if re.search(pattern, text, flags):
            assert ok, (pattern, text)


def test_prefilter_is_a_superset_on_random_text():
    alphabet = "aAzZ09 \t\n.-/@'’éÉßİı\u00a0\u2003_+()<>:ǅ𝐀"
    rng = random.Random(7)
    texts = [
        "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 30))) for _ in range(3000)
    ]
    redactor = get_redactor(PiiConfig())
    checked = 0
    for detector in redactor.profile("en").detectors + redactor.profile("de").detectors:
        patterns = getattr(detector.recognizer, "patterns", ())
        for prefilter, pattern in zip(detector.prefilters or (), patterns, strict=False):
            flags = detector.recognizer.global_regex_flags or 0
            # Presidio matches with the `regex` module; the engine's own patterns use `re`
            engines = (re.compile(pattern.regex, flags), regex.compile(pattern.regex, flags))
            passed = re2_matches(prefilter, texts)
            for text, ok in zip(texts, passed, strict=True):
                if any(e.search(text) for e in engines):
                    assert ok, (detector.recognizer.name, pattern.name, text)
                    checked += 1
    assert checked > 0


def test_constructs_without_a_safe_relaxation_give_no_prefilter():
    assert superset_re2(r"[^\W\d]", 0) is None
    assert superset_re2(r"(a)?(?(1)b|c)", 0) is None
    assert superset_re2(r"(?<=x)", 0) is None  # only a lookaround: nothing to filter on


def test_recognizers_with_patterns_get_prefilters():
    redactor = get_redactor(PiiConfig())
    named = {d.recognizer.name: d.prefilters for d in redactor.profile("en").detectors}

    for name in ("CurateIbanRecognizer", "CurateUsSsnRecognizer", "StreetAddressRecognizer"):
        assert named[name], name
    assert named["LexiconName"] is None  # no patterns: its coarse gate only
    assert recognizer_prefilters(object()) is None


def _letters() -> list[dict]:
    """Six generated business letters per language (bench/pii_letters.py, deterministic)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "bench" / "pii_letters.py"
    spec = importlib.util.spec_from_file_location("pii_letters", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("pii_letters", module)  # its dataclasses look their module up
    spec.loader.exec_module(sys.modules["pii_letters"])
    module = sys.modules["pii_letters"]
    return [row for lang in module.LANGS for row in module.letters(lang, 6, seed=3)]


def test_detection_is_the_same_with_and_without_prefilters(seeded_text):
    from dataclasses import replace

    rows = _letters()
    texts = [seeded_text, *(r["text"] for r in rows)]
    langs = [None, *(r["lang"] for r in rows)]
    cfg = PiiConfig()
    fast = get_redactor(cfg).detect(texts, langs=langs)
    plain = Redactor(cfg)
    for name in ("en", "de", "fr", "es", "it", "nl"):
        profile = plain.profile(name)
        detectors = tuple(replace(d, prefilters=None) for d in profile.detectors)
        plain._profiles[name] = replace(profile, detectors=detectors)

    assert plain.detect(texts, langs=langs) == fast


@pytest.mark.parametrize(
    "text",
    ["Met Sanne de ", "Jan van der ", "JoVan ", "l’", "d'", "Herr ", "x", "", "de\t\t", "DELLA "],
)
def test_particle_precheck_never_skips_a_particle_head(text):
    at = len(text)
    if N._PARTICLE_HEAD_RE.search(text, 0, at):
        assert N._ends_with_particle(text, at)
