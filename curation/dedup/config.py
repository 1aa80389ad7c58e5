"""The `dedup` section of a dataset spec, as a frozen dataclass."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from curation.exceptions import SpecError

Verify = Literal["none", "estimated", "exact"]
Representative = Literal["oldest", "newest", "longest", "most_permissive"]
Engine = Literal["auto", "memory", "out_of_core"]
ENGINES: tuple[str, ...] = ("auto", "memory", "out_of_core")


@dataclass(frozen=True)
class DedupConfig:
    """MinHash-LSH near-duplicate settings.

    Defaults: word 5-gram shingles and 128 permutations (the Gopher / RefinedWeb / datatrove
    convention); threshold 0.8 on shingle-set Jaccard. `bands` x `rows` default to the banding
    that minimizes a recall-weighted error (false negatives weigh 0.9, datasketch's optimizer):
    on the near-duplicate benchmark every candidate is verified against its signature anyway,
    so extra candidates cost little while a missed pair is lost for good.

    Clusters are union-find components of verified pairs, split around representatives: a
    document is dropped for a kept one only if their similarity reaches `kept_similarity`
    (0.6, measured on the near-duplicate benchmark: recall 0.98 of pairs >= 0.9 and 0.94 of
    pairs >= 0.8, 0.03% of clustered pairs below 0.5; plain components, `kept_similarity: 0`,
    put 5% of pairs below 0.5 in one cluster as revision chains drift; `kept_similarity` equal
    to the threshold gives strict stars with recall 0.74 at 0.8).
    `verify="exact"` recomputes true shingle-set Jaccard for pairs whose estimate lies within
    `exact_margin` of the threshold: exact where it counts, estimated elsewhere. Such runs also
    keep each committed document's shingle set in the signature index, so pairs with documents
    of earlier versions are verified exactly too, by either engine. Those
    sets are 32-bit hashes of every word 5-gram of the unredacted text (dedup runs before PII),
    so the index then confirms whether a known phrase was in a document: it stays in the
    workspace, with the sources, and erasure removes a document's set with its signature.

    In `curate run` dedup always streams (`curation.pipeline`: sketches per staged batch,
    decisions from the sketches with the out-of-core machinery, decisions applied per batch),
    whatever `engine` says. `engine` picks the backend of `DedupStage` called on one table
    (`curate dedup`, the library); both decide the same rows the same way. `memory`
    holds every signature and band hash at once; `out_of_core` writes the batch to Parquet and
    groups on disk with DuckDB (`curation.dedup.outofcore`); `auto` goes out of core above
    `out_of_core_above_rows` documents or `out_of_core_above_bytes` of text. Beside the text
    it is handed, the in-memory engine's peak was 2.7-4.7 KB per document (signature, band
    hashes, their grouping; 100 k-500 k documents of 300 words, 1.9 KB of text each) and
    6.6 KB under `verify: exact` (shingle sets of candidates and kept documents, about 3.4x
    their text); the out-of-core engine's, through `DedupStage`, 2.3 KB per document at
    500 k with a 1 GB DuckDB limit, most of it the kept documents' signatures it returns.
    The defaults, 1 M documents and 2 GiB of text, keep the in-memory working set near a
    quarter of a 24 GB machine, which also holds the run's documents.

    Examples
    --------
    >>> from curation.config import build_config
    >>> cfg = build_config(DedupConfig, {"threshold": 0.7}, "dedup")
    >>> cfg.threshold, cfg.band_params()[0] * cfg.band_params()[1] <= cfg.num_perm
    (0.7, True)
    """

    threshold: float = 0.8
    ngram: int = 5
    num_perm: int = 128
    bands: int | None = None
    rows: int | None = None
    seed: int = 1
    verify: Verify = "estimated"
    exact_margin: float = 0.1
    representative: Representative = "oldest"
    kept_similarity: float = 0.6
    exact: bool = True
    engine: Engine = "auto"
    out_of_core_above_rows: int = 1_000_000
    out_of_core_above_bytes: int = 2 * 2**30

    def __post_init__(self) -> None:
        # SpecError names the key, as build_config does for unknown keys and wrong types
        if not 0.0 < self.threshold <= 1.0:
            raise SpecError("dedup.threshold", f"must be in (0, 1], got {self.threshold}")
        if self.ngram < 1:
            raise SpecError("dedup.ngram", f"must be at least 1, got {self.ngram}")
        if not 2 <= self.num_perm <= 1024:
            raise SpecError("dedup.num_perm", f"must be between 2 and 1024, got {self.num_perm}")
        if (self.bands is None) != (self.rows is None):
            raise SpecError("dedup.bands", "bands and rows go together: set both or neither")
        if (
            self.bands is not None
            and self.rows is not None
            and (self.bands < 1 or self.rows < 1 or self.bands * self.rows > self.num_perm)
        ):
            raise SpecError(
                "dedup.bands",
                f"bands * rows must be positive and at most num_perm ({self.num_perm}), "
                f"got {self.bands} * {self.rows}",
            )
        if not 0.0 <= self.kept_similarity <= self.threshold:
            raise SpecError(
                "dedup.kept_similarity",
                f"must be between 0 and threshold ({self.threshold}), got {self.kept_similarity}",
            )
        if not 0.0 <= self.exact_margin <= 1.0:
            raise SpecError("dedup.exact_margin", f"must be in [0, 1], got {self.exact_margin}")
        if self.engine not in ENGINES:
            raise SpecError(
                "dedup.engine",
                f"must be one of {', '.join(map(repr, ENGINES))}, got {self.engine!r}",
            )
        for key in ("out_of_core_above_rows", "out_of_core_above_bytes"):
            if getattr(self, key) < 0:
                raise SpecError(f"dedup.{key}", f"must be 0 or more, got {getattr(self, key)}")

    def band_params(self) -> tuple[int, int]:
        """(bands, rows): explicit, else derived from threshold and num_perm."""
        if self.bands is not None and self.rows is not None:
            return self.bands, self.rows
        return optimal_bands(self.threshold, self.num_perm)


@lru_cache(maxsize=64)
def optimal_bands(
    threshold: float, num_perm: int, false_negative_weight: float = 0.9
) -> tuple[int, int]:
    """The (bands, rows) minimizing weighted false-positive + false-negative area.

    The same objective as datasketch's `MinHashLSH` optimizer, integrated on a grid with numpy
    for every (b, r) at once: datasketch's scipy loop takes about 2 s for 128 permutations.
    """
    grid = np.linspace(0.0, 1.0, 2001)
    below, above = grid <= threshold, grid >= threshold
    best, best_error = (1, 1), float("inf")
    for rows in range(1, num_perm + 1):
        bands = np.arange(1, num_perm // rows + 1)[:, None]
        collide = 1.0 - (1.0 - grid**rows) ** bands
        fp = np.trapezoid(np.where(below, collide, 0.0), grid, axis=1)
        fn = np.trapezoid(np.where(above, 1.0 - collide, 0.0), grid, axis=1)
        error = (1.0 - false_negative_weight) * fp + false_negative_weight * fn
        i = int(np.argmin(error))
        if error[i] < best_error - 1e-12:
            best, best_error = (int(bands[i, 0]), rows), float(error[i])
    return best
