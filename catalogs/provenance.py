"""Provenance of a version: where each document came from and how it was made.

The chain for one document is: source URI -> sha256 of the original bytes -> extractor and its
version -> run id (and the spec fingerprint and code version of that run) -> every ledger
decision on the document in that run. Text is not part of the chain; PII counts are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow.compute as pc

from catalogs.exceptions import CatalogError
from catalogs.query import parse_reference
from catalogs.versions import get_version, load_dataset_table, read_ledger
from curation.ledger import STAGE_ORDER
from curation.schema import PROVENANCE_COLUMNS

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

CHAIN_COLUMNS = (
    "doc_id",
    *PROVENANCE_COLUMNS,
    "spdx",
    "license_evidence",
    "license_confidence",
    "license_category",
    "attribution",
    "lang",
    "dedup_cluster",
    "pii_counts",
    "run_id",
)


class DocumentNotInVersion(CatalogError):
    """The document id is not part of that version."""


def document_provenance(catalog: Catalog, reference: str, doc_id: str) -> dict[str, Any]:
    """The whole provenance chain of one document of one version."""
    from pyiceberg.expressions import EqualTo

    name, version_name = parse_reference(reference)
    version = get_version(catalog, name, version_name)
    table = load_dataset_table(catalog, name)
    rows = (
        table.scan(
            snapshot_id=version.snapshot_id,
            row_filter=EqualTo("doc_id", doc_id),
            selected_fields=CHAIN_COLUMNS,
        )
        .to_arrow()
        .to_pylist()
    )
    if not rows:
        raise DocumentNotInVersion(
            f"document {doc_id!r} is not in {version.dataset}@{version.name}; "
            f"its ledger (`curate catalog show {version.dataset}@{version.name}`) says why"
        )
    row = rows[0]
    ledger = read_ledger(catalog, name, version.run_id)
    mine = ledger.filter(pc.equal(ledger.column("doc_id"), doc_id))
    decisions = sorted(
        mine.select(["stage", "decision", "reason", "details"]).to_pylist(),
        key=lambda d: (
            STAGE_ORDER.index(d["stage"]) if d["stage"] in STAGE_ORDER else len(STAGE_ORDER)
        ),
    )
    pii = row.pop("pii_counts") or []
    return {
        "dataset": version.dataset,
        "version": version.name,
        "document": row,
        "pii_counts": {entry["key"]: entry["value"] for entry in pii},
        "run": {
            "run_id": version.run_id,
            "spec_fingerprint": version.spec_fingerprint,
            "code_version": version.code_version,
            "committed_at": version.created_at,
        },
        "decisions": decisions,
    }


def version_sources(catalog: Catalog, reference: str) -> list[dict[str, Any]]:
    """Sources of a version with document counts and the license mix of each."""
    name, version_name = parse_reference(reference)
    version = get_version(catalog, name, version_name)
    table = load_dataset_table(catalog, name)
    arrow = table.scan(
        snapshot_id=version.snapshot_id, selected_fields=("source_id", "spdx", "license_evidence")
    ).to_arrow()
    frame = pl.from_arrow(arrow)
    if frame.height == 0:
        return []
    grouped = (
        frame.group_by("source_id", "spdx")
        .agg(pl.len().alias("documents"))
        .sort("source_id", "documents", descending=[False, True])
    )
    out: dict[str, dict[str, Any]] = {}
    for row in grouped.iter_rows(named=True):
        entry = out.setdefault(
            row["source_id"], {"source_id": row["source_id"], "documents": 0, "licenses": {}}
        )
        entry["documents"] += row["documents"]
        entry["licenses"][row["spdx"] or "NOASSERTION"] = row["documents"]
    return list(out.values())
