"""Archives in a folder source: zip, tar.gz and .gz members become documents, limits hold.

One ingest of a share with good and hostile archives checks every member's row, provenance
and reason; the limits are checked on `expand` with small limits; the last test drives
`curate ingest scan` over a zip of folders with a nested zip and an mbox with attachments.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import tempfile
import zipfile
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from curation.exceptions import ExtractionError
from curation.ingest import ExtractLimits, SourceConfig, ingest_source
from curation.ingest.extract.containers import expand
from curation.schema import make_doc_id

from . import samples

STAMP = (2024, 3, 5, 10, 30, 0)
TOKEN = "member-7f3c9a"  # a member name that must never appear on disk
LONG_PDF_TEXT = "Revenue grew in the third quarter across every region"


def zip_bytes(
    members: dict[str, bytes],
    *,
    encrypted: tuple[str, ...] = (),
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=STAMP)
            info.compress_type = compression
            if name.endswith("link"):
                info.external_attr = 0o120777 << 16
            archive.writestr(info, data)
    data = bytearray(buffer.getvalue())
    for name in encrypted:  # zipfile cannot write encrypted members: set the flag bit by hand
        _set_encrypted_flag(data, name)
    return bytes(data)


def _set_encrypted_flag(data: bytearray, name: str) -> None:
    """Set general-purpose bit 0 in the member's local header and central directory entry."""
    encoded = name.encode()
    local = data.find(b"PK\x03\x04")
    while local >= 0:
        size = int.from_bytes(data[local + 26 : local + 28], "little")
        if data[local + 30 : local + 30 + size] == encoded:
            data[local + 6] |= 0x1
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        size = int.from_bytes(data[central + 28 : central + 30], "little")
        if data[central + 46 : central + 46 + size] == encoded:
            data[central + 8] |= 0x1
        central = data.find(b"PK\x01\x02", central + 4)


def tar_gz_bytes(members: dict[str, bytes], *, links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1_700_000_000
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            archive.addfile(info)
    return buffer.getvalue()


@pytest.fixture()
def share(tmp_path: Path) -> Path:
    root = tmp_path / "share"
    root.mkdir()
    docx = samples.make_docx(tmp_path / "policy.docx").read_bytes()
    inner = zip_bytes(
        {
            "deep/c.txt": b"inner text document",
            "deeper.zip": zip_bytes({"x.txt": b"three levels down"}),
        }
    )
    (root / "bundle.zip").write_bytes(
        zip_bytes(
            {
                "docs/policy.docx": docx,
                "docs/report.pdf": samples.make_pdf(LONG_PDF_TEXT),
                "notes/readme.md": b"# Notes\n\nMeeting notes for the team.\n",
                f"notes/{TOKEN}.txt": b"a member with a unique name",
                "inner.zip": inner,
                "../escape.txt": b"must not be followed",
                "/etc/absolute.txt": b"must not be followed",
                "shortcut.link": b"/etc/passwd",
                "secret.txt": b"marked encrypted",
                "zeros.txt": b"\x00" * 20_000_000,
                "empty/": b"",
            },
            encrypted=("secret.txt",),
        )
    )
    (root / "pack.tar.gz").write_bytes(
        tar_gz_bytes(
            {"t/one.txt": b"tar member text", "t/../../up.txt": b"must not be followed"},
            links={"t/passwd": "/etc/passwd"},
        )
    )
    (root / "letter.txt.gz").write_bytes(gzip.compress("crème brûlée".encode("latin-1")))
    (root / "plain.txt").write_text("a plain document")
    (root / "corrupt.zip").write_bytes(b"PK\x03\x04 this is not a zip")
    (root / "corrupt.tgz").write_bytes(b"\x1f\x8b\x08\x00 truncated gzip")
    (root / "nothing.zip").write_bytes(zip_bytes({}))
    return root


EXPECTED_DOCUMENTS = {
    "bundle.zip!/docs/policy.docx": "python-docx",
    "bundle.zip!/docs/report.pdf": "pypdf",
    "bundle.zip!/notes/readme.md": "text",
    f"bundle.zip!/notes/{TOKEN}.txt": "text",
    "bundle.zip!/inner.zip!/deep/c.txt": "text",
    "pack.tar.gz!/t/one.txt": "text",
    "letter.txt.gz!/letter.txt": "text",
    "plain.txt": "text",
}
EXPECTED_REASONS = {
    "bundle.zip!/inner.zip!/deeper.zip": "ingest.archive_too_deep",
    "bundle.zip!/../escape.txt": "ingest.unsafe_member_path",
    "bundle.zip!//etc/absolute.txt": "ingest.unsafe_member_path",
    "bundle.zip!/shortcut.link": "ingest.not_regular_file",
    "bundle.zip!/secret.txt": "ingest.encrypted",
    "bundle.zip!/zeros.txt": "ingest.archive_bomb",
    "pack.tar.gz!/t/../../up.txt": "ingest.unsafe_member_path",
    "pack.tar.gz!/t/passwd": "ingest.not_regular_file",
    "corrupt.zip": "ingest.parse_error",
    "corrupt.tgz": "ingest.parse_error",
    "nothing.zip": "ingest.empty",
}


def test_archive_members_are_documents_with_provenance_and_reasons(share: Path) -> None:
    """One ingest (worker start-up is the cost), several checks."""
    before = sorted(p.name for p in share.rglob("*"))
    source = SourceConfig(id="arc", path=str(share))
    batches = list(ingest_source(source, run_id="r1", batch_size=4, workers=1))
    documents = [row for b in batches for row in b.documents.to_pylist()]
    quarantined = [row for b in batches for row in b.quarantined.to_pylist()]

    assert {r["relative_path"]: r["extractor"] for r in documents} == EXPECTED_DOCUMENTS
    assert {r["relative_path"]: r["reason"] for r in quarantined} == EXPECTED_REASONS
    assert len(documents) + len(quarantined) == len(EXPECTED_DOCUMENTS) + len(EXPECTED_REASONS)
    assert all(batch.num_inputs <= 4 for batch in batches)

    docs = {r["relative_path"]: r for r in documents}
    report = docs["bundle.zip!/docs/report.pdf"]
    pdf = samples.make_pdf(LONG_PDF_TEXT)
    assert report["text"] == LONG_PDF_TEXT
    assert report["doc_id"] == make_doc_id("arc", "bundle.zip!/docs/report.pdf")
    assert report["source_uri"] == (share / "bundle.zip").as_uri() + "!/docs/report.pdf"
    assert report["content_sha256"] == hashlib.sha256(pdf).hexdigest()
    assert report["size_bytes"] == len(pdf)
    assert report["modified_at"] == datetime(*STAMP, tzinfo=UTC)
    assert json.loads(report["metadata_json"])["container"] == "zip"
    assert docs["bundle.zip!/docs/policy.docx"]["author"] == "HR team"
    tar_member = docs["pack.tar.gz!/t/one.txt"]
    assert tar_member["modified_at"] == datetime.fromtimestamp(1_700_000_000, tz=UTC)
    assert json.loads(tar_member["metadata_json"])["container"] == "tar"
    assert docs["letter.txt.gz!/letter.txt"]["text"] == "crème brûlée"

    bad = {r["relative_path"]: r for r in quarantined}
    corrupt = (share / "corrupt.zip").read_bytes()
    assert bad["corrupt.zip"]["content_sha256"] == hashlib.sha256(corrupt).hexdigest()
    assert json.loads(bad["corrupt.zip"]["details"])["error_class"] == "BadZipFile"
    assert bad["bundle.zip!/../escape.txt"]["content_sha256"] is None
    assert "never followed" in json.loads(bad["bundle.zip!/../escape.txt"]["details"])["message"]
    assert "3 deep (limit 2)" in bad["bundle.zip!/inner.zip!/deeper.zip"]["details"]
    assert "must not be followed" not in json.dumps(quarantined, default=str)

    # Members are read in memory: nothing new on disk, in the share or the temp folder.
    assert sorted(p.name for p in share.rglob("*")) == before
    assert list(Path(tempfile.gettempdir()).rglob(f"{TOKEN}*")) == []


def test_a_slow_member_times_out_and_keeps_the_members_before_it(tmp_path: Path) -> None:
    slow = samples.make_pdf(") Tj T* (x".join(["w"] * 300_000))  # ~10 s in pypdf
    members = {"a.txt": b"first member", "b.pdf": slow, "c.txt": b"never reached"}
    # Stored, not deflated: the repetitive PDF would compress past the bomb ratio.
    (tmp_path / "mixed.zip").write_bytes(zip_bytes(members, compression=zipfile.ZIP_STORED))
    source = SourceConfig(id="t", path=str(tmp_path), extract_timeout_s=1.5)
    (batch,) = list(ingest_source(source, run_id="r", workers=1))
    assert batch.documents.column("relative_path").to_pylist() == ["mixed.zip!/a.txt"]
    (stopped,) = batch.quarantined.to_pylist()
    assert (stopped["relative_path"], stopped["reason"]) == ("mixed.zip", "ingest.timeout")
    assert "after 1 members" in json.loads(stopped["details"])["message"]


def _members(data: bytes, name: str, limits: ExtractLimits) -> tuple[list, ExtractionError | None]:
    found = []
    try:
        for member in expand(data, name, kind=_kind(name), limits=limits):
            found.append(member)
    except ExtractionError as error:
        return found, error
    return found, None


def _kind(name: str) -> str:
    from curation.ingest.extract.containers import container_kind

    kind = container_kind(name)
    assert kind is not None
    return kind


def test_total_inflated_size_of_a_zip_is_refused_before_inflating() -> None:
    data = zip_bytes({"a.txt": b"a" * 600, "b.txt": b"b" * 600})
    found, error = _members(data, "big.zip", ExtractLimits(max_archive_bytes=1000))
    assert found == []
    assert error is not None and error.reason == "ingest.archive_too_large"
    assert "limit 1000" in str(error)


def test_a_streamed_tar_stops_at_the_size_limit_after_the_members_before() -> None:
    data = tar_gz_bytes({"a.txt": b"a" * 600, "b.txt": b"b" * 600, "c.txt": b"c" * 600})
    found, error = _members(data, "big.tgz", ExtractLimits(max_archive_bytes=1000))
    assert [m.locator for m in found] == ["!/a.txt"]
    assert error is not None and error.reason == "ingest.archive_too_large"


def test_member_count_limit_counts_nested_archives_too() -> None:
    inner = zip_bytes({f"in{i}.txt": b"inner text" for i in range(3)})
    data = zip_bytes({"a.txt": b"outer text", "inner.zip": inner})
    found, error = _members(data, "n.zip", ExtractLimits(max_archive_members=3))
    # The nested zip is refused as a whole (it alone would pass 3); the outer goes on.
    assert [(m.locator, m.reason) for m in found] == [
        ("!/a.txt", None),
        ("!/inner.zip", "ingest.archive_too_many_members"),
    ]
    assert error is None


@pytest.mark.parametrize("name", ["zeros.tar.gz", "zeros.txt.gz"])
def test_streamed_compression_bombs_are_stopped(name: str) -> None:
    zeros = b"\x00" * 5_000_000
    data = tar_gz_bytes({"zeros.bin": zeros}) if ".tar" in name else gzip.compress(zeros)
    found, error = _members(data, name, ExtractLimits())
    assert found == []
    assert error is not None and error.reason == "ingest.archive_bomb"
    assert "limit 200x" in str(error)


def test_nesting_depth_is_configurable() -> None:
    data = zip_bytes({"inner.zip": zip_bytes({"a.txt": b"nested text"})})
    found, _ = _members(data, "d.zip", ExtractLimits(max_archive_depth=1))
    assert [(m.locator, m.reason) for m in found] == [("!/inner.zip", "ingest.archive_too_deep")]


# ------------------------------------------------------------------ end to end through the CLI


def _demo_pdf(title: str) -> bytes:
    from curation.demo.writers import pdf_bytes

    lines = [("title", title), ("body", f"{title}: figures and commentary for the quarter.")]
    return pdf_bytes(lines, title=title, author="Finance", created=datetime(2024, 3, 5, tzinfo=UTC))


def _demo_docx(title: str) -> bytes:
    from curation.demo.prose import Doc
    from curation.demo.writers import docx_bytes

    doc = Doc(title=title)
    doc.paragraph([f"{title} describes how the team works.", "It is reviewed every year."])
    when = datetime(2024, 3, 5, tzinfo=UTC)
    return docx_bytes(doc, author="HR", created=when, modified=when)


def _mbox(messages: int) -> bytes:
    out = io.BytesIO()
    for n in range(messages):
        message = EmailMessage()
        message["From"] = f"Sender {n} <sender{n}@example.com>"
        message["To"] = "Team <team@example.com>"
        message["Subject"] = f"Monthly report {n}"
        message["Date"] = f"Tue, {n + 1:02d} Oct 2024 09:00:00 +0000"
        message["Message-ID"] = f"<report-{n}@example.com>"
        message.set_content(f"Hello team,\n\nthe report for month {n} is attached.\n")
        message.add_attachment(
            _demo_pdf(f"Report {n}"), maintype="application", subtype="pdf", filename=f"r{n}.pdf"
        )
        message.add_attachment(
            _demo_docx(f"Notes {n}"),
            maintype="application",
            subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
            filename=f"notes-{n}.docx",
        )
        out.write(b"From sender@example.com Tue Oct  1 09:00:00 2024\n")
        out.write(message.as_bytes() + b"\n")
    return out.getvalue()


def test_scan_cli_reads_a_zip_of_folders_a_nested_zip_and_an_mbox(tmp_path: Path) -> None:
    import typer

    from flows.commands.ingest import register

    share = tmp_path / "share"
    (share / "mail").mkdir(parents=True)
    nested = zip_bytes(
        {"memo.txt": b"An archived memo about the move.", "plan.docx": _demo_docx("Move plan")}
    )
    (share / "bundle.zip").write_bytes(
        zip_bytes(
            {
                "reports/q1.pdf": _demo_pdf("Q1 report"),
                "reports/q2.pdf": _demo_pdf("Q2 report"),
                "policies/leave.docx": _demo_docx("Leave policy"),
                "notes/readme.md": b"# Readme\n\nWhat is in this bundle.\n",
                "archive/old.zip": nested,
            }
        )
    )
    (share / "mail" / "reports.mbox").write_bytes(_mbox(20))
    out = tmp_path / "out"
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """curate"""

    register(app)
    args = ["ingest", "scan", str(share), "--id", "e2e", "--workers", "1", "--output", str(out)]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)

    assert payload["inputs"] == payload["documents"] + payload["quarantined"]
    assert (payload["documents"], payload["quarantined"]) == (4 + 2 + 20 * 3, 0)
    assert payload["by_extractor"] == {"email": 20, "pypdf": 22, "python-docx": 22, "text": 2}

    documents = pq.read_table(out / "documents.parquet").to_pylist()
    paths = {row["relative_path"] for row in documents}
    assert {
        "bundle.zip!/reports/q1.pdf",
        "bundle.zip!/policies/leave.docx",
        "bundle.zip!/archive/old.zip!/memo.txt",
        "bundle.zip!/archive/old.zip!/plan.docx",
        "mail/reports.mbox#report-7@example.com",
        "mail/reports.mbox#report-7@example.com/r7.pdf",
        "mail/reports.mbox#report-7@example.com/notes-7.docx",
    } <= paths
    by_path = {row["relative_path"]: row for row in documents}
    message = by_path["mail/reports.mbox#report-7@example.com"]
    attachment = by_path["mail/reports.mbox#report-7@example.com/r7.pdf"]
    assert message["title"] == "Monthly report 7"
    assert message["text"] == "Hello team,\n\nthe report for month 7 is attached."
    assert attachment["source_uri"] == (
        (share / "mail" / "reports.mbox").as_uri() + "#report-7@example.com/r7.pdf"
    )
    assert json.loads(attachment["metadata_json"])["message_doc_id"] == message["doc_id"]
    assert "Report 7" in attachment["text"]
    ids = {row["doc_id"] for row in documents}
    assert len(ids) == len(documents)
