"""Which files each snapshot of an Iceberg table uses, and which files none uses any more.

A snapshot reads its manifest list, the manifests it names, and the data files of their live
entries (added or existing). Its manifests also keep *deleted* entries for files the snapshot's
own commit removed, with those files' column bounds (the first 16 characters of a string under
Iceberg's default metrics): a snapshot that merely mentions a file that held an erased document
still carries a piece of it, so erasure tracks mentions as well as live files. Position-delete
files (merge-on-read versions) are files of the snapshot like data files, but hold no row:
`live_files` leaves them out of what is searched for the subject.

pyiceberg 0.12 expires snapshots in metadata only and has no orphan-file removal, so
`delete_unreferenced` does that part: everything under the table's location that the current
metadata does not reach goes, older metadata files included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from catalogs.erasure.storage import Folder, path_key

if TYPE_CHECKING:
    from pyiceberg.manifest import ManifestEntry, ManifestFile
    from pyiceberg.table import Table


@dataclass(frozen=True)
class SnapshotFiles:
    """The files one snapshot uses (`path_key` form): metadata, live data, and mentions."""

    snapshot_id: int
    manifest_list: str
    manifests: frozenset[str]
    live: frozenset[str]
    mentioned: frozenset[str]


class TableFiles:
    """Every snapshot's files of one table, reading each manifest once."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self._entries: dict[str, list[ManifestEntry]] = {}
        self.snapshots: dict[int, SnapshotFiles] = {
            snapshot.snapshot_id: self._files_of(snapshot) for snapshot in table.metadata.snapshots
        }
        # one URI per data file, to read it through the table's FileIO
        self.uris: dict[str, str] = {}
        # position-delete files (merge-on-read versions): paths and row numbers, no row values
        self.delete_files: set[str] = set()
        for entries in self._entries.values():
            for entry in entries:
                key = path_key(entry.data_file.file_path)
                self.uris.setdefault(key, entry.data_file.file_path)
                if entry.data_file.content != 0:  # DataFileContent.DATA
                    self.delete_files.add(key)

    def _manifest_entries(self, manifest: ManifestFile) -> list[ManifestEntry]:
        key = path_key(manifest.manifest_path)
        if key not in self._entries:
            self._entries[key] = manifest.fetch_manifest_entry(self.table.io, discard_deleted=False)
        return self._entries[key]

    def _files_of(self, snapshot: object) -> SnapshotFiles:
        from pyiceberg.manifest import ManifestEntryStatus

        manifests = snapshot.manifests(self.table.io)  # type: ignore[attr-defined]
        live: set[str] = set()
        mentioned: set[str] = set()
        for manifest in manifests:
            for entry in self._manifest_entries(manifest):
                key = path_key(entry.data_file.file_path)
                mentioned.add(key)
                if entry.status != ManifestEntryStatus.DELETED:
                    live.add(key)
        return SnapshotFiles(
            snapshot_id=snapshot.snapshot_id,  # type: ignore[attr-defined]
            manifest_list=path_key(snapshot.manifest_list),  # type: ignore[attr-defined]
            manifests=frozenset(path_key(m.manifest_path) for m in manifests),
            live=frozenset(live),
            mentioned=frozenset(mentioned),
        )

    def live_files(self) -> set[str]:
        """Data files live in at least one snapshot (delete files left out: they hold no row
        of the table, only the positions of rows another file holds)."""
        return set().union(*(s.live for s in self.snapshots.values())) - self.delete_files

    def reachable(self) -> set[str]:
        """Every file this view of the table names: `referenced` plus the data files that
        deleted entries mention and the older metadata files of the metadata log."""
        keys = self.referenced()
        for files in self.snapshots.values():
            keys |= files.mentioned
        keys |= {path_key(entry.metadata_file) for entry in self.table.metadata.metadata_log}
        return keys

    def referenced(self) -> set[str]:
        """Everything the current metadata reaches: itself, manifest lists, manifests, live data
        files and statistics files of every snapshot it keeps."""
        metadata = self.table.metadata
        keys = {path_key(self.table.metadata_location)}
        for files in self.snapshots.values():
            keys |= {files.manifest_list, *files.manifests, *files.live}
        for statistics in (*metadata.statistics, *metadata.partition_statistics):
            keys.add(path_key(statistics.statistics_path))
        return keys


def delete_unreferenced(
    table: Table, *, known: set[str], started: float
) -> list[dict[str, object]]:
    """Delete the files under the table's location that its current metadata does not reach.

    That is the data files of expired snapshots, their manifests and manifest lists, and every
    metadata file but the current one (older ones list the expired snapshots). A file is only
    deleted when the erasure knows it (`known`: what any view of the table it took could reach)
    or when it is older than the erasure (`started`, epoch seconds: the leftovers of a failed
    write); a newer unknown file may be a writer's, not yet committed, and is left alone.
    Returns path, sha256 and size of each deleted file, in path order.
    """
    referenced = TableFiles(table).referenced()
    folder = Folder.at(table.metadata.location, table.catalog)
    return [
        folder.delete(path)
        for path, modified in sorted(folder.modified().items())
        if path not in referenced and (path in known or modified < started)
    ]
