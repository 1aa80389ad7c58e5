"""Version stats: hand-computed expectations on small tables, stored at commit, read back."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from catalogs.registry import CatalogSettings, open_catalog
from catalogs.stats import compute_version_stats, version_stats
from catalogs.versions import LEDGER_SUFFIX, commit_version, qualified, split_identifier
from curation.ledger import LEDGER_SCHEMA, concat_ledgers, ledger_table, reconcile
from curation.schema import COUNTS_TYPE, DOCUMENT_SCHEMA, conform
from curation.workspace import Workspace


@pytest.fixture()
def catalog(tmp_path, monkeypatch):
    monkeypatch.delenv("CURATE_CATALOG_URI", raising=False)
    monkeypatch.delenv("CURATE_WAREHOUSE", raising=False)
    return open_catalog(CatalogSettings.for_workspace(Workspace(tmp_path)))


def documents() -> pa.Table:
    """Six documents whose stats are worked out by hand in the tests below."""
    return pa.table(
        {
            "doc_id": ["d1", "d2", "d3", "d4", "d5", "d6"],
            # characters 0, 1, 3, 7, 8, 1000; tokens 0, 1, 2, 2, 3, 1 (NBSP and U+2003 separate)
            "text": ["", "a", "a\u00a0b", "one two", "x  y\u2003zz ", "é" * 1000],
            "source_id": ["hr", "hr", "hr", "wiki", "wiki", "mail"],
            "source_uri": [f"file:///src/{i}" for i in range(6)],
            "size_bytes": [10, 20, 30, 40, 50, 60],
            "modified_at": pa.array(
                [
                    datetime(2026, 1, 5, tzinfo=UTC),
                    None,
                    datetime(2025, 3, 1, 12, 30, tzinfo=UTC),
                    datetime(2026, 2, 1, tzinfo=UTC),
                    None,
                    None,
                ],
                pa.timestamp("us", tz="UTC"),
            ),
            "mime_type": ["text/plain"] * 4 + ["text/html", None],
            "extractor": ["text"] * 4 + ["html", "mail"],
            "spdx": ["MIT", "MIT", None, "CC-BY-4.0", "CC-BY-4.0", "CC-BY-4.0"],
            "license_category": ["Permissive"] * 2 + [None] + ["Attribution"] * 3,
            "lang": ["en", "en", "de", None, "en", "fr"],
            "quality_score": pa.array([None, 0.05, 0.7, 1.0, 0.0, 0.95], pa.float32()),
            "pii_counts": pa.array(
                [
                    [{"key": "EMAIL_ADDRESS", "value": 2}, {"key": "PERSON", "value": 1}],
                    [],
                    [{"key": "PERSON", "value": 3}],
                    None,
                    [{"key": "PHONE_NUMBER", "value": 0}],
                    [{"key": "EMAIL_ADDRESS", "value": 1}],
                ],
                COUNTS_TYPE,
            ),
        }
    )


def rows(run: str, stage: str, ids: list[str], decision: str, reason: str | None = None):
    return ledger_table(run, stage, ids, [decision] * len(ids), [reason] * len(ids))


def full_run_ledger(run: str = "run-1") -> pa.Table:
    """Ten inputs: x1 quarantined at ingest, x2, x3, x4 dropped by license, quality and dedup,
    and PII redacting the three survivors it found PII in; kept: the six of `documents()`."""
    kept = ["d1", "d2", "d3", "d4", "d5", "d6"]
    return concat_ledgers(
        [
            rows(run, "ingest", [*kept, "x2", "x3", "x4"], "kept"),
            rows(run, "ingest", ["x1"], "quarantined", "ingest.parse_error"),
            rows(run, "license", [*kept, "x3", "x4"], "kept"),
            rows(run, "license", ["x2"], "dropped", "license.not_allowed"),
            rows(run, "quality", [*kept, "x4"], "kept"),
            rows(run, "quality", ["x3"], "dropped", "quality.too_short"),
            rows(run, "dedup", kept, "kept"),
            rows(run, "dedup", ["x4"], "dropped", "dedup.exact_duplicate"),
            rows(run, "pii", ["d1", "d3", "d6"], "modified", "pii.redacted"),
            rows(run, "pii", ["d2", "d4", "d5"], "kept"),
        ]
    )


def test_totals_and_breakdowns_of_a_version():
    stats = compute_version_stats(documents(), full_run_ledger())

    assert stats["documents"] == 6
    assert stats["characters"] == 0 + 1 + 3 + 7 + 8 + 1000
    assert stats["tokens"] == 0 + 1 + 2 + 2 + 3 + 1
    # NBSP and U+2003 are two UTF-8 bytes and three; "é" is two
    assert stats["bytes"] == 0 + 1 + 4 + 7 + 10 + 2000
    assert stats["source_bytes"] == 210
    assert stats["by_source"] == {"hr": 3, "wiki": 2, "mail": 1}
    assert stats["by_license"] == {"CC-BY-4.0": 3, "MIT": 2, "unknown": 1}
    assert stats["by_license_category"] == {"Attribution": 3, "Permissive": 2, "unknown": 1}
    assert stats["by_language"] == {"en": 3, "de": 1, "fr": 1, "unknown": 1}
    assert stats["by_mime_type"] == {"text/plain": 4, "text/html": 1, "unknown": 1}
    assert stats["by_extractor"] == {"text": 4, "html": 1, "mail": 1}
    assert stats["time_span"] == {
        "first_modified": "2025-03-01T12:30:00+00:00",
        "last_modified": "2026-02-01T00:00:00+00:00",
    }
    assert stats["computed_at_commit"] is False


def test_length_histogram_has_power_of_two_bins_and_omits_empty_ones():
    stats = compute_version_stats(documents(), full_run_ledger())

    assert stats["length_histogram"] == [
        {"lo": 0, "hi": 1, "documents": 1},
        {"lo": 1, "hi": 2, "documents": 1},
        {"lo": 2, "hi": 4, "documents": 1},
        {"lo": 4, "hi": 8, "documents": 1},
        {"lo": 8, "hi": 16, "documents": 1},
        {"lo": 512, "hi": 1024, "documents": 1},
    ]


def test_quality_histogram_has_ten_bins_with_edges_in_the_upper_bin():
    stats = compute_version_stats(documents(), full_run_ledger())
    by_lo = {b["lo"]: b["documents"] for b in stats["quality_histogram"]}

    assert [b["lo"] for b in stats["quality_histogram"]] == [i / 10 for i in range(10)]
    assert stats["quality_histogram"][-1]["hi"] == 1.0
    # 0.0 and 0.05 in the first bin, 0.7 (a float32 just below 0.7) in [0.7, 0.8),
    # 0.95 and 1.0 in the last; the null score is unscored
    assert by_lo == {0.0: 2, 0.1: 0, 0.2: 0, 0.3: 0, 0.4: 0, 0.5: 0, 0.6: 0, 0.7: 1, 0.8: 0, 0.9: 2}
    assert stats["quality_unscored"] == 1


def test_pii_is_summed_per_entity_type_and_counted_per_document():
    stats = compute_version_stats(documents(), full_run_ledger())

    assert stats["pii_entities"] == {"PERSON": 4, "EMAIL_ADDRESS": 3, "PHONE_NUMBER": 0}
    # d1, d3, d6; a zero count (d5), an empty list (d2) and null (d4) are not PII found
    assert stats["documents_with_pii"] == 3


def test_stats_hold_no_document_text():
    stats = json.dumps(compute_version_stats(documents(), full_run_ledger()), ensure_ascii=False)

    for text in ("one two", "a\u00a0b", "zz", "é"):
        assert text not in stats


def test_waterfall_chains_survivors_from_stage_to_stage():
    ledger = full_run_ledger()
    stats = compute_version_stats(documents(), ledger)

    assert stats["waterfall"] == [
        {
            "stage": "ingest",
            "inputs": 10,
            "kept": 9,
            "modified": 0,
            "dropped": 0,
            "quarantined": 1,
            "reasons": {"ingest.parse_error": 1},
        },
        {
            "stage": "license",
            "inputs": 9,
            "kept": 8,
            "modified": 0,
            "dropped": 1,
            "quarantined": 0,
            "reasons": {"license.not_allowed": 1},
        },
        {
            "stage": "quality",
            "inputs": 8,
            "kept": 7,
            "modified": 0,
            "dropped": 1,
            "quarantined": 0,
            "reasons": {"quality.too_short": 1},
        },
        {
            "stage": "dedup",
            "inputs": 7,
            "kept": 6,
            "modified": 0,
            "dropped": 1,
            "quarantined": 0,
            "reasons": {"dedup.exact_duplicate": 1},
        },
        # redacted documents survive: the version holds all six
        {
            "stage": "pii",
            "inputs": 6,
            "kept": 3,
            "modified": 3,
            "dropped": 0,
            "quarantined": 0,
            "reasons": {"pii.redacted": 3},
        },
    ]
    ingested = ledger.filter(pa.compute.equal(ledger["stage"], "ingest"))["doc_id"]
    check = reconcile(ledger, ingested.combine_chunks(), documents()["doc_id"].combine_chunks())
    assert check.ok
    assert (stats["inputs"], stats["kept"]) == (check.inputs, check.kept) == (10, 6)


def test_incremental_run_carries_documents_past_the_stages_they_skip():
    run = "run-2"
    ledger = concat_ledgers(
        [
            rows(run, "ingest", ["c1", "c2", "n1", "n2"], "kept"),
            rows(run, "incremental", ["c1", "c2"], "kept", "incremental.unchanged"),
            rows(run, "license", ["n1"], "kept"),
            rows(run, "license", ["n2"], "dropped", "license.not_allowed"),
            rows(run, "quality", ["n1"], "kept"),
            rows(run, "dedup", ["n1"], "kept"),
            rows(run, "pii", ["n1"], "modified", "pii.redacted"),
        ]
    )
    # the whole version: the two carried documents plus the new one
    version = pa.table(
        {"doc_id": ["c1", "c2", "n1"], "text": ["a", "b", "c"], "source_id": ["s"] * 3}
    )

    stats = compute_version_stats(version, ledger)

    assert [
        (s["stage"], s["inputs"], s["kept"], s["modified"], s["dropped"])
        for s in stats["waterfall"]
    ] == [
        ("ingest", 4, 4, 0, 0),
        ("incremental", 4, 4, 0, 0),
        ("license", 4, 3, 0, 1),
        ("quality", 3, 3, 0, 0),
        ("dedup", 3, 3, 0, 0),
        ("pii", 3, 2, 1, 0),
    ]
    assert stats["waterfall"][1]["reasons"] == {"incremental.unchanged": 2}
    assert (stats["inputs"], stats["kept"], stats["documents"]) == (4, 3, 3)


def test_empty_version_and_ledger():
    stats = compute_version_stats(DOCUMENT_SCHEMA.empty_table(), LEDGER_SCHEMA.empty_table())

    assert stats["documents"] == stats["tokens"] == stats["inputs"] == stats["kept"] == 0
    assert stats["waterfall"] == [] and stats["length_histogram"] == []
    assert stats["by_source"] == {} and stats["pii_entities"] == {}
    assert stats["time_span"] == {"first_modified": None, "last_modified": None}


def commit(catalog, run_id: str, **kwargs):
    return commit_version(
        catalog,
        "curated.docs",
        documents(),
        full_run_ledger(run_id),
        run_id=run_id,
        spec_fingerprint="abc",
        code_version="0.1.0",
        summary={"inputs": 10},
        **kwargs,
    )


def test_commit_stores_the_stats_and_reading_them_scans_no_data(catalog, monkeypatch):
    from pyiceberg.table import DataScan

    commit(catalog, "run-1")
    stored = (
        catalog.load_table("curated.docs")
        .current_snapshot()
        .summary.additional_properties["curate.stats"]
    )

    def no_scan(*args, **kwargs):
        raise AssertionError("stored stats must be read without scanning data files")

    monkeypatch.setattr(DataScan, "to_arrow", no_scan)
    monkeypatch.setattr(DataScan, "plan_files", no_scan)
    result = version_stats(catalog, "docs@v1")

    expected = compute_version_stats(documents(), full_run_ledger("run-1"), at_commit=True)
    assert json.loads(stored) == expected
    assert result == {
        "dataset": "curated.docs",
        "version": "v1",
        "snapshot_id": result["snapshot_id"],
        "run_id": "run-1",
        "created_at": result["created_at"],
        **expected,
    }
    assert result["computed_at_commit"] is True
    assert (
        result["snapshot_id"] == catalog.load_table("curated.docs").current_snapshot().snapshot_id
    )


def commit_without_stats(catalog, run_id: str, version: str) -> None:
    """A version as committed before stats existed: rows, ledger, run id, tag; no stats."""
    from pyiceberg.table.update.snapshot import ManageSnapshots

    namespace, _ = split_identifier("curated.docs")
    catalog.create_namespace_if_not_exists(namespace)
    table = catalog.create_table_if_not_exists(qualified("docs"), schema=DOCUMENT_SCHEMA)
    ledger = catalog.create_table_if_not_exists(
        qualified("docs" + LEDGER_SUFFIX), schema=LEDGER_SCHEMA
    )
    ledger.append(full_run_ledger(run_id), snapshot_properties={"curate.run_id": run_id})
    with table.transaction() as transaction:
        transaction.overwrite(conform(documents()), snapshot_properties={"curate.run_id": run_id})
        snapshot_id = transaction.table_metadata.current_snapshot_id
        ManageSnapshots(transaction).create_tag(snapshot_id, version).commit()


IDENTITY = ("dataset", "version", "snapshot_id", "run_id", "created_at", "computed_at_commit")


def test_a_version_without_stored_stats_gets_them_computed_from_its_snapshot(catalog):
    commit_without_stats(catalog, "run-0", "v1")
    commit(catalog, "run-1")

    result = version_stats(catalog, "curated.docs@v1")
    stored = version_stats(catalog, "curated.docs@v2")

    expected = compute_version_stats(documents(), full_run_ledger("run-0"))
    assert result["computed_at_commit"] is False
    assert {k: result[k] for k in expected} == expected
    assert (result["version"], result["run_id"]) == ("v1", "run-0")
    assert (result["inputs"], result["kept"]) == (10, 6)
    # the same rows and decisions give the numbers a commit stores
    assert stored["computed_at_commit"] is True
    assert {k: v for k, v in result.items() if k not in IDENTITY} == {
        k: v for k, v in stored.items() if k not in IDENTITY
    }


def test_a_bare_name_reads_the_newest_version(catalog):
    commit(catalog, "run-1")
    commit(catalog, "run-2")

    assert version_stats(catalog, "curated.docs")["version"] == "v2"
