"""What each page of the web catalog shows, as plain data: the JSON API returns it as is.

Each method reads through the library (`catalogs.query`, `catalogs.versions`,
`catalogs.stats`, `catalogs.provenance`, `catalogs.diff`) and, for rows, DuckDB over the
version's data files. Nothing here renders or knows about HTTP, so the HTML page and its JSON
twin cannot drift apart.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

from catalogs.web.exceptions import BadRequest
from catalogs.web.samples import SampleFilter, document_text, sample_page, version_facets
from catalogs.web.snapshot import SnapshotFileCache, SnapshotFiles
from catalogs.web.sql_console import PAGE_ROWS, QueryResult, run_query

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

    from catalogs.registry import CatalogSettings

DIFF_LIMIT = 1000


def parse_diff(spec: str) -> tuple[str, str]:
    """`v1...v2` -> ("v1", "v2").

    Examples
    --------
    >>> parse_diff("v1...v3")
    ('v1', 'v3')
    >>> parse_diff("v1")
    Traceback (most recent call last):
    ...
    catalogs.web.exceptions.BadRequest: a diff address names two versions, e.g. .../diff/v1...v2 (got 'v1')
    """
    a, separator, b = spec.partition("...")
    if not separator or not a or not b:
        raise BadRequest(f"a diff address names two versions, e.g. .../diff/v1...v2 (got {spec!r})")
    return a, b


def _details(raw: str | None) -> Any:
    """Ledger details as a mapping when they are JSON (they are written as JSON), else text."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


class CatalogPages:
    """The data behind every page, read through one catalog opened on first use."""

    def __init__(self, settings: CatalogSettings) -> None:
        self._settings = settings
        self._catalog: Catalog | None = None
        self._lock = threading.Lock()
        self._files = SnapshotFileCache()

    @property
    def catalog(self) -> Catalog:
        with self._lock:
            if self._catalog is None:
                from catalogs.registry import open_catalog

                self._catalog = open_catalog(self._settings)
            return self._catalog

    def files(self, dataset: str, version: str) -> tuple[Any, SnapshotFiles]:
        """The version's identity and its data files."""
        from catalogs.versions import get_version

        info = get_version(self.catalog, dataset, version)
        return info, self._files.files(self.catalog, dataset, info.snapshot_id)

    def home(self) -> dict[str, Any]:
        """Every dataset with its newest version, its size and its last run."""
        from catalogs.query import list_datasets

        datasets = []
        for overview in list_datasets(self.catalog):
            latest = overview.versions[-1] if overview.versions else None
            datasets.append(
                {
                    **overview.as_dict(),
                    "run_id": latest.run_id if latest else None,
                    "spec_fingerprint": latest.spec_fingerprint if latest else None,
                }
            )
        return {"datasets": datasets}

    def dataset(self, dataset: str) -> dict[str, Any]:
        """The versions of one dataset, oldest first, with their run's counts."""
        from catalogs.versions import list_versions, qualified

        versions = list_versions(self.catalog, dataset)
        rows = []
        for i, version in enumerate(versions):
            summary = version.summary
            rows.append(
                {
                    "version": version.name,
                    "created_at": version.created_at,
                    "documents": version.row_count,
                    "inputs": summary.get("inputs"),
                    "kept": summary.get("kept"),
                    "dropped": summary.get("dropped"),
                    "quarantined": summary.get("quarantined"),
                    "run_id": version.run_id,
                    "spec_fingerprint": version.spec_fingerprint,
                    "code_version": version.code_version,
                    "snapshot_id": version.snapshot_id,
                    "previous": versions[i - 1].name if i else None,
                }
            )
        return {
            "dataset": qualified(dataset),
            "latest": versions[-1].name if versions else None,
            "versions": rows,
        }

    def version(self, dataset: str, version: str, sample: SampleFilter) -> dict[str, Any]:
        """Identity, schema, stats, sources with licenses and one page of sample rows."""
        from catalogs.query import show_dataset
        from catalogs.stats import version_stats

        shown = show_dataset(self.catalog, f"{dataset}@{version}")
        info, files = self.files(dataset, version)
        stats = version_stats(self.catalog, f"{dataset}@{version}")
        names = shown["versions"]
        position = names.index(info.name) if info.name in names else -1
        return {
            **{k: v for k, v in shown.items() if k != "location"},
            "previous": names[position - 1] if position > 0 else None,
            "next": names[position + 1] if 0 <= position < len(names) - 1 else None,
            "data_files": len(files.files),
            "stats": stats,
            "facets": self._files.get(
                (info.location, info.snapshot_id, "facets"), lambda: version_facets(files)
            ),
            "samples": sample_page(files, sample),
        }

    def document(self, dataset: str, version: str, doc_id: str) -> dict[str, Any]:
        """One document's text, provenance chain and every ledger decision on it."""
        from catalogs.provenance import document_provenance

        chain = document_provenance(self.catalog, f"{dataset}@{version}", doc_id)
        _, files = self.files(dataset, version)
        content = document_text(files, doc_id) or {}
        decisions = [{**d, "details": _details(d.get("details"))} for d in chain["decisions"]]
        return {**chain, "content": content, "decisions": decisions}

    def diff(self, dataset: str, a: str, b: str) -> dict[str, Any]:
        """What changed from version `a` to version `b`."""
        from catalogs.diff import diff_versions
        from catalogs.versions import get_version

        # Unknown names fail here with the catalog's message, before any rows are read.
        get_version(self.catalog, dataset, a)
        get_version(self.catalog, dataset, b)
        return diff_versions(self.catalog, dataset, a, b, limit=DIFF_LIMIT)

    def sql(
        self, dataset: str, version: str, query: str, page: int
    ) -> tuple[dict[str, Any], QueryResult | None]:
        """The console's page; the result is None when no query was given."""
        info, files = self.files(dataset, version)
        data: dict[str, Any] = {
            "dataset": info.dataset,
            "version": info.name,
            "query": query,
            "page": page,
            "page_size": PAGE_ROWS,
        }
        if not query.strip():
            return data, None
        result = run_query(files.paths, query, deleted=files.deleted)
        rows = result.table.num_rows
        data.update(
            columns=result.columns,
            rows=result.page(page),
            row_count=rows,
            pages=max(1, -(-rows // PAGE_ROWS)),
            truncated=result.truncated,
            max_rows=result.max_rows,
        )
        return data, result
