"""The Parquet data files that make up one version, for DuckDB to read directly.

Reading them with DuckDB lets a page fetch 50 rows of a million-row version by reading a few
row groups, instead of materializing the version through pyiceberg. An incremental version is
merge-on-read (`catalogs.position_deletes`): a data file may hold rows the version deleted, so
each file comes with its deleted positions and `SnapshotFiles.source` is the relation without
them (`catalogs.live_rows.live_parquet_sql`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from catalogs.live_rows import live_files, live_parquet_sql
from catalogs.versions import load_dataset_table
from catalogs.web.exceptions import UnsupportedWarehouse

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog
    from pyiceberg.table import Table


@dataclass(frozen=True)
class DataFile:
    """One Parquet file of a version: where it is, how many of its rows the version holds, and
    the positions of those it does not (position deletes)."""

    path: str
    records: int
    deleted: tuple[int, ...] = ()


@dataclass(frozen=True)
class SnapshotFiles:
    """Every data file of one snapshot, in a stable order, with the total row count."""

    snapshot_id: int
    files: tuple[DataFile, ...]

    @property
    def paths(self) -> list[str]:
        return [f.path for f in self.files]

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def deleted(self) -> dict[str, tuple[int, ...]]:
        """Deleted positions per path, for the files that have any."""
        return {f.path: f.deleted for f in self.files if f.deleted}

    def source(self, paths: list[str] | None = None) -> str:
        """A DuckDB relation over the version's rows in `paths` (all its files by default)."""
        return live_parquet_sql(self.paths if paths is None else paths, self.deleted)


def local_path(location: str) -> str:
    """A data file location as a local path; object-store locations are refused.

    The path is read the way pyiceberg's file IO reads it (the URL's path, not percent-decoded),
    so it names the file pyiceberg wrote.

    Examples
    --------
    >>> local_path("file:///srv/warehouse/curated/docs/data/00000-0.parquet")
    '/srv/warehouse/curated/docs/data/00000-0.parquet'
    >>> local_path("/srv/w/0.parquet")
    '/srv/w/0.parquet'
    >>> local_path("s3://bucket/data/0.parquet")
    Traceback (most recent call last):
    ...
    catalogs.web.exceptions.UnsupportedWarehouse: data file s3://bucket/data/0.parquet is not on a local file system: the web catalog reads file:// warehouses only
    """
    if location.startswith("file:"):
        parsed = urlparse(location)
        return f"{parsed.netloc}{parsed.path}"
    if "://" in location:
        raise UnsupportedWarehouse(
            f"data file {location} is not on a local file system: the web catalog reads "
            "file:// warehouses only"
        )
    return location


class SnapshotCache:
    """Values computed once per snapshot (its files, its facets): a snapshot never changes.

    Least recently used entries go first once `capacity` snapshots are held.
    """

    def __init__(self, capacity: int = 64) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[tuple[str, int, str], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int, str], compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = compute()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
        return value


class SnapshotFileCache(SnapshotCache):
    """Data files per snapshot, planned once.

    Planning reads the manifest list and manifests, a few milliseconds each time; pages of one
    version ask for the same snapshot on every request (search, pagination, documents, SQL).
    """

    def files(self, catalog: Catalog, dataset: str, snapshot_id: int) -> SnapshotFiles:
        table = load_dataset_table(catalog, dataset)
        return self.get(
            (table.metadata.location, snapshot_id, "files"),
            lambda: plan_snapshot_files(table, snapshot_id),
        )


def plan_snapshot_files(table: Table, snapshot_id: int) -> SnapshotFiles:
    """Plan the snapshot's data files with their deletes; sorted by path so that row order is
    stable. `records` counts the live rows of each file."""
    files = sorted(
        (
            DataFile(
                local_path(live.path),
                live.live_count,
                tuple(int(p) for p in live.deleted),
            )
            for live in live_files(table, snapshot_id)
        ),
        key=lambda f: f.path,
    )
    return SnapshotFiles(snapshot_id=snapshot_id, files=tuple(files))
