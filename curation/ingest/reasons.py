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
    NEEDS_OCR = "ingest.needs_ocr"
    OCR_LOW_CONFIDENCE = "ingest.ocr_low_confidence"
    OCR_PAGE_LIMIT = "ingest.ocr_page_limit"
    BINARY_CONTENT = "ingest.binary_content"
    ENCODING_ERROR = "ingest.encoding_error"
    PARSE_ERROR = "ingest.parse_error"
    ARCHIVE_BOMB = "ingest.archive_bomb"
    ARCHIVE_TOO_LARGE = "ingest.archive_too_large"
    ARCHIVE_TOO_MANY_MEMBERS = "ingest.archive_too_many_members"
    ARCHIVE_TOO_DEEP = "ingest.archive_too_deep"
    UNSAFE_MEMBER_PATH = "ingest.unsafe_member_path"
    ENCRYPTED = "ingest.encrypted"
    XML_ENTITY = "ingest.xml_entity"
    TIMEOUT = "ingest.timeout"
    WORKER_CRASH = "ingest.worker_crash"
    SYMLINK_OUTSIDE = "ingest.symlink_outside"
    SYMLINK_LOOP = "ingest.symlink_loop"
    SYMLINK_FOLDER = "ingest.symlink_folder"
    MAILDIR_TMP = "ingest.maildir_tmp"
    NOT_REGULAR_FILE = "ingest.not_regular_file"
    UNREADABLE = "ingest.unreadable"
    MISSING_FIELD = "ingest.missing_field"
    DUPLICATE_ID = "ingest.duplicate_id"
