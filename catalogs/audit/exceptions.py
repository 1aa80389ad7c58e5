"""Errors of audit bundles, lookups and the audit trail; each message says what to do."""

from __future__ import annotations

from catalogs.exceptions import CatalogError


class AuditError(CatalogError):
    """Base class of audit problems (the CLI turns them into one line and exit code 2)."""


class TrailError(AuditError):
    """The audit trail cannot be read or appended to as it stands."""


class BundleError(AuditError):
    """An audit bundle could not be written truthfully (a file failed its own checks)."""
