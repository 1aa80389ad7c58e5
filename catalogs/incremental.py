"""Incremental runs: what the newest version holds, and which ingested documents it already has.

A document is carried (skips every stage) when its `doc_id` and the sha256 of its original bytes
match a row of the newest version, and only when that version was redacted under the same PII
policy and rules; the ledger records it as stage `incremental`, kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from curation.ledger import Decision, ledger_table
from curation.pii.config import policy_fingerprint
from curation.pipeline import batch_name
from curation.runs import RunPaths
from curation.schema import conform
from curation.stage import Stage
from curation.tabular import write_atomic

if TYPE_CHECKING:
    from catalogs.registry import CatalogSettings
    from curation.spec import DatasetSpec


def current_version_keys(
    catalog_settings: CatalogSettings, dataset: str
) -> tuple[int | None, pa.Table | None]:
    """Snapshot id and (doc_id, content_sha256) of the dataset's newest version, if any."""
    from catalogs.exceptions import CatalogError
    from catalogs.registry import open_catalog
    from catalogs.versions import get_version, load_dataset_table

    catalog = open_catalog(catalog_settings)
    try:
        version = get_version(catalog, dataset)
    except CatalogError:
        return None, None
    keys = (
        load_dataset_table(catalog, dataset)
        .scan(snapshot_id=version.snapshot_id, selected_fields=("doc_id", "content_sha256"))
        .to_arrow()
    )
    return version.snapshot_id, keys


def carry_refused(
    catalog_settings: CatalogSettings, spec: DatasetSpec, snapshot_id: int
) -> str | None:
    """Why an incremental run must not carry the newest version's rows, or None when it may.

    Carried rows skip every stage, PII included: they are only safe to carry when the same PII
    policy and detection rules produced them. A version without the property was redacted by an
    older engine (before metadata columns and languages were covered).
    """
    from catalogs.registry import open_catalog
    from catalogs.versions import snapshot_property

    catalog = open_catalog(catalog_settings)
    stored = snapshot_property(catalog, spec.table_name, snapshot_id, "pii_fingerprint")
    if stored == policy_fingerprint(spec.pii):
        return None
    return (
        "the PII policy or detection rules changed since the newest version"
        if stored
        else "the newest version was redacted by an older PII engine"
    )


def split_unchanged(batch_path: Path, *, previous: pa.Table, run_id: str, paths: RunPaths) -> Path:
    """Incremental runs: documents whose bytes are already in the current version skip every
    stage and are carried into the new version (ledger: stage `incremental`, kept).

    A document is unchanged when its `doc_id` (source + path) and the sha256 of its original
    bytes both match a row of the previous version; everything else goes on as new.
    """
    import pyarrow.compute as pc

    name = f"{Stage.INCREMENTAL}-{batch_name(batch_path)}.parquet"
    if (paths.documents / name).exists() and (paths.ledger / name).exists():
        return paths.documents / name  # finished before the run was interrupted
    table = conform(pq.read_table(batch_path))
    keys = pc.binary_join_element_wise(
        table.column("doc_id"), table.column("content_sha256"), "\x00"
    )
    previous_keys = pc.binary_join_element_wise(
        previous.column("doc_id"), previous.column("content_sha256"), "\x00"
    )
    unchanged = pc.fill_null(pc.is_in(keys, value_set=previous_keys), False)
    carried = table.filter(unchanged)
    write_atomic(
        ledger_table(
            run_id,
            Stage.INCREMENTAL,
            carried.column("doc_id"),
            [Decision.KEPT.value] * carried.num_rows,
            ["incremental.unchanged"] * carried.num_rows,
            source_ids=carried.column("source_id"),
            source_uris=carried.column("source_uri"),
        ),
        paths.ledger / name,
    )
    return write_atomic(table.filter(pc.invert(unchanged)), paths.documents / name)
