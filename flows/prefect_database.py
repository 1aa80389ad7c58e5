"""A new workspace's Prefect database starts as a copy of an empty, migrated one.

Prefect builds its SQLite database by running every one of its migrations in turn: on a new
workspace the run's private server took 9.9 s to answer instead of 3.1 s (2 cores), the first
run of every workspace paid it, and so did every test and benchmark that starts from a fresh
workspace. The migrations' result depends only on Prefect's version, so the first server that
migrates an empty database leaves a copy of it (taken once it answers, before any run is
recorded) in the cache, and a later new workspace starts from that copy; the server's own
migration check at start then finds nothing to do. A copy from another Prefect version is never
used: its name carries the version.

A run's private server seeds Prefect's default database (`$PREFECT_HOME/prefect.db`) and
`curate server` its own (`server.db` beside it); a database configured elsewhere by the user
(`PREFECT_API_DATABASE_CONNECTION_URL`) is left to Prefect.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import sqlite3
import tempfile
from pathlib import Path

from curation.resources import cache_dirs

_CONFIGURED_DATABASE = (
    "PREFECT_API_DATABASE_CONNECTION_URL",
    "PREFECT_SERVER_DATABASE_CONNECTION_URL",
)


def template_name() -> str:
    """The copy's file name: one per Prefect version, whose migrations made it."""
    return f"prefect-{importlib.metadata.version('prefect')}-empty.db"


def default_database() -> Path | None:
    """The SQLite file a server started now would use, where it is Prefect's default."""
    if any(os.environ.get(name) for name in _CONFIGURED_DATABASE):
        return None
    home = os.environ.get("PREFECT_HOME")
    return (Path(home) if home else Path.home() / ".prefect") / "prefect.db"


def find_template() -> Path | None:
    name = template_name()
    for folder in cache_dirs():
        if (folder / name).is_file():
            return folder / name
    return None


def seed_new_database(database: Path | None = None) -> Path | None:
    """Before a server starts: give a missing database the migrated copy (`database`, else
    Prefect's default one). Returns the database that the server will migrate itself (it is
    new and no copy exists yet), else None.
    """
    database = database or default_database()
    if database is None or database.exists():
        return None
    template = find_template()
    if template is None:
        return database
    database.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # unreadable copy: the server migrates, as without one
        _copy_atomically(template, database)
        return None
    return database


def keep_template(database: Path) -> Path | None:
    """Once the server that migrated `database` answers: store a consistent copy of it (SQLite's
    online backup) as the template, in the first cache folder that takes it."""
    if not database.is_file():
        return None
    name = template_name()
    for folder in cache_dirs():
        target = folder / name
        if target.is_file():
            return target
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _backup(database, target)
        except (OSError, sqlite3.Error):
            continue  # a read-only or full cache folder: try the next
        return target
    return None


def _backup(database: Path, target: Path) -> None:
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=".prefect-", suffix=".db")
    os.close(handle)
    try:
        source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise


def _copy_atomically(source: Path, target: Path) -> None:
    import shutil

    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=".prefect-", suffix=".db")
    os.close(handle)
    try:
        shutil.copyfile(source, partial)
        os.replace(partial, target)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
