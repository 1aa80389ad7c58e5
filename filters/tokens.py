"""Words as the published rules count them, computed once per distinct chunk of a batch.

Gopher, FineWeb and C4 (as datatrove implements them for English) count words with spaCy's
English tokenizer (`spacy.blank("en")`), whose prefix/suffix/infix rules turn Markdown's `##`
into two symbol words and `well-known` into three words. Approximating those rules would
disagree at the margins, and the thresholds sit at those margins. spaCy's tokenizer never looks
across whitespace, so a batch is split into whitespace-separated chunks (column-wise, in
polars) and each *distinct* chunk is tokenized once (Zipf: 3.9 M chunks, 293 k distinct on the
enterprise corpus). Two thirds of the distinct chunks (words with punctuation around them) go
through a vectorized fast path whose character sets are derived from the live tokenizer and
which matches spaCy on every one of the corpus's 191 k such chunks; the rest (code, URLs, CJK)
go to spaCy itself. Per-token flags are computed once per distinct token, column-wise.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from filters.published import PUNCTUATION_SET, STOP_WORDS

# Python's str.split()/isspace() also split on these separators; Rust's \s does not.
EXTRA_SPACES = r"[\x1c-\x1f]"
CHUNK_PATTERN = r"\S+"
# chunks tokenized per spaCy call: bounds the size of one Doc
_BLOCK = 100_000

TOKEN_KIND_OTHER = 0  # punctuation that is not a sentence-final mark: ) " ,
TOKEN_KIND_PLAIN = 1  # not punctuation: starts a new sentence after a final mark
TOKEN_KIND_FINAL = 2  # a sentence-final mark of spaCy's Sentencizer: . ! ?


@functools.cache
def _tokenizer():
    """spaCy's rule-based English tokenizer, as `spacy.blank("en").tokenizer` is built; no
    model, nothing downloaded.

    Built from the English defaults as spaCy's own tokenizer factory builds it, without the
    `Language` around it: its constructor imports every package that registers spaCy
    factories (Presidio among them, a quarter of a second) for a tokenizer that uses none.
    """
    from spacy import util
    from spacy.lang.en import English
    from spacy.tokenizer import Tokenizer
    from spacy.vocab import create_vocab

    defaults = English.Defaults
    vocab = create_vocab("en", defaults)
    # Lexical attributes (shape, like_num, ...) are computed for every new token string and
    # cost a third of the tokenizer's time; the rules only need the token text.
    vocab.lex_attr_getters = {}
    suffix_search = util.compile_suffix_regex(defaults.suffixes).search
    return Tokenizer(
        vocab,
        rules=defaults.tokenizer_exceptions,
        prefix_search=util.compile_prefix_regex(defaults.prefixes).search,
        suffix_search=windowed_suffix_search(suffix_search, defaults.suffixes),
        infix_finditer=util.compile_infix_regex(defaults.infixes).finditer,
        token_match=defaults.token_match,
        url_match=defaults.url_match,
    )


def windowed_suffix_search(search: Callable[..., Any], suffixes: Sequence[str]):
    """`search` (spaCy's compiled suffix regex: alternatives each ending in `$`) with the same
    result, trying only the last few start positions of long strings.

    `re.search` tries every start position and, at each, every alternative: half of the
    tokenizer's time on code and URLs, where chunks are long and suffixes are stripped one at
    a time. A match of a bounded alternative starts within its maximum width of the end;
    an unbounded one is accepted only as a run of one character (`\\.\\.+`), which, if it
    matches from some position, also matches from every later position down to its minimum
    width. So a search from `len - window` that finds nothing, or a match after that start,
    is the leftmost match of the whole string; a match at the window's start may extend
    further left and is searched again in full. Lookbehinds see the characters before the
    start position. Returns `search` itself when a suffix does not fit this reasoning.

    Examples
    --------
    >>> import re
    >>> suffixes = [r"\\.\\.+", r"\\)", r"(?<=[0-9])km"]
    >>> plain = re.compile("|".join(f"{s}$" for s in suffixes)).search
    >>> fast = windowed_suffix_search(plain, suffixes)
    >>> texts = ["a" * 50 + ".....", "x" * 40 + "12km", "y" * 30 + "km", "(word)", "z" * 30]
    >>> [fast(t) and fast(t).span() for t in texts] == [plain(t) and plain(t).span() for t in texts]
    True
    """
    import re._parser as parser

    widest = 0
    for suffix in suffixes:
        if not suffix.strip():
            continue
        parsed = parser.parse(suffix)
        low, high = parsed.getwidth()
        if high < parser.MAXREPEAT:
            widest = max(widest, high)
        elif _single_char_run(list(parsed), parser):
            widest = max(widest, low)
        else:
            return search
    window = widest + 2

    def windowed(string: str):
        start = len(string) - window
        if start <= 0:
            return search(string)
        match = search(string, start)
        if match is not None and match.start() == start:
            return search(string)
        return match

    return windowed


def _single_char_run(items: list, parser: Any) -> bool:
    """Whether a parsed pattern is one literal character, some times, then repeated."""
    literal, repeat = parser.LITERAL, parser.MAX_REPEAT
    codes = set()
    for op, arg in items:
        if op == literal:
            codes.add(arg)
        elif op == repeat and len(arg[2]) == 1 and arg[2][0][0] == literal and arg[0] >= 1:
            codes.add(arg[2][0][1])
        else:
            return False
    return len(codes) == 1


@functools.cache
def _sentence_marks() -> frozenset[str]:
    from spacy.pipeline.sentencizer import Sentencizer

    return frozenset(Sentencizer.default_punct_chars)


def _token_flags(texts: pl.Series) -> dict[str, pl.Series | np.ndarray]:
    """Per distinct token: length, Gopher word/alpha flags, stop word index, sentence kind.

    Column-wise: Python's str.isalpha() is Unicode category L (regex \\p{L}); spaCy's IS_PUNCT
    is "every character in category P" (\\p{P}).
    """
    symbols = "".join(f"\\x{{{ord(c):x}}}" for c in sorted(PUNCTUATION_SET))
    frame = pl.DataFrame({"text": texts}).select(
        pl.col("text").str.len_chars().cast(pl.Int64).alias("length"),
        pl.col("text").str.contains(f"[^{symbols}]").alias("word"),
        pl.col("text").str.contains(r"\p{L}").alias("alpha"),
        pl.col("text")
        .replace_strict(list(STOP_WORDS), list(range(len(STOP_WORDS))), default=-1)
        .cast(pl.Int8)
        .alias("stop"),
        pl.when(pl.col("text").is_in(list(_sentence_marks())))
        .then(TOKEN_KIND_FINAL)
        .when(pl.col("text").str.contains(r"^\p{P}+$"))
        .then(TOKEN_KIND_OTHER)
        .otherwise(TOKEN_KIND_PLAIN)
        .cast(pl.Int64)
        .alias("kind"),
    )
    return {name: frame[name] for name in frame.columns}


# `derive_affix_chars`' answer for the spaCy version that derived it, as code point ranges:
# the derivation makes ~45,000 tokenizer calls, 0.7-1.2 s at the start of every process that
# computes quality signals (an incremental run's quality stage on a few documents was mostly
# that). Another spaCy version derives its own; a test checks the file against the derivation
# (`python -m filters.tokens` writes it again).
AFFIXES_FILE = Path(__file__).with_name("spacy_affixes.json")


@functools.cache
def _fast_path() -> tuple[str, tuple[str, ...], frozenset[str], frozenset[str]]:
    """What the vectorized fast path may handle, derived from the live spaCy tokenizer.

    A chunk `P* core .? S* .?` is tokenized by spaCy as one token per affix character and the
    core whole, when every P is a single-character prefix, every S a single-character suffix
    (tested on spaCy itself, so a spaCy upgrade changes the sets, not the answers; the answer
    saved for the installed spaCy version is read instead of asked again), the core is
    letters or ASCII digits, and no special case (abbreviation, emoticon, contraction) is in
    play. Everything else goes to spaCy.
    """
    tokenizer = _tokenizer()
    prefix, suffix = saved_affix_chars() or derive_affix_chars(tokenizer)
    rules = frozenset(tokenizer.rules)
    punct_specials = tuple(r for r in rules if r.strip() and not any(ch.isalnum() for ch in r))
    special_cores = frozenset("".join(ch for ch in r if ch.isalnum()) for r in rules)
    # core: letters, digits or both (not digits then letters: "10km" splits off a unit), or
    # letter words joined by single hyphens (spaCy's infix splits "well-known" in three);
    # then an optional possessive, which spaCy splits off as a suffix
    core = r"\p{L}+(?:-\p{L}+)+|[\p{L}\p{M}0-9](?:[\p{L}\p{M}0-9_]*[\p{L}\p{M}0-9])?"
    pattern = rf"^([{_class(prefix)}]*)({core})((?:['’][sS])?)(\.?)([{_class(suffix)}]*)(\.?)$"
    return pattern, punct_specials, rules, special_cores


def derive_affix_chars(tokenizer: Any) -> tuple[str, str]:
    """(prefix, suffix): the punctuation and symbol characters that `tokenizer` splits off
    one at a time before, and after, a word or a number (asked of the tokenizer itself)."""
    import unicodedata

    def words(text: str) -> list[str]:
        return [t.text for t in tokenizer(text)]

    candidates = {
        chr(c)
        for c in range(0x21, 0x3000)
        if unicodedata.category(chr(c))[0] in {"P", "S"} and chr(c) not in ".'-"
    } | set("、。，：；！？（）【】《》「」『』")
    cores = ("word", "Word", "WORD", "ab", "2020")
    prefix = "".join(
        sorted(
            c
            for c in candidates
            if all(words(c + w) == [c, w] and words(c + c + w) == [c, c, w] for w in cores)
        )
    )
    suffix = "".join(
        sorted(
            c
            for c in candidates
            if all(words(w + c) == [w, c] and words(w + c + c) == [w, c, c] for w in cores)
        )
    )
    return prefix, suffix


def saved_affix_chars() -> tuple[str, str] | None:
    """`AFFIXES_FILE`'s (prefix, suffix) when it was derived under the installed spaCy."""
    import json

    import spacy

    try:
        saved = json.loads(AFFIXES_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if saved.get("spacy") != spacy.__version__:
        return None
    return _from_ranges(saved["prefix"]), _from_ranges(saved["suffix"])


def write_affix_chars(path: Path = AFFIXES_FILE) -> None:
    """Derive the affix characters under the installed spaCy and save them to `path`."""
    import json

    import spacy

    prefix, suffix = derive_affix_chars(_tokenizer())
    record = {"spacy": spacy.__version__, "prefix": _ranges(prefix), "suffix": _ranges(suffix)}
    path.write_text(json.dumps(record, separators=(",", ":")) + "\n", encoding="utf-8")


def _ranges(chars: str) -> list[list[int]]:
    """Sorted characters as [first, last] code point ranges.

    Examples
    --------
    >>> _ranges("!#$%&")
    [[33, 33], [35, 38]]
    """
    ranges: list[list[int]] = []
    for code in map(ord, chars):
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return ranges


def _from_ranges(ranges: list[list[int]]) -> str:
    return "".join(chr(c) for first, last in ranges for c in range(first, last + 1))


def _class(chars: str) -> str:
    """A regex character class body matching exactly `chars` (Rust regex syntax)."""
    return "".join(f"\\x{{{ord(c):x}}}" for c in chars)


def _fast_tokens(chunks: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(handled mask, token lists) for the chunks the fast path can tokenize like spaCy."""
    pattern, punct_specials, rules, special_cores = _fast_path()
    parts = chunks.str.extract_groups(pattern).struct.unnest()
    parts.columns = ["prefix", "core", "possessive", "dot1", "suffix", "dot2"]
    frame = pl.concat([chunks.to_frame("chunk"), parts], how="horizontal")
    core = pl.col("core")
    handled = (
        core.is_not_null()
        & ~pl.col("chunk").is_in(list(rules))
        & ~core.is_in(list(special_cores))
        & ~pl.col("prefix").str.contains_any(list(punct_specials))
        & ~pl.col("suffix").str.contains_any(list(punct_specials))
        # "10km" splits a unit off digits
        & ~core.str.contains(r"[0-9]\p{L}+$")
        # "word." splits after a lowercase letter, a digit or two capitals; "A." is one token
        & (
            (pl.col("dot1") == "")
            | (pl.col("possessive") != "")
            | core.str.contains(r"(?:[\p{Ll}0-9]|[A-Z][A-Z])$")
        )
        # a final "." after suffix punctuation splits; ".." would be an ellipsis
        & ((pl.col("dot2") == "") | (pl.col("suffix") != ""))
    )
    tokens = pl.concat_list(
        pl.col("prefix").str.extract_all(r"(?s)."),
        core.str.replace_all("-", " - ", literal=True).str.split(" "),
        pl.col("possessive").str.extract_all(r".+"),
        pl.col("dot1").str.extract_all(r"\."),
        pl.col("suffix").str.extract_all(r"(?s)."),
        pl.col("dot2").str.extract_all(r"\."),
    )
    result = frame.select(handled.fill_null(False).alias("handled"), tokens.alias("tokens"))
    return result["handled"], result["tokens"]


def _spacy_tokens(chunks: list[str]) -> pl.DataFrame:
    """spaCy's tokens of the chunks: `chunk` (index into `chunks`) and `text`, in order.

    One tokenizer call per block of chunks joined by spaces; token texts are looked up once
    per distinct token (`to_array`), never through per-token Python objects.
    """
    tokenizer = _tokenizer()
    parts = []
    for block_start in range(0, len(chunks), _BLOCK):
        block = chunks[block_start : block_start + _BLOCK]
        lengths = np.fromiter((len(c) for c in block), np.int64, len(block))
        starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]])
        doc = tokenizer(" ".join(block))
        array = doc.to_array(["ORTH", "IDX"])
        orth, inverse = np.unique(array[:, 0], return_inverse=True)
        strings = doc.vocab.strings
        texts = pl.Series("text", [strings[int(h)] for h in orth], dtype=pl.String)
        owner = np.searchsorted(starts, array[:, 1].astype(np.int64), "right") - 1 + block_start
        parts.append(
            pl.DataFrame({"chunk": owner.astype(np.int64), "text": texts.gather(inverse)}).filter(
                pl.col("text").str.strip_chars() != ""
            )
        )
    if not parts:
        return pl.DataFrame(schema={"chunk": pl.Int64, "text": pl.String})
    return pl.concat(parts)


def tokenize_chunks(chunks: Sequence[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Tokenize distinct whitespace-free chunks as spaCy's English tokenizer does.

    Returns `(tokens, vocab)`: `tokens` has one row per token in order, with `chunk` (index into
    `chunks`) and `tok` (index into `vocab`); `vocab` has one row per distinct token with
    `text`, `length`, `word` (has a non-punctuation char), `alpha`, `stop` (index in STOP_WORDS
    or -1) and `kind` (TOKEN_KIND_*).

    Examples
    --------
    >>> tokens, vocab = tokenize_chunks(["##", "well-known", "don't", "(word),"])
    >>> [vocab["text"][i] for i in tokens["tok"]]
    ['#', '#', 'well', '-', 'known', 'do', "n't", '(', 'word', ')', ',']
    >>> tokens["chunk"].to_list()
    [0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 3]
    """
    series = pl.Series("chunk", list(chunks), dtype=pl.String)
    handled, fast = _fast_tokens(series)
    hard_index = np.flatnonzero(~handled.to_numpy())
    slow_flat = _spacy_tokens(series.gather(hard_index).to_list())
    slow_flat = slow_flat.with_columns(
        pl.Series("chunk", hard_index.astype(np.int64)[slow_flat["chunk"].to_numpy()])
    )
    handled_mask = handled.to_numpy()
    fast_flat = (
        pl.DataFrame(
            {"chunk": np.flatnonzero(handled_mask).astype(np.int64), "text": fast.filter(handled)}
        )
        .explode("text")
        .drop_nulls("text")
    )
    flat = pl.concat([fast_flat, slow_flat]).sort("chunk", maintain_order=True)
    vocab_text = flat["text"].unique().sort()
    flags = _token_flags(vocab_text)
    vocab = pl.DataFrame({"text": vocab_text, **flags})
    tok = flat.join(
        vocab.select("text").with_row_index("tok"), on="text", how="left", maintain_order="left"
    )["tok"].cast(pl.UInt32)
    return pl.DataFrame({"chunk": flat["chunk"], "tok": tok}), vocab


def sentence_automaton(tokens: pl.DataFrame, vocab: pl.DataFrame) -> pl.DataFrame:
    """Per chunk, how spaCy's Sentencizer counts sentence starts inside it.

    The Sentencizer starts a sentence at a plain token that follows a final mark (. ! ?),
    possibly through other punctuation. A chunk's effect depends only on whether a final mark
    was pending when it began, so per chunk: `starts` (new sentences if nothing was pending),
    `first_plain` (1 when a pending mark would add one more: the first significant token is
    plain) and `pending_out` (a mark is pending after it; null when the chunk has no plain
    token and no mark, so the state passes through).
    """
    kind = vocab["kind"].to_numpy()[tokens["tok"].to_numpy()]
    chunk = tokens["chunk"].to_numpy()
    n = len(kind)
    significant = kind != TOKEN_KIND_OTHER
    index = np.where(significant, np.arange(n), -1)
    last_sig = np.maximum.accumulate(index) if n else index
    previous = np.concatenate([[-1], last_sig[:-1]]) if n else last_sig
    prev_same_chunk = (previous >= 0) & (chunk[np.maximum(previous, 0)] == chunk)
    prev_kind = np.where(prev_same_chunk, kind[np.maximum(previous, 0)], -1)
    trigger = (kind == TOKEN_KIND_PLAIN) & (prev_kind == TOKEN_KIND_FINAL)
    first_plain = (kind == TOKEN_KIND_PLAIN) & (prev_kind == -1)
    frame = pl.DataFrame(
        {
            "chunk": chunk,
            "trigger": trigger,
            "first_plain": first_plain,
            "sig_kind": np.where(significant, kind, -1),
        }
    )
    return frame.group_by("chunk").agg(
        pl.col("trigger").sum().cast(pl.Int64).alias("starts"),
        pl.col("first_plain").any().cast(pl.Int64).alias("first_plain"),
        pl.col("sig_kind")
        .filter(pl.col("sig_kind") >= 0)
        .last()
        .eq(TOKEN_KIND_FINAL)
        .alias("pending_out"),
    )


if __name__ == "__main__":
    write_affix_chars()
