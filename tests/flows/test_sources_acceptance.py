"""Issue 20's acceptance through `curate run`, one kind of input after the other, then a rerun.

One spec, two sources: a folder share holding an mbox of 20 messages (some with PDF and DOCX
attachments), a zip of folders of documents with a nested zip, and an image-only PDF rendered
here (Pillow draws ~56 px type on a page image and saves it as a PDF, so it has no text layer);
and a `save_to_disk` folder written by `datasets` as an `hf_dataset` source. After the first run
every input has a decision with the provenance of its kind (`archive.mbox#<message-id>`,
`…#<message-id>/<attachment>`, `bundle.zip!/folder/a.txt`, `bundle.zip!/inner.zip!/b.txt`,
`<shard>#row=<n>`), the ledger reconciles, the attachments link to their messages and the scan's
words come back through OCR. An `--incremental` rerun with nothing changed reports no change
and opens no input of any kind again: every ingest row says Unchanged.
"""

from __future__ import annotations

import importlib.util
import io
import json
import mailbox
import random
import re
import zipfile
from email.message import EmailMessage
from pathlib import Path

import polars as pl
import pytest

from catalogs.registry import CatalogSettings, open_catalog
from catalogs.versions import read_ledger, read_version
from curation.schema import make_doc_id
from curation.workspace import Workspace
from tests_support import run_cli_json

pytestmark = pytest.mark.slow

MESSAGES = 20
_NAMES = (
    "auditor",
    "architect",
    "planner",
    "clerk",
    "engineer",
    "analyst",
    "buyer",
    "editor",
    "officer",
    "trainer",
)
_ITEMS = (
    "budget",
    "roadmap",
    "contract",
    "schedule",
    "inventory",
    "proposal",
    "audit",
    "migration",
    "forecast",
    "handover",
)
_TEAMS = ("finance", "legal", "design", "support", "sales", "research", "logistics", "security")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
_PLACES = ("Berlin", "Lisbon", "Oslo", "Vienna", "Madrid", "Dublin", "Prague", "Zagreb")
_TEMPLATES = (
    "Our {name} will review the {item} with the {team} team on {day} in {place}.",
    "The {team} group asked the {name} to finish the {item} before {day}, since {place} waits.",
    "On {day} the {item} for {place} goes to the {name} and then back to the {team} desk.",
    "The {name} thinks the {item} in {place} needs {n} more days of work from {team}.",
    "Please send the {item} notes from {place} to the {name} of {team} by {day} noon.",
)
ZIP_TEXTS = {
    "docs/handbook.txt": (
        "The handbook explains how the office works from the first day onwards. Every new "
        "colleague receives a badge, a laptop and a desk in the team area, and the service desk "
        "helps with accounts during the first week of work."
    ),
    "docs/travel.md": (
        "# Travel\n\nTrips are booked through the travel portal at least two weeks ahead. Trains "
        "are preferred for journeys under five hours, and economy class is the rule for flights.\n"
    ),
    "notes/a.txt": (
        "Minutes of the building committee. The committee agreed to replace the old boilers next "
        "spring and to test the new ventilation in the library first, before the winter comes."
    ),
    "inner.zip!/b.txt": (
        "The archive room on the third floor keeps the signed contracts of the last ten years. "
        "Ask the records office for a key, and return every folder to its shelf before leaving."
    ),
}
SCAN_LINES = (
    "The warehouse relocation is on schedule for March.",
    "Deliveries move to the new loading dock next week.",
    "Please update the addresses in every open order.",
)
HF_ROWS = {
    "faq_id": ["faq-1", "faq-2", "faq-3"],
    "answer": [
        "Passwords are reset through the self service portal; the link arrives by mail within "
        "five minutes and stays valid for one hour.",
        "Printers on every floor accept badges: hold the badge to the reader and pick the job "
        "from the list that the display shows.",
        "Meeting rooms are booked in the calendar; a room not used within fifteen minutes of "
        "the start is released for others.",
    ],
    "team": ["it", "facilities", "office"],
}
SPEC = """\
name: acceptance-share
output: {{table: curated.acceptance_share}}
sources:
  - {{id: share, type: folder, path: {share}, license: CC0-1.0}}
  - {{id: faq, type: hf_dataset, path: {faq}, text_field: answer, id_field: faq_id,
      license: CC0-1.0}}
license: {{use: commercial_training, allow_categories: [public_domain, permissive]}}
runner: {{workers: 1, batch_size: 64}}
"""
_FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)


def _paragraph(rng: random.Random, sentences: int = 4) -> str:
    """Sentences with varied names, items, teams, days and places: no two texts near-duplicate."""
    return " ".join(
        rng.choice(_TEMPLATES).format(
            name=rng.choice(_NAMES),
            item=rng.choice(_ITEMS),
            team=rng.choice(_TEAMS),
            day=rng.choice(_DAYS),
            place=rng.choice(_PLACES),
            n=rng.randint(2, 40),
        )
        for _ in range(sentences)
    )


def _pdf_bytes(text: str) -> bytes:
    """A one-page PDF with a text layer, built by the ingest tests' `samples.make_pdf`."""
    path = Path(__file__).resolve().parents[1] / "curation" / "ingest" / "samples.py"
    spec = importlib.util.spec_from_file_location("_ingest_samples", path)
    assert spec is not None and spec.loader is not None
    samples = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(samples)
    return samples.make_pdf(text, title="Attachment", author="Mail Room")


def _docx_bytes(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Notes", level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _mbox(path: Path) -> dict[str, dict]:
    """20 messages; every 4th has a PDF, the next a DOCX, the next both. Returns what was sent."""
    rng = random.Random(20)
    sent: dict[str, dict] = {}
    box = mailbox.mbox(path)
    try:
        for n in range(MESSAGES):
            message_id = f"status-{n}@mail.example.org"
            body = _paragraph(rng)
            attachments: dict[str, str] = {}
            mail = EmailMessage()
            mail["From"] = f"office{n}@mail.example.org"
            mail["To"] = "staff@mail.example.org"
            mail["Subject"] = f"Status report {n}"
            mail["Date"] = f"Mon, {n + 1:02d} Mar 2026 09:00:00 +0000"
            mail["Message-ID"] = f"<{message_id}>"
            mail.set_content(body)
            if n % 4 in (0, 2):
                text = _paragraph(rng, 3)
                attachments[f"report-{n}.pdf"] = text
                mail.add_attachment(
                    _pdf_bytes(text),
                    maintype="application",
                    subtype="pdf",
                    filename=f"report-{n}.pdf",
                )
            if n % 4 in (1, 2):
                paragraphs = [_paragraph(rng, 2), _paragraph(rng, 2)]
                attachments[f"notes-{n}.docx"] = " ".join(["Notes", *paragraphs])
                mail.add_attachment(
                    _docx_bytes(paragraphs),
                    maintype="application",
                    subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                    filename=f"notes-{n}.docx",
                )
            box.add(mail)
            sent[message_id] = {"body": body, "attachments": attachments}
        box.flush()
    finally:
        box.close()
    return sent


def _bundle(path: Path) -> None:
    """A zip with two folders of documents and a nested zip holding one more."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as nested:
        nested.writestr("b.txt", ZIP_TEXTS["inner.zip!/b.txt"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
        for member, text in ZIP_TEXTS.items():
            if "!" not in member:
                bundle.writestr(member, text)
        bundle.writestr("inner.zip", inner.getvalue())


def _scan_pdf(path: Path) -> None:
    """An image-only PDF: `SCAN_LINES` drawn in ~56 px type on a page image, saved by Pillow."""
    from PIL import Image, ImageDraw, ImageFont

    font_file = next((p for p in _FONT_FILES if Path(p).is_file()), None)
    if font_file is None:
        pytest.skip("no scalable font: install fonts-dejavu")
    font = ImageFont.truetype(font_file, 56)
    image = Image.new("L", (1900, 120 + 90 * len(SCAN_LINES)), 255)
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(SCAN_LINES):
        draw.text((60, 60 + 90 * number), line, font=font, fill=0)
    image.convert("RGB").save(path, "PDF", resolution=150.0)


def _faq(path: Path) -> None:
    import datasets

    datasets.Dataset.from_dict(HF_ROWS).save_to_disk(str(path))


def _ledger_and_version(workspace: Path, summary: dict) -> tuple[pl.DataFrame, pl.DataFrame]:
    catalog = open_catalog(CatalogSettings.for_workspace(Workspace(workspace)))
    ledger = pl.from_arrow(read_ledger(catalog, summary["dataset"], summary["run_id"]))
    version = pl.from_arrow(read_version(catalog, summary["dataset"], summary["version"]))
    return ledger, version


def test_mail_archives_scans_and_a_saved_dataset_through_a_run_and_an_incremental_rerun(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    share = tmp_path / "share"
    share.mkdir()
    sent = _mbox(share / "archive.mbox")
    _bundle(share / "bundle.zip")
    _scan_pdf(share / "scan.pdf")
    faq = tmp_path / "faq"
    _faq(faq)
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(share=share, faq=faq), encoding="utf-8")
    workspace = tmp_path / "ws"

    first = run_cli_json(["run", str(spec)], workspace=workspace)
    ledger, version = _ledger_and_version(workspace, first)

    root = share.resolve().as_uri()
    box = f"{root}/archive.mbox"
    shard = (faq.resolve() / "data-00000-of-00001.arrow").as_uri()
    expected = {f"{box}#{message_id}" for message_id in sent}
    expected |= {
        f"{box}#{message_id}/{name}"
        for message_id, message in sent.items()
        for name in message["attachments"]
    }
    expected |= {f"{root}/bundle.zip!/{member}" for member in ZIP_TEXTS}
    expected |= {f"{root}/scan.pdf"}
    expected |= {f"{shard}#row={row}" for row in range(len(HF_ROWS["faq_id"]))}
    attachments = sum(len(m["attachments"]) for m in sent.values())
    assert attachments == 20  # 5 messages with a PDF, 5 with a DOCX, 5 with both, 5 bare

    # every input has an ingest decision with the provenance of its kind, and all are kept there
    ingest = ledger.filter(pl.col("stage") == "ingest")
    decisions = dict(zip(ingest["source_uri"], ingest["decision"], strict=True))
    assert ingest.height == len(expected)
    assert decisions == dict.fromkeys(expected, "kept")
    rows = ingest.filter(pl.col("source_uri").str.starts_with(shard))
    assert set(rows["source_id"].to_list()) == {"faq"}

    # the ledger reconciles: each input ends kept, dropped or quarantined, once
    assert first["reconciled"] is True
    assert first["inputs"] == len(expected)
    assert first["inputs"] == first["kept"] + first["dropped"] + first["quarantined"]
    assert first["kept"] == version.height
    assert set(version["source_uri"].to_list()) <= expected

    by_uri = {row["source_uri"]: row for row in version.iter_rows(named=True)}
    assert set(by_uri) == expected, f"not kept: {sorted(expected - set(by_uri))}"
    metadata = {uri: json.loads(row["metadata_json"] or "{}") for uri, row in by_uri.items()}

    # mail: a document per message and per attachment, each attachment linked to its message
    for message_id, message in sent.items():
        mail = by_uri[f"{box}#{message_id}"]
        assert message["body"] in mail["text"]
        assert mail["relative_path"] == f"archive.mbox#{message_id}"
        for name, text in message["attachments"].items():
            uri = f"{box}#{message_id}/{name}"
            attachment = by_uri[uri]
            assert attachment["relative_path"] == f"archive.mbox#{message_id}/{name}"
            assert metadata[uri]["message_doc_id"] == mail["doc_id"]
            assert attachment["extractor"] == ("pypdf" if name.endswith(".pdf") else "python-docx")
            # PDF text extraction may re-wrap lines: compare the words
            assert re.findall(r"\w+", text) == re.findall(r"\w+", attachment["text"])

    # archives: members of folders and of the nested zip, by their path inside the archive
    for member, text in ZIP_TEXTS.items():
        row = by_uri[f"{root}/bundle.zip!/{member}"]
        assert row["relative_path"] == f"bundle.zip!/{member}"
        assert row["text"].strip() == text.strip()
        assert metadata[f"{root}/bundle.zip!/{member}"]["container"] == "zip"

    # the image-only PDF: its words come back through OCR (the recognizer may echo a stray letter)
    scan = by_uri[f"{root}/scan.pdf"]
    assert scan["extractor"] == "rapidocr-onnxruntime"
    read = set(re.findall(r"\w+", scan["text"].lower()))
    assert set(re.findall(r"\w+", " ".join(SCAN_LINES).lower())) <= read
    assert " " in scan["text"].strip()
    assert metadata[f"{root}/scan.pdf"]["ocr_mean_confidence"] >= 0.8

    # the saved dataset: a document per row, text and id from the configured fields
    for row, (faq_id, answer) in enumerate(zip(HF_ROWS["faq_id"], HF_ROWS["answer"], strict=True)):
        document = by_uri[f"{shard}#row={row}"]
        assert document["source_id"] == "faq"
        assert document["text"] == answer
        assert metadata[f"{shard}#row={row}"]["team"] == HF_ROWS["team"][row]
        assert document["doc_id"] == make_doc_id("faq", faq_id)

    second = run_cli_json(["run", str(spec), "--incremental"], workspace=workspace)
    rerun, again = _ledger_and_version(workspace, second)

    assert second["reconciled"] is True
    assert second["changed"] is False
    assert second["inputs"] == first["inputs"]
    assert second["inputs"] == second["kept"] + second["dropped"] + second["quarantined"]
    # nothing is read again: every input of every kind, the dataset's rows included, is an
    # ingest row that says Unchanged, and its earlier decision is carried by the incremental stage
    again_ingest = rerun.filter(pl.col("stage") == "ingest")
    assert set(again_ingest["source_uri"].to_list()) == expected
    read_again = again_ingest.filter(~pl.col("details").str.contains('"Unchanged"'))
    assert read_again.height == 0, f"read again: {read_again['source_uri'].to_list()}"
    carried = rerun.filter(pl.col("stage") == "incremental")
    assert set(carried["reason"].to_list()) == {"incremental.unchanged"}
    assert set(carried["source_uri"].to_list()) == expected
    assert set(rerun["stage"].to_list()) == {"ingest", "incremental"}
    assert sorted(again["doc_id"].to_list()) == sorted(version["doc_id"].to_list())
