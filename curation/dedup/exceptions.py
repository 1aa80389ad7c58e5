"""Errors of the dedup stage; each message says what to fix."""

from __future__ import annotations

from curation.exceptions import CurationError
from curation.tabular import TabularInputError


class DedupError(CurationError):
    """Base class of dedup errors."""


class IndexMismatchError(DedupError):
    """A persisted signature index was built with other MinHash parameters than the config."""


class DedupInputError(TabularInputError, DedupError):
    """An input file for `curate dedup` is missing, unreadable or lacks a named column."""
