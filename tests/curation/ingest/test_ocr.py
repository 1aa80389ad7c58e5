"""OCR of scans and images: pages drawn here with Pillow at a realistic type size, read back."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from curation.exceptions import ExtractionError
from curation.ingest.extract import ExtractLimits, detect_format, extract_bytes
from curation.ingest.extract.base import (
    announce_ocr_pages,
    extraction_limit_s,
    listening_to_ocr_pages,
)
from tests_support import EGRESS_GUARD, REPO

from . import samples

PAGE_ONE = [
    "The warehouse relocation is on schedule for March.",
    "Die Lieferung nach Zürich verzögert sich um zwei Wochen.",
    "Le rapport financier sera présenté au comité vendredi.",
]
PAGE_TWO = [
    "Please send the signed contracts to the legal team.",
    "Bitte prüfen Sie die Rechnung für das Büro in München.",
    "Nous avons reçu la commande de la société à Genève.",
]
# 11 pt type scanned at 150 dpi is ~23 px high.
DPI = 150
TYPE_PX = 24
_FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
)


@pytest.fixture(scope="module")
def font():
    """A scalable font: a system TTF, else Pillow's built-in one at a size (Pillow >= 10.1)."""
    from PIL import ImageFont

    for path in _FONT_FILES:
        if Path(path).is_file():
            return ImageFont.truetype(path, TYPE_PX)
    try:
        return ImageFont.load_default(size=TYPE_PX)
    except (TypeError, ImportError, OSError):
        pytest.skip("no scalable font: install fonts-dejavu or a Pillow built with FreeType")


def scan(lines: list[str], font, *, turn: int = 0):
    """A page-wide strip of a scanned letter holding `lines` (grayscale, 150 dpi)."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (1240, 120 + 44 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(lines):
        draw.text((120, 60 + 44 * number), line, font=font, fill=0)
    return image.rotate(turn, expand=True, fillcolor=255) if turn else image


def image_pdf(pages) -> bytes:
    out = io.BytesIO()
    pages[0].save(out, "PDF", resolution=DPI, save_all=True, append_images=pages[1:])
    return out.getvalue()


def image_bytes(pages, kind: str) -> bytes:
    out = io.BytesIO()
    pages[0].save(out, kind, save_all=len(pages) > 1, append_images=pages[1:])
    return out.getvalue()


def words(text: str) -> list[str]:
    """Lower-case words without accents: the recognizer drops some ("Zürich" -> "Zurich")."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.findall(r"\w+", plain.lower())


def assert_read(text: str, lines: list[str], *, share: float = 0.9) -> None:
    expected = words(" ".join(lines))
    found = set(words(text))
    missing = [w for w in expected if w not in found]
    assert len(missing) <= (1 - share) * len(expected), f"missing {missing} in {text!r}"


def test_an_image_only_pdf_is_read_by_ocr(font) -> None:
    data = image_pdf([scan(PAGE_ONE, font), scan(PAGE_TWO, font)])

    result = extract_bytes(data, "scans/letter.pdf")

    assert_read(result.text, PAGE_ONE + PAGE_TWO)
    assert "warehouse relocation is on schedule" in result.text  # spaces kept
    assert result.text.index("warehouse") < result.text.index("contracts")  # page order
    assert (result.extractor, result.mime_type) == ("rapidocr-onnxruntime", "application/pdf")
    meta = result.metadata
    assert meta["ocr_engine"] == "rapidocr-onnxruntime"
    assert meta["ocr_engine_version"] == result.extractor_version == "1.4.4"
    assert "ch_PP-OCRv4_rec_infer.onnx" in meta["ocr_models"]
    assert meta["ocr_pages"] == [1, 2]
    assert 0.8 <= meta["ocr_mean_confidence"] <= 1.0


@pytest.mark.parametrize(("kind", "name", "mime"), [("PNG", "memo.png", "image/png"),
                                                     ("JPEG", "memo.jpg", "image/jpeg")])  # fmt: skip
def test_an_image_is_read_by_ocr(font, kind: str, name: str, mime: str) -> None:
    page = scan(PAGE_ONE, font)
    data = image_bytes([page.convert("RGB") if kind == "JPEG" else page], kind)

    result = extract_bytes(data, name)

    assert_read(result.text, PAGE_ONE)
    assert result.text.splitlines()[0].startswith("The warehouse")  # reading order
    assert result.mime_type == mime


def test_every_page_of_a_tiff_is_read(font) -> None:
    data = image_bytes([scan(PAGE_ONE, font), scan(PAGE_TWO, font)], "TIFF")

    result = extract_bytes(data, "fax-0001")  # no suffix: the TIFF signature decides

    assert_read(result.text, PAGE_ONE + PAGE_TWO)
    assert (result.mime_type, result.metadata["pages"]) == ("image/tiff", 2)
    assert result.metadata["ocr_pages"] == [1, 2]


def test_a_scan_fed_in_upside_down_is_turned(font) -> None:
    data = image_bytes([scan(PAGE_TWO, font, turn=180)], "PNG")

    result = extract_bytes(data, "upside-down.png")

    assert_read(result.text, PAGE_TWO)


def test_auto_reads_only_the_pages_without_a_text_layer(font) -> None:
    import pypdf

    writer = pypdf.PdfWriter()
    writer.append(pypdf.PdfReader(io.BytesIO(samples.make_pdf("Quarterly revenue grew nine"))))
    writer.append(pypdf.PdfReader(io.BytesIO(image_pdf([scan(PAGE_TWO, font)]))))
    out = io.BytesIO()
    writer.write(out)

    result = extract_bytes(out.getvalue(), "mixed.pdf")

    assert result.text.startswith("Quarterly revenue grew nine")
    assert_read(result.text, PAGE_TWO)
    assert result.extractor == "pypdf+rapidocr-onnxruntime"
    assert result.metadata["ocr_pages"] == [2]


def test_force_reads_pages_that_have_a_text_layer() -> None:
    data = samples.make_pdf("Quarterly revenue grew nine percent")

    result = extract_bytes(data, "report.pdf", limits=ExtractLimits(ocr="force"))

    assert result.extractor == "rapidocr-onnxruntime"
    assert words(result.text) == ["quarterly", "revenue", "grew", "nine", "percent"]


def test_ocr_off_quarantines_scans_and_images(font) -> None:
    off = ExtractLimits(ocr="off")
    page = scan(PAGE_ONE, font)

    for data, name in [(image_pdf([page]), "scan.pdf"), (image_bytes([page], "PNG"), "a.png")]:
        with pytest.raises(ExtractionError) as caught:
            extract_bytes(data, name, limits=off)
        assert caught.value.reason == "ingest.needs_ocr"
        assert "ocr: auto" in str(caught.value)


def test_pages_below_the_confidence_floor_quarantine_the_document(font) -> None:
    strict = ExtractLimits(ocr_min_confidence=0.9999)

    with pytest.raises(ExtractionError) as caught:
        extract_bytes(image_bytes([scan(PAGE_ONE[:1], font)], "PNG"), "a.png", limits=strict)

    assert caught.value.reason == "ingest.ocr_low_confidence"
    assert "floor 1.00" in str(caught.value)


def test_documents_with_more_pages_to_read_than_the_limit_are_refused(font) -> None:
    data = image_pdf([scan(PAGE_ONE, font), scan(PAGE_TWO, font)])

    with pytest.raises(ExtractionError) as caught:
        extract_bytes(data, "long.pdf", limits=ExtractLimits(ocr_max_pages=1))

    assert caught.value.reason == "ingest.ocr_page_limit"
    assert "2 pages to OCR (limit 1," in str(caught.value)


def test_the_time_limit_grows_by_a_page_allowance_for_each_page_to_read() -> None:
    limits = ExtractLimits(timeout_s=30.0, ocr_page_timeout_s=12.5)

    result = [extraction_limit_s(limits, ocr_pages=pages) for pages in (0, 1, 8)]

    assert result == [30.0, 42.5, 130.0]
    assert extraction_limit_s(limits, ocr_pages=-3) == 30.0


def test_the_pages_to_read_are_announced_before_ocr_and_not_when_refused(font) -> None:
    """What a worker tells the pool, so the file's deadline grows before the first page."""
    from PIL import Image

    blank = Image.new("L", (320, 240), 255)
    heard: list[int] = []
    with listening_to_ocr_pages(heard.append):
        with pytest.raises(ExtractionError) as empty:
            extract_bytes(image_bytes([blank, blank], "TIFF"), "two.tiff")
        with pytest.raises(ExtractionError) as refused:
            extract_bytes(
                image_bytes([blank, blank], "TIFF"),
                "two.tiff",
                limits=ExtractLimits(ocr_max_pages=1),
            )
    announce_ocr_pages(5)  # nobody listens any more: nothing happens

    assert empty.value.reason == "ingest.empty"
    assert refused.value.reason == "ingest.ocr_page_limit"
    assert heard == [2]


def test_images_without_text_and_broken_or_huge_images_get_reasons() -> None:
    from PIL import Image

    blank = image_bytes([Image.new("RGB", (640, 480), "white")], "PNG")
    huge = image_bytes([Image.new("1", (12_000, 9_000), 1)], "PNG")
    cases = [
        (blank, "blank.png", "ingest.empty"),
        (blank[:60], "cut.png", "ingest.parse_error"),
        (huge, "poster.png", "ingest.too_large"),
    ]
    for data, name, reason in cases:
        with pytest.raises(ExtractionError) as caught:
            extract_bytes(data, name)
        assert caught.value.reason == reason, name


def test_image_formats_are_recognized_by_name_and_signature() -> None:
    assert detect_format("scans/page.TIFF") == "image"
    assert detect_format("photo.jpeg") == "image"
    assert detect_format("noname", b"\x89PNG\r\n\x1a\n....") == "image"
    assert detect_format("noname", b"\xff\xd8\xff\xe0") == "image"
    assert detect_format("logo.gif", b"GIF89a") is None


_OFFLINE_SCRIPT = """
import json, sys
from curation.ingest.extract.base import ExtractLimits
from curation.ingest.pool import ExtractionPool, Task
with ExtractionPool(1, limits=ExtractLimits()) as pool:
    [(task, outcome)] = list(pool.map([Task(sys.argv[1], "memo.png")]))
guard = sys.modules.get("sitecustomize")
print(json.dumps({
    "text": outcome.extracted and outcome.extracted.text,
    "reason": outcome.reason,
    "guard": getattr(guard, "__file__", None),
}))
"""


def test_ocr_runs_in_a_worker_with_every_connection_refused(font, tmp_path: Path) -> None:
    """The models come from the wheel: a worker under the egress guard reads and reaches out to
    nothing (its address-space cap holds the engine too)."""
    image = tmp_path / "memo.png"
    image.write_bytes(image_bytes([scan(PAGE_ONE, font)], "PNG"))
    log = tmp_path / "egress.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CURATE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(EGRESS_GUARD), str(REPO)])
    env["CURATE_EGRESS_LOG"] = str(log)

    result = subprocess.run(
        [sys.executable, "-c", _OFFLINE_SCRIPT, str(image)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["guard"] == str(EGRESS_GUARD / "sitecustomize.py")
    assert answer["reason"] is None
    assert_read(answer["text"], PAGE_ONE)
    assert not log.exists() or not log.read_text().strip()
