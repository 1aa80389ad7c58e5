"""Parquet and JSONL sources: one document per row, other columns into metadata_json."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from curation.ingest import SourceConfig, ingest_source
from curation.schema import DOCUMENT_SCHEMA, make_doc_id


def _collect(source: SourceConfig, batch_size: int = 256) -> tuple[list[dict], list[dict]]:
    documents, quarantined = [], []
    for batch in ingest_source(source, run_id="r", batch_size=batch_size):
        assert batch.documents.schema == DOCUMENT_SCHEMA
        documents += batch.documents.to_pylist()
        quarantined += batch.quarantined.to_pylist()
    return documents, quarantined


def test_parquet_rows_with_id_field(tmp_path: Path) -> None:
    path = tmp_path / "articles.parquet"
    table = pa.table(
        {
            "id": ["a1", "a2", "a3", "a1", "a5"],
            "body": ["First article.", "Second one.", "   ", "Repeated id.", None],
            "lang": ["en", "fr", "en", "en", "de"],
            "views": [10, 20, 30, 40, 50],
        }
    )
    pq.write_table(table, path, row_group_size=2)
    source = SourceConfig(
        id="news", type="parquet", path=str(path), text_field="body", id_field="id"
    )
    documents, quarantined = _collect(source, batch_size=2)
    assert [d["text"] for d in documents] == ["First article.", "Second one."]
    assert [d["doc_id"] for d in documents] == [
        make_doc_id("news", "a1"),
        make_doc_id("news", "a2"),
    ]
    first = documents[0]
    assert first["source_uri"] == path.as_uri() + "#row=0"
    assert first["relative_path"] == "articles.parquet"
    assert first["content_sha256"] == hashlib.sha256(b"First article.").hexdigest()
    assert first["size_bytes"] == len(b"First article.")
    assert json.loads(first["metadata_json"]) == {"lang": "en", "views": 10}
    assert first["extractor"] == "pyarrow.parquet"
    result = {(q["source_uri"].rsplit("#", 1)[1], q["reason"]) for q in quarantined}
    assert result == {
        ("row=2", "ingest.empty"),
        ("row=3", "ingest.duplicate_id"),
        ("row=4", "ingest.empty"),
    }
    repeated = next(q for q in quarantined if q["reason"] == "ingest.duplicate_id")
    assert repeated["doc_id"] == make_doc_id("news", "articles.parquet#row=3")
    assert repeated["text"] is None
    assert len(documents) + len(quarantined) == table.num_rows


def test_jsonl_folder_row_numbers_and_bad_files(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(
        '{"text": "alpha doc", "author": "x"}\n{"text": "beta doc", "author": "y"}\n'
    )
    (tmp_path / "b.jsonl").write_text('{"text": "ok"}\n{"text": broken\n')
    (tmp_path / "c.jsonl").write_text('{"body": "no text field"}\n')
    (tmp_path / "notes.txt").write_text("not a data file")
    source = SourceConfig(id="rows", type="jsonl", path=str(tmp_path), max_file_bytes=5)
    documents, quarantined = _collect(source)
    assert documents == []  # every row is longer than 5 bytes
    reasons = {
        (q["relative_path"], q["source_uri"].rpartition("/")[2], q["reason"]) for q in quarantined
    }
    assert reasons == {
        ("a.jsonl", "a.jsonl#row=0", "ingest.too_large"),
        ("a.jsonl", "a.jsonl#row=1", "ingest.too_large"),
        ("b.jsonl", "b.jsonl", "ingest.parse_error"),
        ("c.jsonl", "c.jsonl", "ingest.missing_field"),
    }
    missing = next(q for q in quarantined if q["reason"] == "ingest.missing_field")
    assert "set text_field" in json.loads(missing["details"])["message"]
    assert missing["doc_id"] == make_doc_id("rows", "c.jsonl")


def test_jsonl_rows_become_documents(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(
        '{"text": "alpha doc", "tag": "x"}\n{"text": "beta doc", "tag": "y"}\n'
    )
    source = SourceConfig(id="rows", type="jsonl", path=str(tmp_path / "a.jsonl"))
    documents, quarantined = _collect(source)
    assert quarantined == []
    assert [d["text"] for d in documents] == ["alpha doc", "beta doc"]
    assert [d["doc_id"] for d in documents] == [
        make_doc_id("rows", "a.jsonl#row=0"),
        make_doc_id("rows", "a.jsonl#row=1"),
    ]
    assert [json.loads(d["metadata_json"]) for d in documents] == [{"tag": "x"}, {"tag": "y"}]
