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
    from pyiceberg.table import Table

    from catalogs.registry import CatalogSettings
    from curation.spec import DatasetSpec


def ensure_signature_index(
    catalog_settings: CatalogSettings, spec: DatasetSpec, index_root: Path
) -> bool:
    """Rebuild the index from the newest committed version when it does not hold that version.

    The rebuilt signatures come from the committed (redacted) text, so documents whose PII was
    redacted sketch slightly differently from their originals. The version is copied beside
    the index one data file at a time (its dedup columns only) and deduplicated out of core,
    so the flow process never holds the committed set. Returns True when it rebuilt.
    """
    from catalogs.registry import open_catalog
    from catalogs.versions import get_version, load_dataset_table
    from curation.dedup.index import SignatureIndex
    from curation.dedup.outofcore import deduplicate_parquet
    from curation.pipeline import DEDUP_MEMORY_LIMIT

    catalog = open_catalog(catalog_settings)
    newest = get_version(catalog, spec.table_name)
    version = newest.name
    if version in SignatureIndex.open(index_root).versions():
        return False
    table = load_dataset_table(catalog, spec.table_name)
    # the committed text spills beside the index, not into /tmp, and is removed afterwards
    spill = index_root.parent / "rebuild-spill"
    shutil.rmtree(spill, ignore_errors=True)
    try:
        committed = stage_committed(table, newest.snapshot_id, spill / "committed.parquet")
        shutil.rmtree(index_root, ignore_errors=True)
        if committed is not None:
            result = deduplicate_parquet(
                committed,
                spill / "dedup",
                spec.dedup,
                keep_signatures=True,
                memory_limit=DEDUP_MEMORY_LIMIT,
            )
            signatures = result.signatures
            if signatures is not None and pq.read_metadata(signatures).num_rows:
                SignatureIndex.open(index_root).add(signatures, version=version)
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    return True


def stage_committed(table: Table, snapshot_id: int, out: Path) -> Path | None:
    """The dedup columns of a snapshot's rows as one Parquet file, written one data file at a
    time in row groups a sketch task can hold; None when the snapshot has no rows."""
    from catalogs.versions import scan_snapshot_batches
    from curation.dedup.outofcore import group_rows
    from curation.dedup.ranking import rank_inputs

    out.parent.mkdir(parents=True, exist_ok=True)
    writer = None
    try:
        for rows in scan_snapshot_batches(table, snapshot_id, _DEDUP_COLUMNS):
            staged = rank_inputs(rows)
            if writer is None:
                writer = pq.ParquetWriter(out, staged.schema)
            writer.write_table(
                staged.cast(writer.schema),
                row_group_size=group_rows(staged.num_rows, staged.nbytes, 100_000),
            )
    finally:
        if writer is not None:
            writer.close()
    return out if writer is not None else None


_DEDUP_COLUMNS = ("doc_id", "text", "modified_at", "license_category")


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
        # the path, not its table: `add` streams the run's kept signatures from the file
        index.add(signatures_path, version=version)
        signatures_path.unlink(missing_ok=True)
    elif incremental and index.params is not None:
        # Nothing new was kept (only deletions, or every new document dropped): the version is
        # still recorded, or the next run would find the index behind the newest version and
        # rebuild it from the whole committed set.
        from curation.dedup.index import signature_rows_schema

        with_shingles = bool(index.files("shingles"))
        empty = signature_rows_schema(index.params, with_shingles=with_shingles).empty_table()
        index.add(empty, version=version, params=index.params)


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
