"""Ledger reason codes of the dedup stage, declared once."""

from __future__ import annotations

from enum import StrEnum


class DedupReason(StrEnum):
    """Why dedup dropped a document; details carry `kept_doc_id` and `similarity`."""

    EXACT_DUPLICATE = "dedup.exact_duplicate"
    NEAR_DUPLICATE = "dedup.near_duplicate"
