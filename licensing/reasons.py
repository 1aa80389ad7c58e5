"""Ledger reason codes of the license stage, declared once."""

from __future__ import annotations

from enum import StrEnum


class LicenseReason(StrEnum):
    """Why the license gate held a document back; details name the expression and the rule."""

    DENIED = "license.denied"
    UNKNOWN = "license.unknown"
