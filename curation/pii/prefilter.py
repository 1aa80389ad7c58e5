"""RE2 prefilters: which texts of a batch can hold a match of a Python regex, column-wise.

Most recognizer patterns (national ids, IBANs, IP addresses, street shapes) match in few
documents, yet Python's `re` (and Presidio's `regex`) scans every character of every document
for each of them. Arrow's RE2 kernel answers "does this text contain a match?" for a whole
column at a fraction of that cost, so each recognizer runs only on the texts its prefilter
passes.

A prefilter is a *superset* of the Python pattern: every text the pattern matches passes it.
It is derived from the parsed Python pattern by keeping what RE2 can express and relaxing what
it cannot: lookarounds and word boundaries are dropped (a pattern without a condition matches
at least where it matched with it), a back reference becomes its group's pattern, `\\d`, `\\w`
and `\\s` become Unicode classes at least as wide as those of `re` and `regex` (and, inside a
negated class, no wider than either), `$` matches before any newline. A construct without a
safe relaxation (`[^\\W\\d]`, conditional groups) gives no prefilter, and the recognizer runs
on every text its coarse gate passes, as before.

Examples
--------
>>> superset_re2(r"(?<![\\w+])\\d-\\d\\b", 0)
'(?:[\\\\pN]\\\\x{2d}[\\\\pN])'
>>> superset_re2(r"(a)\\1", 0)
'(?:(?:\\\\x{61})(?:\\\\x{61}))'
>>> superset_re2(r"[^\\W\\d]", 0) is None
True
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from re import _constants as C  # the parser `re` itself uses (Python >= 3.11)
from re import _parser as P

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Classes at least as wide as those of `re` and of the `regex` module (which Presidio runs):
# `re`'s \w is letters, numbers and "_", `regex`'s also marks, connector punctuation, joiners
# and alphabetic symbols (circled letters); \d is a decimal digit; \s what `str.isspace`
# accepts or Unicode's White_Space.
_WIDE = {
    C.CATEGORY_DIGIT: r"\pN",
    C.CATEGORY_WORD: r"\pL\pN\pM\pS\p{Pc}_\x{200c}\x{200d}",
    C.CATEGORY_SPACE: r"\s\pZ\x{1c}-\x{1f}\x{85}",
}
# Classes no wider than either engine's, for negations: [^\s<>] must exclude no more than
# Python excludes. \s here is the characters both `re` and `regex` call white space.
_NARROW = {
    C.CATEGORY_DIGIT: r"\p{Nd}",
    C.CATEGORY_WORD: r"\pL\p{Nd}_",
    C.CATEGORY_SPACE: r"\x{9}-\x{d}\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}"
    r"\x{202f}\x{205f}\x{3000}",
}
_NEGATED = {
    C.CATEGORY_NOT_DIGIT: C.CATEGORY_DIGIT,
    C.CATEGORY_NOT_WORD: C.CATEGORY_WORD,
    C.CATEGORY_NOT_SPACE: C.CATEGORY_SPACE,
}
# RE2 refuses counted repetitions above 1000; bounds above `_MAX_BOUNDED` are dropped.
_MAX_COUNT = 1000
_MAX_BOUNDED = 8


class _Unsupported(Exception):
    """A construct without a safe RE2 superset."""


def _char(code: int) -> str:
    return rf"\x{{{code:x}}}"


def _class(items: list, ignore_case: bool) -> str:
    negate = bool(items) and items[0][0] is C.NEGATE
    parts = []
    for op, value in items[1:] if negate else items:
        if op is C.LITERAL:
            parts.append(_char(value))
        elif op is C.RANGE:
            parts.append(f"{_char(value[0])}-{_char(value[1])}")
        elif op is C.CATEGORY and value in _WIDE:
            # a negated class excludes the narrow form, so it admits at least what Python does
            parts.append(_NARROW[value] if negate else _WIDE[value])
        elif op is C.CATEGORY and value in _NEGATED and len(items) == 1:
            parts.append("^" + _NARROW[_NEGATED[value]])  # \D, \W, \S alone
        else:
            raise _Unsupported(str(value if op is C.CATEGORY else op))
    if not parts:
        raise _Unsupported("empty class")
    return "[" + ("^" if negate else "") + "".join(parts) + "]"


def _repeat(body: str, low: int, high) -> str:
    # A long bounded repeat ("[\w'.-]{0,40}") blows up RE2's automaton (a class of thousands of
    # code points, forty times); unbounded it is a superset and stays small.
    if high is C.MAXREPEAT or high > _MAX_BOUNDED:
        if low > _MAX_COUNT:
            raise _Unsupported("count")
        return f"(?:{body}){{{low},}}"
    return f"(?:{body}){{{low},{high}}}"


def _emit(items: Iterable, flags: int, groups: dict[int, str] | None = None) -> str:
    """RE2 text of parsed `items`; `groups` collects each group's text for back references."""
    groups = {} if groups is None else groups
    out = []
    for op, value in items:
        if op is C.LITERAL:
            out.append(_char(value))
        elif op is C.NOT_LITERAL:
            out.append(f"[^{_char(value)}]")
        elif op is C.ANY:
            out.append("." if not flags & re.DOTALL else "(?s:.)")
        elif op is C.IN:
            out.append(_class(list(value), bool(flags & re.IGNORECASE)))
        elif op is C.BRANCH:
            out.append("(?:" + "|".join(_emit(b, flags, groups) for b in value[1]) + ")")
        elif op is C.SUBPATTERN:
            group, add, remove, body = value
            inner = _scoped(_emit(body, (flags | add) & ~remove, groups), add, remove)
            if group is not None:
                groups[group] = inner
            out.append(inner)
        elif op is C.GROUPREF:
            # any text the group's pattern matches, not only the same text: a superset
            out.append(groups[value])
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
            low, high, body = value
            out.append(_repeat(_emit(body, flags, groups), low, high))
        elif op is getattr(C, "ATOMIC_GROUP", None):
            out.append("(?:" + _emit(value, flags, groups) + ")")
        elif op in (C.ASSERT, C.ASSERT_NOT):
            continue  # dropped: the pattern without it matches wherever it matched with it
        elif op is C.AT:
            out.append(_anchor(value, flags))
        elif op is C.CATEGORY:
            out.append(_class([(C.CATEGORY, value)], bool(flags & re.IGNORECASE)))
        else:
            raise _Unsupported(str(op))
    return "".join(out)


def _scoped(inner: str, add: int, remove: int) -> str:
    on = "i" if add & re.IGNORECASE else ""
    off = "i" if remove & re.IGNORECASE else ""
    if not (on or off):
        return "(?:" + inner + ")"
    return f"(?{on}{'-' + off if off else ''}:{inner})"


def _anchor(value, flags: int) -> str:
    if value in (C.AT_BOUNDARY, C.AT_NON_BOUNDARY):
        return ""  # RE2's \b is ASCII-only; without it the pattern matches more, never less
    if value is C.AT_BEGINNING:
        return "(?m:^)" if flags & re.MULTILINE else r"\A"
    if value is C.AT_BEGINNING_STRING:
        return r"\A"
    if value in (C.AT_END, C.AT_END_STRING):
        # Python's $ also matches before a final newline: any line end is a superset
        return "(?m:$)"
    raise _Unsupported(str(value))


def superset_re2(pattern: str, flags: int) -> str | None:
    """An RE2 pattern that matches every text `re.compile(pattern, flags)` finds a match in,
    or None when no safe one is known (see the module docstring)."""
    try:
        parsed = P.parse(pattern, flags)
        all_flags = flags | parsed.state.flags
        body = _emit(parsed, all_flags)
    except (_Unsupported, re.error, RecursionError, TypeError, ValueError, KeyError):
        return None
    if not body:
        return None  # matches everywhere (only lookarounds): no filtering to gain
    prefix = "(?i)" if all_flags & re.IGNORECASE else ""
    return prefix + "(?:" + body + ")"


def recognizer_prefilters(recognizer, *, ignore_case: bool = False) -> tuple[str, ...] | None:
    """The prefilters of a Presidio `PatternRecognizer`, one per pattern (a text passes when
    any does), or None for a recognizer without patterns or with a pattern that has none.

    `ignore_case` for recognizers that change the text's case before matching.
    """
    patterns = getattr(recognizer, "patterns", None)
    if not patterns:
        return None
    flags = getattr(recognizer, "global_regex_flags", None) or 0
    if ignore_case:
        flags |= re.IGNORECASE
    out = []
    for pattern in patterns:
        one = superset_re2(pattern.regex, flags)
        if one is None:
            return None
        out.append(one)
    # Whether RE2 takes each one is found out when it first runs (`matches_or_none`): checking
    # here would compile every pattern once more.
    return tuple(out)


@functools.cache
def re2_compiles(pattern: str) -> bool:
    """True when Arrow's RE2 accepts `pattern` (checked once per pattern and process)."""
    return matches_or_none(text_column([""]), pattern) is not None


def text_column(texts: Sequence[str]) -> pa.Array:
    """Texts as one `large_string` Arrow array, built from its two buffers.

    `pa.array` imports pandas to check for pandas input (0.15-0.25 s of start-up) and polars
    takes 0.1 s to import: `curate redact` on JSONL needs neither.

    >>> text_column(["ab", "", "é"]).to_pylist()
    ['ab', '', 'é']
    """
    encoded = [text.encode("utf-8") for text in texts]
    offsets = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, encoded), np.int64, len(encoded)), out=offsets[1:])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(pa.large_string(), len(encoded), buffers)


def take(column: pa.Array, index: np.ndarray) -> pa.Array:
    """The rows `index` of `column` (without `pa.array`, see `text_column`)."""
    index = np.ascontiguousarray(index, np.int64)
    return column.take(pa.Array.from_buffers(pa.int64(), len(index), [None, pa.py_buffer(index)]))


def matches_or_none(column: pa.Array, pattern: str) -> np.ndarray | None:
    """One bool per text: does RE2 `pattern` match somewhere in it; None when RE2 refuses the
    pattern (then it filters nothing)."""
    try:
        found = pc.match_substring_regex(column, pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if found.null_count:
        found = pc.fill_null(found, False)
    # the bit-packed values, unpacked by numpy: pyarrow's own conversion imports pandas
    bits = np.frombuffer(found.buffers()[1], np.uint8)
    count = len(found) + found.offset
    return np.unpackbits(bits, count=count, bitorder="little")[found.offset :].astype(bool)
