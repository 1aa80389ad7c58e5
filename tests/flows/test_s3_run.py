"""`curate run` with an S3 source, a `datasets` folder and an S3 warehouse (real SeaweedFS)."""

from __future__ import annotations

import json

import polars as pl
import pyarrow.fs as pafs
import pytest

from catalogs.registry import CatalogSettings, open_catalog, warehouse_filesystem
from catalogs.versions import read_ledger, read_version
from curation.workspace import Workspace
from tests_support import run_cli

pytestmark = pytest.mark.slow
pytest_plugins = ["s3_server"]

TEXT = (
    "The quarterly maintenance window moves to the first Saturday of each month. Teams that "
    "deploy on Fridays should plan their releases around it and tell the service desk early."
)
TOPICS = ("backups", "badges", "laptops", "parking", "printers")


def test_a_run_reads_objects_and_commits_to_a_warehouse_on_the_store(
    s3_env, s3_bucket, tmp_path, monkeypatch
):
    import datasets

    answers = [f"Answer about {topic}: {TEXT}" for topic in ("vpn", "mail", "phones")]
    datasets.Dataset.from_dict({"faq_id": ["f1", "f2", "f3"], "answer": answers}).save_to_disk(
        str(tmp_path / "faq")
    )
    for number, topic in enumerate(TOPICS):
        s3_env.put(
            s3_bucket,
            f"exports/notes/{topic}.txt",
            f"Notice {number} about {topic}. {TEXT} Questions about {topic} go to the "
            f"facilities team, who answer within two working days.\n".encode(),
        )
    s3_env.put(s3_bucket, "exports/broken.pdf", b"%PDF-1.7\nnot a pdf")
    warehouse = f"s3://{s3_bucket}/warehouse"
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: objects\n"
        f"output: {{table: curated.objects, warehouse: '{warehouse}'}}\n"
        "sources:\n"
        f"  - {{id: store, type: s3, bucket: {s3_bucket}, prefix: exports, "
        f"endpoint_url: '{s3_env.endpoint}', license: CC0-1.0}}\n"
        "  - {id: faq, type: hf_dataset, path: faq, text_field: answer, id_field: faq_id, "
        "license: CC0-1.0}\n",
        encoding="utf-8",
    )
    # run_cli passes AWS_* on (and drops CURATE_*): the warehouse finds its store like this
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_env.endpoint)
    workspace = tmp_path / "ws"
    egress = tmp_path / "egress.log"

    result = run_cli(["run", str(spec), "--json"], workspace=workspace, egress_log=egress)

    assert result.returncode == 0, result.stderr[-4000:]
    summary = json.loads(result.stdout)
    assert summary["reconciled"] is True
    assert summary["inputs"] == 9 and summary["quarantined"] == 1
    assert not egress.exists() or egress.read_text() == ""
    assert s3_env.secret_key not in result.stderr + result.stdout
    settings = CatalogSettings.for_workspace(Workspace(workspace), warehouse=warehouse)
    catalog = open_catalog(settings)
    version = pl.from_arrow(read_version(catalog, summary["dataset"], summary["version"]))
    ledger = pl.from_arrow(read_ledger(catalog, summary["dataset"], summary["run_id"]))
    objects = version.filter(pl.col("source_id") == "store")
    assert sorted(objects["source_uri"].to_list()) == sorted(
        f"s3://{s3_bucket}/exports/notes/{topic}.txt" for topic in TOPICS
    )
    assert all(json.loads(m)["etag"] for m in objects["metadata_json"].to_list())
    faq = version.filter(pl.col("source_id") == "faq").sort("relative_path")
    assert faq.height == 3
    assert set(faq["relative_path"].to_list()) == {"data-00000-of-00001.arrow"}
    quarantined = ledger.filter(pl.col("decision") == "quarantined")
    assert quarantined["source_uri"].to_list() == [f"s3://{s3_bucket}/exports/broken.pdf"]
    fs, root = warehouse_filesystem(settings)
    stored = [i.path for i in fs.get_file_info(pafs.FileSelector(root, recursive=True))]
    assert any(path.endswith(".parquet") for path in stored)
    assert not list((workspace / "warehouse").rglob("*.parquet"))
