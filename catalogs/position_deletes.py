"""Merge-on-read commits: Iceberg v2 position-delete files and the snapshot that adds them.

An incremental version removes a few rows spread over every data file of the previous one.
Copy-on-write (pyiceberg's `delete(filter)`) rewrites each of those files whole, so storage
grows with the table. Here the rows that leave are *named* instead: a position-delete file
(`file_path`, `pos`, sorted) says which rows of a data file no longer belong to the version, and
the data file itself is kept as it is, shared with the snapshots before it.

Layout, chosen so that every reader and erasure can treat a delete file as a property of one
data file:
- **one delete file per data file**, holding *all* the deleted positions of that data file in
  the snapshot (not just this commit's). A commit that deletes more rows of a file writes a new
  delete file with the union and drops the old one in the same snapshot, so a snapshot has at
  most one delete file per data file. Its `file_path` bounds are the exact data path, which
  pyiceberg (and Java's `DeleteFileIndex`) use to match the delete file to its data file only.
- **compaction** (`COMPACT_DELETED_SHARE`): once a data file's deleted share would pass 30%,
  its live rows are written again (copy-on-write) in the same commit and the file and its
  deletes leave the snapshot. 30% bounds what a reader decodes in vain (at most 3 of 10 rows of
  a file) and what an incremental commit rewrites: with a 1-2% nightly change a file is
  rewritten after roughly 15-30 runs, not every night.

pyiceberg 0.12 reads position deletes (`ArrowScan` and `DataScan.plan_files` apply them) but
cannot write them; the snapshot producer below is its `_OverwriteFiles` taught about delete
manifests.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from catalogs.exceptions import CatalogError

if TYPE_CHECKING:
    from pyiceberg.manifest import DataFile, ManifestEntry, ManifestFile, ManifestWriter
    from pyiceberg.partitioning import PartitionSpec
    from pyiceberg.table import Table, Transaction
    from pyiceberg.table.snapshots import Summary

# Iceberg's reserved field ids of a position-delete file (spec, "Position Delete Files").
FILE_PATH_FIELD_ID = 2147483546
POS_FIELD_ID = 2147483545
# A data file whose deleted rows would pass this share of its rows is rewritten instead.
COMPACT_DELETED_SHARE = 0.30

POSITION_DELETE_SCHEMA = pa.schema(
    [
        pa.field(
            "file_path",
            pa.string(),
            nullable=False,
            metadata={b"PARQUET:field_id": str(FILE_PATH_FIELD_ID).encode()},
        ),
        pa.field(
            "pos",
            pa.int64(),
            nullable=False,
            metadata={b"PARQUET:field_id": str(POS_FIELD_ID).encode()},
        ),
    ]
)


def supports_position_deletes(table: Table) -> bool:
    """True for format version 2 tables: v1 has no delete files, and v3 replaces position-delete
    files with deletion vectors, which pyiceberg 0.12 cannot write."""
    return table.metadata.format_version == 2


def write_position_deletes(table: Table, data_path: str, positions: np.ndarray) -> DataFile:
    """Write the position-delete file of `data_path` (all of `positions`, sorted) next to the
    table's data files; returns its manifest `DataFile` (not yet in any snapshot).

    Bounds are exact (not truncated like pyiceberg's default string metrics), so the delete file
    is indexed by its one data path.
    """
    from pyiceberg.conversions import to_bytes
    from pyiceberg.manifest import DataFile, DataFileContent, FileFormat
    from pyiceberg.typedef import Record
    from pyiceberg.types import LongType, StringType

    positions = np.unique(np.asarray(positions, dtype=np.int64))
    if not len(positions):
        raise ValueError(f"no positions to delete in {data_path}")
    rows = pa.table(
        [pa.array([data_path] * len(positions), pa.string()), pa.array(positions, pa.int64())],
        schema=POSITION_DELETE_SCHEMA,
    )
    location = table.location_provider().new_data_location(f"{uuid.uuid4()}-deletes.parquet")
    output = table.io.new_output(location)
    with output.create(overwrite=False) as stream:
        pq.write_table(rows, stream, compression="zstd")
    size = len(table.io.new_input(location))
    path_bytes = to_bytes(StringType(), data_path)
    return DataFile.from_args(
        content=DataFileContent.POSITION_DELETES,
        file_path=location,
        file_format=FileFormat.PARQUET,
        partition=Record(),
        record_count=len(positions),
        file_size_in_bytes=size,
        value_counts={FILE_PATH_FIELD_ID: len(positions), POS_FIELD_ID: len(positions)},
        null_value_counts={FILE_PATH_FIELD_ID: 0, POS_FIELD_ID: 0},
        lower_bounds={
            FILE_PATH_FIELD_ID: path_bytes,
            POS_FIELD_ID: to_bytes(LongType(), int(positions[0])),
        },
        upper_bounds={
            FILE_PATH_FIELD_ID: path_bytes,
            POS_FIELD_ID: to_bytes(LongType(), int(positions[-1])),
        },
        sort_order_id=None,
        spec_id=table.metadata.default_spec_id,
        equality_ids=None,
        key_metadata=None,
    )


def read_positions(table: Table, delete_files: Iterable[DataFile], data_path: str) -> np.ndarray:
    """The sorted, unique positions of `data_path` that `delete_files` delete."""
    parts = [np.empty(0, np.int64)]
    for delete_file in delete_files:
        with table.io.new_input(delete_file.file_path).open() as handle:
            rows = pq.read_table(handle, columns=["file_path", "pos"])
        mask = np.asarray(rows.column("file_path").to_numpy(zero_copy_only=False) == data_path)
        parts.append(rows.column("pos").to_numpy()[mask].astype(np.int64))
    return np.unique(np.concatenate(parts))


def _deletes_writer(producer: MergeOnReadOverwrite, spec: PartitionSpec) -> ManifestWriter:
    from pyiceberg.manifest import ManifestContent, ManifestWriterV2

    class DeleteManifestWriter(ManifestWriterV2):
        """pyiceberg's v2 manifest writer for a manifest of content `deletes`."""

        def content(self) -> ManifestContent:
            return ManifestContent.DELETES

        @property
        def _meta(self) -> dict[str, str]:
            return {**super()._meta, "content": "deletes"}

    return DeleteManifestWriter(
        spec,
        producer.schema(),
        producer.new_manifest_output(),
        producer.snapshot_id,
        producer._compression,
    )


def merge_on_read_overwrite(
    transaction: Transaction,
    *,
    snapshot_properties: Mapping[str, str],
    branch: str | None = "main",
) -> MergeOnReadOverwrite:
    """A snapshot producer (an `OVERWRITE` snapshot) that adds data and position-delete files
    and removes data and delete files, in one snapshot; commit it with `.commit()` (or `with`)."""
    from pyiceberg.table.snapshots import Operation

    return _producer_class()(
        operation=Operation.OVERWRITE,
        transaction=transaction,
        io=transaction._table.io,
        snapshot_properties=dict(snapshot_properties),
        branch=branch,
    )


_CLASS: list[type] = []  # built on first use: pyiceberg is imported lazily


def _producer_class() -> type[MergeOnReadOverwrite]:
    if _CLASS:
        return _CLASS[0]
    from pyiceberg.manifest import (
        DataFileContent,
        ManifestContent,
        ManifestEntry,
        ManifestEntryStatus,
    )
    from pyiceberg.table.snapshots import SnapshotSummaryCollector, update_snapshot_summaries
    from pyiceberg.table.snapshots import Summary as _Summary
    from pyiceberg.table.update.snapshot import _OverwriteFiles

    class _MergeOnReadOverwrite(_OverwriteFiles):
        """`_OverwriteFiles` that also adds position-delete files and removes delete files:
        removed files of either content get `DELETED` entries in a manifest of their content,
        and manifests that keep entries are rewritten with the writer of their content."""

        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            self._added_delete_files: list[DataFile] = []

        def append_delete_file(self, delete_file: DataFile) -> _MergeOnReadOverwrite:
            self._added_delete_files.append(delete_file)
            return self

        def remove_file(self, data_file: DataFile) -> _MergeOnReadOverwrite:
            """Remove a data file or a delete file from the snapshot."""
            self._deleted_data_files.add(data_file)
            return self

        def _writer_for(self, content: ManifestContent, spec: PartitionSpec) -> ManifestWriter:
            if content == ManifestContent.DELETES:
                return _deletes_writer(self, spec)
            return self.new_manifest_writer(spec)

        def _existing_manifests(self) -> list[ManifestFile]:
            kept: list[ManifestFile] = []
            snapshot = self._transaction.table_metadata.snapshot_by_name(name=self._target_branch)
            if snapshot is None:
                return kept
            for manifest in snapshot.manifests(io=self._io):
                entries = manifest.fetch_manifest_entry(io=self._io, discard_deleted=True)
                remaining = [e for e in entries if e.data_file not in self._deleted_data_files]
                if len(remaining) == len(entries):
                    kept.append(manifest)
                    continue
                if not remaining:
                    continue
                with self._writer_for(
                    manifest.content, self.spec(manifest.partition_spec_id)
                ) as writer:
                    for entry in remaining:
                        writer.existing(entry)
                kept.append(writer.to_manifest_file())
            return kept

        def _deleted_entries(self) -> list[ManifestEntry]:
            snapshot = self._transaction.table_metadata.snapshot_by_id(self._parent_snapshot_id)
            if snapshot is None:
                if self._deleted_data_files:
                    raise CatalogError("files to remove, but the branch has no snapshot")
                return []
            entries = [
                ManifestEntry.from_args(
                    status=ManifestEntryStatus.DELETED,
                    snapshot_id=self._snapshot_id,
                    sequence_number=entry.sequence_number,
                    file_sequence_number=entry.file_sequence_number,
                    data_file=entry.data_file,
                )
                for manifest in snapshot.manifests(self._io)
                for entry in manifest.fetch_manifest_entry(self._io, discard_deleted=True)
                if entry.data_file in self._deleted_data_files
            ]
            found = {entry.data_file for entry in entries}
            missing = sorted(f.file_path for f in self._deleted_data_files if f not in found)
            if missing:
                raise CatalogError(f"files to remove are not in the snapshot: {missing}")
            return entries

        def _manifests(self) -> list[ManifestFile]:
            deleted = self._deleted_entries()
            manifests: list[ManifestFile] = []
            spec = self._transaction.table_metadata.spec()
            for content, added in (
                (ManifestContent.DATA, self._added_data_files),
                (ManifestContent.DELETES, self._added_delete_files),
            ):
                if added:
                    with self._writer_for(content, spec) as writer:
                        for data_file in added:
                            writer.add(
                                ManifestEntry.from_args(
                                    status=ManifestEntryStatus.ADDED,
                                    snapshot_id=self._snapshot_id,
                                    sequence_number=None,
                                    file_sequence_number=None,
                                    data_file=data_file,
                                )
                            )
                    manifests.append(writer.to_manifest_file())
            groups: dict[tuple[ManifestContent, int], list[ManifestEntry]] = defaultdict(list)
            for entry in deleted:
                content = (
                    ManifestContent.DATA
                    if entry.data_file.content == DataFileContent.DATA
                    else ManifestContent.DELETES
                )
                groups[(content, entry.data_file.spec_id)].append(entry)
            for (content, spec_id), entries in groups.items():
                with self._writer_for(content, self.spec(spec_id)) as writer:
                    for entry in entries:
                        writer.add_entry(entry)
                manifests.append(writer.to_manifest_file())
            return manifests + self._existing_manifests()

        def _summary(self, snapshot_properties: Mapping[str, str] = {}) -> Summary:  # noqa: B006
            metadata = self._transaction.table_metadata
            schema, specs = metadata.schema(), metadata.specs()
            collector = SnapshotSummaryCollector()
            for data_file in (*self._added_data_files, *self._added_delete_files):
                collector.add_file(data_file, schema=schema, partition_spec=metadata.spec())
            for data_file in self._deleted_data_files:
                collector.remove_file(
                    data_file, schema=schema, partition_spec=specs[data_file.spec_id]
                )
            previous = (
                metadata.snapshot_by_id(self._parent_snapshot_id)
                if self._parent_snapshot_id is not None
                else None
            )
            return update_snapshot_summaries(
                summary=_Summary(
                    operation=self._operation, **collector.build(), **snapshot_properties
                ),
                previous_summary=previous.summary if previous is not None else None,
            )

    _CLASS.append(_MergeOnReadOverwrite)
    return _MergeOnReadOverwrite


if TYPE_CHECKING:  # the producer's interface, for type checkers
    from pyiceberg.table.update.snapshot import _OverwriteFiles as MergeOnReadOverwrite
