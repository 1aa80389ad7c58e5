"""Which models were trained on which versions: `record-model` entries of the audit trail.

An erasure receipt lists the models trained on every version it changed, so the organization
knows which models hold a trace of the erased person's data (retraining or unlearning is then a
decision it takes, with the list in hand).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from catalogs.audit.exceptions import AuditError
from catalogs.audit.trail import WorkspaceLike, append_entry, read_trail
from catalogs.query import parse_reference
from catalogs.versions import get_version

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

MAX_MODEL_ID = 200
MAX_NOTE = 2000


def _check_text(value: str, what: str, limit: int, *, multiline: bool = False) -> str:
    value = value.strip()
    if not value:
        raise AuditError(f"{what} must not be empty")
    if len(value) > limit:
        raise AuditError(f"{what} is {len(value)} characters long: keep it under {limit}")
    allowed = {"\n", "\t"} if multiline else set()
    if any(ord(c) < 32 and c not in allowed for c in value):
        raise AuditError(f"{what} must not contain control characters")
    return value


def record_model(
    catalog: Catalog,
    workspace: WorkspaceLike,
    reference: str,
    *,
    model: str,
    note: str | None = None,
) -> dict[str, Any]:
    """Record in the dataset's audit trail that `model` was trained on the version `reference`.

    The version is resolved now (a bare NAME means its newest version) and recorded with its
    snapshot id, so the entry stays true if tags move later.
    """
    name, version_name = parse_reference(reference)
    version = get_version(catalog, name, version_name)
    entry: dict[str, Any] = {
        "kind": "model",
        "dataset": version.dataset,
        "version": version.name,
        "snapshot_id": version.snapshot_id,
        "model": _check_text(model, "--model", MAX_MODEL_ID),
        "note": _check_text(note, "--note", MAX_NOTE, multiline=True) if note else None,
    }
    return append_entry(workspace, version.dataset, entry)


def models_trained_on(
    workspace: WorkspaceLike, dataset: str, versions: Iterable[str]
) -> list[dict[str, Any]]:
    """The `model` entries of the dataset's trail whose version is one of `versions`, oldest
    first (the erasure receipt's "models trained on affected versions")."""
    wanted = set(versions)
    return [
        entry
        for entry in read_trail(workspace, dataset)
        if entry.get("kind") == "model" and entry.get("version") in wanted
    ]
