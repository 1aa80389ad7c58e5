"""`export_version` on a real SQLite catalog in tmp_path: the folder `datasets`, the Hub and a
Croissant loader read, sharded by bytes, deterministic, offline."""

from __future__ import annotations

import hashlib
import json
import sys
from contextlib import contextmanager
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from catalogs.card import hub_features
from catalogs.croissant import validate_croissant
from catalogs.exceptions import CatalogError
from catalogs.export import export_version, row_text_bytes
from catalogs.registry import CatalogSettings, open_catalog
from catalogs.versions import commit_version
from curation.ledger import ledger_table
from curation.offline import enforce_offline
from curation.schema import COUNTS_TYPE, DOCUMENT_SCHEMA, empty_documents
from curation.workspace import Workspace

enforce_offline()

REFERENCE = "curated.docs@v1"
IDS = [f"doc-{i:02d}" for i in (7, 3, 9, 0, 5, 1, 8, 2, 6, 4)]
LICENSES = ["MIT"] * 5 + ["CC-BY-4.0"] * 3 + ["LicenseRef-Acme-Internal"] * 2
LANGS = ["en"] * 6 + ["de"] * 3 + [None]
PII = [[("EMAIL_ADDRESS", 2), ("PERSON", 1)]] * 3 + [[("PHONE_NUMBER", 1)]] + [[]] * 6
SUMMARY = {
    "inputs": 12,
    "kept": 10,
    "dropped": 2,
    "quarantined": 0,
    "by_stage": {
        "ingest": {"kept": 12},
        "dedup": {"kept": 10, "dropped": 2},
        "pii": {"kept": 6, "modified": 4},
    },
    "by_reason": {"dedup.near_duplicate": 2},
}

_EGRESS: dict = {"refuse": False, "attempts": []}


def _refuse_network(event: str, args: tuple) -> None:
    if _EGRESS["refuse"] and event in ("socket.connect", "socket.getaddrinfo"):
        _EGRESS["attempts"].append(f"{event} {args!r}")
        raise OSError(f"network refused by test: {event}")


sys.addaudithook(_refuse_network)


@contextmanager
def network_refused():
    """Every connect and name lookup inside the block fails and is recorded."""
    _EGRESS["refuse"], _EGRESS["attempts"] = True, []
    try:
        yield _EGRESS["attempts"]
    finally:
        _EGRESS["refuse"] = False


def documents() -> pa.Table:
    n = len(IDS)
    attribution = [
        json.dumps({"license": "CC-BY-4.0", "title": "Guide", "requires_attribution": True})
        if spdx == "CC-BY-4.0"
        else None
        for spdx in LICENSES
    ]
    return pa.table(
        {
            "doc_id": IDS,
            "text": [f"document {i} " + "word " * (40 * (k + 1)) for k, i in enumerate(IDS)],
            "source_id": ["wiki"] * 6 + ["hr"] * 4,
            "source_uri": [f"file:///share/{i}.md" for i in IDS],
            "relative_path": [f"{i}.md" for i in IDS],
            "modified_at": pa.array(
                [datetime(2024, 1 + k, 2, tzinfo=UTC) for k in range(n)],
                pa.timestamp("us", tz="UTC"),
            ),
            "spdx": LICENSES,
            "license_category": ["permissive"] * 5 + ["permissive"] * 3 + ["internal"] * 2,
            "license_evidence": ["default"] * n,
            "attribution": attribution,
            "lang": LANGS,
            "pii_counts": pa.array(PII, COUNTS_TYPE),
        }
    )


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    catalog = open_catalog(CatalogSettings.for_workspace(Workspace(tmp_path_factory.mktemp("ws"))))
    commit_version(
        catalog,
        "curated.docs",
        documents(),
        ledger_table("run-1", "ingest", IDS, ["kept"] * len(IDS)),
        run_id="run-1",
        spec_fingerprint="spec-abc",
        code_version="0.1.0",
        summary=SUMMARY,
    )
    return catalog


@pytest.fixture(scope="module")
def exported(catalog, tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "docs"
    result = export_version(catalog, REFERENCE, out)
    return out, result


def front_matter(readme: str) -> dict:
    assert readme.startswith("---\n")
    header, _, _ = readme[4:].partition("\n---\n")
    return yaml.safe_load(header)


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_folder_is_a_hub_dataset(exported):
    out, result = exported

    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())

    assert files == [
        "ATTRIBUTION.md",
        "README.md",
        "croissant.json",
        "data/train-00000-of-00001.parquet",
        "manifest.json",
    ]
    assert result["rows"] == 10
    assert result["columns_left_out"] == ["source_uri", "relative_path"]


def test_datasets_loads_the_folder_offline(exported, tmp_path):
    import datasets

    out, _ = exported
    with network_refused() as attempts:
        loaded = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "hf"))

    train = loaded["train"]
    assert attempts == []
    assert list(loaded) == ["train"]
    assert train.num_rows == 10
    assert train["doc_id"] == sorted(IDS)
    assert "source_uri" not in train.column_names
    assert "relative_path" not in train.column_names
    assert {"text", "spdx", "lang", "pii_counts"} <= set(train.column_names)
    assert train[0]["pii_counts"] == [{"key": "PHONE_NUMBER", "value": 1}]


def test_include_provenance_keeps_the_identifiers(catalog, tmp_path):
    out = tmp_path / "with-provenance"

    result = export_version(catalog, REFERENCE, out, include_provenance=True)
    table = pq.read_table(out / "data")

    assert result["columns_left_out"] == []
    assert {"source_uri", "relative_path"} <= set(table.column_names)
    assert "Left out:" not in (out / "README.md").read_text()
    assert validate_croissant(out / "croissant.json") == []


def test_shards_stay_within_the_byte_bound(catalog, tmp_path):
    out = tmp_path / "sharded"
    bound = 700

    result = export_version(catalog, REFERENCE, out, max_shard_bytes=bound)
    paths = [out / f["path"] for f in result["files"]]
    tables = [pq.read_table(p) for p in paths]

    assert len(paths) > 2
    assert [p.name for p in paths] == [
        f"train-{k:05d}-of-{len(paths):05d}.parquet" for k in range(len(paths))
    ]
    for table in tables:
        assert table.num_rows == 1 or int(row_text_bytes(table).sum()) <= bound
    assert [i for t in tables for i in t.column("doc_id").to_pylist()] == sorted(IDS)
    assert validate_croissant(out / "croissant.json") == []


def test_shards_stay_within_the_row_cap(catalog, tmp_path):
    out = tmp_path / "capped"

    result = export_version(catalog, REFERENCE, out, max_shard_rows=3)

    rows = [pq.read_metadata(out / f["path"]).num_rows for f in result["files"]]
    assert rows == [3, 3, 3, 1]


def test_card_header_is_hub_metadata(exported):
    out, _ = exported
    import datasets

    header = front_matter((out / "README.md").read_text(encoding="utf-8"))
    schema = pq.read_schema(out / "data" / "train-00000-of-00001.parquet")

    assert header["license"] == ["cc-by-4.0", "mit", "other"]
    assert header["license_name"] == "licenseref-acme-internal"
    assert header["language"] == ["en", "de"]
    assert header["size_categories"] == ["n<1K"]
    assert header["task_categories"] == ["text-generation"]
    assert header["pretty_name"] == "curated.docs v1"
    assert header["configs"] == [
        {
            "config_name": "default",
            "data_files": [{"split": "train", "path": "data/train-*.parquet"}],
        }
    ]
    info = header["dataset_info"]
    assert info["splits"][0]["name"] == "train"
    assert info["splits"][0]["num_examples"] == 10
    assert info["download_size"] == (out / "data" / "train-00000-of-00001.parquet").stat().st_size
    # the features are what `datasets` itself writes for these files
    assert info["features"] == datasets.Features.from_arrow_schema(schema)._to_yaml_list()
    assert info["features"] == hub_features(schema)


def test_card_body_says_how_it_was_made(exported):
    out, _ = exported

    card = (out / "README.md").read_text(encoding="utf-8")

    assert "run id: `run-1`" in card and "spec fingerprint: `spec-abc`" in card
    assert "| dedup | exact and near-duplicate" in card and "| 10 | 0 | 2 | 0 |" in card
    assert "| `dedup.near_duplicate` | 2 |" in card
    assert "| EMAIL_ADDRESS | 6 | 3 |" in card and "| PHONE_NUMBER | 1 | 1 |" in card
    assert "Left out: `source_uri`, `relative_path`" in card
    assert "`other` stands for LicenseRef-Acme-Internal" in card
    assert "ATTRIBUTION.md" in card
    assert "CC-BY-4.0 (3 documents)" in (out / "ATTRIBUTION.md").read_text(encoding="utf-8")


def test_croissant_validates_and_its_checksums_match(exported):
    import mlcroissant as mlc

    out, result = exported
    path = out / "croissant.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    file_objects = [d for d in doc["distribution"] if d["@type"] == "cr:FileObject"]
    fields = [f["name"] for f in doc["recordSet"][0]["field"]]

    assert validate_croissant(path) == []
    dataset = mlc.Dataset(jsonld=path)
    assert dataset.metadata.ctx.issues.warnings == set()
    assert len(list(dataset.records("default"))) == 10
    assert "http://mlcommons.org/croissant/1.1" in doc["conformsTo"]
    assert doc["@context"]["rai"] == "http://mlcommons.org/croissant/RAI/"
    assert [f["contentUrl"] for f in file_objects] == [f["path"] for f in result["files"]]
    for node in file_objects:
        assert node["sha256"] == sha256(out / node["contentUrl"])
        assert node["contentSize"] == f"{(out / node['contentUrl']).stat().st_size} B"
    assert "source_uri" not in fields and "relative_path" not in fields
    assert "pii_counts" in fields
    assert doc["license"][:2] == [
        "https://spdx.org/licenses/MIT.html",
        "https://spdx.org/licenses/CC-BY-4.0.html",
    ]
    assert doc["inLanguage"] == ["en", "de"]
    assert doc["version"] == "1.0.0"


def test_croissant_rai_is_filled_from_the_version(exported):
    out, _ = exported

    doc = json.loads((out / "croissant.json").read_text(encoding="utf-8"))

    assert doc["rai:dataCollectionTimeframe"] == [
        "2024-01-02T00:00:00+00:00",
        "2024-10-02T00:00:00+00:00",
    ]
    assert doc["rai:personalSensitiveInformation"] == [
        "EMAIL_ADDRESS: 6 occurrence(s) redacted in 3 document(s)",
        "PERSON: 3 occurrence(s) redacted in 3 document(s)",
        "PHONE_NUMBER: 1 occurrence(s) redacted in 1 document(s)",
    ]
    steps = doc["rai:dataPreprocessingProtocol"]
    assert steps[0].startswith("Run run-1: 12 input documents, 10 kept, 2 dropped")
    assert [s.split(":")[0] for s in steps[1:]] == ["ingest", "dedup", "pii"]
    assert "4 documents were modified by redaction" in doc["rai:dataManipulationProtocol"]
    assert "wiki (6)" in doc["rai:dataCollection"] and "hr (4)" in doc["rai:dataCollection"]
    for key in ("rai:dataLimitations", "rai:dataUseCases", "rai:dataReleaseMaintenancePlan"):
        assert doc[key]


def test_exporting_twice_gives_the_same_bytes_but_exported_at(catalog, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    export_version(catalog, REFERENCE, first, max_shard_bytes=700)
    export_version(catalog, REFERENCE, second, max_shard_bytes=700)

    names = sorted(str(p.relative_to(first)) for p in first.rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(second)) for p in second.rglob("*") if p.is_file())
    for name in names:
        if name == "manifest.json":
            continue
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    manifests = [json.loads((d / "manifest.json").read_text()) for d in (first, second)]
    for manifest in manifests:
        datetime.fromisoformat(manifest.pop("exported_at"))
    assert manifests[0] == manifests[1]


def test_manifest_lists_every_file_with_its_checksum(exported):
    out, _ = exported

    manifest = json.loads((out / "manifest.json").read_text())

    entries = manifest["files"] + manifest["metadata_files"]
    assert {e["path"] for e in manifest["metadata_files"]} == {
        "README.md",
        "ATTRIBUTION.md",
        "croissant.json",
    }
    for entry in entries:
        assert sha256(out / entry["path"]) == entry["sha256"]
        assert (out / entry["path"]).stat().st_size == entry["bytes"]


def test_overwrite_removes_shards_of_the_previous_export(catalog, tmp_path):
    out = tmp_path / "again"
    export_version(catalog, REFERENCE, out, max_shard_rows=3)

    with pytest.raises(CatalogError, match="--overwrite"):
        export_version(catalog, REFERENCE, out)
    export_version(catalog, REFERENCE, out, overwrite=True)

    assert [p.name for p in sorted((out / "data").iterdir())] == ["train-00000-of-00001.parquet"]
    assert validate_croissant(out / "croissant.json") == []


def test_a_version_without_documents_exports_an_empty_shard(tmp_path):
    catalog = open_catalog(CatalogSettings.for_workspace(Workspace(tmp_path / "ws")))
    commit_version(
        catalog,
        "curated.empty",
        empty_documents(),
        ledger_table("run-0", "ingest", [], []),
        run_id="run-0",
        spec_fingerprint="spec-abc",
        code_version="0.1.0",
        summary={"inputs": 0, "kept": 0},
    )
    out = tmp_path / "empty"

    result = export_version(catalog, "curated.empty", out)
    shard = out / "data" / "train-00000-of-00001.parquet"

    assert result["rows"] == 0
    assert pq.read_metadata(shard).num_rows == 0
    # the same column types as a version with documents (pyiceberg reads this one as large types)
    assert (
        pq.read_schema(shard).field("quality_signals").type
        == DOCUMENT_SCHEMA.field("quality_signals").type
    )
    assert front_matter((out / "README.md").read_text())["license"] == "unknown"
    assert validate_croissant(out / "croissant.json") == []
