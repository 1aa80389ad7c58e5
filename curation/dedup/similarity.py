"""Exact shingle-set Jaccard for many document pairs at once (sorted keys, numpy lookups)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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


class NodeSets:
    """Shingle sets of some graph nodes, for the true Jaccard of node pairs.

    Built from each node's distinct shingle hashes (as `shingle_sets` stores them, or straight
    from a `ShingleBatch`); a node without a set is not covered, and its pairs keep the estimate.
    """

    def __init__(self, nodes: np.ndarray, hashes: np.ndarray, counts: np.ndarray) -> None:
        nodes = np.asarray(nodes, np.int64)
        counts = np.asarray(counts, np.int64)
        offsets = np.zeros(len(nodes) + 1, np.int64)
        np.cumsum(counts, out=offsets[1:])
        batch = ShingleBatch(
            np.asarray(hashes, np.uint32),
            offsets,
            np.zeros(len(nodes), np.int64),
            np.zeros((len(nodes), 2), np.uint64),
        )
        order = np.argsort(nodes, kind="stable")
        if len(order) and np.any(order[1:] < order[:-1]):
            batch = batch.take(order)
        self.nodes = nodes[order]
        self.sets = ShingleSets(batch)

    @classmethod
    def concat(cls, parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> NodeSets:
        """One `NodeSets` from (nodes, flat hashes, counts) parts, for disjoint node sets."""
        if not parts:
            return cls(np.zeros(0, np.int64), np.zeros(0, np.uint32), np.zeros(0, np.int64))
        return cls(*(np.concatenate(column) for column in zip(*parts, strict=True)))

    def covers(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Pairs whose two documents both have a shingle set here."""
        return self._has(left) & self._has(right)

    def _has(self, nodes: np.ndarray) -> np.ndarray:
        if not len(self.nodes):
            return np.zeros(len(nodes), bool)
        at = np.minimum(np.searchsorted(self.nodes, nodes), len(self.nodes) - 1)
        return self.nodes[at] == nodes

    def __call__(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        return self.sets.jaccard(
            np.searchsorted(self.nodes, left), np.searchsorted(self.nodes, right)
        )


def list_parts(nodes: np.ndarray, lists: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, ...]:
    """(nodes, flat hashes, counts) of a `list<uint32>` column of stored shingle sets."""
    if isinstance(lists, pa.ChunkedArray):
        lists = lists.combine_chunks() if lists.num_chunks else pa.array([], lists.type)
    lists = lists.cast(pa.list_(pa.uint32()))
    counts = pc.list_value_length(lists).fill_null(0).to_numpy(zero_copy_only=False)
    flat = pc.list_flatten(lists).to_numpy(zero_copy_only=False)
    return np.asarray(nodes, np.int64), flat.astype(np.uint32), counts.astype(np.int64)


def sets_column(batch: ShingleBatch) -> pa.Array:
    """Each document's distinct shingle hashes (sorted) as a `list<uint32>` column: the form
    the signature index stores for exact verification."""
    sets = ShingleSets(batch)
    values = pa.array((sets.keys & _LOW32).astype(np.uint32))
    return pa.ListArray.from_arrays(pa.array(sets.offsets.astype(np.int32)), values)
