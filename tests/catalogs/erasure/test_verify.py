"""The verification reads what a reader would: decompressed Avro, every nested string, gzip."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from catalogs.erasure.avro import decompressed
from catalogs.erasure.storage import Folder, path_key
from catalogs.erasure.verify import build_needles, verify_folders


def test_manifests_are_searched_decompressed(built):
    table = built.table()
    manifest = table.current_snapshot().manifests(table.io)[0]
    data_file = manifest.fetch_manifest_entry(table.io)[0].data_file.file_path
    raw = Path(path_key(manifest.manifest_path)).read_bytes()

    assert data_file.encode() not in raw  # deflate hides every string of the entries
    assert data_file.encode() in decompressed(raw)


def test_needles_keep_bound_prefixes_only_where_they_still_identify():
    needles = build_needles(
        doc_ids=["hr-4a6d8e8798ddb1588b1f", "hr-policies-4a6d8e8798ddb1588b1f"],
        source_uris=["file:///share/a.txt"],
        content_sha256s=["AB" * 32],
        texts=["too short", "a text long enough to prove that it is still there"],
    )

    kinds = sorted((n.kind, n.value) for n in needles)
    assert ("doc_id_prefix", "hr-4a6d8e8798ddb") in kinds
    assert not any(v.startswith("hr-policies-4a6") and k == "doc_id_prefix" for k, v in kinds)
    assert ("content_sha256_prefix", "ab" * 8) in kinds
    assert ("source_path", "/share/a.txt") in kinds
    assert [v for k, v in kinds if k == "text"] == [
        "a text long enough to prove that it is still there"
    ]
    assert "hr-4a6d" not in repr(needles)


def test_a_value_in_a_nested_column_or_gzip_metadata_is_found(tmp_path):
    secret = "hr-4a6d8e8798ddb1588b1f"
    nested = pa.table(
        {"pii_counts": pa.array([[{"key": f"x {secret} y", "value": 1}]])},
    )
    pq.write_table(nested, tmp_path / "nested.parquet", compression="zstd")
    (tmp_path / "v1.gz.metadata.json").write_bytes(gzip.compress(f'{{"id": "{secret}"}}'.encode()))
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")

    report = verify_folders([Folder.at(str(tmp_path))], build_needles(doc_ids=[secret]))

    assert report["verified"] is False
    where = {(f["path"].rsplit("/", 1)[1], f["where"], f["kind"]) for f in report["findings"]}
    assert ("nested.parquet", "column pii_counts[].key", "doc_id") in where
    assert ("v1.gz.metadata.json", "bytes", "doc_id") in where
    assert [u["path"].rsplit("/", 1)[1] for u in report["unreadable"]] == ["broken.parquet"]
    assert secret not in str(report)
