"""Offline OCR of page images with rapidocr (PP-OCRv4 ONNX models shipped in its wheel).

The recognizer loses the spaces between words depending on how a line is presented to it.
Measured on English, German and French lines in two fonts, 9-12 pt scanned at 100-300 dpi:
lines cut from the page at the scan's own resolution and scaled (cubic) to 56 px kept their
spaces; lines of ~16-28 px, blurred lines, lines enlarged by pdfium and JPEG-compressed scans
often came back as one run-together word; an Otsu-binarized copy of such a line mostly did
not. So a page is read in two passes: detect the lines at a modest resolution and measure
their height, draw the page again so the median line is `LINE_PX` high (never finer than a
scan's own pixels), cut each line out and scale it to exactly `LINE_PX`, recognize. A line
whose words look run together is read again in the other `READINGS` and the reading with the
fewest such words is kept.

The engine is built once per process (about a second) and reused for every page.
rapidocr's stages (`text_det`, `text_rec`) are called one by one because its all-in-one call
shrinks any image above 2000 px, which undoes the scaling above; those attributes belong to
the pinned `rapidocr-onnxruntime==1.4.4`.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from curation.exceptions import ExtractionError
from curation.ingest.extract.base import announce_ocr_pages, library_version
from curation.ingest.reasons import IngestReason

ENGINE = "rapidocr-onnxruntime"
# Recognition line height: every crop is scaled to this many pixels (see the module docstring).
LINE_PX = 56
# How a line crop is prepared: (height in px, binarized); the first for every line, the others
# in turn for a line whose words came back run together. Binarizing every line first read
# fewer lines exactly on lossless scans (120 of 128 against 127), so it is only a retry.
READINGS: tuple[tuple[int, bool], ...] = ((LINE_PX, False), (LINE_PX, True), (72, False))
# Detection works on a page whose long side is about this many pixels (cost grows with area);
# pages whose lines then measure outside DETECT_RANGE_PX are detected once more at DETECT_LINE_PX.
DETECT_LONG_SIDE_PX = 1600
DETECT_LINE_PX = 32
DETECT_RANGE_PX = (14.0, 96.0)
# Detection may enlarge a bitmap this much at most (small type in a small image).
MAX_DETECT_UPSCALE = 4.0
# A rendered page may hold at most this many pixels (~120 MB as 8-bit RGB).
MAX_RENDER_PIXELS = 40_000_000
# rapidocr's own default: a line read with a lower score is noise, not text.
MIN_LINE_SCORE = 0.5
# A word of this many Latin letters is probably several words whose spaces were lost.
RUN_TOGETHER_LETTERS = 16


class PageImage(Protocol):
    """A page that can be drawn at any scale as a BGR uint8 array (height x width x 3)."""

    width: float
    height: float
    # Beyond this scale drawing adds no detail (a bitmap's own pixels); None for vector pages.
    max_scale: float | None

    def render(self, scale: float) -> np.ndarray: ...


@dataclass(frozen=True)
class Line:
    """One recognized line with its box in the recognition image's pixels."""

    text: str
    score: float
    left: float
    top: float
    bottom: float


@dataclass(frozen=True)
class PageText:
    """What OCR read on one page; `confidence` is None when no line was found.

    `boxes` counts the text lines detected, `tall` those standing upright (a page on its side).
    """

    text: str
    confidence: float | None
    lines: int
    boxes: int = 0
    tall: int = 0


@dataclass
class OcrRun:
    """The pages of one document read by OCR: kept texts and the pages below the floor."""

    min_confidence: float
    texts: dict[int, str] = field(default_factory=dict)
    confidences: dict[int, float] = field(default_factory=dict)
    low_confidence: dict[int, float] = field(default_factory=dict)
    chars: dict[int, int] = field(default_factory=dict)

    def add(self, index: int, page: PageText) -> None:
        """Keep a page's text unless its confidence is below the floor (then only record it)."""
        if page.confidence is None or not page.text.strip():
            return
        if page.confidence < self.min_confidence:
            self.low_confidence[index] = page.confidence
            return
        self.texts[index] = page.text
        self.confidences[index] = page.confidence
        self.chars[index] = len(page.text)

    @property
    def mean_confidence(self) -> float | None:
        """Mean confidence of the kept pages, weighted by their characters."""
        total = sum(self.chars.values())
        if not total:
            return None
        return sum(self.confidences[i] * n for i, n in self.chars.items()) / total

    def require_usable(self, what: str) -> None:
        """Quarantine a document whose every page with text was below the confidence floor."""
        if self.texts or not self.low_confidence:
            return
        best = max(self.low_confidence.values())
        raise ExtractionError(
            IngestReason.OCR_LOW_CONFIDENCE,
            f"{what}: OCR read {len(self.low_confidence)} page(s), best mean confidence "
            f"{best:.2f} (floor {self.min_confidence:.2f}): the scan is too poor to train on; "
            "rescan it or lower ocr_min_confidence",
        )

    def metadata(self) -> dict[str, Any]:
        """Engine, models and confidence for the document's metadata (page numbers from 1)."""
        values: dict[str, Any] = dict(engine_info())
        mean = self.mean_confidence
        if mean is not None:
            values["ocr_mean_confidence"] = round(mean, 4)
        values["ocr_min_confidence"] = self.min_confidence
        values["ocr_pages"] = sorted(i + 1 for i in self.texts)
        if self.low_confidence:
            values["ocr_pages_low_confidence"] = sorted(i + 1 for i in self.low_confidence)
        return values


def check_page_count(count: int, *, max_pages: int, what: str) -> None:
    """Refuse a document with more pages to OCR than the source allows, before any OCR;
    otherwise announce the pages, so a worker's time limit grows by their allowance."""
    if count > max_pages:
        raise ExtractionError(
            IngestReason.OCR_PAGE_LIMIT,
            f"{what} has {count} pages to OCR (limit {max_pages}, a few seconds each): raise "
            "ocr_max_pages for this source, or set ocr: off",
        )
    announce_ocr_pages(count)


def read_pages(
    pages: Iterable[tuple[int, PageImage]], *, min_confidence: float, what: str
) -> OcrRun:
    """OCR each `(index, page)`; pages below `min_confidence` are recorded but not kept."""
    run = OcrRun(min_confidence=min_confidence)
    engine = load_engine(what)
    for index, page in pages:
        run.add(index, read_upright(engine, page, min_confidence=min_confidence))
    return run


def read_upright(engine: Any, page: PageImage, *, min_confidence: float) -> PageText:
    """Read a page; when lines were found but not read well, try it turned.

    A page scanned upside down reads as garbage (measured mean confidence 0.53), one on its
    side as nothing, so only such pages pay for a second or third reading: turned half way,
    or a quarter both ways when most detected lines stand upright.
    """
    best = read_page(engine, page)
    if not best.boxes or (best.confidence or 0.0) >= min_confidence:
        return best
    turns = (1, 3) if best.tall * 2 > best.boxes else (2,)
    for quarter_turns in turns:
        turned = read_page(engine, _Turned(page, quarter_turns))
        if (turned.confidence or 0.0) > (best.confidence or 0.0):
            best = turned
        if (best.confidence or 0.0) >= min_confidence:
            break
    return best


def read_page(engine: Any, page: PageImage) -> PageText:
    """Detect, measure, rescale and recognize the lines of one page."""
    scale = _fit_scale(page, DETECT_LONG_SIDE_PX / max(page.width, page.height, 1.0), detail=False)
    image = page.render(scale)
    boxes = _detect(engine, image)
    if not boxes:
        return PageText("", None, 0)
    found = len(boxes)
    tall = sum(1 for box in boxes if np.ptp(box[:, 1]) > 1.5 * np.ptp(box[:, 0]))
    height = _median_height(boxes)
    if not DETECT_RANGE_PX[0] <= height <= DETECT_RANGE_PX[1]:
        rescaled = _fit_scale(page, scale * DETECT_LINE_PX / height, detail=False)
        if abs(rescaled - scale) / scale > 0.1:
            retry_image = page.render(rescaled)
            retry_boxes = _detect(engine, retry_image)
            if retry_boxes:
                scale, image, boxes = rescaled, retry_image, retry_boxes
                height = _median_height(boxes)
    rec_scale = _fit_scale(page, scale * LINE_PX / height, detail=True)
    if abs(rec_scale - scale) / scale > 0.05:
        factor = rec_scale / scale
        image = page.render(rec_scale)
        boxes = [(box * factor).astype(np.float32) for box in boxes]
    boxes = [box for box in boxes if min(np.ptp(box, axis=0)) >= 2.0]
    if not boxes:
        return PageText("", None, 0, found, tall)
    # rapidocr's 180-degree line classifier is left out: it squeezes a line into 192x48 px
    # and flipped a quarter of the upright lines of a measured 300 dpi page into garbage.
    crops = engine.get_crop_img_list(image, boxes)
    lines = _recognize(engine, crops, boxes)
    if not lines:
        return PageText("", None, 0, found, tall)
    chars = sum(len(line.text) for line in lines)
    confidence = sum(line.score * len(line.text) for line in lines) / chars
    return PageText(join_lines(lines), confidence, len(lines), found, tall)


def _recognize(engine: Any, crops: list[np.ndarray], boxes: list[np.ndarray]) -> list[Line]:
    """Recognize every crop as READINGS[0]; lines with run-together words try the others."""
    height, binarize = READINGS[0]
    results = _rec_at(engine, crops, height, binarize=binarize)
    suspect = {i: run_together(text) for i, (text, _) in enumerate(results)}
    suspect = {i: count for i, count in suspect.items() if count}
    for height, binarize in READINGS[1:]:
        if not suspect:
            break
        indexes = list(suspect)
        retried = _rec_at(engine, [crops[i] for i in indexes], height, binarize=binarize)
        for i, (text, score) in zip(indexes, retried, strict=True):
            count = run_together(text)
            if count < suspect[i] and score >= MIN_LINE_SCORE:
                results[i] = (text, score)
                suspect[i] = count
            if not suspect[i]:
                del suspect[i]
    lines = []
    for (text, score), box in zip(results, boxes, strict=True):
        text = " ".join(text.split())
        if text and score >= MIN_LINE_SCORE:
            points = np.asarray(box)
            lines.append(
                Line(
                    text=text,
                    score=float(score),
                    left=float(points[:, 0].min()),
                    top=float(points[:, 1].min()),
                    bottom=float(points[:, 1].max()),
                )
            )
    return lines


def _rec_at(
    engine: Any, crops: list[np.ndarray], height: int, *, binarize: bool
) -> list[tuple[str, float]]:
    import cv2

    prepared = []
    for crop in crops:
        h, w = crop.shape[:2]
        width = max(1, round(w * height / max(h, 1)))
        interpolation = cv2.INTER_AREA if height < h else cv2.INTER_CUBIC
        line = cv2.resize(crop, (width, height), interpolation=interpolation)
        if binarize:
            gray = cv2.cvtColor(line, cv2.COLOR_BGR2GRAY)
            _, black_white = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
            line = cv2.cvtColor(black_white, cv2.COLOR_GRAY2BGR)
        prepared.append(line)
    results, _ = engine.text_rec(prepared)
    return [(str(text), float(score)) for text, score in results]


def run_together(text: str) -> int:
    """How many words of a line look like several run together (spaces the recognizer lost).

    A word of RUN_TOGETHER_LETTERS or more Latin letters counts: English and French words
    rarely reach 16 letters, German compounds do, and then the line is only read once more.

    Examples
    --------
    >>> run_together("Thewarehouserelocation is onschedule")
    1
    >>> run_together("The warehouse relocation is on schedule")
    0
    >>> run_together("Die Rechnung nach der Datenschutzgrundverordnung")
    1
    """
    count = 0
    for word in text.split():
        letters = sum(1 for c in word if c.isalpha() and ord(c) < 0x250)
        if letters >= RUN_TOGETHER_LETTERS:
            count += 1
    return count


def join_lines(lines: list[Line]) -> str:
    """Lines in reading order: bands top to bottom, left to right within a band.

    Boxes whose vertical centres lie within half a line height of a band's centre form one
    band (words the detector split apart, table cells); a gap of more than one line height
    between bands starts a new paragraph.

    Examples
    --------
    >>> join_lines([Line("world", 0.9, 60, 0, 20), Line("Hello", 0.9, 0, 1, 21),
    ...             Line("Next", 0.9, 0, 60, 80)])
    'Hello world\\n\\nNext'
    """
    bands: list[list[Line]] = []
    for line in sorted(lines, key=lambda item: (item.top + item.bottom) / 2):
        centre = (line.top + line.bottom) / 2
        if bands:
            band = bands[-1]
            band_centre = statistics.fmean((b.top + b.bottom) / 2 for b in band)
            band_height = min(b.bottom - b.top for b in band)
            if abs(centre - band_centre) <= 0.5 * min(band_height, line.bottom - line.top):
                band.append(line)
                continue
        bands.append([line])
    parts: list[str] = []
    previous: list[Line] | None = None
    for band in bands:
        text = " ".join(item.text for item in sorted(band, key=lambda item: item.left))
        if previous is not None:
            gap = min(b.top for b in band) - max(b.bottom for b in previous)
            height = statistics.median(b.bottom - b.top for b in band)
            parts.append("\n\n" if gap > height else "\n")
        parts.append(text)
        previous = band
    return "".join(parts)


def _detect(engine: Any, image: np.ndarray) -> list[np.ndarray]:
    boxes, _ = engine.text_det(image)
    if boxes is None or len(boxes) == 0:
        return []
    return list(engine.sorted_boxes(boxes))


def _median_height(boxes: list[np.ndarray]) -> float:
    heights = [float(np.asarray(b)[:, 1].max() - np.asarray(b)[:, 1].min()) for b in boxes]
    return max(statistics.median(heights), 1.0)


def _fit_scale(page: PageImage, scale: float, *, detail: bool) -> float:
    """`scale` within the pixel budget; with `detail`, also no finer than the page's own pixels.

    Detection may enlarge a bitmap (small type is found more reliably); recognition never
    needs to, because each line crop is scaled to LINE_PX on its own.
    """
    if page.max_scale is not None:
        scale = min(scale, page.max_scale * (1.0 if detail else MAX_DETECT_UPSCALE))
    area = max(page.width * page.height, 1.0)
    return max(min(scale, (MAX_RENDER_PIXELS / area) ** 0.5), 1e-3)


def load_engine(what: str = "this file") -> Any:
    """The process's OCR engine; a broken installation quarantines the file with a reason."""
    try:
        return _engine()
    except Exception as error:  # noqa: BLE001 - onnxruntime and rapidocr raise their own types
        raise ExtractionError(
            IngestReason.NEEDS_OCR,
            f"{what} needs OCR but the OCR engine could not be loaded "
            f"({type(error).__name__}: {str(error)[:200]}): reinstall {ENGINE} from uv.lock",
        ) from error


@cache
def _engine() -> Any:
    from rapidocr_onnxruntime import RapidOCR

    # One thread per engine: measured on 2 cores, two threads spent 1.7x the CPU time of one
    # for the same page, and extraction already runs one worker process per core. One line
    # per recognizer call: batches of 6 (the default) took 1.25x the time on a dense page,
    # batches of 16 four times as long.
    return RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1, rec_batch_num=1)


@cache
def engine_info() -> dict[str, Any]:
    """OCR engine, its version, the ONNX runtime and the model files the engine loads."""
    return {
        "ocr_engine": ENGINE,
        "ocr_engine_version": library_version(ENGINE),
        "ocr_runtime": f"onnxruntime {library_version('onnxruntime')}",
        "ocr_models": _model_names(),
    }


def _model_names() -> list[str]:
    try:
        from rapidocr_onnxruntime.main import DEFAULT_CFG_PATH
        from rapidocr_onnxruntime.utils import read_yaml

        config = read_yaml(str(DEFAULT_CFG_PATH))
        return [Path(config[stage]["model_path"]).name for stage in ("Det", "Rec")]
    except Exception:  # noqa: BLE001 - metadata only: the engine itself reports real failures
        return []


class ArrayPage:
    """A bitmap page (a scanned image): drawn by resampling, never beyond its own pixels."""

    def __init__(self, pixels: np.ndarray) -> None:
        self.pixels = pixels
        self.height, self.width = (float(n) for n in pixels.shape[:2])
        self.max_scale: float | None = 1.0

    def render(self, scale: float) -> np.ndarray:
        import cv2

        if abs(scale - 1.0) < 1e-6:
            return self.pixels
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        return cv2.resize(self.pixels, None, fx=scale, fy=scale, interpolation=interpolation)


class _Turned:
    """A page turned by quarter turns counter-clockwise (a scan fed in sideways or upside down)."""

    def __init__(self, page: PageImage, quarter_turns: int) -> None:
        self.page = page
        self.quarter_turns = quarter_turns
        sideways = quarter_turns % 2 == 1
        self.width = page.height if sideways else page.width
        self.height = page.width if sideways else page.height
        self.max_scale = page.max_scale

    def render(self, scale: float) -> np.ndarray:
        return np.ascontiguousarray(np.rot90(self.page.render(scale), self.quarter_turns))
