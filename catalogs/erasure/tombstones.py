"""Tombstones: erased documents that a later run must not take in again.

An erasure removes a document from every version, but the source may still hold the file: the
next run would ingest it again. So erasure leaves, per erased document, the salted hashes of the
sha256 of its original bytes and of its source URI in
`<workspace>/audit/<dataset>/tombstones.parquet` (never the values themselves), and ingest drops
any document whose bytes or URI hash to one of them, with the ledger reason
`erasure.tombstoned`. The URI hash excludes the place even when its bytes change; the content
hash excludes the same bytes found under another name.

The ledger row of a tombstoned document carries `erased-<hash>` stand-ins for its doc id and
source URI, so excluding the document never writes its identifiers back into the warehouse.
"""

from __future__ import annotations

import fcntl
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from catalogs.audit.trail import WorkspaceLike, trail_path, workspace_root
from catalogs.erasure.hashing import Hasher, hash_column, pseudonym, subject_hasher
from catalogs.erasure.reasons import ErasureReason
from curation.ledger import details_json
from curation.stage import Decision, StageDecision, StageOutput

TOMBSTONE_FILE = "tombstones.parquet"
TOMBSTONE_SCHEMA = pa.schema(
    [
        pa.field("content_sha256_hash", pa.string()),
        pa.field("source_uri_hash", pa.string()),
        pa.field("request_id", pa.string()),
        pa.field("erased_at", pa.string()),
    ]
)


def tombstones_path(workspace: WorkspaceLike, dataset: str) -> Path:
    """`<workspace>/audit/<namespace.table>/tombstones.parquet`, beside the dataset's trail."""
    return trail_path(workspace, dataset).parent / TOMBSTONE_FILE


def add_tombstones(
    workspace: WorkspaceLike,
    dataset: str,
    *,
    content_sha256s: Iterable[str | None],
    source_uris: Iterable[str | None],
    request_id: str,
    hasher: Hasher | None = None,
) -> int:
    """Record tombstones for erased documents (pairs of original sha256 and source URI, either
    may be None); returns how many new ones were written. Rewrites the file atomically under a
    lock, so concurrent erasures of one dataset never lose each other's tombstones."""
    hasher = hasher or subject_hasher(workspace)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    pairs = {
        (hasher(sha.lower()) if sha else None, hasher(uri) if uri else None)
        for sha, uri in zip(content_sha256s, source_uris, strict=True)
        if sha or uri
    }
    path = tombstones_path(workspace, dataset)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        existing = pq.read_table(path) if path.exists() else TOMBSTONE_SCHEMA.empty_table()
        known = set(
            zip(
                existing.column("content_sha256_hash").to_pylist(),
                existing.column("source_uri_hash").to_pylist(),
                strict=True,
            )
        )
        new = sorted(pairs - known, key=lambda p: (p[0] or "", p[1] or ""))
        if not new:
            return 0
        added = pa.table(
            {
                "content_sha256_hash": [p[0] for p in new],
                "source_uri_hash": [p[1] for p in new],
                "request_id": [request_id] * len(new),
                "erased_at": [now] * len(new),
            },
            schema=TOMBSTONE_SCHEMA,
        )
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        pq.write_table(pa.concat_tables([existing.cast(TOMBSTONE_SCHEMA), added]), temporary)
        temporary.replace(path)
    return len(new)


@dataclass(frozen=True)
class Tombstones:
    """The tombstones of one dataset, as a run's ingest step applies them.

    Holds only where they are, so it travels to any worker that can see the workspace (as the
    run's staging must); the file and the salt are read when a batch is checked.
    """

    workspace: Path
    dataset: str

    def apply(self, output: StageOutput) -> StageOutput:
        """Ingest's output with tombstoned documents dropped (see `apply_tombstones`)."""
        return apply_tombstones(output.table, self, decision=output.decision)

    def hashes(self) -> tuple[pa.Array, pa.Array]:
        """The recorded content-sha256 hashes and source-URI hashes."""
        table = pq.read_table(tombstones_path(self.workspace, self.dataset))
        return (
            table.column("content_sha256_hash").combine_chunks().drop_null(),
            table.column("source_uri_hash").combine_chunks().drop_null(),
        )


def tombstones_for(workspace: WorkspaceLike, dataset: str) -> Tombstones | None:
    """The dataset's tombstones, or None when nothing was ever erased from it (then ingest has
    nothing to check)."""
    if not tombstones_path(workspace, dataset).is_file():
        return None
    return Tombstones(workspace_root(workspace), dataset)


def apply_tombstones(
    table: pa.Table, tombstones: Tombstones | None, *, decision: StageDecision | None = None
) -> StageOutput:
    """Decide ingest's rows against the tombstones: a document whose original bytes or source
    URI were erased is dropped with reason `erasure.tombstoned`, whatever ingest decided.

    `table` is an ingest batch (documents and quarantined rows, as `IngestBatch.as_stage_output`
    gives them) and `decision` ingest's decision for it (all kept when None). The rows and their
    order stay as they were (the runner splits them, `curation.stage.apply_decision`), except
    that a tombstoned row's `doc_id` and `source_uri` become `erased-<salted hash>`, the form
    its ledger row may keep.
    """
    decision = decision or StageDecision.keep_all(table.num_rows)
    if tombstones is None or table.num_rows == 0:
        return StageOutput(table, decision)
    content_hashes, uri_hashes = tombstones.hashes()
    hasher = subject_hasher(tombstones.workspace)
    sha = pc.utf8_lower(_strings(table, "content_sha256"))
    by_content = pc.fill_null(pc.is_in(hash_column(hasher, sha), value_set=content_hashes), False)
    uris = _strings(table, "source_uri")
    by_uri = pc.fill_null(pc.is_in(hash_column(hasher, uris), value_set=uri_hashes), False)
    hit = pc.or_(by_content, by_uri)
    if not pc.any(hit).as_py():
        return StageOutput(table, decision)
    mask = hit.to_numpy(zero_copy_only=False)
    matched = np.where(by_content.to_numpy(zero_copy_only=False), "content_sha256", "source_uri")
    outcome = np.asarray(decision.decision.to_pylist(), dtype=object)
    reason = np.asarray(decision.reason.to_pylist(), dtype=object)
    details = np.asarray(decision.details.to_pylist(), dtype=object)
    outcome[mask] = Decision.DROPPED.value
    reason[mask] = ErasureReason.TOMBSTONED.value
    details[mask] = [details_json(matched=m) for m in matched[mask]]
    for column in ("doc_id", "source_uri"):
        if column not in table.column_names:
            continue
        values = table.column(column).combine_chunks()
        stand_ins = pa.array(
            [
                pseudonym(hasher, v) if v is not None else None
                for v in values.filter(hit).to_pylist()
            ],
            values.type,
        )
        replaced = pc.replace_with_mask(values, hit, stand_ins)
        table = table.set_column(table.schema.get_field_index(column), column, replaced)
    return StageOutput(
        table,
        StageDecision(
            decision=pa.array(outcome, pa.string()),
            reason=pa.array(reason, pa.string()),
            details=pa.array(details, pa.string()),
        ),
    )


def _strings(table: pa.Table, name: str) -> pa.Array:
    """A column as one string array (nulls when the batch lacks it)."""
    if name not in table.column_names:
        return pa.nulls(table.num_rows, pa.string())
    return table.column(name).combine_chunks().cast(pa.string())
