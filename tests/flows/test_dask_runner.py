"""The flow on an existing Dask cluster (given by address) gives the same version as threads."""

from __future__ import annotations

import pytest

from curation.demo_corpus import generate_demo_corpus
from tests_support import run_cli_json

pytestmark = pytest.mark.slow


def test_demo_on_an_existing_dask_cluster(tmp_path):
    from distributed import LocalCluster

    corpus = generate_demo_corpus(tmp_path / "demo")
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        spec = corpus.spec_path.read_text() + (
            f"\nrunner: {{type: dask, address: '{cluster.scheduler_address}'}}\n"
        )
        corpus.spec_path.write_text(spec)
        summary = run_cli_json(["run", str(corpus.spec_path)], workspace=tmp_path / "ws")
        workers = len(cluster.workers)

    assert workers == 2
    assert summary["reconciled"] is True
    assert summary["inputs"] == len(corpus.files)
    assert summary["by_stage"]["dedup"]["dropped"] > 0
    assert summary["kept"] > 0
