"""Data files written by workers before the commit: the commit that adds them makes the same
version, rows and stats, as the commit that writes them itself."""

from __future__ import annotations

import json
import pickle
from concurrent.futures import Future
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from catalogs.commit import write_target
from catalogs.data_files import (
    PendingWrites,
    WriteTarget,
    delete_written,
    staged_groups,
    write_staged_group,
)
from catalogs.registry import CatalogSettings, open_catalog
from catalogs.versions import (
    _ensure_table,
    commit_version,
    load_dataset_table,
    read_version,
    snapshot_property,
)
from curation.schema import DOCUMENT_SCHEMA
from tests.catalogs.test_streaming_commit import COMMIT, batch, stage

DATASET = "curated.docs"


def settings_at(folder: Path) -> CatalogSettings:
    folder.mkdir(parents=True, exist_ok=True)
    return CatalogSettings(uri=f"sqlite:///{folder}/catalog.db", warehouse=f"file://{folder}/wh")


def stats_of(catalog, snapshot_id: int) -> dict:
    return json.loads(snapshot_property(catalog, DATASET, snapshot_id, "stats"))


def test_groups_cover_every_batch_in_order_within_the_byte_bound(tmp_path):
    documents, _ = stage(tmp_path / "run", batches=12, text_bytes=2_000)
    one_batch = pq.read_metadata(documents[0]).row_group(0).total_byte_size
    groups = staged_groups(documents, max_bytes=3 * one_batch)
    assert [p for group in groups for p in group] == documents
    assert len(groups) == 4 and all(len(group) == 3 for group in groups)
    assert staged_groups(documents) == [documents]  # far below WRITE_GROUP_BYTES


def test_a_version_from_written_files_equals_the_one_the_commit_writes(tmp_path):
    documents, ledger = stage(tmp_path / "run", batches=9, text_bytes=3_000)
    itself = open_catalog(settings_at(tmp_path / "itself"))
    expected = commit_version(itself, DATASET, documents, ledger, **COMMIT)

    settings = settings_at(tmp_path / "workers")
    target = write_target(settings, DATASET, "r1")
    assert target is not None
    groups = staged_groups(documents, max_bytes=2 * 2**20 // 10)
    assert len(groups) > 2
    # what a Dask worker receives and returns travels pickled
    target = pickle.loads(pickle.dumps(target))
    written = [pickle.loads(pickle.dumps(write_staged_group(target, g))) for g in groups]
    assert sum(part.rows for part in written) == 9 * 25
    catalog = open_catalog(settings)
    pending = PendingWrites.done(written, target.io)
    version = commit_version(catalog, DATASET, documents, ledger, written=pending, **COMMIT)

    rows = read_version(catalog, DATASET).sort_by("doc_id")
    assert rows.equals(read_version(itself, DATASET).sort_by("doc_id"))
    assert stats_of(catalog, version.snapshot_id) == stats_of(itself, expected.snapshot_id)
    files = load_dataset_table(catalog, DATASET).scan().plan_files()
    assert len(list(files)) == len(groups)


def test_the_first_version_s_table_is_made_for_the_workers_and_a_committed_run_writes_none(
    tmp_path,
):
    settings = settings_at(tmp_path / "cat")
    target = write_target(settings, DATASET, "r1")
    assert isinstance(target, WriteTarget)
    table = load_dataset_table(open_catalog(settings), DATASET)
    assert table.current_snapshot() is None  # made as the commit makes it: no version yet

    documents, ledger = stage(tmp_path / "run", batches=2, text_bytes=500)
    commit_version(open_catalog(settings), DATASET, documents, ledger, **COMMIT)
    assert write_target(settings, DATASET, "r1") is None  # the run's version exists
    assert write_target(settings, DATASET, "r2") is not None


def test_files_of_a_run_that_never_commits_are_deleted(tmp_path):
    settings = settings_at(tmp_path / "cat")
    table = _ensure_table(open_catalog(settings), DATASET, DOCUMENT_SCHEMA)
    folder = tmp_path / "staged"
    folder.mkdir()
    paths = []
    for index in range(2):
        paths.append(folder / f"{index}.parquet")
        pq.write_table(batch(index, text_bytes=100), paths[-1])
    written = [write_staged_group(WriteTarget.of(table), [p]) for p in paths]
    on_disk = [Path(f.file_path.removeprefix("file://")) for w in written for f in w.data_files]
    assert len(on_disk) == 2 and all(p.exists() for p in on_disk)
    delete_written(table.io, written)
    assert not any(p.exists() for p in on_disk)


def written_groups(tmp_path, groups: int) -> tuple[object, list[Future]]:
    """Futures of `groups` groups written (one batch each), as the workers' would finish."""
    settings = settings_at(tmp_path / "cat")
    table = _ensure_table(open_catalog(settings), DATASET, DOCUMENT_SCHEMA)
    futures = []
    for index in range(groups):
        path = tmp_path / f"{index}.parquet"
        pq.write_table(batch(index, text_bytes=100), path)
        future: Future = Future()
        future.set_result(write_staged_group(WriteTarget.of(table), [path]))
        futures.append(future)
    return table.io, futures


def files_of(futures: list[Future]) -> list[Path]:
    return [
        Path(f.file_path.removeprefix("file://"))
        for future in futures
        if not future.exception()
        for f in future.result().data_files
    ]


def test_a_failed_group_fails_the_writes_and_its_siblings_files_go(tmp_path):
    io, futures = written_groups(tmp_path, 3)
    failed: Future = Future()
    failed.set_exception(OSError("disk full"))
    futures.insert(1, failed)
    files = files_of(futures)
    assert len(files) == 3 and all(p.exists() for p in files)
    pending = PendingWrites(futures, io)
    with pytest.raises(OSError, match="disk full"):
        pending.result()
    assert not any(p.exists() for p in files)
    with pytest.raises(OSError, match="disk full"):  # a retried commit sees the same failure
        pending.result()


def test_writes_a_commit_refuses_are_deleted_and_settled_ones_stay(tmp_path):
    io, futures = written_groups(tmp_path, 2)
    files = files_of(futures)
    settled = PendingWrites(futures, io)
    settled.settle()  # a failed run waits for the writes and leaves their files
    assert all(p.exists() for p in files)
    pending = PendingWrites(futures, io)
    assert len(pending.result()) == 2
    pending.discard()  # a ledger that does not reconcile: no version will hold them
    assert not any(p.exists() for p in files)


def test_a_group_without_rows_writes_nothing(tmp_path):
    settings = settings_at(tmp_path / "cat")
    table = _ensure_table(open_catalog(settings), DATASET, DOCUMENT_SCHEMA)
    empty = tmp_path / "empty.parquet"
    pq.write_table(batch(0).slice(0, 0), empty)
    written = write_staged_group(WriteTarget.of(table), [empty])
    assert written.data_files == [] and written.stats.sums["documents"] == 0


@pytest.mark.parametrize("rows_per_group", [1, 2])
def test_each_group_is_sorted_by_doc_id(tmp_path, rows_per_group):
    settings = settings_at(tmp_path / "cat")
    table = _ensure_table(open_catalog(settings), DATASET, DOCUMENT_SCHEMA)
    folder = tmp_path / "staged"
    folder.mkdir()
    paths = []
    for index in range(rows_per_group):
        paths.append(folder / f"{index}.parquet")
        pq.write_table(batch(index, text_bytes=100), paths[-1])
    written = write_staged_group(WriteTarget.of(table), paths)
    (data_file,) = written.data_files
    ids = pq.read_table(data_file.file_path.removeprefix("file://"), columns=["doc_id"])
    column = ids.column("doc_id").to_pylist()
    assert column == sorted(column) and len(column) == 25 * rows_per_group
    assert pa.types.is_string(ids.schema.field("doc_id").type)
