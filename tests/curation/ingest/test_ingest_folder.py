"""`ingest_source` over a folder of real good and bad files, through the worker pool."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from curation.ingest import QUARANTINE_SCHEMA, ExtractLimits, SourceConfig, ingest_source
from curation.ingest.pool import ExtractionPool, Task
from curation.schema import DOCUMENT_SCHEMA, make_doc_id

from . import samples

EXPECTED_REASONS = {
    "bad/corrupt.docx": "ingest.parse_error",
    "bad/bomb.docx": "ingest.archive_bomb",
    "bad/entity.docx": "ingest.xml_entity",
    "bad/binary.txt": "ingest.binary_content",
    "bad/undecodable.txt": "ingest.encoding_error",
    "bad/blob.bin": "ingest.unsupported_format",
    "bad/empty.txt": "ingest.empty",
    "bad/blank.md": "ingest.empty",
    "bad/big.txt": "ingest.too_large",
    "bad/fifo": "ingest.not_regular_file",
    "link-out.txt": "ingest.symlink_outside",
}
EXPECTED_DOCUMENTS = {
    "docs/policy.docx": "python-docx",
    "docs/budget.xlsx": "openpyxl",
    "docs/deck.pptx": "python-pptx",
    "docs/report.pdf": "pypdf",
    "mail/1.eml#budget-1@example.com": "email",
    "mail/1.eml#budget-1@example.com/data.csv": "text",
    "web/cafe.html": "trafilatura",
    "notes/readme.md": "text",
    "notes/.hidden.txt": "text",
    "MANIFEST.csv": "text",
    "link-in.md": "text",
}


@pytest.fixture()
def share(tmp_path: Path) -> Path:
    """A small share: one of every supported format and one of every kind of bad input."""
    base = tmp_path
    root = base / "root"
    for folder in ("docs", "mail", "web", "notes", "bad"):
        (root / folder).mkdir(parents=True)
    docx = samples.make_docx(root / "docs" / "policy.docx")
    samples.make_xlsx(root / "docs" / "budget.xlsx")
    samples.make_pptx(root / "docs" / "deck.pptx")
    (root / "docs" / "report.pdf").write_bytes(
        samples.make_pdf("Revenue grew in the third quarter")
    )
    (root / "mail" / "1.eml").write_bytes(samples.make_eml())
    (root / "web" / "cafe.html").write_bytes(samples.make_latin1_html())
    (root / "notes" / "readme.md").write_text("# Notes\n\nMeeting notes for the team.\n")
    (root / "notes" / ".hidden.txt").write_text("hidden but still a document")
    (root / "notes" / "skip.license.json").write_text('{"spdx": "MIT"}')
    (root / "MANIFEST.csv").write_text("relative_path,spdx\ndocs/policy.docx,CC-BY-4.0\n")
    (root / "bad" / "corrupt.docx").write_bytes(docx.read_bytes()[:3000])
    samples.make_zip_bomb_docx(root / "bad" / "bomb.docx", docx)
    samples.make_entity_bomb_docx(root / "bad" / "entity.docx", docx)
    (root / "bad" / "binary.txt").write_bytes(b"SECRET-TEXT\x00\x01\x02\x03" * 50)
    (root / "bad" / "undecodable.txt").write_bytes(bytes(range(128, 256)) * 4)
    (root / "bad" / "blob.bin").write_bytes(os.urandom(512))
    (root / "bad" / "empty.txt").write_bytes(b"")
    (root / "bad" / "blank.md").write_text("  \n\n\t\n")
    (root / "bad" / "big.txt").write_text("word " * 80_000)
    os.mkfifo(root / "bad" / "fifo")
    outside = base / "outside-secret.txt"
    outside.write_text("outside the source: must never be read")
    (root / "link-out.txt").symlink_to(outside)
    (root / "link-in.md").symlink_to(root / "notes" / "readme.md")
    (root / "linked-dir").symlink_to(base, target_is_directory=True)
    return root


def test_a_mixed_share_is_ingested_completely_and_safely(share: Path) -> None:
    """One ingest of the share (worker start-up and library imports are the cost), five checks."""
    source = SourceConfig(
        id="share",
        path=str(share),
        exclude=("*.license.json", "linked-dir"),
        max_file_bytes=300_000,
    )
    # One worker: the suite itself runs on two processes (pytest -n 2).
    batches = list(ingest_source(source, run_id="run-1", batch_size=5, workers=1))
    check_every_file_comes_out_exactly_once(batches)
    check_tables_have_the_document_schema(batches)
    check_provenance_columns(batches, share)
    check_document_texts_and_metadata(batches)
    check_quarantine_details_name_the_error_never_the_text(batches)


def _rows(batches: list, which: str) -> list[dict]:
    return [row for batch in batches for row in getattr(batch, which).to_pylist()]


def check_every_file_comes_out_exactly_once(batches: list) -> None:
    documents = _rows(batches, "documents")
    quarantined = _rows(batches, "quarantined")
    result_docs = {row["relative_path"]: row["extractor"] for row in documents}
    result_bad = {row["relative_path"]: row["reason"] for row in quarantined}
    assert result_docs == EXPECTED_DOCUMENTS
    assert result_bad == EXPECTED_REASONS
    assert len(documents) + len(quarantined) == len(EXPECTED_DOCUMENTS) + len(EXPECTED_REASONS)
    assert all(batch.num_inputs <= 5 for batch in batches)


def check_tables_have_the_document_schema(batches: list) -> None:
    for batch in batches:
        assert batch.documents.schema == DOCUMENT_SCHEMA
        assert batch.quarantined.schema == QUARANTINE_SCHEMA
        assert batch.quarantined.column("text").null_count == batch.quarantined.num_rows


def check_provenance_columns(batches: list, share: Path) -> None:
    for row in _rows(batches, "documents") + _rows(batches, "quarantined"):
        relative = row["relative_path"]
        file, hash_mark, member = relative.partition("#")  # the e-mail's message and attachment
        located = share / file
        assert row["doc_id"] == make_doc_id("share", relative)
        assert row["source_id"] == "share"
        assert row["run_id"] == "run-1"
        assert row["source_uri"] == located.as_uri() + hash_mark + member
        if relative in EXPECTED_DOCUMENTS and not member.endswith("data.csv"):
            data = located.read_bytes()
            assert row["content_sha256"] == hashlib.sha256(data).hexdigest()
            assert row["size_bytes"] == len(data)
            mtime = datetime.fromtimestamp(located.stat().st_mtime_ns // 1000 / 1e6, tz=UTC)
            assert row["modified_at"] == mtime
    bad = {row["relative_path"]: row for row in _rows(batches, "quarantined")}
    corrupt = (share / "bad" / "corrupt.docx").read_bytes()
    assert bad["bad/corrupt.docx"]["content_sha256"] == hashlib.sha256(corrupt).hexdigest()
    assert bad["link-out.txt"]["content_sha256"] is None


def check_document_texts_and_metadata(batches: list) -> None:
    docs = {row["relative_path"]: row for row in _rows(batches, "documents")}
    assert docs["docs/report.pdf"]["text"] == "Revenue grew in the third quarter"
    assert docs["docs/report.pdf"]["title"] == "Quarterly Report"
    assert docs["docs/policy.docx"]["author"] == "HR team"
    assert json.loads(docs["docs/policy.docx"]["metadata_json"])["subject"] == "HR"
    assert "Le café crème" in docs["web/cafe.html"]["text"]
    assert json.loads(docs["web/cafe.html"]["metadata_json"])["encoding"] == "iso8859-1"
    assert docs["link-in.md"]["text"] == docs["notes/readme.md"]["text"]
    message = docs["mail/1.eml#budget-1@example.com"]
    assert message["mime_type"] == "message/rfc822"
    assert message["title"] == "Budget meeting"
    attachment = docs["mail/1.eml#budget-1@example.com/data.csv"]
    assert attachment["text"] == "col1,col2\n1,2\n"
    assert json.loads(attachment["metadata_json"])["message_doc_id"] == message["doc_id"]
    assert attachment["content_sha256"] == hashlib.sha256(b"col1,col2\n1,2\n").hexdigest()
    assert docs["docs/deck.pptx"]["extractor_version"]


def check_quarantine_details_name_the_error_never_the_text(batches: list) -> None:
    bad = {row["relative_path"]: row for row in _rows(batches, "quarantined")}
    corrupt = json.loads(bad["bad/corrupt.docx"]["details"])
    assert corrupt["error_class"] == "BadZipFile"
    assert "corrupt.docx" in corrupt["message"]
    assert "SECRET-TEXT" not in bad["bad/binary.txt"]["details"]
    assert "outside the source" in json.loads(bad["link-out.txt"]["details"])["message"]
    assert "must never be read" not in bad["link-out.txt"]["details"]
    assert json.loads(bad["bad/big.txt"]["details"])["message"].count("limit 300000") == 1


def _slow_pdf(path: Path) -> Path:
    """A valid PDF whose 300,000 text operators keep pypdf busy for about ten seconds."""
    path.write_bytes(samples.make_pdf(") Tj T* (x".join(["w"] * 300_000)))
    return path


def test_a_hanging_parse_is_stopped_and_the_run_goes_on(tmp_path: Path) -> None:
    _slow_pdf(tmp_path / "a-slow.pdf")
    (tmp_path / "b-fine.txt").write_text("a normal document")
    source = SourceConfig(id="t", path=str(tmp_path), extract_timeout_s=1.5)
    (batch,) = list(ingest_source(source, run_id="r", workers=1))
    (timed_out,) = batch.quarantined.to_pylist()
    assert timed_out["relative_path"] == "a-slow.pdf"
    assert timed_out["reason"] == "ingest.timeout"
    data = (tmp_path / "a-slow.pdf").read_bytes()
    assert timed_out["content_sha256"] == hashlib.sha256(data).hexdigest()
    assert json.loads(timed_out["details"])["error_class"] == "Timeout"
    assert batch.documents.column("text").to_pylist() == ["a normal document"]


def test_a_dying_worker_quarantines_its_file_only(tmp_path: Path) -> None:
    slow = _slow_pdf(tmp_path / "slow.pdf")
    fine = tmp_path / "fine.txt"
    fine.write_text("still extracted")
    with ExtractionPool(1, limits=ExtractLimits(timeout_s=60)) as pool:
        # What the kernel's OOM killer would do to a worker mid-parse.
        victim = pool._workers[0].process
        threading.Timer(1.0, victim.kill).start()
        results = list(pool.map([Task(str(slow), "slow.pdf"), Task(str(fine), "fine.txt")]))
    (_, crashed), (_, ok) = results
    assert crashed.reason == "ingest.worker_crash"
    assert crashed.error_class == "WorkerCrash"
    assert ok.extracted is not None and ok.extracted.text == "still extracted"
