"""The audit trail: an append-only, hash-chained JSON-lines file per dataset.

`<workspace>/audit/<namespace.table>/trail.jsonl` holds one JSON object per line, written by
`append_entry` only: erasure receipts (`kind: "erasure"`) and the models trained on a version
(`kind: "model"`). Each line carries `prev_sha256`, the sha256 of the previous line's bytes ("" for
the first), so editing or deleting any line but the last breaks the chain at the next one, which
`verify_chain` reports. The head hash it returns can be kept elsewhere (every audit bundle records
it) to anchor the last line too.

Appends hold an exclusive `flock` on the trail while they read the last line and write theirs, so
two processes (an erasure and a `record-model`) never chain to the same predecessor.

People are named in the trail only through `subject_hash`: an HMAC-SHA256 of the identifier under
a random per-workspace salt (`<workspace>/audit/salt`, 0600), so a trail copied out of the
workspace cannot be checked against a list of guessed names, e-mail addresses or paths, while
the workspace itself can still answer "was this identifier erased?".

Lines are compact JSON with sorted keys and ASCII escapes, so a line's bytes, and so its hash,
depend only on its content.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from catalogs.audit.exceptions import TrailError
from catalogs.versions import qualified
from curation.workspace import Workspace

AUDIT_FOLDER = "audit"
TRAIL_FILE = "trail.jsonl"
SALT_FILE = "salt"
SALT_BYTES = 32
KINDS = ("erasure", "model")
_DATASET_FOLDER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$")
_TAIL_CHUNK = 1 << 16

WorkspaceLike = Workspace | str | os.PathLike[str]


def workspace_root(workspace: WorkspaceLike) -> Path:
    """The workspace folder, from a `Workspace` or a path."""
    return workspace.root if isinstance(workspace, Workspace) else Path(workspace)


def audit_folder(workspace: WorkspaceLike) -> Path:
    return workspace_root(workspace) / AUDIT_FOLDER


def trail_path(workspace: WorkspaceLike, dataset: str) -> Path:
    """Where a dataset's trail lives; `acme` and `curated.acme` name the same trail.

    Examples
    --------
    >>> trail_path("/ws", "acme").as_posix()
    '/ws/audit/curated.acme/trail.jsonl'
    """
    name = qualified(dataset)
    if not _DATASET_FOLDER.match(name) or ".." in name:
        raise TrailError(
            f"dataset name {name!r} cannot name an audit trail folder: use letters, digits, "
            "'.', '_' and '-' (e.g. curated.hr_policies)"
        )
    return audit_folder(workspace) / name / TRAIL_FILE


def _salt(workspace: WorkspaceLike) -> bytes:
    """The workspace's salt, created on first use (0600, written whole before it appears).

    A new salt is written to a private temporary file and hard-linked into place, so a
    concurrent first use either wins the link or reads the complete salt of the winner.
    """
    folder = audit_folder(workspace)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / SALT_FILE
    if not path.exists():
        temporary = folder / f".{SALT_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(SALT_BYTES))
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    salt = path.read_bytes()
    if len(salt) != SALT_BYTES:
        raise TrailError(
            f"{path} holds {len(salt)} bytes, not a {SALT_BYTES}-byte salt: restore it from a "
            "backup of the workspace (a new salt would make every recorded subject hash unmatchable)"
        )
    return salt


def subject_hash(workspace: WorkspaceLike, value: str) -> str:
    """HMAC-SHA256 (hex) of an identifier (doc id, source URI, sha256) under the workspace salt.

    The value is hashed exactly as given: erasure and lookup must pass identifiers as the
    version stores them.
    """
    return hmac.new(_salt(workspace), value.encode("utf-8"), hashlib.sha256).hexdigest()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def encode_entry(entry: Mapping[str, Any]) -> bytes:
    """One trail line (without its newline): compact JSON, sorted keys, ASCII only.

    Examples
    --------
    >>> encode_entry({"kind": "model", "at": "2026-01-01T00:00:00+00:00", "prev_sha256": ""})
    b'{"at":"2026-01-01T00:00:00+00:00","kind":"model","prev_sha256":""}'
    """
    try:
        text = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    except (TypeError, ValueError) as error:
        raise TrailError(f"a trail entry must be plain JSON data: {error}") from error
    return text.encode("ascii")


def _last_line(handle: BinaryIO, path: Path) -> bytes | None:
    """The last complete line of an open trail (None when empty); refuses a torn last line."""
    size = handle.seek(0, os.SEEK_END)
    if size == 0:
        return None
    handle.seek(size - 1)
    if handle.read(1) != b"\n":
        raise TrailError(
            f"{path} ends with an incomplete line (an interrupted write): check "
            "`curate audit verify` and restore the trail from a backup before appending"
        )
    end = size - 1
    position = end
    tail = b""
    while position > 0:
        start = max(0, position - _TAIL_CHUNK)
        handle.seek(start)
        tail = handle.read(position - start) + tail
        newline = tail.rfind(b"\n")
        if newline >= 0:
            return tail[newline + 1 :]
        position = start
    return tail


def append_entry(
    workspace: WorkspaceLike, dataset: str, entry: Mapping[str, Any]
) -> dict[str, Any]:
    """Append `entry` to the dataset's trail, chained to the line before it; returns the entry.

    `kind` must be one of `KINDS`; `at` is filled with the current UTC time when missing;
    `prev_sha256` is always set here (a caller's value is replaced).
    """
    if entry.get("kind") not in KINDS:
        raise TrailError(
            f"a trail entry's kind must be one of {', '.join(KINDS)}, got {entry.get('kind')!r}"
        )
    record = dict(entry)
    record.setdefault("at", datetime.now(UTC).isoformat(timespec="seconds"))
    path = trail_path(workspace, dataset)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "r+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        last = _last_line(handle, path)
        record["prev_sha256"] = sha256_hex(last) if last is not None else ""
        line = encode_entry(record)
        handle.write(line + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
    return record


def _read_lines(workspace: WorkspaceLike, dataset: str) -> tuple[list[bytes], bool]:
    """The trail's lines (without newlines) and whether the last one is complete."""
    path = trail_path(workspace, dataset)
    if not path.exists():
        return [], True
    with path.open("rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        data = handle.read()
    if not data:
        return [], True
    complete = data.endswith(b"\n")
    lines = data.split(b"\n")
    return (lines[:-1] if complete else lines), complete


def read_trail(workspace: WorkspaceLike, dataset: str) -> list[dict[str, Any]]:
    """Every entry of the dataset's trail that parses, oldest first (`verify_chain` says
    whether the chain holding them is intact)."""
    entries = []
    for line in _read_lines(workspace, dataset)[0]:
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            entries.append(value)
    return entries


@dataclass(frozen=True)
class ChainReport:
    """Whether a trail's hash chain is intact: entries, the head hash, and what is wrong."""

    dataset: str
    path: str
    entries: int
    head_sha256: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "path": self.path,
            "entries": self.entries,
            "head_sha256": self.head_sha256,
            "ok": self.ok,
            "problems": list(self.problems),
        }


def verify_chain(workspace: WorkspaceLike, dataset: str) -> ChainReport:
    """Check every line of the trail: it parses, has a known kind, and chains to its predecessor.

    An edited or removed line shows as a broken link at the line after it. The last line has no
    successor: compare `head_sha256` with a value recorded earlier (an audit bundle's
    `audit_trail.head_sha256`) to cover it.
    """
    lines, complete = _read_lines(workspace, dataset)
    problems: list[str] = []
    previous = ""
    whole = lines if complete else lines[:-1]
    for number, line in enumerate(whole, start=1):
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if not isinstance(entry, dict):
            problems.append(f"line {number} is not a JSON object")
        else:
            if entry.get("kind") not in KINDS:
                problems.append(f"line {number} has an unknown kind {entry.get('kind')!r}")
            if entry.get("prev_sha256") != previous:
                problems.append(
                    f"line {number} does not chain to line {number - 1}: the trail was edited "
                    f"at or before line {max(number - 1, 1)}"
                    if number > 1
                    else "line 1 does not start the chain (prev_sha256 must be empty)"
                )
        previous = sha256_hex(line)
    if not complete:
        problems.append(f"line {len(lines)} is incomplete (an interrupted write)")
    return ChainReport(
        dataset=qualified(dataset),
        path=str(trail_path(workspace, dataset)),
        entries=len(lines),
        head_sha256=previous,
        problems=tuple(problems),
    )


def _affected(entry: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    items = entry.get("versions_affected") or []
    return [item for item in items if isinstance(item, Mapping)]


def version_lineage(entries: Iterable[Mapping[str, Any]], version: str) -> list[str]:
    """`version` and every version name it was erased from (`old` of an erasure whose `new`
    is in the lineage), newest first.

    Examples
    --------
    >>> trail = [{"kind": "erasure", "versions_affected": [{"old": "v3", "new": "v3-e1"}]},
    ...          {"kind": "erasure", "versions_affected": [{"old": "v3-e1", "new": "v3-e2"}]}]
    >>> version_lineage(trail, "v3-e2")
    ['v3-e2', 'v3-e1', 'v3']
    """
    lineage = [version]
    erasures = [e for e in entries if e.get("kind") == "erasure"]
    changed = True
    while changed:
        changed = False
        for entry in erasures:
            for item in _affected(entry):
                old = item.get("old")
                if item.get("new") in lineage and isinstance(old, str) and old not in lineage:
                    lineage.append(old)
                    changed = True
    return lineage


def erasures_for_version(
    workspace: WorkspaceLike, dataset: str, version: str
) -> list[dict[str, Any]]:
    """The erasure entries that made `version` what it is, oldest first.

    An erasure applies to a version when one of its `versions_affected` has that version (or a
    version it was itself erased from) as `new`: after `v3 -> v3-e1` and `v3-e1 -> v3-e2`, both
    erasures apply to `v3-e2`.
    """
    entries = read_trail(workspace, dataset)
    lineage = version_lineage(entries, version)
    applied = [
        entry
        for entry in entries
        if entry.get("kind") == "erasure"
        and any(item.get("new") in lineage for item in _affected(entry))
    ]
    return sorted(applied, key=lambda e: str(e.get("at", "")))
