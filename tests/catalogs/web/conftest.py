"""Fixtures of the web catalog tests: one real catalog per session, a client, a live server.

The catalog is built once (the tests only read it). Helpers live in `web_corpus.py` (what the
catalog holds) and `web_checks.py` (what an inert page looks like), importable from here on.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from web_corpus import CatalogFixture, build_catalog  # noqa: E402


@pytest.fixture(scope="session")
def catalog_fixture(tmp_path_factory: pytest.TempPathFactory) -> CatalogFixture:
    return build_catalog(tmp_path_factory.mktemp("web-catalog"))


@pytest.fixture(scope="session")
def client(catalog_fixture: CatalogFixture):
    from starlette.testclient import TestClient

    from catalogs.web.app import create_app

    with TestClient(
        create_app(catalog_fixture.settings), base_url="http://127.0.0.1"
    ) as test_client:
        yield test_client
