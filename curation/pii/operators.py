"""Turn detected spans into redacted text: overlap resolution and the per-entity actions.

Presidio's anonymizer does the same job one text at a time through operator objects; this is a
single slice-and-join per document, which matters when the stage runs over millions of them.
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import os
import re
from pathlib import Path
from typing import NamedTuple

from curation.pii.config import PiiConfig
from curation.pii.exceptions import PseudonymKeyError


class Span(NamedTuple):
    """One detection: character range, entity type, confidence and overlap priority."""

    start: int
    end: int
    entity: str
    score: float
    priority: int


def resolve_overlaps(spans: list[Span]) -> list[Span]:
    """Non-overlapping spans, higher priority then longer span first; sorted by start.

    Examples
    --------
    >>> a = Span(0, 10, "PERSON", 0.8, 40)
    >>> b = Span(5, 20, "EMAIL_ADDRESS", 0.9, 90)
    >>> [s.entity for s in resolve_overlaps([a, b])]
    ['EMAIL_ADDRESS']
    """
    starts: list[int] = []  # chosen spans, kept sorted by start; they never overlap
    chosen: list[Span] = []
    for span in sorted(spans, key=lambda s: (-s.priority, -(s.end - s.start), s.start)):
        i = bisect.bisect_left(starts, span.start)
        if i > 0 and chosen[i - 1].end > span.start:
            continue
        if i < len(chosen) and chosen[i].start < span.end:
            continue
        starts.insert(i, span.start)
        chosen.insert(i, span)
    return chosen


def load_key(cfg: PiiConfig) -> bytes | None:
    """The pseudonymization key from `cfg.key_file` or `$cfg.key_env`; None when not needed."""
    if not cfg.needs_key:
        return None
    if cfg.key_file:
        path = Path(cfg.key_file).expanduser()
        if not path.is_file():
            raise PseudonymKeyError(
                f"pii.key_file {path} does not exist: create it with a secret of at least 16 "
                "bytes (e.g. `openssl rand -hex 32 > FILE`) or set pii.key_env instead"
            )
        key = path.read_bytes().strip()
    else:
        key = os.environ.get(cfg.key_env, "").encode()
    if len(key) < 16:
        raise PseudonymKeyError(
            f"pseudonymize needs a secret key of at least 16 bytes: export {cfg.key_env}=... "
            "(e.g. `openssl rand -hex 32`) or set pii.key_file; the key must stay outside the data"
        )
    return key


def pseudonym(entity: str, value: str, key: bytes) -> str:
    """Keyed, stable replacement: the same value (case- and space-insensitive) maps alike.

    Examples
    --------
    >>> k = b"0123456789abcdef"
    >>> pseudonym("PERSON", "Jane  Doe", k) == pseudonym("PERSON", "jane doe", k)
    True
    """
    normalized = " ".join(value.casefold().split())
    digest = hmac.new(key, f"{entity}\x00{normalized}".encode(), hashlib.sha256).hexdigest()
    return f"<{entity}_{digest[:10]}>"


_NON_SPACE = re.compile(r"\S")


def apply_spans(text: str, spans: list[Span], cfg: PiiConfig, key: bytes | None) -> str:
    """`text` with every span replaced according to its entity's action."""
    if not spans:
        return text
    parts: list[str] = []
    cursor = 0
    for span in spans:
        action = cfg.action_for(span.entity)
        if action == "keep":
            continue
        value = text[span.start : span.end]
        if action == "mask":
            replacement = _NON_SPACE.sub(cfg.mask_char, value)
        elif action == "pseudonymize":
            replacement = pseudonym(span.entity, value, key or b"")
        else:
            replacement = f"<{span.entity}>"
        parts.append(text[cursor : span.start])
        parts.append(replacement)
        cursor = span.end
    parts.append(text[cursor:])
    return "".join(parts)
