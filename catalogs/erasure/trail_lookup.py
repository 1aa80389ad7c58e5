"""Which documents an erasure removed, asked of the audit trail with candidate ids.

The trail names erased documents only by salted hash (`doc_id_hashes` of each `erasure`
entry), so it cannot list them; it can say which of some given doc ids were erased. The trail
lives in the workspace, which a catalog does not name: `workspace_for_catalog` finds it from the
catalog's warehouse or SQLite file (the workspace's default layout), else from the environment.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from catalogs.audit.trail import read_trail, trail_path
from catalogs.erasure.hashing import subject_hasher
from curation.workspace import resolve_workspace

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog


def workspace_for_catalog(catalog: Catalog) -> Path:
    """The workspace whose catalog this is: the folder holding `warehouse/` or `catalog.db`,
    else the workspace `--workspace` / `$CURATE_WORKSPACE` would choose."""
    properties = getattr(catalog, "properties", {}) or {}
    warehouse = urlparse(str(properties.get("warehouse", "")))
    if warehouse.scheme == "file" and Path(warehouse.path).name == "warehouse":
        return Path(warehouse.path).parent
    uri = str(properties.get("uri", ""))
    if uri.startswith("sqlite:///"):
        return Path(uri.removeprefix("sqlite:///")).parent
    return resolve_workspace(None).root


def erased_among(workspace: Path, dataset: str, candidates: Iterable[str]) -> set[str]:
    """Those of `candidates` whose salted hash an `erasure` entry of the trail lists."""
    candidates = set(candidates)
    if not candidates or not trail_path(workspace, dataset).is_file():
        return set()
    erased = {
        digest
        for entry in read_trail(workspace, dataset)
        if entry.get("kind") == "erasure"
        for digest in entry.get("doc_id_hashes") or []
    }
    if not erased:
        return set()
    hasher = subject_hasher(workspace)
    return {doc_id for doc_id in candidates if hasher(doc_id) in erased}
