"""Acceptance: `curate run` on the real enterprise share accounts for every one of its files."""

from __future__ import annotations

import polars as pl
import pytest

from catalogs.registry import CatalogSettings, open_catalog
from catalogs.versions import read_ledger
from curation.workspace import Workspace
from tests_support import REPO, run_cli_json

pytestmark = [pytest.mark.slow, pytest.mark.shared]


def test_enterprise_share_run_reconciles(shared_data, tmp_path):
    files = [
        p
        for p in (shared_data / "enterprise").rglob("*")
        if p.is_file() and p.parent != shared_data / "enterprise"
    ]
    workspace = tmp_path / "workspace"

    summary = run_cli_json(
        ["run", str(REPO / "examples" / "enterprise-share.yaml")],
        workspace=workspace,
        egress_log=tmp_path / "egress.log",
    )
    catalog = open_catalog(CatalogSettings.for_workspace(Workspace(workspace)))
    ledger = pl.from_arrow(read_ledger(catalog, summary["dataset"], summary["run_id"]))

    assert len(files) == 2865
    assert summary["inputs"] == len(files) and summary["reconciled"] is True
    assert ledger.filter(pl.col("stage") == "ingest")["doc_id"].n_unique() == len(files)
    assert summary["kept"] + summary["dropped"] + summary["quarantined"] == len(files)
    # the policy holds back OPUBL-1.0 (dropped) and NOASSERTION (quarantined) PEPs with reasons
    assert summary["by_reason"]["license.denied"] >= 5
    assert summary["by_reason"]["license.unknown"] >= 29
    assert not (tmp_path / "egress.log").exists()
