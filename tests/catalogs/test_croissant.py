"""The Croissant writer on plain facts and files, without a catalog: what an audit bundle reuses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from catalogs.croissant import (
    DatasetFacts,
    FileEntry,
    InvalidCroissant,
    build_croissant,
    check_rai,
    record_set,
    validate_croissant,
    write_croissant,
)
from curation.schema import COUNTS_TYPE
from tests_support import EGRESS_GUARD, REPO

RAI = {
    "rai:dataCollection": "Read from the file share on premises.",
    "rai:dataCollectionType": ["Document analysis"],
    "rai:dataCollectionTimeframe": ["2024-01-01T00:00:00+00:00", "2024-06-30T00:00:00+00:00"],
    "rai:dataPreprocessingProtocol": ["ingest: 2 kept"],
    "rai:dataManipulationProtocol": "PII redacted.",
    "rai:personalSensitiveInformation": ["EMAIL_ADDRESS: 1 occurrence(s) redacted"],
    "rai:dataLimitations": ["One source only."],
    "rai:dataUseCases": ["Fine-tuning."],
    "rai:dataReleaseMaintenancePlan": "A new version per run.",
}


def write_dataset(folder: Path) -> Path:
    """Two Parquet shards and their Croissant file; returns the Croissant file's path."""
    (folder / "data").mkdir(parents=True)
    table = pa.table(
        {
            "doc_id": ["a", "b", "c"],
            "text": pa.array(["one", "two", "three"], pa.large_string()),
            "score": pa.array([0.5, 0.25, 1.0], pa.float32()),
            "tags": pa.array([["x"], [], ["y", "z"]], pa.list_(pa.string())),
            "pii_counts": pa.array([[("EMAIL_ADDRESS", 1)], [], []], COUNTS_TYPE),
            "blob": pa.array([b"\x00", b"", b"\x01"], pa.binary()),
        }
    )
    paths = []
    for number, (start, stop) in enumerate([(0, 2), (2, 3)]):
        path = folder / "data" / f"train-{number:05d}-of-00002.parquet"
        pq.write_table(table.slice(start, stop - start), path, compression="zstd")
        paths.append(path)
    facts = DatasetFacts(
        name="curated.sample",
        description="A sample.",
        version="v2",
        date_published="2026-01-02T03:04:05+00:00",
        licenses=["MIT", "LicenseRef-Acme-Internal"],
        languages=["en"],
        rai=RAI,
    )
    doc = build_croissant(
        facts,
        [FileEntry.of(p, folder) for p in paths],
        table.schema,
        shards_glob="data/train-*.parquet",
    )
    return write_croissant(doc, folder / "croissant.json")


def edit(path: Path, change) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def test_a_croissant_built_from_plain_facts_validates_and_reads(tmp_path):
    import mlcroissant as mlc

    path = write_dataset(tmp_path)

    dataset = mlc.Dataset(jsonld=path)
    records = list(dataset.records("default"))

    assert validate_croissant(path) == []
    assert dataset.metadata.ctx.issues.warnings == set()
    assert [r["default/doc_id"] for r in records] == [b"a", b"b", b"c"]
    assert records[2]["default/tags"] == [b"y", b"z"]
    assert records[0]["default/pii_counts"] == [
        {"default/pii_counts/key": b"EMAIL_ADDRESS", "default/pii_counts/value": 1}
    ]
    doc = json.loads(path.read_text())
    assert doc["version"] == "2.0.0"
    assert doc["license"] == ["https://spdx.org/licenses/MIT.html", "LicenseRef-Acme-Internal"]


def test_columns_without_a_croissant_type_are_named_not_described():
    schema = pa.schema([("doc_id", pa.string()), ("blob", pa.binary())])

    node = record_set(schema, shards="shards")

    assert [f["name"] for f in node["field"]] == ["doc_id"]
    assert "blob" in node["description"]


def test_a_missing_checksum_is_an_error(tmp_path):
    path = write_dataset(tmp_path)
    edit(path, lambda doc: doc["distribution"][0].pop("sha256"))

    problems = validate_croissant(path)

    assert "FileObject data/train-00000-of-00002.parquet has no sha256 checksum" in problems
    # mlcroissant's own check (it also accepts md5, which we do not)
    assert any("['md5', 'sha256']" in p for p in problems), problems


def test_a_checksum_or_size_that_does_not_match_the_file_is_an_error(tmp_path):
    path = write_dataset(tmp_path)
    edit(path, lambda doc: doc["distribution"][1].update(sha256="0" * 64, contentSize="1 B"))

    problems = validate_croissant(path)

    assert any("does not match the file" in p for p in problems), problems
    assert any("contentSize 1 B" in p for p in problems), problems


def test_a_missing_shard_is_an_error(tmp_path):
    path = write_dataset(tmp_path)
    (tmp_path / "data" / "train-00001-of-00002.parquet").unlink()

    assert any("is missing" in p for p in validate_croissant(path))


def test_a_document_mlcroissant_refuses_is_reported(tmp_path):
    path = write_dataset(tmp_path)
    edit(path, lambda doc: doc.update(conformsTo="http://example.invalid/not-croissant"))

    assert validate_croissant(path) != []


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("rai:dataCollection", ["a", "b"], "must be one string"),
        ("rai:dataManipulationProtocol", {"text": "x"}, "must be one string"),
        ("rai:dataUseCases", {"use": "training"}, "list of strings"),
        ("rai:dataLimitations", [], "list of strings"),
        ("rai:personalSensitiveInformation", ["EMAIL", 3], "list of strings"),
        ("rai:dataCollectionTimeframe", "2024-01-01", "[start, end] pair"),
        ("rai:dataCollectionTimeframe", ["2024-01-01", "last year"], "[start, end] pair"),
        ("rai:dataCollectionTimeframe", ["2024-06-01", "2024-01-01"], "starts after it ends"),
        ("rai:dataCollectionTimeFrame", ["2024-01-01", "2024-02-01"], "dataCollectionTimeframe"),
        ("rai:dataDataManipulationProtocol", "x", "spells it rai:dataManipulationProtocol"),
    ],
)
def test_rai_values_of_the_wrong_shape_are_caught(key, value, message):
    problems = check_rai({**RAI, key: value})

    assert len(problems) == 1 and message in problems[0], problems


def test_a_wrong_rai_value_is_never_written(tmp_path):
    path = write_dataset(tmp_path)
    doc = {**json.loads(path.read_text()), "rai:dataCollection": 42}
    target = tmp_path / "bad.json"

    with pytest.raises(InvalidCroissant, match="rai:dataCollection must be one string"):
        write_croissant(doc, target)
    assert not target.exists()
    edit(path, lambda d: d.update({"rai:dataUseCases": 7}))
    assert any("rai:dataUseCases" in p for p in validate_croissant(path))


# Imports first (urllib3 probes IPv6 support by binding a loopback socket when imported), then
# every socket operation is refused and recorded while the file is validated.
_VALIDATE_WITHOUT_SOCKETS = """
import json, sys
from catalogs.croissant import validate_croissant
import mlcroissant
events = []
def refuse(event, args):
    if event.startswith("socket."):
        events.append(event)
        raise OSError("socket refused: " + event)
sys.addaudithook(refuse)
problems = validate_croissant(sys.argv[1])
print(json.dumps({"problems": problems, "events": events}))
"""


def test_validation_needs_no_network(tmp_path):
    path = write_dataset(tmp_path / "dataset")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "CURATE_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(EGRESS_GUARD), str(REPO)])
    env["CURATE_EGRESS_LOG"] = str(tmp_path / "egress.log")

    result = subprocess.run(
        [sys.executable, "-c", _VALIDATE_WITHOUT_SOCKETS, str(path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.splitlines()[-1]) == {"problems": [], "events": []}
    assert not (tmp_path / "egress.log").exists()
