"""E-mail (.eml): a header block, then the body; HTML bodies go through the HTML extractor.

From / To / Cc / Date / Subject stay in the text, at the top, because PII redaction handles
them later; metadata keeps only what is not personal (date, attachment count and types).
"""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from curation.exceptions import ExtractionError
from curation.ingest.extract.base import (
    Extracted,
    clean_metadata,
    library_version,
    parse_error,
    require_text,
)
from curation.ingest.extract.html import extract_html_text
from curation.ingest.extract.text import decode_text
from curation.ingest.reasons import IngestReason

HEADERS = ("From", "To", "Cc", "Date", "Subject")


def extract_eml(data: bytes, *, what: str) -> Extracted:
    try:
        message = BytesParser(policy=policy.default).parsebytes(data)
        header_lines = [
            f"{name}: {' '.join(str(value).split())}"
            for name in HEADERS
            if (value := message.get(name)) is not None and str(value).strip()
        ]
        body_part = message.get_body(preferencelist=("plain", "html"))
        attachments = list(message.iter_attachments()) if message.is_multipart() else []
    except Exception as error:  # the email package raises many types on malformed headers
        raise parse_error(error, what) from error
    body = ""
    body_type = None
    if body_part is not None:
        body_type = body_part.get_content_type()
        body = _part_text(body_part, what)
        if body_type == "text/html":
            try:
                body = extract_html_text(body, what=what).text
            except ExtractionError:
                body = ""
    if not header_lines and not body.strip():
        raise ExtractionError(IngestReason.EMPTY, f"{what} has neither headers nor body text")
    require_text(body + "".join(header_lines), what)
    metadata = clean_metadata(
        {
            "date": str(message.get("Date") or "") or None,
            "body_type": body_type,
            "attachments": len(attachments),
            "attachment_types": sorted({part.get_content_type() for part in attachments}),
        }
    )
    text = "\n".join(header_lines) + "\n\n" + body.strip()
    return Extracted(
        text=text.strip(),
        mime_type="message/rfc822",
        extractor="email",
        extractor_version=library_version("python"),
        metadata=metadata,
    )


def _part_text(part: EmailMessage, what: str) -> str:
    """A text part's content; undeclared or wrong charsets fall back to detection."""
    try:
        return part.get_content()
    except (LookupError, UnicodeDecodeError, AssertionError):
        payload = part.get_payload(decode=True) or b""
        return decode_text(payload, what)[0]
