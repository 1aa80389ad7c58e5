"""Acceptance through `curate run`: each kind of input a share holds, then an incremental rerun.

One small folder holds a zip of documents, an mbox whose message has an attachment, a Latin-1
letter without a charset, a scanned page (a PNG drawn here with type ~56 px high, the size the
recognizer reads best) and a directory symlink that loops. After one run the ledger accounts
for every input with the provenance of its kind, and the version holds the decoded and OCR'd
text; a rerun with `--incremental` and nothing changed reports no change, carries every earlier
decision, and opens no input again: not the plain files, nor the zip or the mbox, whose members
all come back as unchanged.
"""

from __future__ import annotations

import io
import json
import mailbox
import re
import zipfile
from email.message import EmailMessage
from pathlib import Path

import polars as pl
import pytest

from catalogs.registry import CatalogSettings, open_catalog
from catalogs.versions import read_ledger, read_version
from curation.workspace import Workspace
from tests_support import run_cli_json

pytestmark = pytest.mark.slow

MESSAGE_ID = "facilities-17@mail.example.org"
HANDBOOK = (
    "The handbook explains how the office works from the first day onwards. Every new colleague "
    "receives a badge, a laptop and a desk in the team area, and the service desk helps with "
    "accounts during the first week. Questions about holidays, travel and training go to the "
    "team lead, who answers them within two working days and keeps the answers in the shared "
    "folder so that the next person finds them there."
)
TRAVEL = (
    "# Travel\n\nTrips are booked through the travel portal at least two weeks ahead. Trains "
    "are preferred for journeys under five hours, and economy class is the rule for flights. "
    "Receipts are scanned and attached to the expense report within a month of the trip, and "
    "the finance team reimburses approved reports with the next salary payment.\n"
)
MEMO = (
    "The heating in the north wing will be serviced on Thursday morning. Please keep the "
    "windows closed during the work and expect the rooms to be cold until noon. The facilities "
    "team will send a short notice when the service is finished and the rooms are warm again, "
    "and the meeting rooms on the ground floor stay available for the whole day."
)
MINUTES = (
    "Minutes of the building committee. The committee agreed to replace the old boilers next "
    "spring and to test the new ventilation in the library first. The budget for both projects "
    "was approved, and the next meeting will review the offers of three suppliers before the "
    "contracts are signed at the end of the quarter by the committee as a whole."
)
LETTER = (
    "Chère Madame, la crème brûlée était délicieuse et le service très attentionné. Nous "
    "espérons vous revoir bientôt à la maison de campagne, où la cuisine reste ouverte tout "
    "l'été. Le menu change chaque semaine selon le marché, et la cave propose des vins de la "
    "région à des prix raisonnables, servis avec le pain du village."
)
SCAN_LINES = (
    "The warehouse relocation is on schedule for March.",
    "Deliveries move to the new loading dock next week.",
    "Please update the addresses in every open order.",
)
SPEC = """\
name: mixed-share
output: {{table: curated.mixed_share}}
sources:
  - {{id: share, type: folder, path: {path}, license: CC0-1.0}}
license: {{use: commercial_training, allow_categories: [public_domain, permissive]}}
runner: {{workers: 1, batch_size: 64}}
"""
_FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)


def _scan_png() -> bytes:
    """A page strip with `SCAN_LINES` in ~56 px type: no text layer, only pixels."""
    from PIL import Image, ImageDraw, ImageFont

    font_file = next((p for p in _FONT_FILES if Path(p).is_file()), None)
    if font_file is None:
        pytest.skip("no scalable font: install fonts-dejavu")
    font = ImageFont.truetype(font_file, 56)
    image = Image.new("L", (1900, 120 + 90 * len(SCAN_LINES)), 255)
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(SCAN_LINES):
        draw.text((60, 60 + 90 * number), line, font=font, fill=0)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _mbox(path: Path) -> None:
    message = EmailMessage()
    message["From"] = "facilities@mail.example.org"
    message["To"] = "staff@mail.example.org"
    message["Subject"] = "Heating service on Thursday"
    message["Date"] = "Mon, 02 Mar 2026 09:00:00 +0000"
    message["Message-ID"] = f"<{MESSAGE_ID}>"
    message.set_content(MEMO)
    message.add_attachment(
        MINUTES.encode(), maintype="text", subtype="plain", filename="minutes.txt"
    )
    box = mailbox.mbox(path)
    try:
        box.add(message)
        box.flush()
    finally:
        box.close()


def _share(root: Path) -> None:
    root.mkdir()
    with zipfile.ZipFile(root / "bundle.zip", "w") as bundle:
        bundle.writestr("docs/handbook.txt", HANDBOOK)
        bundle.writestr("docs/travel.md", TRAVEL)
    _mbox(root / "archive.mbox")
    (root / "letter.txt").write_bytes(LETTER.encode("latin-1"))
    (root / "scan.png").write_bytes(_scan_png())
    (root / "nested").mkdir()
    (root / "nested" / "loop").symlink_to("..", target_is_directory=True)


def test_each_kind_of_input_through_a_run_and_an_unchanged_incremental_rerun(tmp_path):
    share = tmp_path / "share"
    _share(share)
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(path=share), encoding="utf-8")
    workspace = tmp_path / "ws"

    first = run_cli_json(["run", str(spec)], workspace=workspace)

    catalog = open_catalog(CatalogSettings.for_workspace(Workspace(workspace)))
    ledger = pl.from_arrow(read_ledger(catalog, first["dataset"], first["run_id"]))
    version = pl.from_arrow(read_version(catalog, first["dataset"], first["version"]))
    ingest = ledger.filter(pl.col("stage") == "ingest")
    decisions = dict(zip(ingest["source_uri"], ingest["decision"], strict=True))
    root = share.resolve().as_uri()
    box = f"{root}/archive.mbox#{MESSAGE_ID}"
    expected = {
        f"{root}/bundle.zip!/docs/handbook.txt": "kept",
        f"{root}/bundle.zip!/docs/travel.md": "kept",
        box: "kept",
        f"{box}/minutes.txt": "kept",
        f"{root}/letter.txt": "kept",
        f"{root}/scan.png": "kept",
        f"{root}/nested/loop": "quarantined",
    }
    assert first["reconciled"] is True
    assert first["inputs"] == len(expected)
    assert decisions == expected
    loop = ingest.filter(pl.col("source_uri") == f"{root}/nested/loop")
    assert loop["reason"].to_list() == ["ingest.symlink_loop"]

    texts = dict(zip(version["relative_path"], version["text"], strict=True))
    assert texts["bundle.zip!/docs/handbook.txt"] == HANDBOOK
    assert texts["letter.txt"] == LETTER  # Latin-1 bytes read back exactly: "crème brûlée"
    assert "crème brûlée" in texts["letter.txt"]
    assert MEMO in texts[f"archive.mbox#{MESSAGE_ID}"]
    assert texts[f"archive.mbox#{MESSAGE_ID}/minutes.txt"] == MINUTES
    metadata = {
        path: json.loads(value or "{}")
        for path, value in zip(version["relative_path"], version["metadata_json"], strict=True)
    }
    attachment = metadata[f"archive.mbox#{MESSAGE_ID}/minutes.txt"]
    message_id = version.filter(pl.col("relative_path") == f"archive.mbox#{MESSAGE_ID}")["doc_id"]
    assert attachment["message_doc_id"] == message_id[0]
    assert metadata["bundle.zip!/docs/travel.md"]["container"] == "zip"
    scan = version.filter(pl.col("relative_path") == "scan.png").row(0, named=True)
    assert scan["extractor"] == "rapidocr-onnxruntime"
    # every word comes back, with its spaces (the recognizer may echo a stray letter)
    read = re.findall(r"\w+", texts["scan.png"].lower())
    assert set(re.findall(r"\w+", " ".join(SCAN_LINES).lower())) <= set(read)
    assert texts["scan.png"].startswith(SCAN_LINES[0])
    assert metadata["scan.png"]["ocr_mean_confidence"] >= 0.8

    second = run_cli_json(["run", str(spec), "--incremental"], workspace=workspace)

    rerun = pl.from_arrow(read_ledger(catalog, second["dataset"], second["run_id"]))
    assert second["reconciled"] is True
    assert second["inputs"] == first["inputs"]
    assert second["changed"] is False
    # every document's earlier decision is carried; no later stage sees a document again
    carried = rerun.filter(pl.col("stage") == "incremental")
    assert set(carried["reason"].to_list()) == {"incremental.unchanged"}
    assert set(carried["source_uri"].to_list()) == set(expected) - {f"{root}/nested/loop"}
    assert set(rerun["stage"].to_list()) == {"ingest", "incremental"}
    # no file whose size and mtime match is read again (no OCR, no decoding), and no container:
    # every member of the zip and every message and attachment of the mbox is unchanged
    skipped = rerun.filter(
        (pl.col("stage") == "ingest") & pl.col("details").str.contains('"Unchanged"')
    )
    assert set(skipped["source_uri"].to_list()) == set(expected) - {f"{root}/nested/loop"}
    again_loop = rerun.filter(pl.col("source_uri") == f"{root}/nested/loop")
    assert again_loop["reason"].to_list() == ["ingest.symlink_loop"]
    again = pl.from_arrow(read_version(catalog, second["dataset"], second["version"]))
    assert sorted(again["doc_id"].to_list()) == sorted(version["doc_id"].to_list())
