"""Rows of extracted inputs, shared by the sources that extract files (folders, object stores).

A folder's file and an object-store object give the same rows: one per plain input, one per
member of a container (located under the container: `bundle.zip!/a.pdf`, `box.mbox#<id>`), and
one quarantined row for a container that failed as a whole. Only where the input lives differs
(a `file://` URI and an mtime, or an `s3://` URI with the object's ETag), so the callers pass
that in and this module builds the rows, keeping every source's accounting the same.

Every row of a container (each member, and the container's own row when it failed as a whole)
also names the container file and its stat (`ContainerStat`): a member's own size and time say
nothing about whether the file changed, so an incremental run compares the file's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from curation.ingest.reasons import IngestReason
from curation.ingest.records import CONTAINER_KEY, metadata_json
from curation.schema import make_doc_id

if TYPE_CHECKING:
    from curation.ingest.extract.containers import Member
    from curation.ingest.pool import Outcome
    from curation.ingest.records import BatchBuilder


@dataclass(frozen=True)
class ContainerStat:
    """A container file as the listing saw it: its own locator (relative path or key, which
    for a Maildir message is the message file, not the Maildir its members are located under)
    and what decides whether it changed (size and mtime, or ETag and size)."""

    locator: str
    size: int | None
    mtime_ns: int | None = None
    etag: str | None = None

    def __post_init__(self) -> None:
        # known inputs keep mtimes to the microsecond (the document schema's unit)
        if self.mtime_ns is not None:
            object.__setattr__(self, "mtime_ns", self.mtime_ns // 1000 * 1000)


def input_row(
    *,
    doc_id: str,
    source_uri: str,
    relative_path: str,
    sha256: str | None,
    size: int | None,
    modified_us: int | None,
    identity: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The provenance of one row, every other column empty.

    Every key is present on every row because a batch's columns are those of its first row.
    `identity` (an object's ETag and version id) is metadata even when the row is quarantined,
    so an incremental run can compare it.
    """
    return {
        "doc_id": doc_id,
        "source_uri": source_uri,
        "relative_path": relative_path,
        "content_sha256": sha256,
        "size_bytes": size,
        "modified_at": modified_us,
        "mime_type": None,
        "extractor": None,
        "extractor_version": None,
        "title": None,
        "author": None,
        "metadata_json": metadata_json(dict(identity or {})),
        "text": None,
    }


def add_result(
    builder: BatchBuilder,
    row: dict[str, Any],
    result: Outcome | Member,
    *,
    identity: Mapping[str, str] | None = None,
    extra: Mapping[str, str] | None = None,
    container: ContainerStat | None = None,
) -> None:
    """Add `row` as a document when `result` (a file's outcome or a member) was extracted,
    else as quarantined with its reason.

    The document's metadata is the extractor's, then `identity`, then `extra` (a member's link
    to its message), later keys winning. `container`: the file the row belongs to, when it is
    a container's (recorded beside the row, never in the document).
    """
    if container is not None:
        row[CONTAINER_KEY] = container
    extracted = result.extracted
    if extracted is None:
        builder.add_quarantined(
            row,
            result.reason or IngestReason.PARSE_ERROR.value,
            result.error_class or "",
            result.message or "",
        )
        return
    metadata = {**extracted.metadata, **(identity or {}), **(extra or {})}
    row.update(
        text=extracted.text,
        mime_type=extracted.mime_type,
        extractor=extracted.extractor,
        extractor_version=extracted.extractor_version,
        title=extracted.title,
        author=extracted.author,
        metadata_json=metadata_json(metadata),
    )
    builder.add_document(row)


def add_member(
    builder: BatchBuilder,
    member: Member,
    *,
    source_id: str,
    container: str,
    container_uri: str,
    uri_suffix: str,
    modified_us: int | None,
    stat: ContainerStat,
    identity: Mapping[str, str] | None = None,
) -> None:
    """One member's row: located under its container (`container`, the container's relative
    path, and `container_uri`, its URI, extended by `uri_suffix`), hashed and sized as the
    member itself; `modified_us` stands in when the member has no time of its own. `stat` is
    the container file's, recorded so an unchanged file is not opened again."""
    locator = container + member.locator
    row = input_row(
        doc_id=make_doc_id(source_id, locator),
        source_uri=container_uri + uri_suffix,
        relative_path=locator,
        sha256=member.sha256,
        size=member.size,
        modified_us=member.modified_us if member.modified_us is not None else modified_us,
        identity=identity,
    )
    extra = None
    if member.message_locator is not None:
        extra = {"message_doc_id": make_doc_id(source_id, container + member.message_locator)}
    add_result(builder, row, member, identity=identity, extra=extra, container=stat)


def container_failure(outcome: Outcome) -> Outcome:
    """The quarantined outcome of a container that failed as a whole, or (defensively) held
    nothing and said nothing: the container itself then gets one row, so its bytes are
    accounted for."""
    from curation.ingest.pool import Outcome

    if outcome.reason is not None:
        return Outcome(
            None, outcome.sha256, outcome.size, outcome.reason, outcome.message, outcome.error_class
        )
    return Outcome(
        None,
        outcome.sha256,
        outcome.size,
        IngestReason.EMPTY.value,
        "the container holds no files or messages",
        "ExtractionError",
    )
