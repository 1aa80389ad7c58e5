"""Errors of erasure: each message names the problem and what to do about it."""

from __future__ import annotations

from catalogs.exceptions import CatalogError


class ErasureError(CatalogError):
    """Base class of erasure problems (the CLI turns them into one line and exit code 2)."""


class InvalidErasureRequest(ErasureError, ValueError):
    """The request does not name exactly one subject, or names it in an unusable form."""


class NoDocumentMatched(ErasureError):
    """No version, ledger row or staged batch holds the subject: nothing was changed."""


class TooManyDocuments(ErasureError):
    """The subject matches more documents than the request allows: nothing was changed."""


class RunInProgress(ErasureError):
    """A run is writing to the workspace; erasing now could race its commit."""


class ConcurrentChange(ErasureError):
    """The table changed while it was being erased; the erasure must be repeated."""
