"""Fixtures of the audit tests: one real two-version catalog, and a bundle written from it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from audit_corpus import AuditCorpus, build_corpus  # noqa: E402


@pytest.fixture()
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AuditCorpus:
    monkeypatch.delenv("CURATE_CATALOG_URI", raising=False)
    monkeypatch.delenv("CURATE_WAREHOUSE", raising=False)
    return build_corpus(tmp_path)
