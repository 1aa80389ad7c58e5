"""Ledger reasons of erasure: why a later run left a document out.

Declared once so the ledger, tests and reports agree on the spelling.
"""

from __future__ import annotations

from enum import StrEnum


class ErasureReason(StrEnum):
    """Reasons erasure gives in the ledger (`reason` column)."""

    # dropped at ingest: the document's original bytes or its source URI were erased on request
    TOMBSTONED = "erasure.tombstoned"
