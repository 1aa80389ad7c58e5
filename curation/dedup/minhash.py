"""MinHash signatures for whole batches, bit-identical to datasketch's `affine32` scheme.

datasketch 2.0 computes, per shingle hash h (32-bit) and permutation k:
`fmix32(h) * a_k + b_k (mod 2**32)` and keeps the minimum per k. We take `a`, `b` from
datasketch itself (`MinHash(num_perm, seed).permutations`) and apply all permutations to a
chunk of shingles as one array operation in a (num_perm, chunk) layout, reducing per document
with `np.minimum.reduceat` along the contiguous axis: about 30 M shingles x 128 permutations
per second on one core, where the chunk (4096 shingles, 2 MiB) stays in cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from curation.dedup.shingles import ShingleBatch, fmix64, shingle_batch

_CHUNK = 4096  # shingles per step: a (128, 4096) uint32 block (2 MiB) stays in L2
_MAX32 = np.uint32(0xFFFFFFFF)
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))
_BAND_P = np.uint64(0x9E3779B97F4A7C15)


@lru_cache(maxsize=16)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters (a, b) for `num_perm` and `seed`.

    The same draws as `datasketch.MinHash._init_permutations` (a test compares them), made
    here so the stage does not import datasketch (pandas, scipy: seconds on a cold start).
    """
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b


def fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, datasketch's pre-mix of every input hash."""
    s1, m1, s2, m2 = _FMIX32
    h = values ^ (values >> s1)
    h *= m1
    h ^= h >> s2
    h *= m2
    h ^= h >> s1
    return h


def signatures(batch: ShingleBatch, num_perm: int, seed: int) -> np.ndarray:
    """(n_docs, num_perm) uint32 MinHash values; documents without shingles are all 2**32-1
    (datasketch's empty MinHash)."""
    a, b = permutations(num_perm, seed)
    counts = batch.counts()
    nonempty = np.flatnonzero(counts > 0)
    out = np.full((num_perm, len(nonempty)), _MAX32, np.uint32)
    if len(nonempty):
        hashed = fmix32(batch.hashes.astype(np.uint32, copy=False))
        starts = batch.offsets[nonempty]
        # the first and last document of every chunk, from the chunk bounds (a document
        # number per shingle would be one more pass over all of them)
        bounds = np.arange(0, len(hashed), _CHUNK)
        firsts = (np.searchsorted(starts, bounds, "right") - 1).tolist()
        lasts = (
            np.searchsorted(starts, np.minimum(bounds + _CHUNK, len(hashed)) - 1, "right") - 1
        ).tolist()
        buffer = np.empty((num_perm, _CHUNK), np.uint32)
        a_col, b_col = a[:, None], b[:, None]
        for lo, first, last in zip(bounds.tolist(), firsts, lasts, strict=True):
            hi = min(lo + _CHUNK, len(hashed))
            chunk = buffer[:, : hi - lo]
            np.multiply(a_col, hashed[None, lo:hi], out=chunk)
            chunk += b_col
            segments = np.maximum(starts[first : last + 1] - lo, 0)
            part = np.minimum.reduceat(chunk, segments, axis=1)
            np.minimum(out[:, first : last + 1], part, out=out[:, first : last + 1])
    result = np.full((batch.n_docs, num_perm), _MAX32, np.uint32)
    result[nonempty] = out.T
    return result


def band_hashes(signature: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n_docs, bands) uint64: one hash per band of `rows` consecutive signature values.

    Two documents share a band hash exactly when they share the band's values (up to 64-bit
    collisions), which is what datasketch's MinHashLSH buckets on.
    """
    n = signature.shape[0]
    out = np.empty((n, bands), np.uint64)
    values = signature[:, : bands * rows].astype(np.uint64).reshape(n, bands, rows)
    combined = values[:, :, 0].copy()
    for k in range(1, rows):
        combined *= _BAND_P
        combined += values[:, :, k]
    out[:] = fmix64(combined)
    return out


def lean_minhash(signature_row: np.ndarray, seed: int):
    """A datasketch `LeanMinHash` carrying one of our signatures (for MinHashLSH and jaccard)."""
    from datasketch import LeanMinHash

    return LeanMinHash(seed=seed, hashvalues=signature_row, scheme="affine32")


def datasketch_lsh(keys, signature: np.ndarray, *, bands: int, rows: int, seed: int):
    """Index signatures in a datasketch `MinHashLSH` with our banding, for querying with
    datasketch (interoperability; the stage itself groups band hashes column-wise)."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(num_perm=signature.shape[1], params=(bands, rows))
    with lsh.insertion_session() as session:
        for key, row in zip(keys, signature, strict=True):
            session.insert(key, lean_minhash(row, seed), check_duplication=False)
    return lsh


# Documents per sketch step: about 9 MiB of text, whose temporaries (tens of MB) are reused
# from the heap batch after batch instead of being faulted in again, and bound peak memory.
SKETCH_BATCH = 1024


@dataclass(frozen=True)
class Sketch:
    """Per document: exact-text key (n, 2) uint64, signature (n, num_perm) uint32, shingle
    count (a document without shingles has no LSH buckets)."""

    text_key: np.ndarray
    signature: np.ndarray
    shingles: np.ndarray


def sketch(texts: pa.Array | pa.ChunkedArray, *, ngram: int, num_perm: int, seed: int) -> Sketch:
    """Text keys and signatures of `texts`, a slice of `SKETCH_BATCH` documents at a time.

    Slicing bounds the memory of token lists and shingle hashes (about 40 bytes per token)
    while keeping every operation column-wise over thousands of documents.
    """
    n = len(texts)
    keys = np.zeros((n, 2), np.uint64)
    sig = np.empty((n, num_perm), np.uint32)
    counts = np.zeros(n, np.int64)
    for lo in range(0, n, SKETCH_BATCH):
        batch = shingle_batch(texts.slice(lo, SKETCH_BATCH), ngram)
        hi = lo + batch.n_docs
        keys[lo:hi] = batch.text_key
        sig[lo:hi] = signatures(batch, num_perm, seed)
        counts[lo:hi] = batch.counts()
    return Sketch(keys, sig, counts)
