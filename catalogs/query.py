"""Catalog queries behind `curate catalog list` and `curate catalog show`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from catalogs.versions import (
    SIDE_TABLE_SUFFIXES,
    VersionInfo,
    get_version,
    list_versions,
    load_dataset_table,
)

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog


@dataclass(frozen=True)
class DatasetOverview:
    name: str
    versions: list[VersionInfo]

    def as_dict(self) -> dict[str, Any]:
        latest = self.versions[-1] if self.versions else None
        return {
            "dataset": self.name,
            "versions": [v.name for v in self.versions],
            "latest": latest.name if latest else None,
            "rows": latest.row_count if latest else 0,
            "created_at": latest.created_at if latest else None,
            "location": latest.location if latest else None,
        }


def list_datasets(catalog: Catalog) -> list[DatasetOverview]:
    """Every dataset table (side tables such as ledgers excluded) with its versions."""
    overviews = []
    for namespace in sorted(catalog.list_namespaces()):
        for identifier in sorted(catalog.list_tables(namespace)):
            name = ".".join(identifier)
            if name.endswith(SIDE_TABLE_SUFFIXES):
                continue
            overviews.append(DatasetOverview(name=name, versions=list_versions(catalog, name)))
    return overviews


def parse_reference(reference: str) -> tuple[str, str | None]:
    """`name@version` -> (name, version); a bare name means the newest version.

    Examples
    --------
    >>> parse_reference("curated.demo@v2")
    ('curated.demo', 'v2')
    >>> parse_reference("curated.demo")
    ('curated.demo', None)
    """
    name, _, version = reference.partition("@")
    return name, version or None


def show_dataset(catalog: Catalog, reference: str) -> dict[str, Any]:
    """Schema, row count, creation time, run id and stage counts of one version."""
    name, version_name = parse_reference(reference)
    version = get_version(catalog, name, version_name)
    table = load_dataset_table(catalog, name)
    schema = table.schema()
    return {
        **version.as_dict(),
        "versions": [v.name for v in list_versions(catalog, name)],
        "schema": [
            {"name": field.name, "type": str(field.field_type), "required": field.required}
            for field in schema.fields
        ],
    }
