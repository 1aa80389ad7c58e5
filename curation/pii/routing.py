"""Paragraphs in another language than their document get that language's rules.

An English e-mail quoting a German letter, a French contract with an English annex: one language
per document would read the German paragraph with English NER (capitalized nouns become
people) or the English annex with French rules. The paragraphs of documents with at least two
long ones are identified in one batched call (a document with one long paragraph cannot differ
from itself); a document whose confident paragraph languages differ is cut into runs of
paragraphs of one language, each redacted with its own profile, and put back together. Short paragraphs
(greetings, signatures, one-line headings) take the language of the paragraph before them, or
of the first identified one when they lead the document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Paragraphs shorter than this are too short for lid.176 to make a document mixed.
MIN_CHARS = 120
# Below this probability a paragraph keeps the language around it.
MIN_SCORE = 0.8
# In a mixed document, shorter paragraphs ("Sehr geehrte Damen und Herren,") take the language
# lid.176 gives them when it is this sure.
SHORT_MIN_CHARS = 20
SHORT_MIN_SCORE = 0.95
# A paragraph's language is read from its first characters: lid.176 is as sure of 400 as of
# 2,000, at a fifth of the cost.
ID_CHARS = 400
_BREAK_RE = re.compile(r"\n[ \t]*\n\s*")

Identify = Callable[[Sequence[str]], Sequence[tuple[str, float]]]


@dataclass(frozen=True)
class Pieces:
    """Texts cut where their language changes: `texts[k]` belongs to document `owner[k]`,
    read as `langs[k]`; concatenating a document's pieces in order gives it back."""

    texts: list[str]
    langs: list[str | None]
    owner: list[int]

    def routed(self, n: int) -> list[bool]:
        """Per document, whether it was cut into pieces of more than one language."""
        count = [0] * n
        for i in self.owner:
            count[i] += 1
        return [c > 1 for c in count]


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Bounds of blank-line separated paragraphs, each with the break after it: they tile the
    text.

    >>> text = "Hello\\n\\nWorld\\n"
    >>> [text[a:b] for a, b in paragraphs(text)]
    ['Hello\\n\\n', 'World\\n']
    """
    bounds, start = [], 0
    for match in _BREAK_RE.finditer(text):
        bounds.append((start, match.end()))
        start = match.end()
    if start < len(text) or not bounds:
        bounds.append((start, len(text)))
    return bounds


def split_by_language(
    texts: Sequence[str], langs: Sequence[str | None], identify: Identify
) -> Pieces:
    """Each text as one piece, or as runs of paragraphs of one language where confident
    paragraph languages differ (see the module docstring).

    >>> fake = lambda ps: [("de" if "Rechnung" in p else "en", 0.99) for p in ps]
    >>> en = "Please find the report attached, we discussed it on the call with the whole team. " * 2
    >>> de = "Anbei die Rechnung, wir haben sie mit dem ganzen Team im Gespräch besprochen. " * 2
    >>> pieces = split_by_language([en + "\\n\\n" + de + "\\n\\nGrüße"], ["en"], fake)
    >>> pieces.langs, pieces.owner, pieces.texts[1].endswith("Grüße")
    (['en', 'de'], [0, 0], True)
    """
    bounds = [paragraphs(t) if len(t) >= 2 * MIN_CHARS else [(0, len(t))] for t in texts]
    asked: list[tuple[int, int]] = []
    pieces: list[str] = []
    for i, parts in enumerate(bounds):
        if len(parts) < 2:
            continue
        stripped = [texts[i][a:b].strip() for a, b in parts]
        # a document is cut only where two long paragraphs differ
        if sum(len(piece) >= MIN_CHARS for piece in stripped) < 2:
            continue
        for k, piece in enumerate(stripped):
            if len(piece) >= SHORT_MIN_CHARS:
                asked.append((i, k))
                pieces.append(piece)
    found: dict[tuple[int, int], tuple[str, bool]] = {}
    if asked:
        heads = [piece[:ID_CHARS] for piece in pieces]
        for key, piece, (lang, score) in zip(asked, pieces, identify(heads), strict=True):
            long = len(piece) >= MIN_CHARS
            if score >= (MIN_SCORE if long else SHORT_MIN_SCORE):
                found[key] = (lang, long)
    out = Pieces([], [], [])
    for i, (text, parts) in enumerate(zip(texts, bounds, strict=True)):
        marks = [found.get((i, k)) for k in range(len(parts))]
        known = [mark[0] if mark else None for mark in marks]
        if len({mark[0] for mark in marks if mark and mark[1]}) < 2:
            out.texts.append(text)
            out.langs.append(langs[i])
            out.owner.append(i)
            continue
        current = next(lang for lang in known if lang is not None)
        runs: list[tuple[int, int, str]] = []
        for (start, end), lang in zip(parts, known, strict=True):
            current = lang or current
            if runs and runs[-1][2] == current:
                runs[-1] = (runs[-1][0], end, current)
            else:
                runs.append((start, end, current))
        for start, end, lang in runs:
            out.texts.append(text[start:end])
            out.langs.append(lang)
            out.owner.append(i)
    return out
