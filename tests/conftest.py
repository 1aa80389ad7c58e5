"""Shared fixtures; helpers live in tests_support.py (importable from any test module)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tests_support import SHARED_DATA  # noqa: E402


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "README.md").is_file():
        pytest.skip(f"needs the real corpora at {SHARED_DATA} (../shared/data beside the checkout)")
    return SHARED_DATA
