"""Erase a person's document from every retained version of a dataset, and prove it.

The order matters for what a crash leaves behind. Nothing changes until the subject is found
(`holdings`); the tombstone comes first, so a run started meanwhile already leaves the document
out; then each table's rewrite is complete before the old files go; the proof reads what is
left; the receipt is appended last. Run again after a crash, the same request picks up what is
left: the rewritten snapshots no longer match, and the originals, no longer any ref's head,
are expired and their files deleted.
"""

from __future__ import annotations

import fcntl
import json
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from catalogs.audit.trail import (
    WorkspaceLike,
    append_entry,
    audit_folder,
    read_trail,
    version_lineage,
    workspace_root,
)
from catalogs.erasure import holdings as find
from catalogs.erasure.exceptions import (
    ConcurrentChange,
    InvalidErasureRequest,
    NoDocumentMatched,
    RunInProgress,
    TooManyDocuments,
)
from catalogs.erasure.hashing import hash_all, subject_hasher
from catalogs.erasure.holdings import Holdings
from catalogs.erasure.rewrite import (
    TEMPORARY_BRANCH,
    Successor,
    erased_name,
    expire_mentioning,
    heads_to_rewrite,
    move_refs,
    refs_by_snapshot,
    remaining_mentions,
    write_successor,
)
from catalogs.erasure.sidecars import live_runs, scrub_index, scrub_staging
from catalogs.erasure.storage import Folder
from catalogs.erasure.subject import Subject, SubjectKind
from catalogs.erasure.tablefiles import TableFiles, delete_unreferenced
from catalogs.erasure.tombstones import add_tombstones, tombstones_path
from catalogs.erasure.transforms import Transform, pseudonymize_ledger, remove_subject
from catalogs.erasure.verify import build_needles, verify_folders
from catalogs.exceptions import DatasetNotFound
from catalogs.versions import LEDGER_SUFFIX, PROPERTY_PREFIX, load_dataset_table, qualified
from curation.workspace import Workspace

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog
    from pyiceberg.table import Table

# An erasure of more documents than this is refused unless asked for: a URI of a whole export
# or a short text can match far more than one person's documents.
DEFAULT_MAX_DOCUMENTS = 100
MAX_REQUEST_ID = 200
MAX_REASON = 2000


def erase(
    catalog: Catalog,
    workspace: WorkspaceLike,
    dataset: str,
    *,
    doc_id: str | None = None,
    source_uri: str | None = None,
    sha256: str | None = None,
    text_match: str | None = None,
    request_id: str,
    reason: str | None = None,
    max_documents: int = DEFAULT_MAX_DOCUMENTS,
) -> dict[str, Any]:
    """Erase the documents named by one identifier from every snapshot `dataset` keeps, its
    ledger, dedup index and run staging; verify; append the receipt to the audit trail.

    Returns the receipt (the trail entry). Raises `NoDocumentMatched` when nothing holds the
    subject and `TooManyDocuments` when it names more than `max_documents` documents; either
    way nothing changed. The identifier itself is never written: the receipt, the trail and
    the tombstones carry its salted hash (`catalogs.audit.trail.subject_hash`).
    """
    subject = Subject.from_options(
        doc_id=doc_id, source_uri=source_uri, sha256=sha256, text_match=text_match
    )
    request_id = _checked_text(request_id, "--request-id", MAX_REQUEST_ID, subject)
    reason = _checked_text(reason, "--reason", MAX_REASON, subject) if reason else None
    ws = Workspace(workspace_root(workspace))
    name = qualified(dataset)
    load_dataset_table(catalog, name)  # an unknown dataset is refused before anything is written
    with _exclusive(ws):
        return _erase(catalog, ws, name, dataset, subject, request_id, reason, max_documents)


@contextmanager
def _exclusive(ws: Workspace) -> Iterator[None]:
    """One erasure at a time per workspace: each deletes the files the others' commits left
    unreferenced, which must not include files another erasure is about to commit."""
    folder = audit_folder(ws)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(folder / ".erasure.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _erase(
    catalog: Catalog,
    ws: Workspace,
    name: str,
    dataset: str,
    subject: Subject,
    request_id: str,
    reason: str | None,
    max_documents: int,
) -> dict[str, Any]:
    """`erase` once the request is checked, holding the workspace's erasure lock: find, act,
    prove, record."""
    started_at = time.time()
    table = load_dataset_table(catalog, name)
    busy = live_runs(ws.runs)
    if busy:
        raise RunInProgress(
            f"run {busy[0]} is writing to the workspace: wait until it ends (or stop it), then "
            "repeat the erase, so that the run cannot commit the document after it was erased"
        )
    ledger = _ledger_table(catalog, name)
    for each in (table, ledger):
        if each is not None:
            _drop_temporary_branches(each)
    found = _locate(table, ledger, ws, name, subject, max_documents)

    hasher = subject_hasher(ws)
    pairs = _tombstone_pairs(subject, found)
    tombstones_added = add_tombstones(
        ws,
        name,
        content_sha256s=[p[0] for p in pairs],
        source_uris=[p[1] for p in pairs],
        request_id=request_id,
        hasher=hasher,
    )
    pseudonymize = pseudonymize_ledger(subject, found.doc_ids, found.source_uris, hasher)
    try:
        data = _rewrite_table(
            table,
            found.dataset_files,
            remove_subject(subject, found.doc_ids, hasher),
            _dataset_properties(catalog, name, request_id),
        )
        kept = (
            _rewrite_table(ledger, found.ledger_files, pseudonymize, _ledger_properties(request_id))
            if ledger is not None
            else None
        )
    except _commit_failed() as error:
        raise ConcurrentChange(
            f"{name} changed while it was being erased ({type(error).__name__}): repeat the "
            "same erase; it continues from what is already done"
        ) from error
    files_deleted = delete_unreferenced(table, known=data["known"], started=started_at)
    if ledger is not None and kept is not None:
        files_deleted += delete_unreferenced(ledger, known=kept["known"], started=started_at)
    renames = {old: new for s in data["successors"] for old, new in s.names.items()}
    index = [
        scrub_index(root, sorted(found.doc_ids), renames) for root in _index_roots(ws, dataset)
    ]
    staging = scrub_staging(
        ws.runs, drop=_staging_mask(subject, found.doc_ids), pseudonymize=pseudonymize
    )

    verification = verify_folders(
        _folders(catalog, [table, ledger], ws, dataset), _needles(subject, found)
    )
    if data["still_mentioning"] or (kept and kept["still_mentioning"]):
        verification["findings"].append(
            {"path": "table metadata", "where": "snapshots", "kind": "replaced_file_mentioned"}
        )
        verification["verified"] = False

    versions = _versions_affected(data["successors"])
    versions += _resumed_versions(table, request_id, versions)
    entry = {
        "kind": "erasure",
        "dataset": name,
        "request_id": request_id,
        "reason": reason,
        "started_at": datetime.fromtimestamp(started_at, tz=UTC).isoformat(timespec="seconds"),
        "subject_kind": subject.kind.value,
        "subject_sha256": hasher(subject.value),
        "doc_id_hashes": hash_all(hasher, found.doc_ids),
        # every identifier of the erased documents, so a lookup by any of them finds this entry
        "subject_hashes": hash_all(
            hasher, found.doc_ids | found.source_uris | found.content_sha256s
        ),
        "documents": len(found.doc_ids),
        "versions_affected": versions,
        "snapshots_expired": data["expired"],
        "ledger": _ledger_summary(found, kept),
        "index": index,
        "staging": staging,
        "tombstones": {"added": tombstones_added, "path": str(tombstones_path(ws, name))},
        "files_deleted": files_deleted,
        "verified": bool(verification["verified"]),
        "verification": verification,
        "models": _models(ws, name, [v["old"] for v in versions if v["old"]]),
    }
    return append_entry(ws, name, entry)


def _locate(
    table: Table,
    ledger: Table | None,
    ws: Workspace,
    name: str,
    subject: Subject,
    max_documents: int,
) -> Holdings:
    """Everything the request names, or the refusal that leaves everything as it was."""
    found = Holdings()
    data_files = TableFiles(table)
    find.find_in_dataset(data_files, subject, found)
    if ledger is not None:
        find.find_in_ledger(TableFiles(ledger), subject, found)
    find.find_in_staging(ws.runs, subject, found)
    if found.empty:
        raise NoDocumentMatched(
            f"no document matched {subject.option} in {name} (none of its "
            f"{len(data_files.snapshots)} snapshots, its ledger or run staging holds it): "
            "nothing was erased; check the value as the version stores it (`curate provenance "
            f"{name} DOC_ID` shows a document's source URI and sha256)"
        )
    if len(found.doc_ids) > max_documents:
        raise TooManyDocuments(
            f"{len(found.doc_ids)} documents match {subject.option} in {name}, more than "
            f"--max-documents {max_documents}: narrow the match, or pass --max-documents "
            f"{len(found.doc_ids)} if every one of them is the subject's; nothing was erased"
        )
    find.find_references(data_files, found)
    return found


def _checked_text(value: str, option: str, limit: int, subject: Subject) -> str:
    """A request id or reason fit for the trail: short, one line, and not the identifier."""
    value = (value or "").strip()
    if not value:
        raise InvalidErasureRequest(f"{option} must not be empty (e.g. the ticket of the request)")
    if len(value) > limit:
        raise InvalidErasureRequest(
            f"{option} is {len(value)} characters long: keep it under {limit}"
        )
    if any(ord(c) < 32 for c in value):
        raise InvalidErasureRequest(f"{option} must be one line without control characters")
    if subject.value.strip() and subject.value.strip() in value:
        raise InvalidErasureRequest(
            f"{option} quotes the identifier being erased, which the trail must never hold: "
            "name the request by its ticket, not by the person or document"
        )
    return value


def _ledger_table(catalog: Catalog, name: str) -> Table | None:
    try:
        return load_dataset_table(catalog, name + LEDGER_SUFFIX)
    except DatasetNotFound:
        return None


def _drop_temporary_branches(table: Table) -> None:
    """Branches an interrupted erasure left behind (their heads must not count as versions)."""
    stale = [name for name in table.metadata.refs if name.startswith(TEMPORARY_BRANCH)]
    if stale:
        with table.manage_snapshots() as manage:
            for name in stale:
                manage.remove_branch(name)


def _commit_failed() -> type[Exception]:
    from pyiceberg.exceptions import CommitFailedException

    return CommitFailedException


def _tombstone_pairs(subject: Subject, found: Holdings) -> list[tuple[str | None, str | None]]:
    """(original sha256, source URI) per erased document, plus the request's own identifier
    when it is one a later ingest can see (bytes or URI)."""
    pairs = set(found.pairs)
    if subject.kind is SubjectKind.SHA256 and subject.value not in {p[0] for p in pairs}:
        pairs.add((subject.value, None))
    elif subject.kind is SubjectKind.SOURCE_URI and subject.value not in {p[1] for p in pairs}:
        pairs.add((None, subject.value))
    return sorted(pairs, key=lambda p: (p[0] or "", p[1] or ""))


def _rewrite_table(
    table: Table, files_to_change: dict[str, set[str]], transform: Transform, properties: Any
) -> dict[str, Any]:
    """Successors for every ref head using or mentioning a changed file, refs moved, the
    snapshots mentioning those files expired (see `catalogs.erasure.rewrite`)."""
    dirty = set(files_to_change)
    files = TableFiles(table)
    if not dirty:
        return {"successors": [], "expired": [], "still_mentioning": [], "known": set()}
    heads = refs_by_snapshot(table)
    taken = set(table.metadata.refs)
    successors: list[Successor] = []
    for snapshot_id in heads_to_rewrite(table, files, dirty):
        tags = [ref for ref, kind in heads[snapshot_id] if kind == "tag"]
        names = {tag: erased_name(tag, taken) for tag in tags}
        taken |= set(names.values())
        snapshot = table.snapshot_by_id(snapshot_id)
        own = (snapshot.summary.additional_properties if snapshot and snapshot.summary else {}).get(
            f"{PROPERTY_PREFIX}version"
        )
        new_name = names.get(own or "") or next(iter(names.values()), None)
        live = files.snapshots[snapshot_id].live & dirty
        doc_ids = sorted(set().union(*(files_to_change[key] for key in live)))
        successor = write_successor(
            table, snapshot_id, doc_ids, transform, properties, new_name, dirty=live
        )
        successor.names = names
        successors.append(successor)
    move_refs(table, successors)
    moved = TableFiles(table.refresh())
    expired = expire_mentioning(table, moved, dirty)
    return {
        "successors": successors,
        "expired": expired,
        "still_mentioning": remaining_mentions(table, dirty),
        "known": files.reachable() | moved.reachable(),
    }


def _carried_properties(snapshot: Any, request_id: str) -> dict[str, str]:
    """The `curate.*` properties of the replaced snapshot, plus what the erasure changed."""
    properties = {
        key: value
        for key, value in (
            snapshot.summary.additional_properties if snapshot.summary else {}
        ).items()
        if key.startswith(PROPERTY_PREFIX)
    }
    committed = datetime.fromtimestamp(snapshot.timestamp_ms / 1000, tz=UTC).isoformat()
    properties.setdefault(f"{PROPERTY_PREFIX}committed_at", committed)
    properties[f"{PROPERTY_PREFIX}erasure_of"] = str(snapshot.snapshot_id)
    properties[f"{PROPERTY_PREFIX}erasure_request_id"] = request_id
    return properties


def _dataset_properties(catalog: Catalog, name: str, request_id: str) -> Any:
    """Properties of a version's successor: the version's own, its new name, the rows erased,
    and `curate.stats` recomputed from the rows it keeps."""

    def properties(
        snapshot: Any, read: pa.Table, written: pa.Table, new_name: str | None
    ) -> dict[str, str]:
        result = _carried_properties(snapshot, request_id)
        if new_name:
            result[f"{PROPERTY_PREFIX}erased_from_version"] = result.get(
                f"{PROPERTY_PREFIX}version", ""
            )
            result[f"{PROPERTY_PREFIX}version"] = new_name
        removed = read.num_rows - written.num_rows
        previous = int(result.get(f"{PROPERTY_PREFIX}erased_rows", "0") or 0)
        result[f"{PROPERTY_PREFIX}erased_rows"] = str(previous + removed)
        if f"{PROPERTY_PREFIX}stats" in result:
            result[f"{PROPERTY_PREFIX}stats"] = _stats_after(
                catalog, name, snapshot, _removed_ids(read, written)
            )
        return result

    return properties


def _ledger_properties(request_id: str) -> Any:
    def properties(
        snapshot: Any, read: pa.Table, written: pa.Table, new_name: str | None
    ) -> dict[str, str]:
        return _carried_properties(snapshot, request_id)

    return properties


def _removed_ids(read: pa.Table, written: pa.Table) -> list[str]:
    kept = (
        written.column("doc_id").combine_chunks() if written.num_rows else pa.array([], pa.string())
    )
    ids = read.column("doc_id").combine_chunks().cast(pa.string())
    return ids.filter(pc.invert(pc.is_in(ids, value_set=kept.cast(pa.string())))).to_pylist()


def _stats_after(catalog: Catalog, name: str, snapshot: Any, removed: list[str]) -> str:
    """`curate.stats` of the version without the removed rows (its run's ledger is unchanged:
    the waterfall still tells what that run decided)."""
    from pyiceberg.expressions import AlwaysTrue, In, Not

    from catalogs.stats import STATS_COLUMNS, compute_version_stats, read_run_decisions

    table = load_dataset_table(catalog, name)
    keep = Not(In("doc_id", removed)) if removed else AlwaysTrue()
    rows = table.scan(
        snapshot_id=snapshot.snapshot_id, row_filter=keep, selected_fields=STATS_COLUMNS
    ).to_arrow()
    run_id = snapshot.summary.additional_properties.get(f"{PROPERTY_PREFIX}run_id")
    stats = compute_version_stats(rows, read_run_decisions(catalog, name, run_id), at_commit=True)
    return json.dumps(stats, separators=(",", ":"))


def _versions_affected(successors: list[Successor]) -> list[dict[str, Any]]:
    """One item per moved tag (old -> new name), or per moved branch of an untagged head."""
    items = []
    for successor in successors:
        common = {
            "old_snapshot_id": successor.old_snapshot_id,
            "new_snapshot_id": successor.new_snapshot_id,
            "rows_removed": successor.rows_removed,
        }
        for old, new in sorted(successor.names.items()):
            items.append({"old": old, "new": new, **common})
        if not successor.names:
            branches = [ref for ref, kind in successor.refs if kind == "branch"]
            items.append({"old": None, "new": None, "branches": branches, **common})
    return items


def _resumed_versions(
    table: Table, request_id: str, listed: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Tags an earlier, interrupted attempt at the same request moved (its successors carry
    the request id): the receipt of the attempt that completes lists them too."""
    known = {item["new"] for item in listed}
    items = []
    for name, ref in sorted(table.refresh().metadata.refs.items()):
        snapshot = table.snapshot_by_id(ref.snapshot_id)
        properties = snapshot.summary.additional_properties if snapshot and snapshot.summary else {}
        if (
            ref.snapshot_ref_type.value != "tag"
            or name in known
            or properties.get(f"{PROPERTY_PREFIX}erasure_request_id") != request_id
        ):
            continue
        items.append(
            {
                "old": properties.get(f"{PROPERTY_PREFIX}erased_from_version"),
                "new": name,
                "old_snapshot_id": int(properties[f"{PROPERTY_PREFIX}erasure_of"]),
                "new_snapshot_id": ref.snapshot_id,
                "rows_removed": None,
            }
        )
    return items


def _ledger_summary(found: Holdings, result: dict[str, Any] | None) -> dict[str, Any]:
    successors = result["successors"] if result else []
    return {
        "rows_pseudonymized": found.ledger_rows,
        "snapshots_rewritten": [
            {"old_snapshot_id": s.old_snapshot_id, "new_snapshot_id": s.new_snapshot_id}
            for s in successors
        ],
        "snapshots_expired": result["expired"] if result else [],
    }


def _index_roots(ws: Workspace, dataset: str) -> list[Path]:
    """The dedup index folder of the dataset, under its qualified and its given name (a spec's
    `output.table` may name the table without its namespace)."""
    names = dict.fromkeys([qualified(dataset), dataset])
    return [ws.indexes / n / "dedup" for n in names if (ws.indexes / n).is_dir()]


def _staging_mask(subject: Subject, doc_ids: set[str]) -> Any:
    erased = pa.array(sorted(doc_ids), pa.string())

    def mask(rows: pa.Table) -> pa.Array:
        result = subject.row_mask(rows)
        if "doc_id" in rows.column_names:
            by_id = pc.fill_null(pc.is_in(rows.column("doc_id"), value_set=erased), False)
            result = pc.or_(result, by_id)
        return result

    return mask


def _needles(subject: Subject, found: Holdings) -> list[Any]:
    ids, uris, shas = set(found.doc_ids), set(found.source_uris), set(found.content_sha256s)
    if subject.kind is SubjectKind.DOC_ID:
        ids.add(subject.value)
    elif subject.kind is SubjectKind.SOURCE_URI:
        uris.add(subject.value)
    elif subject.kind is SubjectKind.SHA256:
        shas.add(subject.value)
    return build_needles(
        doc_ids=ids,
        source_uris=uris,
        content_sha256s=shas,
        texts=found.texts,
        text_match=subject.value if subject.kind is SubjectKind.TEXT_MATCH else None,
    )


def _folders(
    catalog: Catalog, tables: Iterable[Table | None], ws: Workspace, dataset: str
) -> list[Folder]:
    """What the verification reads: the whole warehouse (every table of the catalog, since
    another dataset may hold the same document), the dataset's index, and run staging."""
    warehouse = catalog.properties.get("warehouse")
    folders = []
    if warehouse:
        try:
            folders.append(Folder.at(warehouse, catalog))
        except (ValueError, OSError):
            warehouse = None
    if not warehouse:
        folders += [Folder.at(t.metadata.location, catalog) for t in tables if t is not None]
    folders += [Folder.at(str(root)) for root in _index_roots(ws, dataset)]
    if ws.runs.is_dir():
        folders.append(Folder.at(str(ws.runs)))
    return folders


def _models(ws: Workspace, name: str, versions: list[str]) -> list[dict[str, Any]]:
    """Models recorded as trained on an affected version or on any version it was erased from."""
    from catalogs.audit.models import models_trained_on

    entries = read_trail(ws, name)
    lineage = {older for version in versions for older in version_lineage(entries, version)}
    return models_trained_on(ws, name, sorted(lineage))
