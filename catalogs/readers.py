"""Read a version for training: `catalogs.load` (a `datasets.Dataset`), `catalogs.scan` (polars).

A training job names a dataset and a version and gets exactly that snapshot's rows, read from
the workspace catalog with every hub and telemetry switch off (`enforce_offline`): nothing is
fetched, the version is whatever the catalog holds. Like an export, a reader leaves out the
provenance identifiers (`source_uri`, `relative_path`, which can name people) unless asked for
them with `include_provenance=True`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from catalogs.exceptions import CatalogError
from catalogs.export import PROVENANCE_IDENTIFIERS, training_columns
from catalogs.query import parse_reference
from catalogs.versions import VersionInfo, get_version, load_dataset_table
from curation.offline import enforce_offline

if TYPE_CHECKING:
    import datasets
    import polars as pl
    from pyiceberg.table import Table


def load(
    name: str,
    version: str | None = None,
    *,
    columns: list[str] | None = None,
    workspace: str | Path | None = None,
    include_provenance: bool = False,
) -> datasets.Dataset:
    """One version as an in-memory `datasets.Dataset`, rows sorted by `doc_id`.

    `name` is `NAME` or `NAME@VERSION`; `version` (a tag such as `v3`) may name the version
    instead; without either, the newest version is read. The order by `doc_id` is the order an
    export writes, so a version reads the same however its files were planned.

    Usage::

        import catalogs

        train = catalogs.load("curated.acme_demo@v1", columns=["doc_id", "text"])
        train.column_names  # ['doc_id', 'text']
    """
    enforce_offline()
    import datasets

    table, info, selected = _open(name, version, workspace, columns, include_provenance)
    wanted = selected if "doc_id" in selected else ["doc_id", *selected]
    arrow = table.scan(snapshot_id=info.snapshot_id, selected_fields=tuple(wanted)).to_arrow()
    arrow = arrow.sort_by("doc_id").select(selected)
    description = f"{info.dataset}@{info.name} (snapshot {info.snapshot_id}, run {info.run_id})"
    return datasets.Dataset(arrow, info=datasets.DatasetInfo(description=description))


def scan(
    name: str,
    version: str | None = None,
    *,
    columns: list[str] | None = None,
    workspace: str | Path | None = None,
    include_provenance: bool = False,
) -> pl.LazyFrame:
    """One version as a polars `LazyFrame`: filters and column choices reach the Parquet reader.

    Arguments as for `load`. Rows come in the files' order; sort when the order matters.

    Usage::

        import catalogs

        catalogs.scan("curated.acme_demo").group_by("lang").len().collect()
    """
    enforce_offline()
    import polars as pl

    table, info, selected = _open(name, version, workspace, columns, include_provenance)
    return pl.scan_iceberg(table, snapshot_id=info.snapshot_id).select(selected)


def _open(
    name: str,
    version: str | None,
    workspace: str | Path | None,
    columns: list[str] | None,
    include_provenance: bool,
) -> tuple[Table, VersionInfo, list[str]]:
    """The dataset table, the version to read and the columns to return."""
    from catalogs.registry import CatalogSettings, open_catalog
    from curation.workspace import resolve_workspace

    dataset, named = parse_reference(name)
    if version and named and version != named:
        raise CatalogError(
            f"{name!r} names version {named!r} but version={version!r} was given: name it once"
        )
    catalog = open_catalog(CatalogSettings.for_workspace(resolve_workspace(workspace)))
    info = get_version(catalog, dataset, version or named)
    table = load_dataset_table(catalog, dataset)
    available = training_columns(table.schema().as_arrow(), include_provenance=include_provenance)
    return table, info, _select(columns, available)


def _select(columns: list[str] | None, available: list[str]) -> list[str]:
    """`columns` checked against what a reader may return (all of it when None).

    Examples
    --------
    >>> _select(["text", "doc_id"], ["doc_id", "text", "lang"])
    ['text', 'doc_id']
    >>> _select(["source_uri"], ["doc_id", "text"])
    Traceback (most recent call last):
    ...
    catalogs.exceptions.CatalogError: columns ['source_uri'] locate documents at their source and are left out of training reads: pass include_provenance=True to read them
    """
    if columns is None:
        return available
    withheld = [c for c in columns if c in PROVENANCE_IDENTIFIERS and c not in available]
    if withheld:
        raise CatalogError(
            f"columns {withheld} locate documents at their source and are left out of training "
            "reads: pass include_provenance=True to read them"
        )
    unknown = [c for c in columns if c not in available]
    if unknown:
        raise CatalogError(f"no columns {unknown} in the version; it has: {', '.join(available)}")
    return list(columns)
