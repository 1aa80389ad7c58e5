"""Pair similarity, union-find components and representative assignment, column-wise.

Components come from verified LSH pairs (a vectorized union-find over the whole edge list at
once). Each component is then split around centres: repeatedly, the best unassigned node of a
component (index documents first, since they are already in the set) becomes a centre and
takes every unassigned member whose similarity to it reaches a floor. Every kept document is
then itself similar to each document dropped for it, which plain components cannot promise
(revision chains drift: v1 ~ v2 ~ ... ~ v30, yet v1 !~ v30).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Similarity = Callable[[np.ndarray, np.ndarray], np.ndarray]


def estimated_similarity(signature: np.ndarray) -> Similarity:
    """Jaccard estimate: the fraction of equal MinHash values, for node pairs at once."""

    def similarity(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        out = np.empty(len(left), np.float64)
        step = 65536
        for lo in range(0, len(left), step):
            hi = lo + step
            equal = signature[left[lo:hi]] == signature[right[lo:hi]]
            out[lo:hi] = equal.mean(axis=1) if equal.size else 0.0
        return out

    return similarity


def components(n_nodes: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Component label per node (labels are the smallest node of each component).

    Vectorized hook-and-compress union-find: every edge hooks the larger of its two roots
    under the smaller (`np.minimum.at`), then pointer jumping makes every node point at its
    root; rounds repeat until no edge joins two roots. A root only ever moves to a smaller
    node, so each component ends at its smallest node, the best representative by
    construction. Pure numpy: scipy's sparse graph import alone costs more than the union-find
    on a run's candidate pairs.
    """
    parent = np.arange(n_nodes, dtype=np.int64)
    left = np.asarray(left, np.int64)
    right = np.asarray(right, np.int64)
    while len(left):
        lo, hi = parent[left], parent[right]
        np.minimum(lo, hi, out=lo)
        np.maximum(parent[left], hi, out=hi)
        joins = lo != hi
        if not joins.any():
            break
        left, right, lo, hi = left[joins], right[joins], lo[joins], hi[joins]
        np.minimum.at(parent, hi, lo)
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
    return parent


def assign_single(label: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """Single linkage: every node joins its component's first fixed node, else its smallest."""
    n = len(label)
    center = label.copy()
    fixed_nodes = np.flatnonzero(fixed)
    if len(fixed_nodes):
        first_fixed = np.full(n, -1, np.int64)
        # fixed nodes sort first within a component when numbered first; take the smallest
        order = fixed_nodes[np.argsort(label[fixed_nodes], kind="stable")]
        labels_of = label[order]
        keep = np.r_[True, labels_of[1:] != labels_of[:-1]]
        first_fixed[labels_of[keep]] = order[keep]
        has = first_fixed[label] >= 0
        center[has] = first_fixed[label[has]]
    center[fixed] = np.flatnonzero(fixed)
    return center


def assign_representative(
    label: np.ndarray, fixed: np.ndarray, similarity: Similarity, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """Centre per node and the node's similarity to it (1.0 for centres).

    Nodes are numbered in representative order, so "best unassigned node of a component" is its
    smallest unassigned node; fixed nodes (index documents) must be numbered before new ones
    and are never assigned to another centre.
    """
    n = len(label)
    center = np.full(n, -1, np.int64)
    score = np.ones(n, np.float64)
    in_cluster = np.bincount(label, minlength=n)[label] > 1
    center[~in_cluster] = np.flatnonzero(~in_cluster)
    pending = np.flatnonzero(in_cluster)
    while len(pending):
        # smallest pending node per component becomes that component's centre this round
        comp = label[pending]
        first = np.r_[True, comp[1:] != comp[:-1]] if _sorted_by(comp, pending) else None
        if first is None:
            order = np.lexsort((pending, comp))
            pending, comp = pending[order], comp[order]
            first = np.r_[True, comp[1:] != comp[:-1]]
        centres = pending[first]
        center[centres] = centres
        centre_of_comp = np.full(n, -1, np.int64)
        centre_of_comp[comp[first]] = centres
        rest = pending[~first]
        rest_centre = centre_of_comp[label[rest]]
        sim = similarity(rest, rest_centre) if len(rest) else np.zeros(0)
        joins = (sim >= threshold) & ~fixed[rest]
        center[rest[joins]] = rest_centre[joins]
        score[rest[joins]] = sim[joins]
        pending = rest[~joins]
    return center, score


def _sorted_by(comp: np.ndarray, nodes: np.ndarray) -> bool:
    return bool(
        len(comp) < 2
        or np.all((comp[1:] > comp[:-1]) | ((comp[1:] == comp[:-1]) & (nodes[1:] > nodes[:-1])))
    )


def assign(label: np.ndarray, fixed: np.ndarray, measure, kept_similarity: float):
    """(centre, similarity to it) per node, by the configured rule: plain components when
    `kept_similarity` <= 0 (every member joins the best-ranked node), else split around
    representatives at `kept_similarity`. Shared by the in-memory and out-of-core stages."""
    if kept_similarity > 0.0:
        return assign_representative(label, fixed, measure, kept_similarity)
    n = len(label)
    centre = assign_single(label, fixed)
    score = np.ones(n)
    joined = np.flatnonzero(centre != np.arange(n))
    score[joined] = measure(joined, centre[joined])
    return centre, score


def in_margin(values: np.ndarray, threshold: float, margin: float) -> np.ndarray:
    """Pairs whose estimated similarity lies within `margin` of `threshold`: the ones that
    `verify: exact` measures again by true Jaccard."""
    return np.abs(values - threshold) <= margin


def verified_similarity(
    estimate: Similarity,
    exact: Similarity | None,
    covers: Callable[[np.ndarray, np.ndarray], np.ndarray] | None,
    threshold: float,
    margin: float,
) -> Similarity:
    """The similarity both engines verify and split clusters with: the MinHash estimate, or
    true Jaccard (`exact`) where the estimate is within `margin` of `threshold` and `covers`
    says both documents have a shingle set."""
    if exact is None or covers is None:
        return estimate

    def similarity(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        values = estimate(left, right)
        near = in_margin(values, threshold, margin) & covers(left, right)
        if near.any():
            values[near] = exact(left[near], right[near])
        return values

    return similarity


def follow_copies(target: np.ndarray, similarity: np.ndarray) -> np.ndarray:
    """Re-point exact copies of a document that was itself dropped, in place; returns them.

    `target[i]` is -1 for a kept row, a row number for a row dropped for another row of the
    same numbering, anything below -1 for a row dropped for a document outside it (the
    index). Exact copies point at their group's best row; when that row turned out a near
    duplicate, its copies follow it to its kept document with its similarity, and so become
    near duplicates too. Shared by both engines so they agree on those rows.

    Examples
    --------
    >>> target = np.array([-1, 0, 1, -5, 3])  # 2 is a copy of 1, 4 of 3
    >>> similarity = np.array([1.0, 0.9, 1.0, 0.85, 1.0])
    >>> follow_copies(target, similarity).tolist(), target.tolist(), similarity.tolist()
    ([2, 4], [-1, 0, 0, -5, -5], [1.0, 0.9, 0.9, 0.85, 0.85])
    """
    via = np.flatnonzero(target >= 0)
    via = via[target[target[via]] != -1]
    target[via], similarity[via] = target[target[via]], similarity[target[via]]
    return via
