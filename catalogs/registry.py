"""Open the Iceberg catalog: embedded SQLite by default, any pyiceberg catalog by configuration.

The default is a pyiceberg `SqlCatalog` on a SQLite file plus a local warehouse folder inside
the workspace, so a first run needs no server. The same code takes a Postgres URI, a REST
catalog or an S3-compatible warehouse through `CURATE_CATALOG_URI` / `CURATE_WAREHOUSE` or the
spec's `output` section: the catalog type is chosen from configuration, never hard-coded.

An `s3://` warehouse is reached at the store's endpoint (`CURATE_S3_ENDPOINT`, else
`AWS_ENDPOINT_URL`), with the region from `AWS_REGION` (default us-east-1: pyiceberg would
otherwise ask AWS where the bucket is) and credentials resolved when the catalog is opened
(environment or `CURATE_S3_PROFILE` / `AWS_PROFILE`), so they never sit in these settings,
which travel as task parameters.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from catalogs.exceptions import CatalogError
from curation.workspace import Workspace

if TYPE_CHECKING:
    from pyarrow.fs import FileSystem
    from pyiceberg.catalog import Catalog

CATALOG_NAME = "curate"
S3_SCHEMES = ("s3", "s3a", "s3n")


@dataclass(frozen=True)
class CatalogSettings:
    """Where the catalog and warehouse live; `type` is a pyiceberg catalog type (sql, rest, ...)."""

    uri: str
    warehouse: str
    type: str = "sql"
    # An s3:// warehouse's store (never credentials); None: from the environment.
    s3_endpoint: str | None = None
    s3_region: str | None = None
    s3_profile: str | None = None

    @classmethod
    def for_workspace(
        cls,
        workspace: Workspace,
        *,
        uri: str | None = None,
        warehouse: str | None = None,
        s3_endpoint: str | None = None,
        s3_region: str | None = None,
        s3_profile: str | None = None,
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
        return cls(
            uri=uri,
            warehouse=warehouse,
            type=kind,
            s3_endpoint=s3_endpoint,
            s3_region=s3_region,
            s3_profile=s3_profile,
        )

    @property
    def on_object_store(self) -> bool:
        return urlparse(self.warehouse).scheme in S3_SCHEMES


def open_catalog(settings: CatalogSettings) -> Catalog:
    """Load the configured catalog (lazily imported: pyiceberg costs ~1 s to import)."""
    from pyiceberg.catalog import load_catalog

    warnings.filterwarnings("ignore", message="Delete operation did not match any records")
    properties = {"type": settings.type, "uri": settings.uri, "warehouse": settings.warehouse}
    properties.update(storage_properties(settings))
    if settings.type == "sql" and settings.uri.startswith("sqlite:///"):
        from pathlib import Path

        Path(settings.uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if settings.warehouse.startswith("file://"):
        from pathlib import Path
        from urllib.parse import urlparse

        Path(urlparse(settings.warehouse).path).mkdir(parents=True, exist_ok=True)
    return load_catalog(CATALOG_NAME, **properties)


def storage_properties(settings: CatalogSettings) -> dict[str, str]:
    """pyiceberg FileIO properties for the warehouse's object store (none for other stores).

    Path-style addressing (`s3.force-virtual-addressing: false`) because stores on premises are
    addressed by host and port, not by bucket host names. pyiceberg 0.12's FileIOs have no
    `s3.path-style-access` property: path style is what Arrow does with an endpoint.
    """
    if not settings.on_object_store:
        return {}
    from curation.ingest.s3 import resolve_credentials
    from curation.ingest.sources import DEFAULT_REGION, check_endpoint_url

    endpoint = (
        settings.s3_endpoint
        or os.environ.get("CURATE_S3_ENDPOINT")
        or os.environ.get("AWS_ENDPOINT_URL_S3")
        or os.environ.get("AWS_ENDPOINT_URL")
    )
    if not endpoint:
        raise CatalogError(
            f"warehouse {settings.warehouse} is on an object store but no endpoint is set: "
            "set CURATE_S3_ENDPOINT (e.g. https://minio.internal:9000)"
        )
    endpoint = check_endpoint_url(endpoint, "CURATE_S3_ENDPOINT")
    region = (
        settings.s3_region
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or DEFAULT_REGION
    )
    profile = settings.s3_profile or os.environ.get("CURATE_S3_PROFILE")
    credentials = resolve_credentials(profile, what=f"warehouse {settings.warehouse}")
    properties = {
        "s3.endpoint": endpoint,
        "s3.region": region,
        "s3.access-key-id": credentials.access_key,
        "s3.secret-access-key": credentials.secret_key,
        "s3.force-virtual-addressing": "false",
    }
    if credentials.session_token:
        properties["s3.session-token"] = credentials.session_token
    return properties


def warehouse_filesystem(settings: CatalogSettings) -> tuple[FileSystem, str]:
    """An Arrow filesystem for the warehouse and the warehouse's path on it, configured like
    the catalog's FileIO (what lists or deletes files must not fall back to AWS defaults)."""
    import pyarrow.fs as pafs

    parsed = urlparse(settings.warehouse)
    if not settings.on_object_store:
        return pafs.FileSystem.from_uri(settings.warehouse)
    from curation.ingest.s3 import Credentials, s3_filesystem

    properties = storage_properties(settings)
    credentials = Credentials(
        properties["s3.access-key-id"],
        properties["s3.secret-access-key"],
        properties.get("s3.session-token"),
    )
    fs = s3_filesystem(properties["s3.endpoint"], properties["s3.region"], credentials)
    return fs, f"{parsed.netloc}{parsed.path}".rstrip("/")
