"""PII removal: Presidio recognizers, a fast batched engine, and the stage over Arrow batches.

Public entry points: `PiiConfig` (the spec's `pii` section), `redact_documents` (the stage),
`redact_texts` (plain strings), `build_analyzer` (a stock offline Presidio `AnalyzerEngine` with
the same recognizers). Heavy libraries (spaCy, Presidio) load on first use, not on import.
"""

from __future__ import annotations

from typing import Any

from curation.pii.config import CustomRecognizer, PiiConfig
from curation.pii.entities import SUPPORTED_ENTITIES
from curation.pii.reasons import PiiReason

__all__ = [
    "SUPPORTED_ENTITIES",
    "CustomRecognizer",
    "PiiConfig",
    "PiiReason",
    "build_analyzer",
    "redact_documents",
    "redact_texts",
]


def __getattr__(name: str) -> Any:
    if name in ("redact_documents", "redact_texts"):
        from curation.pii import stage

        return getattr(stage, name)
    if name == "build_analyzer":
        from curation.pii.engine import build_analyzer

        return build_analyzer
    raise AttributeError(name)
