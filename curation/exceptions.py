"""Domain errors of the curation core; every message says what to fix."""

from __future__ import annotations


class CurationError(Exception):
    """Base class: the CLI turns any of these into a clean message and exit code 2."""


class SpecError(CurationError):
    """A dataset spec is invalid; `key` names the offending key as a dotted path."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"{key}: {message}" if key else message)


class ExtractionError(CurationError):
    """A document could not be turned into text; `reason` is the ledger reason code."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


class WorkspaceError(CurationError):
    """The workspace (catalog, warehouse, models) is missing or unusable."""
