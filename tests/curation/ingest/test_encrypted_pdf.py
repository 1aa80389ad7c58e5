"""Encrypted PDFs: a password keeps a file out (`ingest.encrypted`), owner-only protection not."""

from __future__ import annotations

import io

import pytest

from curation.exceptions import ExtractionError
from curation.ingest.extract import ExtractLimits, extract_bytes

from . import samples


def encrypt(data: bytes, *, user_password: str, algorithm: str) -> bytes:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_a_password_protected_pdf_is_quarantined_as_encrypted(algorithm: str) -> None:
    data = encrypt(
        samples.make_pdf("Salary bands 2024"), user_password="s3cret", algorithm=algorithm
    )

    with pytest.raises(ExtractionError) as caught:
        extract_bytes(data, "hr/salaries.pdf")

    assert caught.value.reason == "ingest.encrypted"
    assert "password-protected" in str(caught.value)
    assert "Salary" not in str(caught.value)


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
def test_owner_only_protection_is_extracted(algorithm: str) -> None:
    data = encrypt(
        samples.make_pdf("Quarterly revenue grew"), user_password="", algorithm=algorithm
    )

    result = extract_bytes(data, "report.pdf")

    assert result.text == "Quarterly revenue grew"
    assert result.extractor == "pypdf"
    assert result.metadata["encrypted"] is True
    assert result.title == "Quarterly Report"


def test_an_owner_protected_scan_is_still_read_by_ocr() -> None:
    """pdfium opens owner-only protection too: the OCR path draws the page."""
    from PIL import Image, ImageDraw, ImageFont

    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 24)
    except OSError:
        try:
            font = ImageFont.load_default(size=24)
        except (TypeError, ImportError, OSError):
            pytest.skip("no scalable font: install fonts-dejavu or a Pillow built with FreeType")
    page = Image.new("L", (1240, 160), 255)
    ImageDraw.Draw(page).text((120, 60), "Minutes of the board meeting", font=font, fill=0)
    scan = io.BytesIO()
    page.save(scan, "PDF", resolution=150)
    data = encrypt(scan.getvalue(), user_password="", algorithm="AES-256")

    result = extract_bytes(data, "minutes.pdf")

    assert result.text == "Minutes of the board meeting"
    assert result.metadata["encrypted"] is True


def test_a_password_protected_pdf_is_refused_even_when_ocr_is_off() -> None:
    data = encrypt(samples.make_pdf("Board minutes"), user_password="pw", algorithm="AES-256")

    with pytest.raises(ExtractionError) as caught:
        extract_bytes(data, "minutes.pdf", limits=ExtractLimits(ocr="off"))

    assert caught.value.reason == "ingest.encrypted"
