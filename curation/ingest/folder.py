"""Local folder connector: every matching regular file under the root, in a stable order.

Sources are only read (invariant 7): the walk never descends into symlinked folders, a symlink
whose target lies outside the root is reported (and later quarantined) instead of read, and
names are carried as data, never handed to a shell.

Every input is accounted for: a folder symlink is never followed, but it is reported with why
(it loops back to a folder that contains it, it points outside the source, or it is an alias
of a folder that is read under its own path), so the ledger shows it. Maildir folders (a
folder with `cur`, `new` and `tmp`) are recognised here: each message file in `cur` or `new`
is a message of that Maildir, and files in `tmp` (still being delivered) are reported.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from curation.ingest.extract.mailbox import maildir_key
from curation.ingest.globs import PathFilter
from curation.ingest.reasons import IngestReason

MAILDIR_PARTS = ("cur", "new", "tmp")


@dataclass(frozen=True)
class FileEntry:
    """One file found in a source. `problem` set means it is quarantined without being read.

    A Maildir message has `kind` "maildir", `container` the Maildir folder's relative path
    ("" for the root) and `key` its unique name: its documents are located as
    `<folder>#<key>` and `<folder>#<key>/<attachment>`.
    """

    path: Path  # what to open: the file itself, or a symlink's resolved target inside the root
    relative_path: str  # POSIX path relative to the source root (the document's locator)
    size: int | None
    mtime_ns: int | None
    problem: IngestReason | None = None
    message: str | None = None
    kind: str | None = None
    container: str | None = None
    key: str | None = None


def walk_folder(
    root: Path, include: tuple[str, ...], exclude: tuple[str, ...]
) -> Iterator[FileEntry]:
    """Yield every file under `root` whose relative path passes include/exclude, sorted."""
    root = Path(root).resolve()
    matches = PathFilter(include, exclude)
    for folder, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(folder)
        # the folder's relative path once; its entries' are that plus their name (a name
        # holds no separator), which spares a path parse per file
        base = here.relative_to(root).as_posix()
        prefix = "" if base == "." else base + "/"
        dirnames[:] = sorted(
            name for name in dirnames if not matches.excludes_folder(prefix + name)
        )
        # Symlinked folders are not descended into (os.walk lists them in dirnames but does not
        # follow them); each is reported with why, so the ledger shows it.
        for name in list(dirnames):
            full = here / name
            if full.is_symlink():
                relative = prefix + name
                if matches(relative):
                    yield _folder_link(full, relative, root)
        maildir = _maildir_of(here, root)
        for name in sorted(filenames):
            relative = prefix + name
            if not matches(relative):
                continue
            entry = _entry(here / name, relative, root)
            if maildir is not None and entry.problem is None:
                entry = _maildir_entry(entry, here.name, maildir)
            yield entry


def _entry(full: Path, relative: str, root: Path) -> FileEntry:
    try:
        info = full.lstat()
    except OSError as error:
        return FileEntry(full, relative, None, None, IngestReason.UNREADABLE, error.strerror)
    if stat.S_ISLNK(info.st_mode):
        target, problem = _link_target(full, root)
        if target is None:
            return _link_refused(full, relative, problem, "symlink")
        try:
            info = target.stat()
        except OSError as error:
            return FileEntry(full, relative, None, None, IngestReason.UNREADABLE, error.strerror)
        full = target
    if not stat.S_ISREG(info.st_mode):
        return FileEntry(
            full,
            relative,
            None,
            info.st_mtime_ns,
            IngestReason.NOT_REGULAR_FILE,
            f"{Path(relative).name!r} is not a regular file (device, FIFO or socket)",
        )
    return FileEntry(full, relative, info.st_size, info.st_mtime_ns)


def _link_target(link: Path, root: Path) -> tuple[Path | None, str]:
    """(target, "") when the link resolves inside `root`, else (None, "loop" | "broken" |
    "outside")."""
    try:
        target = link.resolve(strict=True)
    except RuntimeError:  # Python 3.11 reports a symlink loop this way
        return None, "loop"
    except OSError as error:
        return None, "loop" if error.errno == errno.ELOOP else "broken"
    return (target, "") if target.is_relative_to(root) else (None, "outside")


def _link_refused(full: Path, relative: str, problem: str, what: str) -> FileEntry:
    name = Path(relative).name
    if problem == "loop":
        reason = IngestReason.SYMLINK_LOOP
        message = f"{name!r} is a {what} that loops back to itself: never followed"
    elif problem == "broken":
        reason = IngestReason.UNREADABLE
        message = f"{name!r} is a broken {what}: its target does not exist"
    else:
        reason = IngestReason.SYMLINK_OUTSIDE
        message = (
            f"{name!r} is a {what} pointing outside the source: sources are never read "
            "outside their root"
        )
    return FileEntry(full, relative, None, None, reason, message)


def _folder_link(full: Path, relative: str, root: Path) -> FileEntry:
    """The row of a folder symlink: a loop, an escape, or an alias of a folder inside."""
    target, problem = _link_target(full, root)
    if target is None:
        return _link_refused(full, relative, problem, "folder symlink")
    name = Path(relative).name
    inside = target.relative_to(root).as_posix() or "."
    if full.parent.resolve().is_relative_to(target):
        reason = IngestReason.SYMLINK_LOOP
        message = (
            f"{name!r} is a folder symlink to {inside!r}, a folder that contains it: "
            "following it would loop"
        )
    else:
        reason = IngestReason.SYMLINK_FOLDER
        message = (
            f"{name!r} is a folder symlink to {inside!r} inside the source: its files are "
            "read under their own path, not again through the link"
        )
    return FileEntry(full, relative, None, None, reason, message)


def _maildir_of(folder: Path, root: Path) -> str | None:
    """The Maildir's relative path ("" for the root) when `folder` is its cur/new/tmp."""
    parent = folder.parent
    if folder == root or folder.name not in MAILDIR_PARTS or not parent.is_relative_to(root):
        return None
    for part in MAILDIR_PARTS:
        candidate = parent / part
        if candidate.is_symlink() or not candidate.is_dir():
            return None
    relative = parent.relative_to(root).as_posix()
    return "" if relative == "." else relative


def _maildir_entry(entry: FileEntry, part: str, maildir: str) -> FileEntry:
    if part == "tmp":
        return FileEntry(
            entry.path,
            entry.relative_path,
            entry.size,
            entry.mtime_ns,
            IngestReason.MAILDIR_TMP,
            f"{Path(entry.relative_path).name!r} is in a Maildir tmp folder: a message still "
            "being delivered, read once it moves to new or cur",
        )
    return FileEntry(
        entry.path,
        entry.relative_path,
        entry.size,
        entry.mtime_ns,
        kind="maildir",
        container=maildir,
        key=maildir_key(entry.relative_path),
    )
