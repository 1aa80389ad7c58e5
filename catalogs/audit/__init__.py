"""Compliance: audit bundles of a version, document lookups, and the hash-chained audit trail.

- `write_bundle(catalog, "NAME@VERSION", out_dir)`: the self-contained bundle a regulator reads
  (catalogs.audit.bundle).
- `lookup_document(catalog, workspace, NAME, doc_id=... | source_uri=... | sha256=...)`: in which
  versions a document was, what each run decided, whether it was erased.
- `record_model` / `models_trained_on`: which models were trained on which versions.
- `append_entry`, `verify_chain`, `subject_hash`, `erasures_for_version`: the audit trail that
  erasure receipts and model records share (catalogs.audit.trail).

Names resolve on first use, so importing the package loads neither pyiceberg nor polars.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from catalogs.audit.bundle import write_bundle
    from catalogs.audit.lookup import lookup_document
    from catalogs.audit.models import models_trained_on, record_model
    from catalogs.audit.trail import (
        append_entry,
        erasures_for_version,
        read_trail,
        subject_hash,
        verify_chain,
    )

_EXPORTS = {
    "write_bundle": "catalogs.audit.bundle",
    "lookup_document": "catalogs.audit.lookup",
    "record_model": "catalogs.audit.models",
    "models_trained_on": "catalogs.audit.models",
    "append_entry": "catalogs.audit.trail",
    "erasures_for_version": "catalogs.audit.trail",
    "read_trail": "catalogs.audit.trail",
    "subject_hash": "catalogs.audit.trail",
    "verify_chain": "catalogs.audit.trail",
}
__all__ = [
    "append_entry",
    "erasures_for_version",
    "lookup_document",
    "models_trained_on",
    "read_trail",
    "record_model",
    "subject_hash",
    "verify_chain",
    "write_bundle",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
