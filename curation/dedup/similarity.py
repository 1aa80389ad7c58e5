"""Exact shingle-set Jaccard for many document pairs at once (sorted keys, numpy lookups)."""

from __future__ import annotations

import numpy as np

from curation.dedup.shingles import ShingleBatch

_LOW32 = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)


class ShingleSets:
    """Each document's set of shingle hashes, as one sorted array of `doc << 32 | hash` keys.

    Built once per batch (one sort); a pair's intersection is then counted by looking the
    smaller set's keys up in the other document's range with one `searchsorted` over all pairs.
    """

    def __init__(self, batch: ShingleBatch) -> None:
        counts = batch.counts()
        doc = np.repeat(np.arange(batch.n_docs, dtype=np.uint64), counts)
        keys = (doc << _SHIFT) | batch.hashes.astype(np.uint64)
        keys.sort()  # np.unique's hash path is ten times slower here than sort + mask
        self.keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys
        self.offsets = np.searchsorted(
            self.keys >> _SHIFT, np.arange(batch.n_docs + 1, dtype=np.uint64)
        )
        self.sizes = np.diff(self.offsets)

    def jaccard(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """True Jaccard of documents `left[i]` and `right[i]` (two empty sets: 1.0)."""
        if not len(left):
            return np.zeros(0, np.float64)
        swap = self.sizes[left] > self.sizes[right]
        small, large = np.where(swap, right, left), np.where(swap, left, right)
        counts = self.sizes[small]
        first = np.cumsum(counts) - counts
        index = np.arange(counts.sum()) + np.repeat(self.offsets[small] - first, counts)
        query = (np.repeat(large.astype(np.uint64), counts) << _SHIFT) | (self.keys[index] & _LOW32)
        found = np.searchsorted(self.keys, query)
        hit = self.keys[np.minimum(found, len(self.keys) - 1)] == query
        shared = np.zeros(len(left), np.int64)
        nonzero = counts > 0
        if nonzero.any():
            shared[nonzero] = np.add.reduceat(hit.astype(np.int64), first[nonzero])
        union = self.sizes[left] + self.sizes[right] - shared
        return np.where(union == 0, 1.0, shared / np.maximum(union, 1))


def exact_jaccard(batch: ShingleBatch, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """True Jaccard of the shingle-hash sets of documents `left[i]` and `right[i]` of `batch`."""
    return ShingleSets(batch).jaccard(np.asarray(left), np.asarray(right))
