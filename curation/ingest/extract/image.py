"""Images (PNG, JPEG, TIFF with any number of pages): their text, read by OCR.

A scanned letter, a photographed whiteboard or a fax saved as TIFF holds text only as pixels.
Each frame is turned upright (EXIF orientation), flattened onto white and read by
`extract/ocr.py`; frames below the confidence floor are left out.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

from curation.exceptions import ExtractionError
from curation.ingest.extract.base import Extracted, ExtractLimits, parse_error, require_text
from curation.ingest.reasons import IngestReason

if TYPE_CHECKING:
    from PIL.Image import Image as PilImage

    from curation.ingest.extract.ocr import PageImage

# Larger images are refused before decoding: 100 MP is a 300 dpi A0 scan, ~300 MB as RGB.
MAX_IMAGE_PIXELS = 100_000_000
_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "MPO": "image/jpeg", "TIFF": "image/tiff"}


def extract_image(data: bytes, *, what: str, limits: ExtractLimits) -> Extracted:
    """OCR every frame of an image; `ocr: off` quarantines it as `ingest.needs_ocr`."""
    if limits.ocr == "off":
        raise ExtractionError(
            IngestReason.NEEDS_OCR,
            f"{what} is an image: its text can only be read by OCR, which is off for this "
            "source (set ocr: auto to read it, or exclude images)",
        )
    from PIL import Image

    try:
        with warnings.catch_warnings():
            # Pillow warns from 89 MP on; the size is checked against our own limit below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
        width, height = image.size
        frames = getattr(image, "n_frames", 1)
        kind = image.format or ""
    except Image.DecompressionBombError as error:
        raise _too_large(what, str(error)) from error
    except Exception as error:  # Pillow raises many types on malformed images
        raise parse_error(error, what) from error
    if width * height > MAX_IMAGE_PIXELS:
        raise _too_large(what, f"{width}x{height} pixels")
    from curation.ingest.extract import ocr

    ocr.check_page_count(frames, max_pages=limits.ocr_max_pages, what=what)
    run = ocr.read_pages(
        _pages(image, frames, what), min_confidence=limits.ocr_min_confidence, what=what
    )
    run.require_usable(what)
    text = require_text("\n\n".join(run.texts[i] for i in sorted(run.texts)), what)
    metadata = {"pages": frames, "width": width, "height": height, **run.metadata()}
    return Extracted(
        text=text,
        mime_type=_MIME.get(kind, "application/octet-stream"),
        extractor=ocr.ENGINE,
        extractor_version=str(metadata["ocr_engine_version"]),
        metadata=metadata,
    )


def _pages(image: PilImage, frames: int, what: str) -> Iterator[tuple[int, PageImage]]:
    """Each frame as an upright RGB page, decoded only when its turn comes."""
    import numpy as np
    from PIL import Image, ImageOps

    from curation.ingest.extract.ocr import ArrayPage

    for index in range(frames):
        try:
            image.seek(index)
            frame = ImageOps.exif_transpose(image)
            if frame.mode in {"RGBA", "LA", "PA"} or "transparency" in frame.info:
                rgba = frame.convert("RGBA")
                frame = Image.new("RGB", rgba.size, "white")
                frame.paste(rgba, mask=rgba.getchannel("A"))
            pixels = np.asarray(frame.convert("RGB"))[:, :, ::-1]  # the engine reads BGR
        except Exception as error:  # Pillow decodes lazily: a broken frame fails here
            raise parse_error(error, f"{what} (page {index + 1})") from error
        yield index, ArrayPage(np.ascontiguousarray(pixels))


def _too_large(what: str, size: str) -> ExtractionError:
    return ExtractionError(
        IngestReason.TOO_LARGE,
        f"{what} is too large an image to OCR ({size}; limit {MAX_IMAGE_PIXELS:,} pixels): "
        "scale it down or exclude it",
    )
