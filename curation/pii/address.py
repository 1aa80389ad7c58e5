"""The locality after a street address: city, region, postal code and country.

The street recognizers stop at the street ("1634 Rua do Arenque, Apt. 12"); the lines after it
("Goiânia  GO  Brazil 74000") are as identifying and, left alone, read to NER like a person
("Dolores", "Salvador", "Warwick"). An address tail is taken only up to an anchor that no
sentence has right after an address: a postal code, a state or region code before a postal
code, or a country name. Without an anchor nothing is added, so "1400 Smith Street. Dear John"
stays as it was.
"""

from __future__ import annotations

import bisect
import functools
import logging
import re

from curation.pii import entities as E
from curation.pii.operators import Span

log = logging.getLogger(__name__)

# How far after the street the locality may reach.
TAIL_CHARS = 90
_ADDRESS_PRIORITY = E.PRIORITY[E.STREET_ADDRESS]
_SEPARATOR = r"(?:[ \t\n]*(?:,|>|\?{3}|;|\|)[ \t\n]*|[ \t]*\n[ \t\n]*|[ \t]+)"
_PLACE_WORD = (
    r"(?:[A-ZÀ-ÖØ-Þ\u0100-\u024f][\w'’.-]*|(?:de|del|da|do|dos|das|di|du|la|le|les|el|"
    r"nad|pod|am|an|der|den|sur|sous|upon|on|u|e|y|i)(?=[ \t]))"
)
_PLACE = rf"{_PLACE_WORD}(?:[ \t]+{_PLACE_WORD}){{0,5}}"
_POSTAL = (
    r"(?:\d{3,6}(?:-\d{3,4})?|[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}|[A-Z]\d[A-Z][ \t]?\d[A-Z]\d"
    r"|\d{4}[ \t]?[A-Z]{2}|[A-Z]{1,2}-\d{4,5})"
)


@functools.cache
def _country_names() -> tuple[str, ...]:
    """English names of the world's countries and territories (CLDR via Babel, offline)."""
    names = {"USA", "U.S.A.", "UK", "U.K.", "United States of America"}
    try:
        from babel import Locale

        territories = Locale("en").territories
        names.update(name for code, name in territories.items() if code.isalpha())
    except ImportError:  # Babel is a locked dependency; say so if an install lacks it
        log.warning("babel is not installed: address tails end only on postal codes")
    return tuple(sorted(names, key=len, reverse=True))


@functools.cache
def _tail_re() -> re.Pattern[str]:
    country = "|".join(re.escape(name) for name in _country_names())
    anchor = (
        rf"(?:(?:{country})(?:[ \t]+\([^)\n]{{1,20}}\))?(?![\w])(?:[ \t,]+{_POSTAL}(?!\w))?"
        rf"|[A-Z]{{2,3}}[ \t]+{_POSTAL}(?!\w)|{_POSTAL}(?![\w]))"
    )
    segment = rf"(?:{anchor}|{_PLACE}(?:,?[ \t]+{anchor})?)"
    # Up to four segments, the most that end on an anchor (backtracking trims what follows).
    return re.compile(
        rf"(?:{_SEPARATOR}{segment}){{0,3}}{_SEPARATOR}(?:{anchor}|{_PLACE}"
        rf",?[ \t]+{anchor})"
    )


def extend_address_tails(text: str, spans: list[Span]) -> list[Span]:
    """Each STREET_ADDRESS span grown over the locality after it, when that ends in an anchor."""
    if not any(s.entity == E.STREET_ADDRESS for s in spans):
        return spans
    pattern = _tail_re()
    # A tail never reaches into a detection that would win over the address (a phone number
    # or an id in the next paragraph): the whole address would lose to it.
    stronger = sorted(s.start for s in spans if s.priority > _ADDRESS_PRIORITY)
    out = []
    for span in spans:
        if span.entity == E.STREET_ADDRESS:
            stop = min(len(text), span.end + TAIL_CHARS)
            after = bisect.bisect_left(stronger, span.end)
            if after < len(stronger):
                stop = min(stop, stronger[after])
            window = text[:stop]
            tail = pattern.match(window, span.end)
            if tail is not None and tail.end() > span.end:
                span = span._replace(end=tail.end())
        out.append(span)
    return out
