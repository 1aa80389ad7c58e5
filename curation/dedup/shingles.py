"""Word tokens and word n-gram shingle hashes for whole batches, without Python strings.

Tokens are `re.findall(r"\\w+", text.lower())` (the tokenization of the near-duplicate ground
truth), found by classifying the UTF-8 bytes of the whole batch with numpy (the same character
class; `tokenize` extracts them with polars' regex, the reference and the fallback for the
rare characters whose lowercase depends on context). Each distinct token of a batch is hashed
once with xxh3-64 (a batch of thousands of documents has only tens of thousands of
distinct tokens). Shingle hashes are combined from the tokens' low 32 bits with numpy over
shifted views of one flat array, in uint32 arithmetic (SIMD-friendly, unlike 64-bit
multiplies):

    c = t0;  c = c * P + t_k  (mod 2**32, k = 1..n-1)

`shingle_hash32` computes the same value from a space-joined shingle string, so datasketch's
`MinHash(hashfunc=shingle_hash32)` fed with the shingle strings produces exactly our signatures
(a test holds this). datasketch pre-mixes every input with fmix32 before its permutations, so
this polynomial hash needs no finalizer of its own.
Documents with fewer than n tokens get one shingle of all their tokens (so short documents
still have a signature); documents without tokens get none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

# Python's `\w` is letters, numbers and "_"; Rust's `\w` adds combining marks and leaves out
# numbers such as superscript digits, so spell Python's class out (identical on every character
# of Python 3.11's Unicode database; the tokenizer test checks the real corpus too).
TOKEN_PATTERN = r"[\p{L}\p{N}_]+"
_P = np.uint32(0x9E3779B1)  # odd 32-bit multiplier (golden ratio) between token positions
_MASK32 = 0xFFFFFFFF
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_EMPTY_BYTES = np.zeros(0, np.uint8)
_CAPITAL_SIGMA = 0x3A3  # lowercases to σ or, at the end of a word, ς
_BYTE_BLOCK = 1 << 16  # bytes classified per step (see _ascii_word)


@dataclass(frozen=True)
class ShingleBatch:
    """Shingle hashes of a batch, grouped by document in row order.

    `hashes[offsets[i]:offsets[i+1]]` are document i's shingle hashes (uint32, duplicates
    kept: MinHash minima ignore them); `text_key` (n, 2) uint64 identifies the normalized text
    (the lowercase word-token sequence) for exact deduplication.
    """

    hashes: np.ndarray
    offsets: np.ndarray
    n_tokens: np.ndarray
    text_key: np.ndarray

    @property
    def n_docs(self) -> int:
        return len(self.offsets) - 1

    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)

    def take(self, rows: np.ndarray) -> ShingleBatch:
        """The batch restricted to documents `rows`, in that order."""
        counts = self.counts()[rows]
        offsets = np.zeros(len(rows) + 1, np.int64)
        np.cumsum(counts, out=offsets[1:])
        index = np.arange(offsets[-1]) + np.repeat(self.offsets[rows] - offsets[:-1], counts)
        return ShingleBatch(self.hashes[index], offsets, self.n_tokens[rows], self.text_key[rows])


def fmix64(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer (a bijection), vectorized; returns a new array."""
    h = values ^ (values >> _S33)
    h *= _M1
    h ^= h >> _S33
    h *= _M2
    h ^= h >> _S33
    return h


def token_hash(token: bytes) -> int:
    """The 64-bit hash of one token (UTF-8 bytes): xxh3-64, seed 0."""
    import xxhash

    return xxhash.xxh3_64_intdigest(token)


def shingle_hash32(shingle: bytes | str) -> int:
    """The 32-bit MinHash input of one space-joined shingle: datasketch's `hashfunc`."""
    if isinstance(shingle, str):
        shingle = shingle.encode("utf-8")
    tokens = shingle.split(b" ")
    combined = token_hash(tokens[0]) & _MASK32
    for token in tokens[1:]:
        combined = (combined * int(_P) + (token_hash(token) & _MASK32)) & _MASK32
    return combined


def tokenize(texts: pa.Array | pa.ChunkedArray | pl.Series) -> pl.Series:
    """Lowercase word tokens per document as a polars list column (null text -> no tokens)."""
    series = texts if isinstance(texts, pl.Series) else pl.Series(texts)
    return (
        series.cast(pl.String)
        .fill_null("")
        .str.to_lowercase()
        .str.extract_all(TOKEN_PATTERN)
        .fill_null([])
    )


def indices(encoded: pa.DictionaryArray) -> np.ndarray:
    """The codes of a dictionary array without nulls, as numpy.

    Through polars, zero-copy: pyarrow's own `to_numpy` imports pandas on first use (about
    0.15 s of CPU, for a command that never needs pandas).
    """
    return pl.Series(encoded.indices).to_numpy()


def token_hashes(tokens: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(flat uint64 token hashes, token count per document) for a list column of tokens."""
    lengths = tokens.list.len().fill_null(0).to_numpy().astype(np.int64)
    flat = tokens.explode(empty_as_null=False).drop_nulls().to_arrow()
    if len(flat) == 0:
        return np.zeros(0, np.uint64), lengths
    encoded = pc.dictionary_encode(flat)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    import xxhash

    vocabulary = encoded.dictionary.cast(pa.large_binary()).to_pylist()
    digest = xxhash.xxh3_64_intdigest
    vocab_hashes = np.fromiter(map(digest, vocabulary), dtype=np.uint64, count=len(vocabulary))
    return vocab_hashes[indices(encoded)], lengths


def shingle_batch(texts: pa.Array | pa.ChunkedArray | pl.Series, ngram: int) -> ShingleBatch:
    """Tokenize, hash and shingle a batch of texts column-wise."""
    hashed = byte_token_hashes(texts)
    if hashed is None:  # a character whose lowercase is context-dependent or changes class
        hashed = token_hashes(tokenize(texts))
    return shingles_from_tokens(*hashed, ngram)


def _as_large_string(texts: pa.Array | pa.ChunkedArray | pl.Series) -> pa.LargeStringArray:
    """One `large_string` array without nulls (null text has no tokens, as an empty one)."""
    if isinstance(texts, pl.Series):
        texts = texts.cast(pl.String).to_arrow()
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks() if texts.num_chunks else pa.array([], pa.large_string())
    if texts.type != pa.large_string():
        texts = texts.cast(pa.large_string())
    if texts.null_count:
        texts = pc.fill_null(texts, "")
    return texts


def byte_token_hashes(
    texts: pa.Array | pa.ChunkedArray | pl.Series,
) -> tuple[np.ndarray, np.ndarray] | None:
    """`token_hashes(tokenize(texts))` computed on the UTF-8 bytes, or None where it may differ.

    Regex extraction builds one string per token (most of a batch's time). Here every byte is
    classified as word or not (non-ASCII characters are decoded and classified by the same
    pattern, once per distinct character), and a token starts where a word byte follows a
    non-word byte or a document boundary. Without copying the text, an Arrow string array then
    holds each token together with the separators after it (its offsets are the token
    starts); dictionary encoding it leaves only distinct entries, whose leading word run is the
    token, lowercased and hashed once. Lowercasing each token equals lowercasing the text
    wherever every character's lowercase is context-free and keeps its class; a batch with a
    character that breaks this (final-sigma Σ, İ, ...) returns None so the caller takes the
    regex path.
    """
    array = _as_large_string(texts)
    n = len(array)
    offsets = np.frombuffer(array.buffers()[1], np.int64)[array.offset : array.offset + n + 1]
    base, end = int(offsets[0]), int(offsets[-1])
    data = array.buffers()[2]
    raw = np.frombuffer(data, np.uint8)[base:end] if end > base else _EMPTY_BYTES
    doc_start = offsets - base
    word = _ascii_word(raw)
    if not _mark_non_ascii(raw, word):
        return None
    total = len(raw)
    token_start = np.flatnonzero(np.greater(word[1:], word[:-1]))
    token_start += 1
    # a document boundary inside a word run starts a token too; so does a word at byte 0
    inner = doc_start[1:-1]
    inner = inner[(inner > 0) & (inner < total)]
    inner = inner[word[inner] & word[inner - 1]]
    if len(inner):
        inner = inner[np.r_[True, inner[1:] != inner[:-1]]]  # empty documents repeat a start
        token_start = np.insert(token_start, np.searchsorted(token_start, inner), inner)
    if total and word[0]:
        token_start = np.r_[0, token_start]
    lengths = np.diff(np.searchsorted(token_start, doc_start)).astype(np.int64)
    if not len(token_start):
        return np.zeros(0, np.uint64), lengths
    entry_offsets = np.empty(len(token_start) + 1, np.int64)
    np.add(token_start, base, out=entry_offsets[:-1])
    entry_offsets[-1] = end
    entries = pa.LargeStringArray.from_buffers(len(token_start), pa.py_buffer(entry_offsets), data)
    encoded = pc.dictionary_encode(entries)
    vocabulary = (
        pl.Series(encoded.dictionary)
        .str.extract(f"^({TOKEN_PATTERN})")
        .str.to_lowercase()
        .to_arrow()
    )
    import xxhash

    digest = xxhash.xxh3_64_intdigest
    words = vocabulary.cast(pa.large_binary()).to_pylist()
    vocab_hashes = np.fromiter(map(digest, words), dtype=np.uint64, count=len(words))
    return vocab_hashes[indices(encoded)], lengths


def _ascii_word(raw: np.ndarray) -> np.ndarray:
    """Whether each byte is an ASCII word character ([A-Za-z0-9_]); False for non-ASCII bytes.

    Comparisons on whole arrays beat a 256-entry lookup table (a gather per byte); done one
    block of `_BYTE_BLOCK` bytes at a time, so the seven passes over the bytes and their
    temporaries stay in cache (3x faster than passes over a whole batch's 9 MiB).
    """
    word = np.empty(len(raw), bool)
    shifted = np.empty(min(len(raw), _BYTE_BLOCK), np.uint8)
    other = np.empty(len(shifted), bool)
    for lo in range(0, len(raw), _BYTE_BLOCK):
        block = raw[lo : lo + _BYTE_BLOCK]
        out, low, extra = word[lo : lo + len(block)], shifted[: len(block)], other[: len(block)]
        np.bitwise_or(block, np.uint8(0x20), out=low)  # folds A-Z onto a-z
        low -= np.uint8(ord("a"))
        np.less(low, 26, out=out)
        np.subtract(block, np.uint8(ord("0")), out=low)
        np.less(low, 10, out=extra)
        out |= extra
        np.equal(block, ord("_"), out=extra)
        out |= extra
    return word


def _mark_non_ascii(raw: np.ndarray, word: np.ndarray) -> bool:
    """Classify the bytes of non-ASCII characters in `word` (in place); False when a character
    would make per-token lowercasing differ from lowercasing the whole text."""
    lead = np.flatnonzero(raw >= 0xC0)  # valid UTF-8: every non-ASCII character has one
    if not len(lead):
        return True
    first = raw[lead].astype(np.uint32)
    size = 2 + (first >= 0xE0) + (first >= 0xF0)
    last = len(raw) - 1
    code = first & np.where(size == 2, 0x1F, np.where(size == 3, 0x0F, 0x07)).astype(np.uint32)
    for k in range(1, 4):
        has = size > k
        follow = raw[np.minimum(lead + k, last)].astype(np.uint32) & 0x3F
        code = np.where(has, (code << 6) | follow, code)
    distinct, inverse = np.unique(code, return_inverse=True)
    chars = pl.Series([chr(c) for c in distinct.tolist()])
    cls = chars.str.contains(f"^{TOKEN_PATTERN}$").to_numpy()
    lowered = chars.str.to_lowercase()
    lowered_cls = lowered.str.replace_all(TOKEN_PATTERN, "").str.len_chars().to_numpy() == 0
    lowered_none = lowered.str.contains(TOKEN_PATTERN).to_numpy()
    # keeps its class: a word character lowers to word characters only, others to none
    stable = np.where(cls, lowered_cls, ~lowered_none) & (distinct != _CAPITAL_SIGMA)
    if not stable.all():
        return False
    marks = cls[inverse]
    for k in range(0, 4):
        at = lead[size > k] + k
        word[at] = marks[size > k]
    return True


def shingles_from_tokens(flat: np.ndarray, lengths: np.ndarray, ngram: int) -> ShingleBatch:
    """Combine flat token hashes (grouped by document) into n-gram shingle hashes.

    Every token position starts a window; the windows that run past their document's end are
    masked out (at most n-1 per document, so the mask is built from per-document ranges, not
    per-token arithmetic), and a document shorter than n keeps one window of all its tokens.
    """
    n_docs, total = len(lengths), len(flat)
    starts = np.zeros(n_docs + 1, np.int64)
    np.cumsum(lengths, out=starts[1:])
    low = flat.astype(np.uint32)  # low 32 bits
    window = low.copy()
    for k in range(1, min(ngram, total)):  # a batch of fewer than n tokens has no full window
        window[: total - k] *= _P
        window[: total - k] += low[k:]
    valid = np.ones(total, bool)
    tail = np.minimum(lengths, ngram - 1)
    tail_first = starts[1:] - tail
    n_tail = int(tail.sum())
    valid[np.arange(n_tail) + np.repeat(tail_first - (np.cumsum(tail) - tail), tail)] = False
    # a document shorter than n: one shingle of all its tokens, at its first position
    for k in range(1, ngram):
        docs = np.flatnonzero(lengths == k)
        if not len(docs):
            continue
        first = starts[docs]
        combined = low[first].copy()
        for j in range(1, k):
            combined *= _P
            combined += low[first + j]
        window[first] = combined
        valid[first] = True
    per_doc = np.maximum(lengths - ngram + 1, 0) + ((lengths > 0) & (lengths < ngram))
    offsets = np.zeros(n_docs + 1, np.int64)
    np.cumsum(per_doc, out=offsets[1:])
    return ShingleBatch(window[valid], offsets, lengths, _text_keys(flat, lengths, starts))


def _text_keys(flat: np.ndarray, lengths: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """128-bit key of each token sequence: token hashes times position weights, summed.

    Two different sequences collide only if sum((t_i - t'_i) * w_i) = 0 mod 2**64 for both
    independent weight tables, about 2**-128 for hash-like inputs. Each document's weights
    are a prefix of one table, laid out by concatenating those prefixes (one copy per
    document) rather than by gathering through a per-token position array (three passes).
    """
    n_docs = len(lengths)
    keys = np.zeros((n_docs, 2), np.uint64)
    nonempty = np.flatnonzero(lengths > 0)
    if len(flat):
        positions = np.arange(1, int(lengths.max()) + 1, dtype=np.uint64)
        prefixes = lengths.tolist()
        for column, salt in enumerate((_M1, _M2)):
            table = fmix64(positions * salt) | np.uint64(1)
            weights = np.concatenate([table[:length] for length in prefixes])
            weights *= flat
            keys[nonempty, column] = np.add.reduceat(weights, starts[nonempty])
    keys ^= fmix64(lengths.astype(np.uint64) * _M1 + _M2)[:, None]
    return keys
