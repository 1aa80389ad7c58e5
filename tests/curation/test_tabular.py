"""curation.tabular: one suffix table, one input error, atomic writes."""

from __future__ import annotations

import json

import polars as pl
import pyarrow as pa
import pytest

from curation.tabular import (
    TabularInputError,
    read_records,
    read_staged,
    table_format,
    write_atomic,
)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.jsonl", "jsonl"),
        ("a.ndjson", "jsonl"),
        ("a.json", "jsonl"),
        ("a.parquet", "parquet"),
        ("a.PQ", "parquet"),
    ],
)
def test_every_reader_accepts_the_same_suffixes(name, fmt):
    assert table_format(name) == fmt


def test_an_unknown_suffix_names_the_accepted_ones():
    with pytest.raises(
        TabularInputError, match=r"unknown file type '\.csv'; use .*\.parquet or \.pq"
    ):
        table_format("docs.csv")


def test_read_records_checks_columns_and_ids(tmp_path):
    path = tmp_path / "docs.json"
    path.write_text("\n".join(json.dumps({"id": i, "body": f"t{i}"}) for i in (1, 2, 2)))

    with pytest.raises(TabularInputError, match="no column 'text'; its columns are id, body"):
        read_records(path)
    with pytest.raises(TabularInputError, match="values of 'id' must be unique"):
        read_records(path, text_field="body")
    assert read_records(path, text_field="body", id_field=None)["body"].to_list() == [
        "t1",
        "t2",
        "t2",
    ]


def test_write_atomic_writes_parquet_and_jsonl_by_suffix_and_leaves_no_partial_file(tmp_path):
    table = pa.table({"id": ["a", "b"], "text": ["x", "y"]})

    write_atomic(table, tmp_path / "out.parquet")
    write_atomic(pl.from_arrow(table), tmp_path / "out.jsonl")

    assert pl.read_parquet(tmp_path / "out.parquet")["id"].to_list() == ["a", "b"]
    assert [
        json.loads(line)["text"] for line in (tmp_path / "out.jsonl").read_text().splitlines()
    ] == ["x", "y"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl", "out.parquet"]
    with pytest.raises(TabularInputError, match="output .*out.csv"):
        write_atomic(table, tmp_path / "out.csv")


def test_read_staged_conforms_batches_to_the_document_schema(tmp_path):
    from curation.schema import DOCUMENT_SCHEMA

    write_atomic(pa.table({"doc_id": ["a"], "text": ["x"]}), tmp_path / "b1.parquet")
    write_atomic(pa.table({"doc_id": ["b"], "source_id": ["s"]}), tmp_path / "b2.parquet")

    staged = read_staged(sorted(tmp_path.glob("*.parquet")))

    assert staged.schema == DOCUMENT_SCHEMA
    assert staged.column("doc_id").to_pylist() == ["a", "b"]
    assert read_staged([]).num_rows == 0
