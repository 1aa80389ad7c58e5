"""Byte-exact writers for the binary formats: PDF, DOCX, e-mail, PNG.

Each writer is a pure function of its inputs (no clock, no random state), so the same seed
always produces the same bytes: the PDF is written by hand with correct xref offsets, the DOCX
is re-packed with fixed zip timestamps after python-docx saves it, and e-mails carry explicit
Date and Message-ID headers.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape

from curation.demo.people import Person
from curation.demo.prose import Doc
from curation.demo.render import wrap

# --------------------------------------------------------------------------------------- PDF

_PAGE_TOP = 770
_PAGE_BOTTOM = 60
_LEFT = 72


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def pdf_lines(doc: Doc, keep_together: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Lay a document out as (style, line) pairs: style is title, heading or body."""
    keep = tuple(keep_together)
    lines: list[tuple[str, str]] = [("title", doc.title), ("body", "")]
    for block in doc.blocks:
        if block.kind == "heading":
            lines += [("heading", block.text)]
        elif block.kind == "paragraph":
            lines += [("body", line) for line in wrap(" ".join(block.sentences), 95, keep)]
            lines.append(("body", ""))
        elif block.kind == "bullets":
            for item in block.sentences:
                wrapped = wrap(item, 90, keep)
                lines += [("body", "- " + wrapped[0])] + [("body", "  " + w) for w in wrapped[1:]]
            lines.append(("body", ""))
        elif block.kind == "table":
            lines += [("body", "    ".join(row)) for row in block.rows]
            lines.append(("body", ""))
        elif block.kind == "code":
            lines += [("body", line) for line in block.text.splitlines()]
    return lines


_STYLE = {"title": (b"/F2", 16, 24), "heading": (b"/F2", 12, 18), "body": (b"/F1", 10, 13)}


def pdf_bytes(
    lines: Sequence[tuple[str, str]], *, title: str, author: str, created: datetime
) -> bytes:
    """A valid multi-page PDF 1.4 with Helvetica text that pypdf and pdfminer extract."""
    pages: list[list[bytes]] = [[]]
    y = _PAGE_TOP
    for style, text in lines:
        font, size, leading = _STYLE[style]
        if y - leading < _PAGE_BOTTOM:
            pages.append([])
            y = _PAGE_TOP
        y -= leading
        if text:
            pages[-1].append(
                b"BT %s %d Tf %d %d Td %s Tj ET" % (font, size, _LEFT, y, _pdf_string(text))
            )
    stamp = created.strftime("D:%Y%m%d%H%M%SZ")
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # pages tree, filled below
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Title %s /Author %s /Producer (Acme Report Builder 2.3) /CreationDate (%s) >>"
        % (_pdf_string(title), _pdf_string(author), stamp.encode()),
    ]
    kids = []
    for number, ops in enumerate(pages, start=1):
        stream = b"\n".join(ops + [b"BT /F1 8 Tf 500 30 Td (Page %d) Tj ET" % number])
        page_id = len(objects) + 1
        kids.append(b"%d 0 R" % page_id)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>" % (page_id + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


# -------------------------------------------------------------------------------------- DOCX


def deterministic_zip(data: bytes, date_time: tuple[int, int, int, int, int, int]) -> bytes:
    """Re-pack a zip with fixed member timestamps and attributes, keeping member order."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=date_time)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            member.create_system = 3
            target.writestr(member, source.read(info.filename))
    return buffer.getvalue()


def docx_bytes(doc: Doc, *, author: str, created: datetime, modified: datetime) -> bytes:
    """A Word document built with python-docx, with fixed core properties and zip stamps."""
    import docx  # heavy-ish import; only generation needs it

    document = docx.Document()
    props = document.core_properties
    props.author = author
    props.last_modified_by = author
    props.title = doc.title
    props.created = created.replace(tzinfo=None)
    props.modified = modified.replace(tzinfo=None)
    props.last_printed = created.replace(tzinfo=None)
    props.revision = 1
    props.comments = ""
    props.language = doc.lang
    document.add_heading(doc.title, level=0)
    for block in doc.blocks:
        if block.kind == "heading":
            document.add_heading(block.text, level=min(block.level, 4))
        elif block.kind == "paragraph":
            document.add_paragraph(" ".join(block.sentences))
        elif block.kind == "bullets":
            for item in block.sentences:
                document.add_paragraph(item, style="List Bullet")
        elif block.kind == "code":
            document.add_paragraph(block.text, style="No Spacing")
        elif block.kind == "table":
            table = document.add_table(rows=len(block.rows), cols=len(block.rows[0]))
            table.style = "Table Grid"
            for r, row in enumerate(block.rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
    buffer = io.BytesIO()
    document.save(buffer)
    stamp = modified.timetuple()[:6]
    return deterministic_zip(buffer.getvalue(), stamp)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------ E-mail


def _address(person: Person) -> Address:
    user, domain = person.email.split("@")
    return Address(display_name=person.name, username=user, domain=domain)


def eml_bytes(
    *,
    sender: Person,
    to: Sequence[Person],
    cc: Sequence[Person],
    subject: str,
    date: datetime,
    message_id: str,
    body: str,
    in_reply_to: str | None = None,
    html: bool = False,
) -> bytes:
    """An RFC 5322 message with explicit Date and Message-ID so its bytes are reproducible.

    With `html`, the body is also sent as an HTML alternative, as Outlook does; the MIME
    boundary is derived from the Message-ID because the stdlib would draw a random one.
    """
    message = EmailMessage()
    message["From"] = _address(sender)
    message["To"] = [_address(p) for p in to]
    if cc:
        message["Cc"] = [_address(p) for p in cc]
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message["X-Mailer"] = "Microsoft Outlook 16.0"
    message.set_content(body)
    if html:
        paragraphs = "".join(
            "<p>" + escape(p).replace("\n", "<br>") + "</p>" for p in body.split("\n\n")
        )
        message.add_alternative(
            f'<html><body style="font-family:Calibri,sans-serif">{paragraphs}</body></html>\n',
            subtype="html",
        )
        token = hashlib.sha1(message_id.encode()).hexdigest()[:24]
        message.set_boundary(f"----=_NextPart_{token}")
    return message.as_bytes()


def wrap_body(paragraphs: Sequence[str], keep_together: Iterable[str]) -> str:
    """Mail bodies wrapped at 72 columns, keeping phone numbers and IBANs on one line."""
    keep = tuple(keep_together)
    out: list[str] = []
    for paragraph in paragraphs:
        if "\n" in paragraph:
            out.append(paragraph)  # pre-formatted (signatures, bank details)
        else:
            out.append("\n".join(wrap(paragraph, 72, keep)))
    return "\n\n".join(out) + "\n"


# --------------------------------------------------------------------------------------- PNG


def png_bytes(width: int, height: int, seed: int) -> bytes:
    """A small valid RGB PNG (a gradient), for the corpus's unsupported image file."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload))
            + kind
            + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
        )

    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows += bytes(((x * 7 + seed) % 256, (y * 5) % 256, (x + y) % 256))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )
