"""Incremental versions as merge-on-read snapshots: position-delete files, compaction, readers."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from catalogs.live_rows import keep_mask, live_files, live_parquet_sql, read_live
from catalogs.merge_on_read import commit_merge_on_read, plan_removal
from catalogs.position_deletes import (
    COMPACT_DELETED_SHARE,
    FILE_PATH_FIELD_ID,
    POS_FIELD_ID,
    supports_position_deletes,
)
from catalogs.registry import CatalogSettings, open_catalog
from catalogs.versions import (
    VersionChanges,
    commit_version,
    get_version,
    load_dataset_table,
    read_version,
    write_data_files,
)
from catalogs.web.snapshot import local_path, plan_snapshot_files
from curation.ledger import ledger_table
from curation.schema import conform
from curation.workspace import Workspace

DATASET = "curated.docs"


@pytest.fixture()
def catalog(tmp_path):
    return open_catalog(CatalogSettings.for_workspace(Workspace(tmp_path)))


def documents(ids: list[str], version: str = "1") -> pa.Table:
    return pa.table(
        {
            "doc_id": ids,
            "text": [f"text of {i} v{version}" for i in ids],
            "source_id": ["s"] * len(ids),
            "source_uri": [f"file:///s/{i}" for i in ids],
            "content_sha256": [f"{i}-{version}" for i in ids],
        }
    )


def commit(catalog, rows: pa.Table, run_id: str, changes: VersionChanges | None = None):
    ids = rows.column("doc_id").to_pylist()
    return commit_version(
        catalog,
        DATASET,
        rows,
        ledger_table(run_id, "ingest", ids, ["kept"] * len(ids)),
        run_id=run_id,
        spec_fingerprint="abc",
        code_version="0.1.0",
        summary={"inputs": len(ids)},
        changes=changes,
    )


def ids(n: int, prefix: str = "d") -> list[str]:
    return [f"{prefix}{i:03d}" for i in range(n)]


def incremental(catalog, base, removed: list[str], added: pa.Table, run_id: str):
    changes = VersionChanges(base=base.snapshot_id, removed=pa.array(removed), added=added)
    return commit(catalog, added, run_id, changes)


def table_entries(table, snapshot_id):
    from pyiceberg.manifest import DataFileContent

    snapshot = table.snapshot_by_id(snapshot_id)
    entries = [
        entry
        for manifest in snapshot.manifests(table.io)
        for entry in manifest.fetch_manifest_entry(table.io)
    ]
    data = [e.data_file for e in entries if e.data_file.content == DataFileContent.DATA]
    deletes = [
        e.data_file for e in entries if e.data_file.content == DataFileContent.POSITION_DELETES
    ]
    return data, deletes


def test_an_incremental_commit_writes_position_deletes_and_reuses_the_data_file(catalog):
    v1 = commit(catalog, documents(ids(100)), "r1")
    table = load_dataset_table(catalog, DATASET)
    assert supports_position_deletes(table)
    (old_file,), _ = table_entries(table, v1.snapshot_id)

    v2 = incremental(catalog, v1, ["d003", "d050"], documents(["d003", "n001"], "2"), "r2")

    table = load_dataset_table(catalog, DATASET)
    data, deletes = table_entries(table, v2.snapshot_id)
    assert old_file.file_path in {d.file_path for d in data}  # reused as it was
    assert len(deletes) == 1
    delete_file = deletes[0]
    assert delete_file.lower_bounds[FILE_PATH_FIELD_ID] == old_file.file_path.encode()
    with table.io.new_input(delete_file.file_path).open() as handle:
        rows = pq.read_table(handle)
    assert rows.schema.field("file_path").metadata[b"PARQUET:field_id"] == b"2147483546"
    assert rows.schema.field("pos").metadata[b"PARQUET:field_id"] == str(POS_FIELD_ID).encode()
    assert rows.column("pos").to_pylist() == [3, 50]
    assert set(rows.column("file_path").to_pylist()) == {old_file.file_path}

    result = read_version(catalog, DATASET, v2.name).sort_by("doc_id")
    expected_ids = sorted([i for i in ids(100) if i not in {"d003", "d050"}] + ["d003", "n001"])
    assert result.column("doc_id").to_pylist() == expected_ids
    changed = result.filter(pc.equal(result.column("doc_id"), "d003"))
    assert changed.column("text").to_pylist() == ["text of d003 v2"]
    assert get_version(catalog, DATASET, v2.name).row_count == 100
    # the version before is untouched
    assert read_version(catalog, DATASET, v1.name).num_rows == 100
    snapshot = table.snapshot_by_id(v2.snapshot_id)
    assert snapshot.summary["total-position-deletes"] == "2"
    assert snapshot.summary["total-records"] == "102"


def test_a_second_commit_replaces_the_files_delete_file_with_the_union(catalog):
    v1 = commit(catalog, documents(ids(100)), "r1")
    v2 = incremental(catalog, v1, ["d001"], documents(["x1"], "2"), "r2")
    v3 = incremental(catalog, v2, ["d002", "x1"], documents(["x2"], "3"), "r3")
    table = load_dataset_table(catalog, DATASET)
    data, deletes = table_entries(table, v3.snapshot_id)
    deleted = sorted(len(f.deleted) for f in live_files(table, v3.snapshot_id))
    assert len(deletes) == 1  # one delete file per data file, never two
    assert deleted == [0, 2]  # x1's one-row file was compacted away (100% deleted)
    assert len(data) == 2
    result = read_version(catalog, DATASET, v3.name)
    assert sorted(result.column("doc_id").to_pylist()) == sorted(
        [i for i in ids(100) if i not in {"d001", "d002"}] + ["x2"]
    )
    assert read_version(catalog, DATASET, v2.name).num_rows == 100


def test_a_file_past_the_deleted_share_is_compacted_in_the_same_commit(catalog):
    v1 = commit(catalog, documents(ids(10)), "r1")
    table = load_dataset_table(catalog, DATASET)
    (old_file,), _ = table_entries(table, v1.snapshot_id)
    removed = ids(10)[: int(COMPACT_DELETED_SHARE * 10) + 1]  # 4 of 10: past 30%
    v2 = incremental(catalog, v1, removed, documents(["n1"], "2"), "r2")

    table = load_dataset_table(catalog, DATASET)
    data, deletes = table_entries(table, v2.snapshot_id)
    assert deletes == []
    assert old_file.file_path not in {d.file_path for d in data}
    assert sum(d.record_count for d in data) == 7
    result = read_version(catalog, DATASET, v2.name)
    assert sorted(result.column("doc_id").to_pylist()) == sorted(ids(10)[4:] + ["n1"])


def test_at_the_threshold_deletes_are_written_instead(catalog):
    v1 = commit(catalog, documents(ids(10)), "r1")
    v2 = incremental(catalog, v1, ids(3), documents(["n1"], "2"), "r2")  # 3 of 10: 30%
    table = load_dataset_table(catalog, DATASET)
    _, deletes = table_entries(table, v2.snapshot_id)
    assert [d.record_count for d in deletes] == [3]


def test_plan_and_commit_without_new_rows(catalog):
    v1 = commit(catalog, documents(ids(20)), "r1")
    table = load_dataset_table(catalog, DATASET)
    plan = plan_removal(table, v1.snapshot_id, pa.array(["d004"]), lambda rows: [])
    assert plan.rows_deleted == 1 and len(plan.delete_files) == 1
    with table.transaction() as transaction:
        commit_merge_on_read(transaction, plan, [], snapshot_properties={"k": "v"})
    table = load_dataset_table(catalog, DATASET)
    result = table.scan().to_arrow()
    assert result.num_rows == 19 and "d004" not in result.column("doc_id").to_pylist()


def test_live_files_and_read_live_apply_the_deletes(catalog):
    v1 = commit(catalog, documents(ids(50)), "r1")
    v2 = incremental(catalog, v1, ["d010", "d020"], documents(["d010"], "2"), "r2")
    table = load_dataset_table(catalog, DATASET)
    files = live_files(table, v2.snapshot_id)
    assert sorted(f.live_count for f in files) == [1, 48]
    rows = pa.concat_tables(b for f in files for b in read_live(table, f, ["doc_id", "text"]))
    expected = table.scan(snapshot_id=v2.snapshot_id, selected_fields=("doc_id", "text"))
    assert rows.sort_by("doc_id").equals(expected.to_arrow().sort_by("doc_id"))


def test_live_parquet_sql_matches_pyiceberg(catalog):
    v1 = commit(catalog, documents(ids(50)), "r1")
    v2 = incremental(catalog, v1, ["d001", "d049"], documents(["n1"], "2"), "r2")
    table = load_dataset_table(catalog, DATASET)
    files = [(local_path(f.path), f.deleted) for f in live_files(table, v2.snapshot_id)]
    relation = live_parquet_sql([p for p, _ in files], dict(files))
    result = duckdb.connect().execute(f"SELECT doc_id FROM {relation} ORDER BY 1").fetchall()
    assert [r[0] for r in result] == sorted(
        [i for i in ids(50) if i not in {"d001", "d049"}] + ["n1"]
    )
    planned = plan_snapshot_files(table, v2.snapshot_id)
    assert planned.records == 49
    assert sum(len(p) for p in planned.deleted.values()) == 2


def test_keep_mask_over_batches():
    deleted = np.array([0, 9, 10, 25])
    masks = [keep_mask(start, 10, deleted) for start in (0, 10, 20)]
    assert [int((~m).sum()) for m in masks] == [2, 1, 1]


@pytest.mark.parametrize("reader", ["native", "pyiceberg"])
def test_polars_reads_the_merge_on_read_version(catalog, reader):
    """polars' native reader is an Iceberg reader independent of pyiceberg's."""
    import polars as pl

    v1 = commit(catalog, documents(ids(30)), "r1")
    v2 = incremental(catalog, v1, ["d007", "d008"], documents(["d008", "n1"], "2"), "r2")
    table = load_dataset_table(catalog, DATASET)
    lazy = pl.scan_iceberg(table, snapshot_id=v2.snapshot_id, reader_override=reader)
    frame = lazy.collect()
    assert frame.height == 30 and "d007" not in frame["doc_id"].to_list()
    assert frame.filter(pl.col("doc_id") == "d008")["text"].to_list() == ["text of d008 v2"]
    assert lazy.select(pl.len()).collect().item() == 30


def test_write_data_files_for_compaction_conforms_rows(catalog):
    v1 = commit(catalog, documents(ids(5)), "r1")
    table = load_dataset_table(catalog, DATASET)
    import itertools
    import uuid

    written = write_data_files(
        table.metadata, table.io, conform(documents(["z"])), uuid.uuid4(), itertools.count()
    )
    assert written and v1.row_count == 5


def test_the_web_catalog_reads_only_the_versions_rows(catalog):
    from catalogs.web.samples import SampleFilter, document_text, sample_page, version_facets
    from catalogs.web.sql_console import run_query

    v1 = commit(catalog, documents(ids(40)), "r1")
    v2 = incremental(catalog, v1, ["d000", "d001", "d039"], documents(["d001"], "2"), "r2")
    table = load_dataset_table(catalog, DATASET)
    files = plan_snapshot_files(table, v2.snapshot_id)
    expected = sorted([i for i in ids(40) if i not in {"d000", "d039"}])

    pages = [sample_page(files, SampleFilter(page=n), page_size=10) for n in (1, 2, 3, 4)]
    assert pages[0]["total"] == 38
    assert sorted(r["doc_id"] for p in pages for r in p["rows"]) == expected
    searched = sample_page(files, SampleFilter(q="text of d00"), page_size=50)
    assert sorted(r["doc_id"] for r in searched["rows"]) == [f"d00{i}" for i in range(1, 10)]
    assert version_facets(files)["sources"][0]["documents"] == 38
    assert document_text(files, "d000") is None
    assert document_text(files, "d001")["text"] == "text of d001 v2"
    result = run_query(files.paths, "SELECT count(*) AS n FROM docs", deleted=files.deleted)
    assert result.table.column("n").to_pylist() == [38]


def test_a_format_version_1_table_stays_copy_on_write(catalog):
    from curation.schema import DOCUMENT_SCHEMA

    catalog.create_namespace_if_not_exists("curated")
    catalog.create_table(DATASET, schema=DOCUMENT_SCHEMA, properties={"format-version": "1"})
    v1 = commit(catalog, documents(ids(20)), "r1")
    table = load_dataset_table(catalog, DATASET)
    assert not supports_position_deletes(table)
    v2 = incremental(catalog, v1, ["d002"], documents(["d002"], "2"), "r2")
    table = load_dataset_table(catalog, DATASET)
    _, deletes = table_entries(table, v2.snapshot_id)
    assert deletes == []
    result = read_version(catalog, DATASET, v2.name)
    assert result.num_rows == 20
    assert "text of d002 v2" in result.column("text").to_pylist()


def test_replacing_one_delete_file_rewrites_its_manifest_as_a_delete_manifest(catalog):
    from pyiceberg.manifest import ManifestContent

    v1 = commit(catalog, documents(ids(20)), "r1")
    v2 = incremental(catalog, v1, ["d001"], documents(ids(10, "n")), "r2")
    v3 = incremental(catalog, v2, ["d003", "n002"], documents([], "3"), "r3")
    v4 = incremental(catalog, v3, ["n003"], documents([], "4"), "r4")
    table = load_dataset_table(catalog, DATASET)
    _, deletes = table_entries(table, v4.snapshot_id)
    assert sorted(d.record_count for d in deletes) == [2, 2]  # d001+d003 and n002+n003
    manifests = table.snapshot_by_id(v4.snapshot_id).manifests(table.io)
    for manifest in manifests:
        entries = manifest.fetch_manifest_entry(table.io, discard_deleted=False)
        kinds = {int(e.data_file.content) for e in entries}
        expected = {0} if manifest.content == ManifestContent.DATA else {1}
        assert kinds == expected
    result = read_version(catalog, DATASET, v4.name).column("doc_id").to_pylist()
    gone = {"d001", "d003", "n002", "n003"}
    assert sorted(result) == sorted(i for i in ids(20) + ids(10, "n") if i not in gone)
    assert get_version(catalog, DATASET, v4.name).row_count == 26
