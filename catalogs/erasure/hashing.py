"""Salted hashes of identifiers, as the audit trail defines them, computed in bulk.

`catalogs.audit.trail.subject_hash` is the definition (HMAC-SHA256 under the workspace's salt).
It reads the salt on every call, which is fine for one request but not for every document of
an ingest batch, so `subject_hasher` reads it once and checks itself against the definition.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable

import pyarrow as pa
import pyarrow.compute as pc

from catalogs.audit.trail import SALT_FILE, WorkspaceLike, audit_folder, subject_hash

# What an identifier is replaced by where a record must stay (ledger rows): its salted hash.
PSEUDONYM_PREFIX = "erased-"

Hasher = Callable[[str], str]


def subject_hasher(workspace: WorkspaceLike) -> Hasher:
    """`subject_hash` bound to the workspace's salt, read once (created on first use)."""
    probe = subject_hash(workspace, "probe")  # creates the salt when there is none yet
    key = (audit_folder(workspace) / SALT_FILE).read_bytes()

    def hasher(value: str) -> str:
        return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()

    if hasher("probe") != probe:
        raise RuntimeError("catalogs.audit.trail.subject_hash no longer matches subject_hasher")
    return hasher


def pseudonym(hasher: Hasher, value: str) -> str:
    """The stand-in for an identifier that must leave a kept record: `erased-<salted hash>`."""
    return PSEUDONYM_PREFIX + hasher(value)


def hash_column(hasher: Hasher, values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """`hasher` of every value (nulls stay null), hashing each distinct value once."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    values = values.cast(pa.string())
    distinct = values.unique().drop_null()
    hashed = pa.array([hasher(v) for v in distinct.to_pylist()], pa.string())
    return hashed.take(pc.index_in(values, value_set=distinct))


def hash_all(hasher: Hasher, values: Iterable[str]) -> list[str]:
    """Sorted distinct hashes of `values` (what the trail records of a set of identifiers)."""
    return sorted({hasher(v) for v in values})
