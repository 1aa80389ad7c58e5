"""Open the Iceberg catalog: embedded SQLite by default, any pyiceberg catalog by configuration.

The default is a pyiceberg `SqlCatalog` on a SQLite file plus a local warehouse folder inside
the workspace, so a first run needs no server. The same code takes a Postgres URI, a REST
catalog or an S3-compatible warehouse through `CURATE_CATALOG_URI` / `CURATE_WAREHOUSE` or the
spec's `output` section: the catalog type is chosen from configuration, never hard-coded.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from curation.workspace import Workspace

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

CATALOG_NAME = "curate"


@dataclass(frozen=True)
class CatalogSettings:
    """Where the catalog and warehouse live; `type` is a pyiceberg catalog type (sql, rest, ...)."""

    uri: str
    warehouse: str
    type: str = "sql"

    @classmethod
    def for_workspace(
        cls, workspace: Workspace, *, uri: str | None = None, warehouse: str | None = None
    ) -> CatalogSettings:
        uri = uri or os.environ.get("CURATE_CATALOG_URI") or f"sqlite:///{workspace.catalog_db}"
        # Not Path.as_uri(): pyiceberg does not percent-decode file URIs, so a workspace path
        # with a space would put the warehouse beside the workspace, not in it.
        warehouse = (
            warehouse
            or os.environ.get("CURATE_WAREHOUSE")
            or f"file://{workspace.warehouse.resolve()}"
        )
        kind = "rest" if uri.startswith(("http://", "https://")) else "sql"
        return cls(uri=uri, warehouse=warehouse, type=kind)


def open_catalog(settings: CatalogSettings) -> Catalog:
    """Load the configured catalog (lazily imported: pyiceberg costs ~1 s to import)."""
    from pyiceberg.catalog import load_catalog

    warnings.filterwarnings("ignore", message="Delete operation did not match any records")
    properties = {"type": settings.type, "uri": settings.uri, "warehouse": settings.warehouse}
    if settings.type == "sql" and settings.uri.startswith("sqlite:///"):
        from pathlib import Path

        Path(settings.uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if settings.warehouse.startswith("file://"):
        from pathlib import Path
        from urllib.parse import urlparse

        Path(urlparse(settings.warehouse).path).mkdir(parents=True, exist_ok=True)
    return load_catalog(CATALOG_NAME, **properties)
