"""Errors of the web catalog; each message says what to do instead."""

from __future__ import annotations

from catalogs.exceptions import CatalogError


class WebCatalogError(CatalogError):
    """Base class for problems of the web catalog."""


class InsecureBinding(WebCatalogError):
    """Serving beyond loopback without a token (or with a guessable one) is refused."""


class UnsupportedWarehouse(WebCatalogError):
    """The version's data files are not on a local file system that DuckDB may read."""


class QueryRefused(WebCatalogError):
    """A SQL console query that is not exactly one read-only SELECT, or that failed."""


class BadRequest(WebCatalogError):
    """A malformed address, such as a diff without two version names."""
