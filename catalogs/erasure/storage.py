"""Files of a warehouse: listed, read, hashed and deleted through one Arrow filesystem.

pyiceberg's FileIO reads and writes known paths but cannot list a folder, and erasure must see
every file under a table's location, including the ones no snapshot names any more. So the
location's filesystem comes from Arrow, and every path is compared in one form, `path_key`,
because Iceberg metadata names files by URI (`file:///w/t/data/x.parquet`) while a listing gives
plain paths. A local location is opened by its URI; an object store location through the
warehouse's own filesystem (`catalogs.registry.warehouse_filesystem`: the catalog's endpoint,
region and credentials), because Arrow's `from_uri` would ask AWS where the bucket is.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

import pyarrow.fs as pafs

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

    from catalogs.registry import CatalogSettings

_CHUNK = 1 << 20


def path_key(location: str) -> str:
    """The form in which two names of one file compare equal: a path without scheme.

    Examples
    --------
    >>> path_key("file:///w/t/data/a.parquet"), path_key("/w/t/data/a.parquet")
    ('/w/t/data/a.parquet', '/w/t/data/a.parquet')
    >>> path_key("s3://bucket/w/t/m.avro")
    'bucket/w/t/m.avro'
    """
    parsed = urlparse(location)
    if parsed.scheme in ("", "file"):
        return unquote(parsed.path) if parsed.scheme else location
    return f"{parsed.netloc}{unquote(parsed.path)}"


@dataclass(frozen=True)
class Folder:
    """A folder of a filesystem (a table's location, a warehouse) and its files."""

    fs: pafs.FileSystem
    root: str

    @classmethod
    def at(cls, location: str, catalog: Catalog | None = None) -> Folder:
        """The folder at `location`: a local path or URI, or (given the catalog whose tables
        live there) a location on the warehouse's object store."""
        from catalogs.registry import S3_SCHEMES, warehouse_filesystem

        if urlparse(location).scheme not in S3_SCHEMES:
            fs, root = pafs.FileSystem.from_uri(location)
            return cls(fs, root.rstrip("/"))
        if catalog is None:
            raise ValueError(f"{location} is on an object store: pass the catalog to reach it")
        settings = dataclasses.replace(catalog_settings(catalog), warehouse=location)
        fs, root = warehouse_filesystem(settings)
        return cls(fs, root.rstrip("/"))

    def files(self) -> list[str]:
        """Every file below the folder (recursively), as `path_key`s; none when it is absent."""
        info = self.fs.get_file_info(self.root)
        if info.type != pafs.FileType.Directory:
            return []
        selector = pafs.FileSelector(self.root, recursive=True)
        return sorted(
            entry.path
            for entry in self.fs.get_file_info(selector)
            if entry.type == pafs.FileType.File
        )

    def modified(self) -> dict[str, float]:
        """Every file below the folder with its modification time (seconds since the epoch)."""
        info = self.fs.get_file_info(self.root)
        if info.type != pafs.FileType.Directory:
            return {}
        selector = pafs.FileSelector(self.root, recursive=True)
        return {
            entry.path: entry.mtime.timestamp() if entry.mtime else 0.0
            for entry in self.fs.get_file_info(selector)
            if entry.type == pafs.FileType.File
        }

    def chunks(self, path: str) -> Iterator[bytes]:
        with self.fs.open_input_stream(path) as stream:
            while chunk := stream.read(_CHUNK):
                yield chunk

    def read(self, path: str) -> bytes:
        with self.fs.open_input_stream(path) as stream:
            return stream.read()

    def open(self, path: str) -> pafs.NativeFile:
        """A seekable handle (what Parquet readers need)."""
        return self.fs.open_input_file(path)

    def delete(self, path: str) -> dict[str, object]:
        """Delete one file; returns what the receipt records of it: path, sha256, size."""
        digest = hashlib.sha256()
        size = 0
        for chunk in self.chunks(path):
            digest.update(chunk)
            size += len(chunk)
        self.fs.delete_file(path)
        return {"path": path, "sha256": digest.hexdigest(), "bytes": size}


def catalog_settings(catalog: Catalog) -> CatalogSettings:
    """The settings an opened catalog was made from: its store's endpoint and region come from
    its properties; credentials are resolved again, as opening it resolved them, and are never
    kept in the settings."""
    from catalogs.registry import CatalogSettings

    properties = getattr(catalog, "properties", {}) or {}
    return CatalogSettings(
        uri=str(properties.get("uri", "")),
        warehouse=str(properties.get("warehouse", "")),
        type=str(properties.get("type", "sql")),
        s3_endpoint=properties.get("s3.endpoint"),
        s3_region=properties.get("s3.region"),
    )
