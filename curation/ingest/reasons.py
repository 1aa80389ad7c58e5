"""Ingest reason codes: why a file or row was quarantined instead of becoming a document.

Declared once so the ledger, tests and reports agree on the spelling.
"""

from __future__ import annotations

from enum import StrEnum


class IngestReason(StrEnum):
    """Quarantine reasons of the ingest stage (ledger `reason` column)."""

    UNSUPPORTED_FORMAT = "ingest.unsupported_format"
    TOO_LARGE = "ingest.too_large"
    EMPTY = "ingest.empty"
    BINARY_CONTENT = "ingest.binary_content"
    ENCODING_ERROR = "ingest.encoding_error"
    PARSE_ERROR = "ingest.parse_error"
    ARCHIVE_BOMB = "ingest.archive_bomb"
    XML_ENTITY = "ingest.xml_entity"
    TIMEOUT = "ingest.timeout"
    WORKER_CRASH = "ingest.worker_crash"
    SYMLINK_OUTSIDE = "ingest.symlink_outside"
    NOT_REGULAR_FILE = "ingest.not_regular_file"
    UNREADABLE = "ingest.unreadable"
    MISSING_FIELD = "ingest.missing_field"
    DUPLICATE_ID = "ingest.duplicate_id"
