"""E-mail messages (.eml files, and each message of an mbox or Maildir): body, subject, people.

The document text is the readable body (the plain part, else the HTML part through the HTML
extractor); the subject is the title. Sender and recipients go to metadata under `from`, `to`
and `cc`, keys the PII stage treats as author-like (removed or replaced whole), and never into
the text, where they would only be noise for training. Attachments are listed here; the
container layer (`containers.py`) extracts each as its own document.
"""

from __future__ import annotations

import email.utils
import mimetypes
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import PurePosixPath

from curation.exceptions import ExtractionError
from curation.ingest.extract.base import (
    Extracted,
    clean_metadata,
    library_version,
    parse_error,
    require_text,
)
from curation.ingest.extract.charsets import Decoded, decode_bytes, encoding_metadata
from curation.ingest.extract.html import extract_html_text
from curation.ingest.reasons import IngestReason

MIME_TYPE = "message/rfc822"
_BODY_TYPES = ("text/plain", "text/html")


@dataclass(frozen=True)
class Attachment:
    """One attached file (`data`) or forwarded message (`data` holds its bytes, `message` set)."""

    name: str
    content_type: str
    data: bytes
    is_message: bool = False


def parse_message(data: bytes, *, what: str) -> EmailMessage:
    """Parse RFC 5322 bytes; the stdlib parser is lenient, so this fails only on odd input."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(data)
    except Exception as error:  # the email package raises many types on malformed input
        raise parse_error(error, what) from error
    assert isinstance(message, EmailMessage)
    return message


def extract_eml(data: bytes, *, what: str) -> Extracted:
    """The message document of one .eml file (attachments are not part of it)."""
    return extract_message(parse_message(data, what=what), what=what)


def extract_message(message: EmailMessage, *, what: str) -> Extracted:
    """Body text, subject as title, date / ids / people / attachment types as metadata."""
    try:
        subject = _header(message, "Subject")
        body_part = message.get_body(preferencelist=("plain", "html"))
        attachments = list(iter_attachments(message))
        people = {name.lower(): _addresses(message, name) for name in ("From", "To", "Cc")}
        date = _header(message, "Date")
    except Exception as error:  # malformed headers surface while they are read
        raise parse_error(error, what) from error
    body, body_type, encoding, encoding_reason = "", None, None, None
    if body_part is not None:
        body_type = body_part.get_content_type()
        decoded = part_text(body_part)
        body, encoding = decoded.text, decoded.encoding
        encoding_reason = encoding_metadata(decoded).get("encoding_reason")
        if body_type == "text/html":
            try:
                body = extract_html_text(body, what=what).text
            except ExtractionError:
                body = ""
    if not body.strip():
        raise ExtractionError(
            IngestReason.EMPTY,
            f"{what} has no body text"
            + (
                f" (its {len(attachments)} attachments are read on their own)"
                if attachments
                else ""
            ),
        )
    require_text(body, what)
    metadata = clean_metadata(
        {
            "date": _iso_date(date) or date,
            "message_id": _header(message, "Message-ID"),
            "in_reply_to": _header(message, "In-Reply-To"),
            "from": people["from"][0] if len(people["from"]) == 1 else people["from"],
            "to": people["to"],
            "cc": people["cc"],
            "body_type": body_type,
            "encoding": encoding,
            "encoding_reason": encoding_reason,
            "attachments": len(attachments),
            "attachment_types": sorted({a.content_type for a in attachments}),
        }
    )
    return Extracted(
        text=body.strip(),
        mime_type=MIME_TYPE,
        extractor="email",
        extractor_version=library_version("python"),
        title=subject,
        metadata=metadata,
        encoding=encoding,
    )


def message_id(message: EmailMessage) -> str | None:
    """The Message-ID without angle brackets or spaces, None when absent or empty."""
    try:
        value = _header(message, "Message-ID")
    except Exception:  # noqa: BLE001 - a malformed header is as good as none for an id
        return None
    value = re.sub(r"\s+", "", value or "").strip("<>")
    return value or None


def message_date_us(message: EmailMessage) -> int | None:
    """The Date header as UTC microseconds, None when absent or unparseable."""
    try:
        parsed = email.utils.parsedate_to_datetime(_header(message, "Date") or "")
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        return None
    return int(parsed.timestamp() * 1_000_000)


def iter_attachments(message: EmailMessage) -> Iterator[Attachment]:
    """Every attached file and forwarded message, at any depth of the MIME tree.

    Body parts (the text/plain and text/html alternatives without a file name) are not
    attachments; inline images with a file name are. A forwarded message is one attachment:
    its own attachments belong to it.
    """
    body = message.get_body(preferencelist=("plain", "html"))
    for index, part in enumerate(_leaf_parts(message), start=1):
        if part is body:
            continue
        content_type = part.get_content_type()
        filename = part.get_filename()
        if content_type == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            data = inner.as_bytes() if hasattr(inner, "as_bytes") else b""
            name = _safe_name(filename) or f"attachment-{index}.eml"
            if not name.lower().endswith(".eml"):
                name += ".eml"
            yield Attachment(name, content_type, data, is_message=True)
            continue
        disposition = part.get_content_disposition()
        if content_type in _BODY_TYPES and not filename and disposition != "attachment":
            continue  # the body or one of its alternatives
        data = part.get_payload(decode=True) or b""
        name = _safe_name(filename) or f"attachment-{index}{_extension(content_type)}"
        yield Attachment(name, content_type, data)


def part_text(part: EmailMessage) -> Decoded:
    """A text part's content: the declared charset if the bytes fit it, else the detection
    that undeclared files get (8-bit bytes under a missing or US-ASCII charset are common)."""
    payload = part.get_payload(decode=True) or b""
    if not payload:
        return Decoded("", "utf-8", "empty part")
    return decode_bytes(payload, "a message part", declared=part.get_content_charset())


def _leaf_parts(message: EmailMessage) -> Iterator[EmailMessage]:
    """Non-multipart parts in order; a message/rfc822 part is a leaf (not descended into)."""
    if not message.is_multipart():
        return
    for part in message.iter_parts():
        if part.get_content_type() == "message/rfc822":
            yield part
        elif part.is_multipart():
            yield from _leaf_parts(part)
        else:
            yield part


def _header(message: EmailMessage, name: str) -> str | None:
    value = message.get(name)
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _addresses(message: EmailMessage, name: str) -> list[str]:
    """Each address of a header as `Display Name <addr>` (or the raw value if unparseable)."""
    header = message.get(name)
    if header is None:
        return []
    addresses = getattr(header, "addresses", None)
    if addresses:
        return [str(address) for address in addresses if str(address).strip()]
    text = " ".join(str(header).split())
    return [text] if text else []


def _iso_date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def _safe_name(filename: str | None) -> str | None:
    """The last component of an attachment's file name: names are data, never paths."""
    if not filename:
        return None
    name = PurePosixPath(filename.replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return None if name in {"", ".", ".."} else name


def _extension(content_type: str) -> str:
    return mimetypes.guess_extension(content_type, strict=False) or ".bin"
