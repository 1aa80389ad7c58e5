"""Erasure on request: a person's documents leave every retained version, with proof.

`erase(catalog, workspace, dataset, source_uri=..., request_id=...)` rewrites every snapshot
the dataset keeps that holds the subject, moves its tags (`v3` -> `v3-e1`), expires the old
snapshots, deletes the files no snapshot uses any more (pyiceberg does neither), pseudonymizes
the ledger, cleans the dedup index and run staging, reads every remaining file to verify, and
appends the receipt to the audit trail. `apply_tombstones` keeps erased documents out of later
runs. Names resolve on first use, so importing the package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from catalogs.erasure.procedure import erase
    from catalogs.erasure.tombstones import Tombstones, apply_tombstones, tombstones_for

__all__ = ["Tombstones", "apply_tombstones", "erase", "tombstones_for"]

_HOMES = {
    "erase": "catalogs.erasure.procedure",
    "Tombstones": "catalogs.erasure.tombstones",
    "apply_tombstones": "catalogs.erasure.tombstones",
    "tombstones_for": "catalogs.erasure.tombstones",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
