"""Errors of the PII stage; every message says what to fix."""

from __future__ import annotations

from curation.exceptions import CurationError
from curation.tabular import TabularInputError


class PiiError(CurationError):
    """The PII stage cannot run as configured (missing model, key or list file)."""


class PseudonymKeyError(PiiError):
    """A pseudonymize action is configured but no key is available."""


class InputFormatError(TabularInputError, PiiError):
    """A file given to `curate redact` cannot be read or written in the format its name says."""
