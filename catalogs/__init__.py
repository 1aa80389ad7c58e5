"""Versioned datasets in an Iceberg catalog: versions, queries, stats, diff, export, readers.

`catalogs.load(name, version)` and `catalogs.scan(name, version)` read a version for training
(see `catalogs.readers`). They are resolved on first use, so importing the package (as the
`curate` CLI does for `--help`) loads neither pyiceberg, polars nor `datasets`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from catalogs.readers import load, scan

__all__ = ["load", "scan"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from catalogs import readers

        return getattr(readers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
