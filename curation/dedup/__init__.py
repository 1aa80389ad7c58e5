"""Exact and near-duplicate removal: column-wise MinHash-LSH, incremental across versions.

The stage: `deduplicate(table, cfg, index=...) -> DedupOutcome`; the persistent index of
committed versions: `SignatureIndex`; the spec section: `DedupConfig`; more documents than
memory: `deduplicate_parquet` (in `curation.dedup.outofcore`, which needs DuckDB).
"""

from __future__ import annotations

from curation.dedup.config import DedupConfig
from curation.dedup.exceptions import DedupError, DedupInputError, IndexMismatchError
from curation.dedup.index import SignatureIndex
from curation.dedup.reasons import DedupReason
from curation.dedup.stage import DedupOutcome, deduplicate, index_params

STAGE = "dedup"

__all__ = [
    "STAGE",
    "DedupConfig",
    "DedupError",
    "DedupInputError",
    "DedupOutcome",
    "DedupReason",
    "IndexMismatchError",
    "SignatureIndex",
    "deduplicate",
    "index_params",
]
