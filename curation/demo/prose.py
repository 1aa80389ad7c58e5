"""A small document model (headings, paragraphs of sentences, lists, code, tables) and the
seeded assembly and revision of its prose.

Paragraphs keep their sentences separate so that a revision can edit a few words of a few
sentences: that is what makes two versions of a policy near-duplicates (word 5-gram Jaccard
around 0.8-0.95) rather than copies or strangers.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from curation.demo.slots import Filler


@dataclass
class Block:
    """One block of a document: kind is heading, paragraph, bullets, code or table."""

    kind: str
    sentences: list[str] = field(default_factory=list)  # paragraph sentences / bullet items
    text: str = ""  # heading text or code
    level: int = 1
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Doc:
    """A titled sequence of blocks with the people and dates it is attributed to."""

    title: str
    blocks: list[Block] = field(default_factory=list)
    author: str = ""
    lang: str = "en"

    def heading(self, text: str, level: int = 2) -> None:
        self.blocks.append(Block("heading", text=text, level=level))

    def paragraph(self, sentences: Sequence[str]) -> None:
        self.blocks.append(Block("paragraph", sentences=list(sentences)))

    def bullets(self, items: Sequence[str]) -> None:
        self.blocks.append(Block("bullets", sentences=list(items)))

    def code(self, text: str) -> None:
        self.blocks.append(Block("code", text=text))

    def table(self, rows: Sequence[Sequence[str]]) -> None:
        self.blocks.append(Block("table", rows=[list(r) for r in rows]))


class Deck:
    """Draws templates from a pool without repeats until the pool is exhausted.

    Real documents do not repeat sentences; repeats would also trip repetition filters.
    """

    def __init__(self, rng: random.Random, pool: Sequence[str]) -> None:
        self._rng = rng
        self._pool = list(pool)
        self._cards: list[str] = []

    def draw(self) -> str:
        if not self._cards:
            self._cards = list(self._pool)
            self._rng.shuffle(self._cards)
        return self._cards.pop()


def render(template: str, filler: Filler) -> str:
    """Fill one template's slots."""
    return template.format_map(filler)


def sentences(deck: Deck, filler: Filler, count: int) -> list[str]:
    """`count` rendered sentences from `deck`."""
    return [render(deck.draw(), filler) for _ in range(count)]


def plain_text(doc: Doc) -> str:
    """The document's text as an extractor would see it, one block per paragraph."""
    parts = [doc.title]
    for block in doc.blocks:
        if block.kind == "heading" or block.kind == "code":
            parts.append(block.text)
        elif block.kind == "paragraph":
            parts.append(" ".join(block.sentences))
        elif block.kind == "bullets":
            parts.extend(block.sentences)
        elif block.kind == "table":
            parts.extend(" ".join(row) for row in block.rows)
    return "\n\n".join(parts)


def revise(
    doc: Doc,
    rng: random.Random,
    *,
    substitutions: Sequence[tuple[str, str]],
    additions: Sequence[str],
    edits: int = 4,
) -> Doc:
    """A new revision of `doc`: a few reviewer's wording edits and one added sentence.

    Each edit replaces one whole-word occurrence in one sentence, so the revision changes a
    handful of 5-gram shingles, like a real tracked-changes pass.
    """
    new = copy.deepcopy(doc)
    slots = [
        (bi, si)
        for bi, block in enumerate(new.blocks)
        if block.kind in ("paragraph", "bullets")
        for si in range(len(block.sentences))
    ]
    rng.shuffle(slots)
    done = 0
    for bi, si in slots:
        if done >= edits:
            break
        sentence = new.blocks[bi].sentences[si]
        options = [
            (old, repl)
            for old, repl in substitutions
            if re.search(rf"\b{re.escape(old)}\b", sentence)
        ]
        if not options:
            continue
        old, repl = rng.choice(options)
        new.blocks[bi].sentences[si] = re.sub(rf"\b{re.escape(old)}\b", repl, sentence, count=1)
        done += 1
    paragraphs = [block for block in new.blocks if block.kind == "paragraph"]
    if paragraphs and additions:
        target = rng.choice(paragraphs)
        target.sentences.insert(rng.randrange(len(target.sentences) + 1), rng.choice(additions))
    return new
