"""A new workspace's Prefect database starts from the migrated copy the first server left."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from flows import prefect_database
from flows.prefect_database import find_template, keep_template, seed_new_database, template_name
from flows.run_server import connect, server_process


@pytest.fixture
def private(tmp_path, monkeypatch):
    """No configured server or database; the cache in the test's folder."""
    for name in ("PREFECT_API_URL", *prefect_database._CONFIGURED_DATABASE):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(prefect_database, "cache_dirs", lambda: [tmp_path / "cache"])
    return tmp_path


def migration_of(database: Path) -> str:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def test_the_first_server_leaves_a_template_and_the_next_workspace_starts_from_it(
    private, monkeypatch
):
    from prefect import flow

    @flow
    def add(a: int, b: int) -> int:
        return a + b

    monkeypatch.setenv("PREFECT_HOME", str(private / "first"))
    with server_process() as server, connect(server):
        assert server.new_database == private / "first" / "prefect.db"
        template = private / "cache" / template_name()
        assert template.is_file()
    assert migration_of(template) == migration_of(private / "first" / "prefect.db")

    monkeypatch.setenv("PREFECT_HOME", str(private / "second"))
    with server_process() as server:
        # seeded before the server started, so it has no migrations to run
        assert server.new_database is None
        assert (private / "second" / "prefect.db").is_file()
        with connect(server):
            assert add(1, 2) == 3
    assert migration_of(private / "second" / "prefect.db") == migration_of(template)


def test_an_existing_database_is_never_replaced(private, monkeypatch):
    home = private / "home"
    home.mkdir()
    (home / "prefect.db").write_bytes(b"the workspace's own runs")
    (private / "cache").mkdir()
    (private / "cache" / template_name()).write_bytes(b"an empty database")
    monkeypatch.setenv("PREFECT_HOME", str(home))

    assert seed_new_database() is None
    assert (home / "prefect.db").read_bytes() == b"the workspace's own runs"


def test_a_configured_database_is_left_to_prefect(private, monkeypatch):
    monkeypatch.setenv("PREFECT_HOME", str(private / "home"))
    monkeypatch.setenv("PREFECT_API_DATABASE_CONNECTION_URL", "postgresql+asyncpg://db/prefect")
    (private / "cache").mkdir()
    (private / "cache" / template_name()).write_bytes(b"an empty database")

    assert seed_new_database() is None
    assert not (private / "home").exists()


def test_a_template_of_another_prefect_version_is_not_used(private, monkeypatch):
    monkeypatch.setenv("PREFECT_HOME", str(private / "home"))
    (private / "cache").mkdir()
    (private / "cache" / "prefect-0.0.1-empty.db").write_bytes(b"older migrations")

    assert find_template() is None
    assert seed_new_database() == private / "home" / "prefect.db"  # the server migrates it
    assert not (private / "home" / "prefect.db").exists()


def test_a_cache_folder_that_cannot_be_written_is_skipped(private, monkeypatch):
    blocked = private / "blocked"
    blocked.write_text("a file where a folder should be")
    usable = private / "usable"
    monkeypatch.setattr(prefect_database, "cache_dirs", lambda: [blocked / "cache", usable])
    database = private / "home" / "prefect.db"
    database.parent.mkdir()
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE alembic_version (version_num TEXT)")
        db.execute("INSERT INTO alembic_version VALUES ('abc123')")

    assert keep_template(database) == usable / template_name()
    assert migration_of(usable / template_name()) == "abc123"
    assert [p.name for p in usable.iterdir()] == [template_name()]  # no partial copy left


def test_a_named_database_is_seeded_too(private):
    """`curate server` keeps its own database file beside the runs' one."""
    (private / "cache").mkdir()
    (private / "cache" / template_name()).write_bytes(b"an empty migrated database")
    server_db = private / "home" / "server.db"

    assert seed_new_database(server_db) is None
    assert server_db.read_bytes() == b"an empty migrated database"
    assert seed_new_database(server_db) is None  # present now: left as it is
