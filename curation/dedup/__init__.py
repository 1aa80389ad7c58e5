"""Exact and near-duplicate removal: column-wise MinHash-LSH, incremental across versions.

The stage of a run: `DedupStage(cfg, index=..., work_dir=...)` (`curation.stage` contract),
which runs one of two engines that decide identically: `deduplicate(table, cfg, index=...) ->
DedupOutcome` in memory, or `deduplicate_table` / `deduplicate_parquet` (in
`curation.dedup.outofcore`, DuckDB over Parquet) for more documents than memory. The
persistent index of committed versions: `SignatureIndex`; the spec section: `DedupConfig`.
"""

from __future__ import annotations

from curation.dedup.config import DedupConfig
from curation.dedup.exceptions import DedupError, DedupInputError, IndexMismatchError
from curation.dedup.index import SignatureIndex
from curation.dedup.reasons import DedupReason
from curation.dedup.stage import DedupOutcome, DedupStage, deduplicate, index_params

STAGE = "dedup"

__all__ = [
    "STAGE",
    "DedupConfig",
    "DedupError",
    "DedupInputError",
    "DedupOutcome",
    "DedupReason",
    "DedupStage",
    "IndexMismatchError",
    "SignatureIndex",
    "deduplicate",
    "index_params",
]
