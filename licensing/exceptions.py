"""Errors of the licensing package; every message says what to fix."""

from __future__ import annotations

from curation.exceptions import CurationError


class LicensingError(CurationError):
    """Base class of license resolution and policy errors."""


class LicenseExpressionError(LicensingError):
    """A string is not a valid SPDX license expression (syntax or unknown identifier)."""


class ManifestError(LicensingError):
    """A license manifest (spec globs or a sidecar file) cannot be used as written."""
