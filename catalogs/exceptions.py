"""Errors of the catalog layer."""

from __future__ import annotations

from curation.exceptions import CurationError


class CatalogError(CurationError):
    """Base class for catalog problems."""


class DatasetNotFound(CatalogError):
    """No dataset (Iceberg table) of that name in the catalog."""


class VersionNotFound(CatalogError):
    """The dataset has no version (tag) of that name."""
