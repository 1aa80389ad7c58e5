"""Mailboxes in a folder source: every message and every attachment is its own document.

An mbox, a Maildir (with a Maildir++ subfolder) and an .eml go through one ingest; the checks
cover locators, provenance, message metadata, attachment links and reasons.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from curation.ingest import SourceConfig, ingest_source
from curation.ingest.extract.mail import iter_attachments, parse_message
from curation.pii.metadata import AUTHOR_KEYS
from curation.schema import make_doc_id

from . import samples

PDF_TEXT = "Quarterly revenue grew by four percent in the north region"


def message(
    n: int,
    *,
    body: str | None = None,
    message_id: bool = True,
    attachments: tuple[str, ...] = (),
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = f"Ann Lee {n} <ann{n}@example.com>"
    mail["To"] = "Bob Stone <bob@example.com>, Team <team@example.com>"
    mail["Cc"] = "Carol <carol@example.com>"
    mail["Subject"] = f"Status {n}"
    mail["Date"] = f"Mon, {n + 1:02d} Sep 2024 08:00:00 +0200"
    if message_id:
        mail["Message-ID"] = f"<status-{n}@mail.example.com>"
    mail.set_content(body if body is not None else f"Hello Bob,\n\nstatus {n} is green.\n")
    for name in attachments:
        if name.endswith(".pdf"):
            mail.add_attachment(
                samples.make_pdf(PDF_TEXT), maintype="application", subtype="pdf", filename=name
            )
        else:
            mail.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename=name)
    return mail


def mbox(*messages: EmailMessage) -> bytes:
    parts = []
    for mail in messages:
        parts.append(b"From ann@example.com Mon Sep  2 08:00:00 2024\n" + mail.as_bytes() + b"\n")
    return b"".join(parts)


def forwarding(inner: EmailMessage) -> EmailMessage:
    mail = message(9, body="See the forwarded message below.\n")
    mail.add_attachment(inner)  # message/rfc822
    return mail


def cp1252_undeclared(n: int) -> EmailMessage:
    """A body in cp1252 under an 8-bit transfer encoding and no charset: old mailers do this."""
    mail = message(n)
    mail.set_payload(
        "Chère équipe, la réunion est déplacée à jeudi. Crème brûlée offerte.".encode("cp1252")
    )
    del mail["Content-Type"]
    mail["Content-Type"] = "text/plain"
    mail.replace_header("Content-Transfer-Encoding", "8bit")
    return mail


@pytest.fixture()
def mail_share(tmp_path: Path) -> Path:
    root = tmp_path / "share"
    root.mkdir()
    quoted = message(1, body="Line one.\nFrom here on, mboxrd quotes this line.\n")
    (root / "archive.mbox").write_bytes(
        mbox(
            message(0, attachments=("report.pdf", "data.csv")),
            quoted,
            message(2, message_id=False),
            message(3, body="", attachments=("only.csv",)),
            forwarding(message(4, attachments=("inner.csv",))),
            cp1252_undeclared(5),
        ).replace(b"\nFrom here on", b"\n>From here on")
    )
    for folder in ("Mail", "Mail/.Sent"):
        for part in ("cur", "new", "tmp"):
            (root / folder / part).mkdir(parents=True)
    (root / "Mail/cur/1725000000.M1P1.host:2,S").write_bytes(
        message(6, attachments=("report.pdf",)).as_bytes()
    )
    (root / "Mail/new/1725000001.M2P1.host").write_bytes(message(7).as_bytes())
    (root / "Mail/new/1725000002.M3P1.host").write_bytes(message(7).as_bytes())  # delivered twice
    (root / "Mail/new/1725000003.M4P1.host").write_bytes(message(8, message_id=False).as_bytes())
    (root / "Mail/tmp/1725000004.M5P1.host").write_bytes(b"Subject: half written")
    (root / "Mail/.Sent/cur/1725000005.M6P1.host:2,S").write_bytes(message(10).as_bytes())
    (root / "single.eml").write_bytes(message(11, attachments=("notes.csv",)).as_bytes())
    return root


def _sha16(mail: EmailMessage) -> str:
    return "sha256-" + hashlib.sha256(mail.as_bytes()).hexdigest()[:16]


def test_messages_and_attachments_are_documents(mail_share: Path) -> None:
    source = SourceConfig(id="mail", path=str(mail_share))
    batches = list(ingest_source(source, run_id="r1", batch_size=5, workers=1))
    documents = [row for b in batches for row in b.documents.to_pylist()]
    quarantined = [row for b in batches for row in b.quarantined.to_pylist()]
    docs = {row["relative_path"]: row for row in documents}
    bad = {row["relative_path"]: row["reason"] for row in quarantined}

    box = "archive.mbox#"
    no_id = _sha16(message(2, message_id=False))
    expected_docs = {
        f"{box}status-0@mail.example.com",
        f"{box}status-0@mail.example.com/report.pdf",
        f"{box}status-0@mail.example.com/data.csv",
        f"{box}status-1@mail.example.com",
        f"{box}{no_id}",
        f"{box}status-3@mail.example.com/only.csv",
        f"{box}status-9@mail.example.com",
        f"{box}status-9@mail.example.com/attachment-2.eml#status-4@mail.example.com",
        f"{box}status-9@mail.example.com/attachment-2.eml#status-4@mail.example.com/inner.csv",
        f"{box}status-5@mail.example.com",
        "Mail#1725000000.M1P1.host",  # the unique name, without the `:2,S` flags
        "Mail#1725000000.M1P1.host/report.pdf",
        "Mail#1725000001.M2P1.host",
        "Mail#1725000002.M3P1.host",
        "Mail#1725000003.M4P1.host",
        "Mail/.Sent#1725000005.M6P1.host",
        "single.eml#status-11@mail.example.com",
        "single.eml#status-11@mail.example.com/notes.csv",
    }
    assert set(docs) == expected_docs
    assert bad == {
        f"{box}status-3@mail.example.com": "ingest.empty",  # no body; its attachment is read
        "Mail/tmp/1725000004.M5P1.host": "ingest.maildir_tmp",
    }
    assert len(documents) + len(quarantined) == len(expected_docs) + 2

    first = docs[f"{box}status-0@mail.example.com"]
    assert first["text"] == "Hello Bob,\n\nstatus 0 is green."
    assert first["title"] == "Status 0"
    assert first["mime_type"] == "message/rfc822"
    assert first["doc_id"] == make_doc_id("mail", f"{box}status-0@mail.example.com")
    assert first["source_uri"] == (mail_share / "archive.mbox").as_uri() + (
        "#status-0@mail.example.com"
    )
    assert first["modified_at"] == datetime(2024, 9, 1, 6, 0, tzinfo=UTC)  # the Date header
    meta = json.loads(first["metadata_json"])
    assert meta["from"] == "Ann Lee 0 <ann0@example.com>"
    assert meta["to"] == ["Bob Stone <bob@example.com>", "Team <team@example.com>"]
    assert meta["cc"] == ["Carol <carol@example.com>"]
    assert meta["message_id"] == "<status-0@mail.example.com>"
    assert meta["date"] == "2024-09-01T08:00:00+02:00"
    assert (meta["attachments"], meta["container"]) == (2, "mbox")
    assert "Ann Lee" not in first["text"] and first["author"] is None

    pdf = docs[f"{box}status-0@mail.example.com/report.pdf"]
    assert pdf["text"] == PDF_TEXT
    assert pdf["source_uri"] == (mail_share / "archive.mbox").as_uri() + (
        "#status-0@mail.example.com/report.pdf"
    )
    assert pdf["content_sha256"] == hashlib.sha256(samples.make_pdf(PDF_TEXT)).hexdigest()
    pdf_meta = json.loads(pdf["metadata_json"])
    assert pdf_meta["message_doc_id"] == first["doc_id"]
    assert pdf_meta["container"] == "message"

    # mboxrd quoting is undone; an undeclared cp1252 body keeps its letters.
    assert (
        "From here on, mboxrd quotes this line." in docs[f"{box}status-1@mail.example.com"]["text"]
    )
    legacy = docs[f"{box}status-5@mail.example.com"]
    assert legacy["text"] == "Chère équipe, la réunion est déplacée à jeudi. Crème brûlée offerte."
    assert json.loads(legacy["metadata_json"])["encoding"] == "cp1252"

    # An attachment of a forwarded message links to the forwarded message.
    forwarded = f"{box}status-9@mail.example.com/attachment-2.eml#status-4@mail.example.com"
    inner = json.loads(docs[forwarded + "/inner.csv"]["metadata_json"])
    assert inner["message_doc_id"] == docs[forwarded]["doc_id"]
    assert (
        json.loads(docs[forwarded]["metadata_json"])["message_doc_id"]
        == (docs[f"{box}status-9@mail.example.com"]["doc_id"])
    )

    # A Maildir message is hashed as its file; its attachment links to it.
    maildir = docs["Mail#1725000000.M1P1.host"]
    raw = (mail_share / "Mail/cur/1725000000.M1P1.host:2,S").read_bytes()
    assert maildir["content_sha256"] == hashlib.sha256(raw).hexdigest()
    assert json.loads(maildir["metadata_json"])["container"] == "maildir"
    assert json.loads(maildir["metadata_json"])["message_id"] == "<status-6@mail.example.com>"
    attachment = json.loads(docs["Mail#1725000000.M1P1.host/report.pdf"]["metadata_json"])
    assert attachment["message_doc_id"] == maildir["doc_id"]
    assert len({row["doc_id"] for row in documents + quarantined}) == len(documents + quarantined)


def test_people_go_to_keys_the_pii_stage_treats_as_author_like() -> None:
    assert {"from", "to", "cc"} <= AUTHOR_KEYS


def test_attachment_names_are_data_never_paths() -> None:
    mail = message(1)
    mail.add_attachment(b"x,y\n", maintype="text", subtype="csv", filename="../../etc/passwd.csv")
    mail.add_attachment(b"\x89PNG\r\n", maintype="image", subtype="png")  # no file name
    names = [a.name for a in iter_attachments(parse_message(mail.as_bytes(), what="m"))]
    assert names == ["passwd.csv", "attachment-3.png"]
