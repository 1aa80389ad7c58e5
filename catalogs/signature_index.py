"""The dedup signature index beside a dataset: derived from its newest version, kept in step.

An incremental run deduplicates new documents against the index of the committed set. The
index is derived data: updated after each commit, removed when an update fails, and rebuilt
from the committed version when it does not hold the newest one.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq

if TYPE_CHECKING:
    from catalogs.registry import CatalogSettings
    from curation.spec import DatasetSpec


def ensure_signature_index(
    catalog_settings: CatalogSettings, spec: DatasetSpec, index_root: Path
) -> bool:
    """Rebuild the index from the newest committed version when it does not hold that version.

    The rebuilt signatures come from the committed (redacted) text, so documents whose PII was
    redacted sketch slightly differently from their originals. Returns True when it rebuilt.
    """
    from catalogs.registry import open_catalog
    from catalogs.versions import get_version, load_dataset_table
    from curation.dedup.index import SignatureIndex
    from curation.pipeline import build_stage
    from curation.stage import Stage

    catalog = open_catalog(catalog_settings)
    newest = get_version(catalog, spec.table_name)
    version = newest.name
    if version in SignatureIndex.open(index_root).versions():
        return False
    committed = load_dataset_table(catalog, spec.table_name).scan(snapshot_id=newest.snapshot_id)
    # the out-of-core backend spills the committed text beside the index, not into /tmp
    spill = index_root.parent / "rebuild-spill"
    try:
        output = build_stage(Stage.DEDUP, spec, work_dir=spill).process(committed.to_arrow())
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    signatures = output.artifacts.get("signatures")
    shutil.rmtree(index_root, ignore_errors=True)
    if signatures is not None and signatures.num_rows:
        SignatureIndex.open(index_root).add(signatures, version=version)
    return True


def update_signature_index(
    index_root: Path,
    signatures_path: Path | None,
    version: str,
    *,
    incremental: bool,
    replaced: list[str],
) -> None:
    """Keep the index equal to the committed version's documents, for the next incremental run.

    A full run rebuilds it from this run's kept documents; an incremental run removes the
    documents that left the set (deleted or changed at the source) and adds the new ones. The
    index is derived data: if this step fails, a full run rebuilds it.
    """
    from curation.dedup.index import SignatureIndex

    if not incremental:
        shutil.rmtree(index_root, ignore_errors=True)
    index = SignatureIndex.open(index_root)
    if replaced:
        index.remove(replaced)
    if signatures_path is not None:
        index.add(pq.read_table(signatures_path), version=version)
        signatures_path.unlink(missing_ok=True)


def refresh_after_commit(
    index_root: Path,
    signatures_path: Path | None,
    version: str,
    *,
    incremental: bool,
    replaced: list[str],
) -> str | None:
    """Update the index after a commit; on failure remove it and return a warning.

    A half-updated index must not be trusted: without it, the next incremental run rebuilds
    it from the committed version (`ensure_signature_index`).
    """
    try:
        update_signature_index(
            index_root, signatures_path, version, incremental=incremental, replaced=replaced
        )
    except Exception as error:  # noqa: BLE001 - any failure leaves the index untrustworthy
        shutil.rmtree(index_root, ignore_errors=True)
        return (
            f"the dedup signature index could not be updated ({type(error).__name__}); it was "
            "removed and the next incremental run rebuilds it from the committed version"
        )
    return None
