"""Small real inputs for the dedup tests: random prose with controlled edits."""

from __future__ import annotations

import re

import numpy as np
import pytest

WORDS = [
    "policy",
    "travel",
    "leave",
    "budget",
    "review",
    "office",
    "team",
    "report",
    "contract",
    "vendor",
    "security",
    "access",
    "account",
    "process",
    "request",
    "approval",
    "manager",
    "employee",
    "training",
    "record",
    "system",
    "data",
    "meeting",
    "schedule",
    "project",
    "deadline",
    "customer",
    "service",
    "support",
    "quality",
    "update",
    "version",
    "draft",
    "final",
    "handbook",
    "guide",
    "page",
    "section",
    "rule",
    "exception",
    "holiday",
    "payment",
    "invoice",
    "benefit",
    "health",
    "safety",
]


def prose(seed: int, n_words: int = 300) -> str:
    """A deterministic text of `n_words` words with some punctuation and capitals."""
    rng = np.random.RandomState(seed)
    words = [WORDS[i] for i in rng.randint(0, len(WORDS), n_words)]
    words = [w.capitalize() if rng.rand() < 0.1 else w for w in words]
    return " ".join(w + ("." if rng.rand() < 0.08 else "") for w in words)


def edit(text: str, fraction: float, seed: int) -> str:
    """Replace about `fraction` of the words (a revision of the same page)."""
    rng = np.random.RandomState(seed)
    words = text.split(" ")
    for i in np.flatnonzero(rng.rand(len(words)) < fraction):
        words[i] = f"edited{rng.randint(1_000_000)}"
    return " ".join(words)


def reference_shingles(text: str | None, n: int) -> list[str]:
    """The ground truth's definition: lowercase \\w+ tokens, space-joined n-token windows."""
    tokens = re.findall(r"\w+", (text or "").lower())
    if 0 < len(tokens) < n:
        return [" ".join(tokens)]
    return [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


@pytest.fixture
def python_shingles():
    return reference_shingles


@pytest.fixture
def make_prose():
    return prose


@pytest.fixture
def make_edit():
    return edit
