"""`curate audit lookup`: where one document went: versions, decisions per run, erasure, models.

Answers a data subject's or a regulator's question about one document, named by its doc id, its
source URI or the sha256 of its original bytes: in which tagged versions it is (each version's
snapshot is scanned for that one column with a pushed-down filter, reading three more columns
of the matching rows only), what every run decided about it (the ledger rows of its doc ids),
whether an erasure removed it (trail entries whose subject hash matches any identifier of the
document) and which recorded models were trained on a version that held it.

The ledger has no content hash, so a lookup by sha256 reaches the ledger through the doc ids
the versions hold; a document dropped by every run is found by doc id or source URI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from catalogs.audit.exceptions import AuditError
from catalogs.audit.models import models_trained_on
from catalogs.audit.trail import WorkspaceLike, read_trail, subject_hash, verify_chain
from catalogs.exceptions import DatasetNotFound
from catalogs.versions import LEDGER_SUFFIX, list_versions, load_dataset_table, qualified
from curation.ledger import STAGE_ORDER

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

# identifier option -> the version column that holds it
IDENTIFIERS = {"doc_id": "doc_id", "source_uri": "source_uri", "sha256": "content_sha256"}
FOUND_COLUMNS = ("doc_id", "source_id", "source_uri", "content_sha256")
LEDGER_COLUMNS = ("run_id", "doc_id", "source_id", "source_uri", "stage", "decision", "reason")


def _one_identifier(identifiers: dict[str, str | None]) -> tuple[str, str]:
    given = {k: v for k, v in identifiers.items() if v}
    if len(given) != 1:
        raise AuditError("name the document by exactly one of --doc-id, --source-uri or --sha256")
    return next(iter(given.items()))


def _in_versions(
    catalog: Catalog, dataset: str, column: str, value: str
) -> tuple[list[dict[str, Any]], pa.Table]:
    """Per tagged version holding the document: its doc ids; and every matching row."""
    from pyiceberg.expressions import EqualTo

    table = load_dataset_table(catalog, dataset)
    found, rows = [], []
    for version in list_versions(catalog, dataset):
        matches = table.scan(
            snapshot_id=version.snapshot_id,
            row_filter=EqualTo(column, value),
            selected_fields=FOUND_COLUMNS,
        ).to_arrow()
        if matches.num_rows:
            rows.append(matches.select(list(FOUND_COLUMNS)))
            found.append(
                {
                    "version": version.name,
                    "snapshot_id": version.snapshot_id,
                    "committed_at": version.created_at,
                    "run_id": version.run_id,
                    "doc_ids": sorted(set(matches.column("doc_id").to_pylist())),
                }
            )
    empty = pa.table({c: pa.array([], pa.string()) for c in FOUND_COLUMNS})
    return found, (
        pa.concat_tables([empty, *rows], promote_options="permissive") if rows else empty
    )


def _ledger_rows(
    catalog: Catalog, dataset: str, by: str, value: str, doc_ids: list[str]
) -> pa.Table:
    """Every ledger row of the document: by its doc ids, and for a source URI by that URI too."""
    from pyiceberg.expressions import EqualTo, In, Or

    try:
        ledger = load_dataset_table(catalog, dataset + LEDGER_SUFFIX)
    except DatasetNotFound:
        return pa.table({c: pa.array([], pa.string()) for c in LEDGER_COLUMNS})
    ids = set(doc_ids) | ({value} if by == "doc_id" else set())
    conditions = [In("doc_id", sorted(ids))] if ids else []
    if by == "source_uri":
        conditions.append(EqualTo("source_uri", value))
    if not conditions:
        return pa.table({c: pa.array([], pa.string()) for c in LEDGER_COLUMNS})
    row_filter = conditions[0] if len(conditions) == 1 else Or(*conditions)
    return ledger.scan(row_filter=row_filter, selected_fields=LEDGER_COLUMNS).to_arrow()


def _recorded_hashes(entry: dict[str, Any]) -> set[str]:
    """Every salted hash an erasure receipt records of what it erased: the identifier of the
    request (`subject_sha256`) and those of each document it removed (`doc_id_hashes`,
    `subject_hashes`), so a lookup by any identifier of the document finds the erasure."""
    hashes = {entry.get("subject_sha256")}
    for key in ("doc_id_hashes", "subject_hashes"):
        values = entry.get(key)
        if isinstance(values, list):
            hashes.update(v for v in values if isinstance(v, str))
    return {h for h in hashes if isinstance(h, str) and h}


def _runs(ledger: pa.Table, run_versions: dict[str, str]) -> list[dict[str, Any]]:
    """Per run (oldest first): the version it made, and per document its decisions in stage
    order and how the run ended for it."""
    rank = {s: i for i, s in enumerate(STAGE_ORDER)}
    rows = sorted(
        ledger.select(["run_id", "doc_id", "stage", "decision", "reason"]).to_pylist(),
        key=lambda r: (r["run_id"], r["doc_id"], rank.get(r["stage"], len(rank)), r["stage"]),
    )
    runs: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        doc = runs.setdefault(row["run_id"], {}).setdefault(
            row["doc_id"], {"doc_id": row["doc_id"], "decisions": [], "outcome": "kept"}
        )
        doc["decisions"].append({k: row[k] for k in ("stage", "decision", "reason")})
        if row["decision"] in ("dropped", "quarantined") and doc["outcome"] == "kept":
            doc["outcome"] = f"{row['decision']} at {row['stage']} ({row['reason']})"
        elif (
            row["stage"] == "incremental"
            and row["reason"] == "incremental.unchanged"
            and doc["outcome"] == "kept"
        ):
            doc["outcome"] = "kept (carried unchanged)"
    return [
        {"run_id": run_id, "version": run_versions.get(run_id), "documents": list(docs.values())}
        for run_id, docs in runs.items()
    ]


def lookup_document(
    catalog: Catalog,
    workspace: WorkspaceLike,
    dataset: str,
    *,
    doc_id: str | None = None,
    source_uri: str | None = None,
    sha256: str | None = None,
) -> dict[str, Any]:
    """Where the document named by one identifier was, what happened to it, whether it was erased."""
    by, value = _one_identifier({"doc_id": doc_id, "source_uri": source_uri, "sha256": sha256})
    found, rows = _in_versions(catalog, dataset, IDENTIFIERS[by], value)
    doc_ids = sorted(set(rows.column("doc_id").to_pylist()))
    ledger = _ledger_rows(catalog, dataset, by, value, doc_ids)
    versions = list_versions(catalog, dataset)
    run_versions = {v.run_id: v.name for v in versions if v.run_id}

    identities = pa.concat_tables(
        [
            rows.select(["doc_id", "source_id", "source_uri"]),
            ledger.select(["doc_id", "source_id", "source_uri"]).cast(
                rows.select(["doc_id", "source_id", "source_uri"]).schema
            ),
        ]
    )
    known = {value}
    for column in ("doc_id", "source_uri"):
        known |= {v for v in pc.unique(identities.column(column)).to_pylist() if v}
    known |= {v for v in pc.unique(rows.column("content_sha256")).to_pylist() if v}
    hashes = {subject_hash(workspace, v) for v in known}
    erasures = [
        {
            "request_id": e.get("request_id"),
            "at": e.get("at"),
            "verified": e.get("verified"),
            "versions_affected": e.get("versions_affected") or [],
        }
        for e in read_trail(workspace, dataset)
        if e.get("kind") == "erasure" and hashes & _recorded_hashes(e)
    ]
    documents = {
        r["doc_id"]: {k: r[k] for k in ("doc_id", "source_id", "source_uri")}
        for r in identities.to_pylist()
    }
    hashes_by_doc: dict[str, set[str]] = {}
    for row in rows.select(["doc_id", "content_sha256"]).to_pylist():
        if row["content_sha256"]:
            hashes_by_doc.setdefault(row["doc_id"], set()).add(row["content_sha256"])
    in_versions = [v["version"] for v in found]
    return {
        "dataset": qualified(dataset),
        "query": {"by": by, "value": value},
        "found": bool(found or ledger.num_rows),
        "documents": [
            {**documents[d], "content_sha256": sorted(hashes_by_doc.get(d, set()))}
            for d in sorted(documents)
        ],
        "versions": found,
        "absent_from": [v.name for v in versions if v.name not in in_versions],
        "runs": _runs(ledger, run_versions),
        "erased": bool(erasures),
        "erasures": erasures,
        "models": models_trained_on(workspace, dataset, in_versions),
        "audit_trail_ok": verify_chain(workspace, dataset).ok,
    }
