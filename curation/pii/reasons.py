"""Ledger reason codes of the PII stage, declared once."""

from __future__ import annotations

from enum import StrEnum


class PiiReason(StrEnum):
    """Why the PII stage changed or dropped a document."""

    REDACTED = "pii.redacted"
    DENSITY_EXCEEDED = "pii.density_exceeded"
