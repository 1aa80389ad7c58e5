"""`datasets` folders on disk as sources: save_to_disk output and Hub-layout shards, offline."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.exceptions import SpecError
from curation.ingest import ingest_source, load_sources
from curation.ingest.known import KnownInputs, batch_inputs, inputs_table
from curation.schema import DOCUMENT_SCHEMA, make_doc_id

ROWS = {
    "ticket": ["T-1", "T-2", "T-3"],
    "body": ["The printer on floor two jams.", "VPN drops every hour.", "   "],
    "team": ["it", "network", "it"],
    "attachment": [b"\x89PNG\r\n", b"\x00\x01", b""],
}


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """A DatasetDict written by `datasets` itself: train and test splits."""
    import datasets

    root = tmp_path_factory.mktemp("hf") / "tickets"
    train = datasets.Dataset.from_dict(ROWS)
    test = datasets.Dataset.from_dict({k: v[:1] for k, v in ROWS.items()})
    datasets.DatasetDict({"train": train, "test": test}).save_to_disk(str(root))
    return root


def collect(source, **kwargs):
    batches = list(ingest_source(source, run_id="r", batch_size=2, **kwargs))
    for batch in batches:
        assert batch.documents.schema == DOCUMENT_SCHEMA
    documents = [d for b in batches for d in b.documents.to_pylist()]
    quarantined = [q for b in batches for q in b.quarantined.to_pylist()]
    unchanged = [u for b in batches for u in b.unchanged.to_pylist()]
    return batches, documents, quarantined, unchanged


def test_save_to_disk_rows_become_documents(saved):
    (source,) = load_sources(
        [
            {
                "id": "tickets",
                "type": "hf_dataset",
                "path": str(saved),
                "text_field": "body",
                "id_field": "ticket",
                "include": ["train/**"],
            }
        ],
        saved.parent,
    )

    _, documents, quarantined, _ = collect(source)

    assert [d["doc_id"] for d in documents] == [
        make_doc_id("tickets", "T-1"),
        make_doc_id("tickets", "T-2"),
    ]
    first = documents[0]
    assert first["text"] == "The printer on floor two jams."
    assert first["relative_path"] == "train/data-00000-of-00001.arrow"
    assert first["source_uri"] == (saved / first["relative_path"]).as_uri() + "#row=0"
    assert first["content_sha256"] == hashlib.sha256(first["text"].encode()).hexdigest()
    assert first["mime_type"] == "application/vnd.apache.arrow.stream"
    assert first["extractor"] == "pyarrow.ipc"
    assert json.loads(first["metadata_json"]) == {"team": "it"}  # the binary column left out
    assert [(q["reason"]) for q in quarantined] == ["ingest.empty"]


def test_hub_layout_parquet_shards_and_a_missing_text_field(tmp_path):
    data = tmp_path / "hub" / "data"
    data.mkdir(parents=True)
    table = pa.table({"text": ["Alpha.", "Beta."], "source": ["wiki", "news"]})
    pq.write_table(table.slice(0, 1), data / "train-00000-of-00002.parquet")
    pq.write_table(table.slice(1, 1), data / "train-00001-of-00002.parquet")
    pq.write_table(pa.table({"content": ["x"]}), data / "other-00000-of-00001.parquet")
    (tmp_path / "hub" / "README.md").write_text("---\nlicense: cc-by-4.0\n---\n")
    (source,) = load_sources(
        [{"id": "hub", "type": "hf_dataset", "path": "hub", "license": "CC-BY-4.0"}], tmp_path
    )

    _, documents, quarantined, _ = collect(source)

    assert [d["text"] for d in documents] == ["Alpha.", "Beta."]
    assert documents[1]["relative_path"] == "data/train-00001-of-00002.parquet"
    assert documents[1]["doc_id"] == make_doc_id("hub", "data/train-00001-of-00002.parquet#row=0")
    assert [(q["relative_path"], q["reason"]) for q in quarantined] == [
        ("data/other-00000-of-00001.parquet", "ingest.missing_field")
    ]


def test_shards_a_state_file_does_not_list_are_left_out(tmp_path):
    import datasets

    root = tmp_path / "saved"
    datasets.Dataset.from_dict({"text": ["kept"]}).save_to_disk(str(root))
    stale = root / "data-00000-of-00002.arrow"
    stale.write_bytes((root / "data-00000-of-00001.arrow").read_bytes())
    (source,) = load_sources([{"id": "d", "type": "hf_dataset", "path": str(root)}], tmp_path)

    _, documents, _, _ = collect(source)

    assert [d["relative_path"] for d in documents] == ["data-00000-of-00001.arrow"]


def test_unchanged_shards_are_not_read_again(saved):
    (source,) = load_sources(
        [{"id": "t", "type": "hf_dataset", "path": str(saved), "text_field": "body"}], saved.parent
    )
    first, *_ = collect(source)
    known = KnownInputs(inputs_table(batch_inputs(b, source) for b in first))

    _, documents, quarantined, unchanged = collect(source, known=known)

    assert documents == [] and quarantined == []
    assert len(unchanged) == 4  # 3 train rows (one quarantined as empty) + 1 test row
    assert sum(u["reason"] == "ingest.empty" for u in unchanged) == 1


@pytest.mark.parametrize("path", ["missing", "notes.txt"])
def test_invalid_hf_dataset_paths_name_the_key(tmp_path, path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(SpecError) as caught:
        load_sources([{"id": "d", "type": "hf_dataset", "path": path}], tmp_path)
    assert caught.value.key == "sources[0].path"
