"""Extractors, one family at a time, on small real files (in-process `extract_file`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from curation.exceptions import ExtractionError
from curation.ingest import ExtractLimits, extract_bytes, extract_file
from curation.ingest.extract import detect_format

from . import samples


def test_pdf_text_and_info_metadata(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(samples.make_pdf("Revenue grew in the third quarter"))
    result = extract_file(path)
    assert result.text == "Revenue grew in the third quarter"
    assert (result.extractor, result.mime_type) == ("pypdf", "application/pdf")
    assert result.extractor_version.count(".") >= 1
    assert (result.title, result.author) == ("Quarterly Report", "Ada Lovelace")
    assert result.metadata["subject"] == "Finance"
    assert result.metadata["keywords"] == "q3 report"
    assert result.metadata["rights"] == "CC-BY-4.0"
    assert result.metadata["pages"] == 1


def test_docx_paragraphs_tables_and_core_properties(tmp_path: Path) -> None:
    result = extract_file(samples.make_docx(tmp_path / "policy.docx"))
    assert result.text.splitlines() == [
        "Leave policy",
        "Employees accrue two days of leave per month.",
        "Grade\tDays",
        "A\t24",
        "Unused leave expires after a year.",
    ]
    assert result.extractor == "python-docx"
    assert (result.title, result.author) == ("Leave policy", "HR team")
    assert result.metadata["comments"] == "Licensed under CC-BY-4.0"
    assert result.metadata["keywords"] == "leave, policy"


def test_xlsx_rows_as_tab_separated_lines(tmp_path: Path) -> None:
    result = extract_file(samples.make_xlsx(tmp_path / "budget.xlsx"))
    assert result.text == "# Budget\nItem\tCost\nLaptops\t1200\nChairs\t300"
    assert result.extractor == "openpyxl"
    assert result.title == "Budget 2026"
    assert result.metadata["sheets"] == 1


def test_pptx_text_frames_and_notes(tmp_path: Path) -> None:
    result = extract_file(samples.make_pptx(tmp_path / "deck.pptx"))
    assert result.text.splitlines() == [
        "Roadmap",
        "Ship the curation pipeline",
        "Speaker notes here",
    ]
    assert result.extractor == "python-pptx"
    assert result.metadata["slides"] == 1


def test_eml_body_as_text_subject_as_title_people_as_author_like_metadata() -> None:
    result = extract_bytes(samples.make_eml(), "inbox/1.eml")
    assert result.text == "Let us meet on Friday to discuss the budget."
    assert result.title == "Budget meeting"
    assert result.mime_type == "message/rfc822"
    assert result.metadata["from"] == "Jane Doe <jane@example.com>"
    assert result.metadata["to"] == ["john@example.com"]
    assert result.metadata["cc"] == ["team@example.com"]
    assert result.metadata["message_id"] == "<budget-1@example.com>"
    assert result.metadata["date"] == "2026-11-24T10:00:00+00:00"
    assert result.metadata["attachments"] == 1
    assert result.metadata["attachment_types"] == ["text/csv"]
    assert result.author is None


def test_eml_html_only_body_goes_through_the_html_extractor() -> None:
    from email.message import EmailMessage

    message = EmailMessage()
    message["Subject"] = "Newsletter"
    message.set_content(
        "<html><body><script>var x = 1;</script><p>Quarterly results are published.</p></body></html>",
        subtype="html",
    )
    result = extract_bytes(bytes(message), "n.eml")
    assert "Quarterly results are published." in result.text
    assert "var x" not in result.text
    assert result.metadata["body_type"] == "text/html"


def test_html_in_iso_8859_1_honours_meta_charset() -> None:
    result = extract_bytes(samples.make_latin1_html(), "cafe.html")
    assert "Le café crème est servi à la terrasse" in result.text
    assert result.encoding == "iso8859-1"
    assert result.extractor == "trafilatura"


def test_html_in_euc_kr_is_decoded() -> None:
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=EUC-KR">'
        "</head><body><p>아파치 웹서버 설치 방법을 설명합니다. 먼저 소스를 내려받고 컴파일합니다.</p>"
        "</body></html>"
    ).encode("euc-kr")
    result = extract_bytes(page, "install.html.ko.euc-kr")
    assert "아파치 웹서버 설치 방법을 설명합니다" in result.text
    assert result.encoding == "euc_kr"


def test_html_falls_back_to_the_tag_stripper_when_trafilatura_finds_nothing() -> None:
    page = (
        b"<html><head><title>Tiny</title><style>p{}</style></head>"
        b"<body><aside>Sidebar note text</aside></body></html>"
    )
    result = extract_bytes(page, "tiny.htm")
    assert result.text == "Sidebar note text"
    assert result.extractor == "html.parser"
    assert result.title == "Tiny"


def test_text_encodings_are_detected_and_recorded() -> None:
    utf8 = extract_bytes("naïve café\n".encode(), "a.txt")
    bom = extract_bytes("\ufeffhello\r\nworld".encode(), "b.txt")
    french = (
        "Le café crème est servi à la terrasse, près de la fenêtre. Les élèves étudient le "
        "français à l'école depuis très longtemps; ils préfèrent les leçons de géographie. "
    ) * 3
    latin = extract_bytes(french.encode("cp1252"), "c.txt")
    assert (utf8.text, utf8.encoding) == ("naïve café\n", "utf-8")
    assert (bom.text, bom.encoding) == ("hello\nworld", "utf-8-sig")
    assert latin.text == french
    assert latin.metadata["encoding"] == latin.encoding == "cp1252"


def test_markup_is_kept_and_titles_found() -> None:
    markdown = extract_bytes(b"---\nlayout: x\n---\n# Handbook\n\nSee [docs](x.md).\n", "h.md")
    rst = extract_bytes(b"PEP 8\n=====\n\n.. note:: keep\n", "pep-0008.rst")
    assert markdown.text.endswith("See [docs](x.md).\n")
    assert (markdown.mime_type, markdown.title) == ("text/markdown", "Handbook")
    assert (rst.mime_type, rst.title) == ("text/x-rst", "PEP 8")
    assert ".. note:: keep" in rst.text


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("docs/manual/dso.html.ko.euc-kr", b"", "html"),
        ("docs/manual/mpm.html.de", b"", "html"),
        ("index.html.en.utf8", b"", "html"),
        ("README", b"Apache HTTP Server\n", "txt"),
        ("README.platforms", b"Platform notes\n", "txt"),
        ("scan", b"%PDF-1.7\n", "pdf"),
        ("photo.png", b"plain words", "image"),
        ("blob", b"\x00\x01\x02binary", None),
        ("slides.odp", b"", "odp"),
    ],
)
def test_detect_format(name: str, head: bytes, expected: str | None) -> None:
    assert detect_format(name, head) == expected


def test_extract_file_enforces_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("x" * 2000)
    with pytest.raises(ExtractionError) as caught:
        extract_file(path, limits=ExtractLimits(max_file_bytes=1000))
    assert caught.value.reason == "ingest.too_large"
    assert "2000 bytes (limit 1000)" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "a.md",
            "---\nlayout: post\ntitle: 'Working at 18F'\n---\n\nBody text.\n",
            "Working at 18F",
        ),
        (
            "pep-0008.rst",
            "PEP: 8\nTitle: Style Guide for Python Code\nAuthor: x\n\nBody\n",
            "Style Guide for Python Code",
        ),
        ("b.md", "Intro line\n\n# Later heading\n", "Later heading"),
        ("c.md", "no heading at all\n", None),
    ],
)
def test_titles_of_text_documents(name: str, text: str, expected: str | None) -> None:
    assert extract_bytes(text.encode(), name).title == expected
