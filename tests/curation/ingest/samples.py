"""Builders of small real documents for the ingest tests (real libraries, real bytes)."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage
from pathlib import Path


def make_pdf(text: str, *, title: str = "Quarterly Report", author: str = "Ada Lovelace") -> bytes:
    """A minimal valid PDF: one page, Helvetica, one Tj text object, and an Info dictionary."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Title ({title}) /Author ({author}) /Subject (Finance) /Keywords (q3 report) "
        f"/Rights (CC-BY-4.0) >>".encode("latin-1"),
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, xref)
    )
    return out.getvalue()


def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Leave policy", level=1)
    document.add_paragraph("Employees accrue two days of leave per month.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Grade"
    table.cell(0, 1).text = "Days"
    table.cell(1, 0).text = "A"
    table.cell(1, 1).text = "24"
    document.add_paragraph("Unused leave expires after a year.")
    props = document.core_properties
    props.title = "Leave policy"
    props.author = "HR team"
    props.subject = "HR"
    props.keywords = "leave, policy"
    props.comments = "Licensed under CC-BY-4.0"
    document.save(path)
    return path


def make_xlsx(path: Path) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Budget"
    sheet.append(["Item", "Cost"])
    sheet.append(["Laptops", 1200])
    sheet.append(["Chairs", 300])
    workbook.properties.title = "Budget 2026"
    workbook.save(path)
    return path


def make_pptx(path: Path) -> Path:
    import pptx

    presentation = pptx.Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[1])
    slide.shapes.title.text = "Roadmap"
    slide.placeholders[1].text = "Ship the curation pipeline"
    slide.notes_slide.notes_text_frame.text = "Speaker notes here"
    presentation.core_properties.title = "Roadmap deck"
    presentation.save(path)
    return path


def make_eml() -> bytes:
    message = EmailMessage()
    message["From"] = "Jane Doe <jane@example.com>"
    message["To"] = "john@example.com"
    message["Cc"] = "team@example.com"
    message["Subject"] = "Budget meeting"
    message["Date"] = "Tue, 24 Nov 2026 10:00:00 +0000"
    message["Message-ID"] = "<budget-1@example.com>"
    message.set_content("Let us meet on Friday to discuss the budget.\n")
    message.add_alternative(
        "<html><body><p>Let us meet on <b>Friday</b> to discuss the budget.</p></body></html>",
        subtype="html",
    )
    message.add_attachment(b"col1,col2\n1,2\n", maintype="text", subtype="csv", filename="data.csv")
    return bytes(message)


def make_latin1_html() -> bytes:
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">'
        "<title>Caf\xe9 menu</title></head><body><article><h1>Caf\xe9 cr\xe8me</h1>"
        "<p>Le caf\xe9 cr\xe8me est servi \xe0 la terrasse tous les matins, avec un croissant "
        "fra\xeechement cuit et une tartine beurr\xe9e.</p>"
        "<p>R\xe9servation conseill\xe9e le week-end pour les groupes de plus de six personnes.</p>"
        "</article></body></html>"
    )
    return page.encode("iso-8859-1")


def make_zip_bomb_docx(path: Path, source_docx: Path) -> Path:
    """A real DOCX plus one member of 20 MB of zeros (compresses about 1000x)."""
    with (
        zipfile.ZipFile(source_docx) as original,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for item in original.infolist():
            out.writestr(item, original.read(item))
        with out.open("word/media/bomb.bin", "w", force_zip64=True) as member:
            chunk = b"\x00" * (1 << 20)
            for _ in range(20):
                member.write(chunk)
    return path


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n'
)


def make_entity_bomb_docx(path: Path, source_docx: Path) -> Path:
    """A real DOCX whose document.xml declares nested entities (billion laughs)."""
    with (
        zipfile.ZipFile(source_docx) as original,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for item in original.infolist():
            data = original.read(item)
            if item.filename == "word/document.xml":
                body = data.decode("utf-8").split("?>", 1)[1]
                data = (BILLION_LAUGHS + body).encode("utf-8")
            out.writestr(item, data)
    return path
