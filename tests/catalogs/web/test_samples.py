"""Sample pages read straight from Parquet files: order, pages across files, filters."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from catalogs.versions import read_version
from catalogs.web.samples import SampleFilter, sample_page, version_facets
from catalogs.web.snapshot import DataFile, SnapshotFileCache, SnapshotFiles
from curation.schema import DOCUMENT_SCHEMA


@pytest.fixture()
def three_files(tmp_path) -> SnapshotFiles:
    """Files of 7, 0 and 13 rows: pages must run across the file boundaries in order."""
    files = []
    start = 0
    for i, count in enumerate((7, 0, 13)):
        ids = [f"d{n:03d}" for n in range(start, start + count)]
        table = pa.Table.from_pylist(
            [
                {
                    "doc_id": doc_id,
                    "text": f"text of {doc_id}",
                    "source_id": "a" if n % 2 else "b",
                    "source_uri": f"file:///x/{doc_id}",
                    "lang": None if n % 5 == 0 else "en",
                }
                for n, doc_id in zip(range(start, start + count), ids, strict=True)
            ],
            schema=DOCUMENT_SCHEMA,
        )
        path = tmp_path / f"{i:05d}.parquet"
        pq.write_table(table, path)
        files.append(DataFile(str(path), count))
        start += count
    return SnapshotFiles(snapshot_id=1, files=tuple(files))


def test_pages_without_a_filter_follow_the_files_in_order(three_files):
    pages = [sample_page(three_files, SampleFilter(page=p), page_size=5) for p in (1, 2, 3, 4, 5)]

    ids = [row["doc_id"] for page in pages for row in page["rows"]]
    assert ids == [f"d{n:03d}" for n in range(20)]
    assert [len(page["rows"]) for page in pages] == [5, 5, 5, 5, 0]
    assert {page["total"] for page in pages} == {20} and pages[0]["pages"] == 4


def test_filtered_pages_count_and_page_the_matches(three_files):
    first = sample_page(three_files, SampleFilter(source="a"), page_size=4)
    rest = [sample_page(three_files, SampleFilter(source="a", page=p), page_size=4) for p in (2, 3)]
    unknown = sample_page(three_files, SampleFilter(lang="unknown"), page_size=50)

    ids = [row["doc_id"] for page in [first, *rest] for row in page["rows"]]
    assert first["total"] == 10 and first["pages"] == 3
    assert ids == [f"d{n:03d}" for n in range(20) if n % 2]
    assert [row["doc_id"] for row in unknown["rows"]] == ["d000", "d005", "d010", "d015"]


def test_search_is_case_insensitive_and_snippets_show_the_match(three_files):
    page = sample_page(three_files, SampleFilter(q="TEXT OF D01"))

    assert page["total"] == 10
    assert all("text of d01" in row["snippet"] for row in page["rows"])


def test_facets_count_sources_licenses_and_languages(three_files):
    facets = version_facets(three_files)

    assert [(s["source_id"], s["documents"]) for s in facets["sources"]] == [("a", 10), ("b", 10)]
    assert facets["licenses"] == {"unknown": 20}
    assert facets["languages"] == {"en": 16, "unknown": 4}


def test_the_snapshot_files_of_a_version_hold_exactly_its_rows(catalog_fixture):
    from catalogs.registry import open_catalog
    from catalogs.versions import get_version

    catalog = open_catalog(catalog_fixture.settings)
    cache = SnapshotFileCache()
    for name in catalog_fixture.versions:
        version = get_version(catalog, catalog_fixture.dataset, name)
        files = cache.files(catalog, catalog_fixture.dataset, version.snapshot_id)
        expected = read_version(catalog, catalog_fixture.dataset, name).column("doc_id")
        table = pq.ParquetDataset(files.paths).read(columns=["doc_id"])

        assert files.records == version.row_count
        assert sorted(table.column("doc_id").to_pylist()) == sorted(expected.to_pylist())
        assert cache.files(catalog, catalog_fixture.dataset, version.snapshot_id) is files


def test_an_empty_version_has_empty_pages_and_facets():
    empty = SnapshotFiles(snapshot_id=1, files=())

    assert sample_page(empty, SampleFilter(q="x"))["rows"] == []
    assert sample_page(empty, SampleFilter())["total"] == 0
    assert version_facets(empty) == {"sources": [], "licenses": {}, "languages": {}}
