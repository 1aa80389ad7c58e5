"""Word tokens and word n-gram shingle hashes for whole batches, without Python strings.

Tokens are `re.findall(r"\\w+", text.lower())` (the tokenization of the near-duplicate ground
truth), extracted by polars with the same character class. Each distinct token of a batch is
hashed once with xxh3-64 (a batch of thousands of documents has only tens of thousands of
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
    return vocab_hashes[encoded.indices.to_numpy(zero_copy_only=False)], lengths


def shingle_batch(texts: pa.Array | pa.ChunkedArray | pl.Series, ngram: int) -> ShingleBatch:
    """Tokenize, hash and shingle a batch of texts column-wise."""
    tokens = tokenize(texts)
    flat, lengths = token_hashes(tokens)
    return shingles_from_tokens(flat, lengths, ngram)


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
    independent weight tables, about 2**-128 for hash-like inputs.
    """
    n_docs = len(lengths)
    keys = np.zeros((n_docs, 2), np.uint64)
    nonempty = np.flatnonzero(lengths > 0)
    if len(flat):
        longest = int(lengths.max())
        position = np.arange(len(flat)) - np.repeat(starts[:-1], lengths)
        for column, salt in enumerate((_M1, _M2)):
            weights = fmix64(np.arange(1, longest + 1, dtype=np.uint64) * salt) | np.uint64(1)
            keys[nonempty, column] = np.add.reduceat(flat * weights[position], starts[nonempty])
    keys ^= fmix64(lengths.astype(np.uint64) * _M1 + _M2)[:, None]
    return keys
