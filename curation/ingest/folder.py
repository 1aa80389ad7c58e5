"""Local folder connector: every matching regular file under the root, in a stable order.

Sources are only read (invariant 7): the walk never descends into symlinked folders, a symlink
whose target lies outside the root is reported (and later quarantined) instead of read, and
names are carried as data, never handed to a shell.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from curation.ingest.globs import PathFilter
from curation.ingest.reasons import IngestReason


@dataclass(frozen=True)
class FileEntry:
    """One file found in a source. `problem` set means it is quarantined without being read."""

    path: Path  # what to open: the file itself, or a symlink's resolved target inside the root
    relative_path: str  # POSIX path relative to the source root (the document's locator)
    size: int | None
    mtime_ns: int | None
    problem: IngestReason | None = None
    message: str | None = None


def walk_folder(
    root: Path, include: tuple[str, ...], exclude: tuple[str, ...]
) -> Iterator[FileEntry]:
    """Yield every file under `root` whose relative path passes include/exclude, sorted."""
    root = Path(root).resolve()
    matches = PathFilter(include, exclude)
    for folder, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(folder)
        dirnames[:] = sorted(
            name
            for name in dirnames
            if not matches.excludes_folder((here / name).relative_to(root).as_posix())
        )
        # Symlinked folders are not descended into (os.walk lists them in dirnames but does not
        # follow them); one pointing outside is reported so the ledger shows it was refused.
        for name in list(dirnames):
            full = here / name
            if full.is_symlink():
                relative = full.relative_to(root).as_posix()
                target = _resolve_inside(full, root)
                if target is None and matches(relative):
                    yield _refused(full, relative, "a folder symlink pointing outside the source")
        for name in sorted(filenames):
            full = here / name
            relative = full.relative_to(root).as_posix()
            if not matches(relative):
                continue
            yield _entry(full, relative, root)


def _entry(full: Path, relative: str, root: Path) -> FileEntry:
    try:
        info = full.lstat()
    except OSError as error:
        return FileEntry(full, relative, None, None, IngestReason.UNREADABLE, error.strerror)
    if stat.S_ISLNK(info.st_mode):
        target = _resolve_inside(full, root)
        if target is None:
            return _refused(full, relative, "a symlink pointing outside the source (or broken)")
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


def _resolve_inside(link: Path, root: Path) -> Path | None:
    """The link's final target if it exists and lies inside `root`, else None."""
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    return target if target.is_relative_to(root) else None


def _refused(full: Path, relative: str, what: str) -> FileEntry:
    return FileEntry(
        full,
        relative,
        None,
        None,
        IngestReason.SYMLINK_OUTSIDE,
        f"{Path(relative).name!r} is {what}: sources are never read outside their root",
    )
