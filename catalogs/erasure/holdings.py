"""Where a subject's documents are: the dataset's data files, its ledger, and run staging.

Found before anything changes, so that a request that matches nothing, or far more than one
person's documents, changes nothing. What is found also makes the needles of the verification:
each document's id, source URI, original sha256 and text as the warehouse holds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from catalogs.erasure.locate import concat_found, orphan_rows, rows_matching
from catalogs.erasure.subject import Subject, SubjectKind
from catalogs.erasure.tablefiles import TableFiles
from catalogs.erasure.transforms import (
    ledger_reference_mask,
    ledger_subject_mask,
)

IDENTITY_COLUMNS = ("doc_id", "source_uri", "content_sha256")
NEEDLE_COLUMNS = (*IDENTITY_COLUMNS, "text")
LEDGER_MATCH_COLUMNS = ("doc_id", "source_uri", "details")


@dataclass
class Holdings:
    """The subject's documents and the files that hold them or name them."""

    doc_ids: set[str] = field(default_factory=set)
    source_uris: set[str] = field(default_factory=set)
    content_sha256s: set[str] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)
    # (original sha256, source URI) of each erased document, for its tombstone
    pairs: set[tuple[str | None, str | None]] = field(default_factory=set)
    # data files (path keys) -> doc ids of the rows to rewrite in them
    dataset_files: dict[str, set[str]] = field(default_factory=dict)
    ledger_files: dict[str, set[str]] = field(default_factory=dict)
    ledger_rows: int = 0
    staged_rows: int = 0
    orphan_rows: int = 0

    @property
    def empty(self) -> bool:
        return not (self.doc_ids or self.ledger_rows or self.staged_rows or self.orphan_rows)

    def add_documents(self, rows: pa.Table) -> None:
        """Record documents (rows with any of `NEEDLE_COLUMNS`)."""

        def values(name: str) -> list[str | None]:
            return (
                rows.column(name).to_pylist()
                if name in rows.column_names
                else [None] * rows.num_rows
            )

        ids, uris, shas, texts = (values(c) for c in NEEDLE_COLUMNS)
        self.doc_ids |= {v for v in ids if v}
        self.source_uris |= {v for v in uris if v}
        self.content_sha256s |= {v.lower() for v in shas if v}
        self.texts += [v for v in texts if v and v not in self.texts]
        self.pairs |= {
            (s.lower() if s else None, u) for s, u in zip(shas, uris, strict=True) if s or u
        }


def _ids_by_file(found: dict[str, pa.Table]) -> dict[str, set[str]]:
    return {key: set(rows.column("doc_id").drop_null().to_pylist()) for key, rows in found.items()}


def find_in_dataset(files: TableFiles, subject: Subject, holdings: Holdings) -> None:
    """The subject's rows in every live data file of the dataset (each file read once), and in
    its unreferenced data files (which the erasure deletes)."""
    columns = [*IDENTITY_COLUMNS, *(["text"] if subject.kind is SubjectKind.TEXT_MATCH else [])]
    hits = rows_matching(files, columns, subject.row_mask)
    if hits:
        rows = rows_matching(files, NEEDLE_COLUMNS, subject.row_mask, keys=hits)
        holdings.add_documents(concat_found(rows, NEEDLE_COLUMNS))
        holdings.dataset_files = _ids_by_file(hits)
    orphans = orphan_rows(files, NEEDLE_COLUMNS, subject.row_mask)
    if orphans is not None:
        holdings.orphan_rows += orphans.num_rows
        holdings.add_documents(orphans)


def find_references(files: TableFiles, holdings: Holdings) -> None:
    """Rows of other documents whose `dedup_cluster` names an erased one (rewritten, not removed)."""
    erased = pa.array(sorted(holdings.doc_ids), pa.string())

    def mask(batch: pa.Table) -> pa.Array:
        if "dedup_cluster" not in batch.column_names:
            return pa.array([False] * batch.num_rows)
        return pc.fill_null(pc.is_in(batch.column("dedup_cluster"), value_set=erased), False)

    for key, ids in _ids_by_file(rows_matching(files, ("doc_id", "dedup_cluster"), mask)).items():
        holdings.dataset_files.setdefault(key, set()).update(ids)


def find_in_ledger(files: TableFiles, subject: Subject, holdings: Holdings) -> None:
    """Ledger rows of the subject (by the request, an erased id or URI) and rows whose details
    name one; a document only the ledger knows (dropped or quarantined in every run) joins the
    erased documents."""
    ids, uris = set(holdings.doc_ids), set(holdings.source_uris)

    def mask(batch: pa.Table) -> pa.Array:
        return pc.or_(
            ledger_subject_mask(batch, subject, ids, uris),
            ledger_reference_mask(batch, ids | uris),
        )

    found = rows_matching(files, LEDGER_MATCH_COLUMNS, mask)
    if not found:
        return
    rows = concat_found(found, LEDGER_MATCH_COLUMNS)
    holdings.ledger_rows = rows.num_rows
    own = rows.filter(ledger_subject_mask(rows, subject, ids, uris))
    holdings.add_documents(own.select(["doc_id", "source_uri"]))
    holdings.ledger_files = _ids_by_file(found)


def find_in_staging(runs_root: Path, subject: Subject, holdings: Holdings) -> None:
    """Staged documents and ledger parts of the subject left in run folders (by the request
    alone: staging outlives a failed or killed run, not a committed one)."""
    for path in sorted(runs_root.glob("*/**/*.parquet")):
        schema = pq.read_schema(path)
        if subject.column not in schema.names:
            continue
        present = [c for c in NEEDLE_COLUMNS if c in schema.names]
        rows = pq.read_table(path, columns=present)
        rows = rows.filter(subject.row_mask(rows))
        if rows.num_rows:
            holdings.staged_rows += rows.num_rows
            holdings.add_documents(rows)
