"""Known inputs: what a previous run saw, so unchanged files are not read, extracted or hashed."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from curation.ingest import SourceConfig, ingest_source
from curation.ingest.known import (
    INPUTS_SCHEMA,
    KnownInputs,
    batch_inputs,
    ingest_fingerprint,
    inputs_table,
)
from curation.ingest.records import UNCHANGED_SCHEMA
from curation.schema import make_doc_id

FILES = {
    "same.md": b"# Same\n\nThis file does not change between the runs.\n",
    "swapped.txt": b"original words, same length!\n",
    "edited.txt": b"First draft of the travel policy.\n",
    "gone.txt": b"This file is deleted before the second run.\n",
    "bad/corrupt.pdf": b"%PDF-1.7\nnot really a pdf",
}


def write_files(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)


def run(source: SourceConfig, run_id: str, **kwargs):
    batches = list(ingest_source(source, run_id=run_id, batch_size=2, workers=0, **kwargs))
    known = KnownInputs(inputs_table(batch_inputs(b, source) for b in batches))
    documents = [d for b in batches for d in b.documents.to_pylist()]
    quarantined = [q for b in batches for q in b.quarantined.to_pylist()]
    unchanged = [u for b in batches for u in b.unchanged.to_pylist()]
    return batches, known, documents, quarantined, unchanged


def replace_keeping_stat(path: Path, data: bytes) -> None:
    """New bytes of the same size under the old mtime: only a reader would notice."""
    info = path.stat()
    assert len(data) == info.st_size
    path.write_bytes(data)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def test_unchanged_files_are_not_read_and_still_accounted_for(tmp_path):
    root = tmp_path / "share"
    write_files(root, FILES)
    source = SourceConfig(id="hr", path=str(root))
    _, known, *_ = run(source, "r1")
    replace_keeping_stat(root / "swapped.txt", b"REPLACED words, same length!\n")
    (root / "edited.txt").write_bytes(b"Second draft of the travel policy, longer.\n")
    (root / "gone.txt").unlink()
    (root / "new.txt").write_bytes(b"A new file.\n")

    batches, again, documents, quarantined, unchanged = run(source, "r2", known=known)

    assert sorted(d["relative_path"] for d in documents) == ["edited.txt", "new.txt"]
    assert quarantined == []
    same = {u["relative_path"]: u for u in unchanged}
    assert set(same) == {"same.md", "swapped.txt", "bad/corrupt.pdf"}
    # the old hash: the replaced bytes were never read
    original = hashlib.sha256(FILES["swapped.txt"]).hexdigest()
    assert same["swapped.txt"]["content_sha256"] == original
    assert same["swapped.txt"]["doc_id"] == make_doc_id("hr", "swapped.txt")
    assert same["swapped.txt"]["size_bytes"] == len(FILES["swapped.txt"])
    assert same["swapped.txt"]["source_uri"] == (root / "swapped.txt").as_uri()
    assert same["same.md"]["reason"] is None and same["same.md"]["text"] is None
    assert same["bad/corrupt.pdf"]["reason"] == "ingest.parse_error"
    assert all(b.num_inputs <= 2 for b in batches)
    assert all(b.unchanged.schema == UNCHANGED_SCHEMA for b in batches)
    # what this run saw, for the next one: every input, unchanged ones rolled forward
    assert sorted(again.table.column("locator").to_pylist()) == [
        "bad/corrupt.pdf",
        "edited.txt",
        "new.txt",
        "same.md",
        "swapped.txt",
    ]

    _, _, verified, _, skipped = run(source, "r3", known=known, verify=True)
    by_path = {d["relative_path"]: d for d in verified}
    assert skipped == []
    assert by_path["swapped.txt"]["content_sha256"] != original


def test_changed_settings_or_transient_failures_are_read_again(tmp_path):
    root = tmp_path / "share"
    write_files(root, FILES)
    source = SourceConfig(id="hr", path=str(root))
    _, known, *_ = run(source, "r1")
    table = known.table
    reasons = [
        "ingest.timeout" if loc == "same.md" else r
        for loc, r in zip(
            table.column("locator").to_pylist(), table.column("reason").to_pylist(), strict=True
        )
    ]
    flaky = KnownInputs(table.set_column(8, "reason", pa.array(reasons, pa.string())))
    stricter = SourceConfig(id="hr", path=str(root), max_file_bytes=1_000)
    looser_globs = SourceConfig(id="hr", path=str(root), exclude=("nothing/**",))

    _, _, documents, _, unchanged = run(source, "r2", known=flaky)

    assert [d["relative_path"] for d in documents] == ["same.md"]
    assert len(unchanged) == 4
    assert known.for_source(stricter) is None  # extraction settings changed: read everything
    assert known.for_source(looser_globs) is not None  # globs do not change what a file yields
    assert known.for_source(SourceConfig(id="other", path=str(root))) is None


def test_restricted_to_the_previous_version_reads_documents_it_lacks(tmp_path):
    root = tmp_path / "share"
    write_files(root, FILES)
    source = SourceConfig(id="hr", path=str(root))
    _, known, *_ = run(source, "r1")
    rows = known.table.filter(pa.compute.is_null(known.table.column("reason")))
    # the previous version kept every document but same.md (dropped by a later stage)
    version = rows.filter(pa.compute.not_equal(rows.column("locator"), "same.md"))

    _, _, documents, _, unchanged = run(
        source, "r2", known=known.restricted_to(version.select(["doc_id", "content_sha256"]))
    )

    assert [d["relative_path"] for d in documents] == ["same.md"]
    assert sorted(u["relative_path"] for u in unchanged) == [
        "bad/corrupt.pdf",
        "edited.txt",
        "gone.txt",
        "swapped.txt",
    ]


def test_unchanged_rows_keep_their_decision_and_are_carried(tmp_path):
    from catalogs.incremental import split_unchanged
    from curation.runs import RunPaths
    from curation.stage import apply_decision

    root = tmp_path / "share"
    write_files(root, FILES)
    source = SourceConfig(id="hr", path=str(root))
    first, known, *_ = run(source, "r1")
    previous = pa.concat_tables([b.documents for b in first]).select(["doc_id", "content_sha256"])
    batches, *_ = run(source, "r2", known=known.restricted_to(previous))
    paths = RunPaths(tmp_path / "run")
    paths.documents.mkdir(parents=True)
    paths.ledger.mkdir(parents=True)

    ledgers, carried = [], 0
    for number, batch in enumerate(batches):
        output = batch.as_stage_output()
        result = apply_decision("ingest", output.table, output.decision, "r2")
        ledgers.append(result.ledger)
        staged = paths.documents / f"ingest-hr-{number:05d}.parquet"
        pq.write_table(result.table, staged)
        left = pq.read_table(split_unchanged(staged, previous=previous, run_id="r2", paths=paths))
        assert left.num_rows == 0  # nothing without text goes on to the stages
        carried += result.table.num_rows
    ledger = pa.concat_tables(ledgers).to_pylist()

    decisions = {(row["decision"], row["reason"]) for row in ledger}
    assert decisions == {("kept", None), ("quarantined", "ingest.parse_error")}
    (corrupt,) = [row for row in ledger if row["decision"] == "quarantined"]
    assert json.loads(corrupt["details"])["error_class"] == "Unchanged"
    assert carried == 4
    incremental = pa.concat_tables(pq.read_table(p) for p in sorted(paths.ledger.glob("*")))
    assert incremental.num_rows == 4
    assert set(incremental.column("reason").to_pylist()) == {"incremental.unchanged"}


def test_row_sources_skip_whole_files_and_keep_ids_taken(tmp_path):
    root = tmp_path / "exports"
    root.mkdir()
    pq.write_table(pa.table({"id": ["a1", "a2"], "body": ["One.", "Two."]}), root / "a.parquet")
    pq.write_table(pa.table({"id": ["b1"], "body": ["Three."]}), root / "b.parquet")
    source = SourceConfig(
        id="rows", type="parquet", path=str(root), text_field="body", id_field="id"
    )
    _, known, *_ = run(source, "r1")
    pq.write_table(
        pa.table({"id": ["b1", "a2", "b3"], "body": ["Three!", "Reused id.", "Four."]}),
        root / "b.parquet",
    )

    _, _, documents, quarantined, unchanged = run(source, "r2", known=known)

    assert sorted(u["doc_id"] for u in unchanged) == sorted(
        [make_doc_id("rows", "a1"), make_doc_id("rows", "a2")]
    )
    assert {u["relative_path"] for u in unchanged} == {"a.parquet"}
    assert [d["text"] for d in documents] == ["Three!", "Four."]
    assert [(q["relative_path"], q["reason"]) for q in quarantined] == [
        ("b.parquet", "ingest.duplicate_id")
    ]


def test_known_inputs_persist_as_parquet(tmp_path):
    root = tmp_path / "share"
    write_files(root, FILES)
    source = SourceConfig(id="hr", path=str(root))
    _, known, *_ = run(source, "r1")
    path = tmp_path / "indexes" / "inputs.parquet"
    path.parent.mkdir()
    pq.write_table(known.table, path)

    result = KnownInputs.read(path)

    assert result.table.equals(known.table)
    assert result.table.schema == INPUTS_SCHEMA
    assert len(KnownInputs.read(tmp_path / "missing.parquet")) == 0
    pq.write_table(pa.table({"locator": ["x"]}), tmp_path / "old.parquet")
    assert len(KnownInputs.read(tmp_path / "old.parquet")) == 0


def test_containers_of_an_older_table_are_read_again_even_when_their_own_row_matches(tmp_path):
    # a table written before the container columns existed: no container stat is known
    rows = [
        # a zip that failed part-way: its members, and a row for the file itself
        ("bundle.zip", "d0", 900, 5_000, "ingest.archive_too_large"),
        ("bundle.zip!/a.txt", "d1", 12, 4_000, None),
        ("box.mbox#m1@x/report.pdf", "d2", 30, 4_000, None),
        ("plain.txt", "d3", 7, 3_000, None),
    ]
    table = pa.table(
        {
            "source_id": ["hr"] * 4,
            "locator": [r[0] for r in rows],
            "doc_id": [r[1] for r in rows],
            "source_uri": [f"file:///s/{r[0]}" for r in rows],
            "content_sha256": ["00"] * 4,
            "size_bytes": [r[2] for r in rows],
            "mtime_ns": [r[3] for r in rows],
            "etag": pa.nulls(4, pa.string()),
            "reason": [r[4] for r in rows],
        }
    )
    source = SourceConfig(id="hr", path="/s")
    table = table.append_column("fingerprint", pa.array([ingest_fingerprint(source)] * 4))
    pq.write_table(table, tmp_path / "old.parquet")
    known = KnownInputs.read(tmp_path / "old.parquet").for_source(source)

    assert known is not None
    assert known.match("bundle.zip", size=900, mtime_ns=5_000) is None
    assert known.match("plain.txt", size=7, mtime_ns=3_000) is not None
    assert known.match("plain.txt", size=8, mtime_ns=3_000) is None
    assert known.match("plain.txt", size=7, mtime_ns=3_000 + 1_000) is None


def test_streamed_known_inputs_equal_the_in_memory_table(tmp_path):
    from curation.ingest.known import with_decisions, write_known_inputs
    from curation.ledger import details_json, ledger_table

    # parts out of key order, a key tie across parts (kept in part order), a quarantined row
    row = {name: None for name in INPUTS_SCHEMA.names}
    parts = [
        [("hr", "b.txt", "d2", None), ("hr", "a.txt", "d1", None), ("hr", "z", "d9", "x")],
        [("hr", "a.txt", "d1", "ingest.parse_error"), ("fin", "c.txt", "d3", None)],
        [],
        [("hr", "e.txt", "d5", None), ("hr", "f.txt", "d6", None)],
    ]
    files = []
    for number, rows in enumerate(parts):
        table = pa.Table.from_pylist(
            [
                dict(row, source_id=s, locator=loc, doc_id=d, reason=r, mtime_ns=number)
                for s, loc, d, r in rows
            ],
            INPUTS_SCHEMA,
        )
        files.append(tmp_path / "inputs" / f"ingest-hr-{number:05d}.parquet")
        files[-1].parent.mkdir(exist_ok=True)
        pq.write_table(table, files[-1])
    unchanged = details_json(
        stage="quality", decision="dropped", reason="quality.too_short", details='{"n":1}'
    )
    ledger_parts = [
        ledger_table("r1", "license", ["d1", "d2"], ["dropped", "kept"], ["license.denied", None]),
        ledger_table("r1", "quality", ["d2", "d3"], ["dropped", "kept"], ["quality.short", None]),
        ledger_table("r1", "incremental", ["d5"], ["dropped"], ["incremental.unchanged"]),
    ]
    ledger_parts[2] = ledger_parts[2].set_column(
        ledger_parts[2].schema.get_field_index("details"), "details", pa.array([unchanged])
    )
    ledger_files = []
    for number, part in enumerate(ledger_parts):
        ledger_files.append(tmp_path / "ledger" / f"part-{number}.parquet")
        ledger_files[-1].parent.mkdir(exist_ok=True)
        pq.write_table(part, ledger_files[-1])
    fingerprints = {"license": "f1", "quality": "f2"}

    tables = [pq.read_table(p) for p in files]
    expected = with_decisions(inputs_table(tables), pa.concat_tables(ledger_parts), fingerprints)
    result = pq.read_table(
        write_known_inputs(
            files,
            tmp_path / "known.parquet",
            ledger=ledger_files,
            fingerprints=fingerprints,
            spill_dir=tmp_path / "spill",
        )
    )
    plain = pq.read_table(
        write_known_inputs(files, tmp_path / "plain.parquet", spill_dir=tmp_path / "spill")
    )

    assert result.equals(expected)
    assert result.schema == expected.schema
    assert [(r["doc_id"], r["reason"], r["decision_reason"]) for r in result.to_pylist()] == [
        ("d3", None, None),
        ("d1", None, "license.denied"),
        ("d1", "ingest.parse_error", None),  # quarantined at ingest: keeps its own reason
        ("d2", None, "quality.short"),
        ("d5", None, "quality.too_short"),  # an unchanged drop still stands
        ("d6", None, None),
        ("d9", "x", None),
    ]
    assert plain.equals(inputs_table(tables))
    empty = write_known_inputs([files[2]], tmp_path / "none.parquet", spill_dir=tmp_path / "s")
    assert pq.read_table(empty).equals(INPUTS_SCHEMA.empty_table())


def test_known_inputs_whose_decisions_outgrow_duckdbs_memory_are_still_written(
    tmp_path, monkeypatch
):
    """Decision details many times DuckDB's limit: candidates spill instead of failing."""
    from curation.ingest import known
    from curation.ingest.known import with_decisions, write_known_inputs
    from curation.ledger import ledger_table

    monkeypatch.setattr(known, "KNOWN_MEMORY_LIMIT", "24MB")
    row = {name: None for name in INPUTS_SCHEMA.names}
    details = json.dumps({"signals": {f"s{i}": i / 7 for i in range(60)}})
    files, ledger_files, tables, ledgers = [], [], [], []
    for number in range(20):
        ids = [f"{number:03d}-{i:04d}-" + "x" * 40 for i in range(600)]
        table = pa.Table.from_pylist(
            [dict(row, source_id="hr", locator=f"f{d}", doc_id=d) for d in ids], INPUTS_SCHEMA
        )
        files.append(tmp_path / "inputs" / f"ingest-hr-{number:05d}.parquet")
        files[-1].parent.mkdir(exist_ok=True)
        pq.write_table(table, files[-1])
        decisions = ["dropped" if i % 3 else "kept" for i in range(len(ids))]
        part = ledger_table(
            "r1",
            "quality",
            ids,
            decisions,
            [d == "dropped" and "quality.x" or None for d in decisions],
        )
        part = part.set_column(
            part.schema.get_field_index("details"),
            "details",
            pa.array([details if d == "dropped" else None for d in decisions]),
        )
        ledger_files.append(tmp_path / "ledger" / f"quality-hr-{number:05d}.parquet")
        ledger_files[-1].parent.mkdir(exist_ok=True)
        pq.write_table(part, ledger_files[-1])
        tables.append(table)
        ledgers.append(part)
    assert sum(len(d) for t in ledgers for d in t.column("details").to_pylist() if d) > 2**23

    result = pq.read_table(
        write_known_inputs(
            files,
            tmp_path / "known.parquet",
            ledger=ledger_files,
            fingerprints={"quality": "f"},
            spill_dir=tmp_path / "spill",
        )
    )

    expected = with_decisions(inputs_table(tables), pa.concat_tables(ledgers), {"quality": "f"})
    assert result.equals(expected)
    assert result.column("decision").to_pylist().count("dropped") == 8000


def test_files_whose_companion_changed_or_went_are_read_again(tmp_path):
    """A document may inherit its license from a companion it is named after: when that
    companion is edited, added or deleted, the unchanged document is read and decided again."""
    root = tmp_path / "peps"
    write_files(
        root,
        {
            "pep-0602.rst": b"PEP 602\n\nThis document has been placed in the public domain.\n",
            "pep-0602-calendar.txt": b"Release calendar.\n",
            "pep-0639.md": b"PEP 639\n\nThis document has been placed in the public domain.\n",
            "pep-0639/appendix.txt": b"Examples.\n",
            "pep-0700-notes.txt": b"Notes of an unrelated document.\n",
            "other.txt": b"Nothing to do with the others.\n",
        },
    )
    source = SourceConfig(id="peps", path=str(root))
    _, known, *_ = run(source, "r1")
    (root / "pep-0602.rst").write_bytes(b"PEP 602\n\nLicensed under CC-BY-4.0.\n")
    (root / "pep-0639.md").unlink()
    (root / "pep-0700.md").write_bytes(b"PEP 700\n\nLicensed under CC-BY-4.0.\n")

    _, _, documents, _, unchanged = run(source, "r2", known=known)

    assert sorted(d["relative_path"] for d in documents) == [
        "pep-0602-calendar.txt",
        "pep-0602.rst",
        "pep-0639/appendix.txt",
        "pep-0700-notes.txt",
        "pep-0700.md",
    ]
    assert [u["relative_path"] for u in unchanged] == ["other.txt"]
