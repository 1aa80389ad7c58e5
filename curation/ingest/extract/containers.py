"""Containers: files whose members are the documents (archives, mailboxes, e-mails).

A container is not a document itself; each member is, with a locator that extends the
container's path: `bundle.zip!/docs/a.pdf`, `bundle.zip!/inner.zip!/b.txt`,
`box.mbox#<message-id>` (a message), `box.mbox#<message-id>/report.pdf` (its attachment).
An .eml file is a mailbox of one (`mail/1.eml#<message-id>`, `mail/1.eml#<message-id>/a.csv`),
so a message has the same locator form wherever it is stored, and no member's locator is the
container file's own path. A message without a Message-ID is located by `sha256-<16 hex>` of
its bytes. A Maildir message is located by the Maildir's unique name of its file
(`Mail#1725000000.M1P1.host`), which is stable and never repeats. Members are extracted by the
extractor of their own type, in memory.

Accounting: every member yields one `Member`, a document or a refusal with a reason. A
container that cannot be opened, holds nothing, or stops part-way (a limit met while
streaming) raises `ExtractionError` after the members it did yield, so the caller quarantines
the container itself: every input reaches the ledger, and nothing is counted twice. A nested
container that fails becomes one refused member at its own locator.

Depth: the file is depth 1; an archive or attached/forwarded message inside it is depth 2; a
container at depth 3 is refused (`ingest.archive_too_deep`). The messages of an mbox are the
mbox's own level, so a zip attached to one of them is still read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from urllib.parse import quote

from curation.exceptions import ExtractionError
from curation.ingest.extract.base import Extracted, ExtractLimits
from curation.ingest.extract.bundle import (
    Budget,
    check_limits,
    gzip_member,
    tar_members,
    zip_members,
)
from curation.ingest.extract.mailbox import looks_like_mbox, mbox_messages
from curation.ingest.reasons import IngestReason

ARCHIVES = ("zip", "tar", "gzip")
_TAR_SUFFIXES = {"tgz", "tbz", "tbz2", "txz"}
_COMPRESSED = {"gz", "bz2", "xz"}
_HEAD = 8192


@dataclass(frozen=True)
class Member:
    """One document found in a container, or why it could not be read.

    `locator` extends the container file's relative path (raw names, for `relative_path` and
    the doc id); `uri_suffix` is the same, percent-encoded, for `source_uri`. `message_locator`
    links an attachment (or a member of an attached archive) to its message.
    """

    locator: str
    uri_suffix: str
    extracted: Extracted | None
    sha256: str | None
    size: int | None
    modified_us: int | None = None
    message_locator: str | None = None
    reason: str | None = None
    message: str | None = None
    error_class: str | None = None


def container_kind(name: str, head: bytes = b"") -> str | None:
    """`zip`, `tar`, `gzip`, `mbox` or `eml` for a container file, else None.

    By suffix first; a file without a known suffix is sniffed (gzip and tar magic, an mbox
    From_ line). A zip without a suffix is left alone: it may be a DOCX without its name.

    Examples
    --------
    >>> [container_kind(n) for n in ("a.zip", "a.tar.gz", "a.tgz", "notes.txt.gz", "box.mbox")]
    ['zip', 'tar', 'tar', 'gzip', 'mbox']
    >>> container_kind("report.docx") is None
    True
    """
    suffixes = [s.lstrip(".").lower() for s in PurePosixPath(name).suffixes][-2:]
    last = suffixes[-1] if suffixes else ""
    if last == "zip":
        return "zip"
    if last == "tar" or last in _TAR_SUFFIXES:
        return "tar"
    if last in _COMPRESSED and len(suffixes) == 2 and suffixes[0] == "tar":
        return "tar"
    if last == "gz":
        return "gzip"
    if last in {"mbox", "mbx"}:
        return "mbox"
    if last == "eml":
        return "eml"
    from curation.ingest.extract import FAMILIES, KNOWN_BINARY_SUFFIXES

    if last in FAMILIES or last in KNOWN_BINARY_SUFFIXES:
        return None
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head[257:262] == b"ustar":
        return "tar"
    if looks_like_mbox(head):
        return "mbox"
    return None


def expand(
    data: bytes, name: str, *, kind: str, limits: ExtractLimits, key: str | None = None
) -> Iterator[Member]:
    """Every member of the container `data` (a file called `name`), depth first, in order.

    `kind` is `container_kind`'s answer, or `maildir` for one message file of a Maildir
    (`key`: its unique name, which locates the message).
    Raises `ExtractionError` when the container as a whole fails (see the module docstring).
    """
    expander = _Expander(name, limits)
    yield from expander.container(data, name, kind, _Place("", ""), depth=1, maildir_key=key)


@dataclass(frozen=True)
class _Place:
    """Where a member sits, relative to the container file: raw and URI-encoded."""

    locator: str
    uri: str

    def child(self, separator: str, name: str, *, safe: str) -> _Place:
        return _Place(self.locator + separator + name, self.uri + separator + quote(name, safe))


class _Expander:
    """One container tree: its shared budget and the locators it has used."""

    def __init__(self, name: str, limits: ExtractLimits) -> None:
        self.name = name
        self.limits = limits
        self.budget = Budget(limits)
        self.used: set[str] = set()

    def what(self, place: _Place) -> str:
        return repr(self.name + place.locator)

    def unique(self, place: _Place) -> _Place:
        """`place`, or `place~2`, `~3`... when a member of the same name came before."""
        candidate, n = place, 1
        while candidate.locator in self.used:
            n += 1
            candidate = _Place(f"{place.locator}~{n}", f"{place.uri}~{n}")
        self.used.add(candidate.locator)
        return candidate

    def container(
        self,
        data: bytes,
        name: str,
        kind: str,
        place: _Place,
        *,
        depth: int,
        modified_us: int | None = None,
        message_locator: str | None = None,
        maildir_key: str | None = None,
    ) -> Iterator[Member]:
        what = self.what(place)
        count = 0
        if kind in ARCHIVES:
            for member in self._archive(
                data, name, kind, place, depth, modified_us, message_locator
            ):
                count += 1
                yield member
        elif kind == "mbox":
            for raw in mbox_messages(data, what=what):
                for member in self._message(raw, place, "mbox", depth, modified_us, None, None):
                    count += 1
                    yield member
        else:  # one message: an .eml file, a Maildir file, or an attached message
            for member in self._message(
                data, place, kind, depth, modified_us, message_locator, maildir_key
            ):
                count += 1
                yield member
        if count == 0:
            raise ExtractionError(IngestReason.EMPTY, f"{what} holds no files or messages")

    def _archive(
        self,
        data: bytes,
        name: str,
        kind: str,
        place: _Place,
        depth: int,
        modified_us: int | None,
        message_locator: str | None,
    ) -> Iterator[Member]:
        what = self.what(place)
        if kind == "zip":
            members = zip_members(data, what=what, budget=self.budget)
        elif kind == "tar":
            members = tar_members(data, what=what, budget=self.budget)
        else:
            inner = PurePosixPath(name).name
            inner = inner[:-3] if inner.lower().endswith(".gz") else inner
            members = gzip_member(data, name=inner, what=what, budget=self.budget)
        for raw in members:
            child = self.unique(place.child("!/", raw.name, safe="/"))
            when = raw.modified_us or modified_us
            if raw.data is None:
                yield self._refused(
                    child, raw.reason or IngestReason.PARSE_ERROR, raw.message, when
                )
            else:
                yield from self._leaf(raw.data, raw.name, child, depth, when, message_locator, kind)

    def _message(
        self,
        raw: bytes,
        place: _Place,
        kind: str,
        depth: int,
        modified_us: int | None,
        message_locator: str | None,
        maildir_key: str | None,
    ) -> Iterator[Member]:
        """One message document, then each attachment as its own document."""
        from curation.ingest.extract.mail import (
            extract_message,
            iter_attachments,
            message_date_us,
            message_id,
            parse_message,
        )

        self.budget.take_member(self.what(place))
        label = kind
        digest = hashlib.sha256(raw).hexdigest()
        fallback = f"sha256-{digest[:16]}"
        try:
            message = parse_message(raw, what=self.what(place))
        except ExtractionError as error:
            at = self.unique(place.child("#", maildir_key or fallback, safe="@"))
            yield self._failed(at, error, raw, modified_us, message_locator)
            return
        # A Maildir names each message file uniquely and for good (flags and the move from new
        # to cur change only the `:2,` part): that name, not the Message-ID, which repeats
        # when a message is delivered twice, locates it without looking at the other files.
        key = maildir_key or message_id(message) or fallback
        at = self.unique(place.child("#", key, safe="@"))
        when = modified_us if kind != "mbox" else (message_date_us(message) or modified_us)
        try:
            extracted = extract_message(message, what=self.what(at))
        except ExtractionError as error:
            yield self._failed(at, error, raw, when, message_locator)
        else:
            yield Member(
                at.locator,
                at.uri,
                _with_container(extracted, label),
                digest,
                len(raw),
                when,
                message_locator,
            )
        try:
            attachments = list(iter_attachments(message))
        except Exception as error:  # the email package raises many types on malformed MIME
            broken = self.unique(at.child("/", "attachments", safe=""))
            yield self._failed(broken, ExtractionError(IngestReason.PARSE_ERROR, str(error)), b"")
            return
        for attachment in attachments:
            child = self.unique(at.child("/", attachment.name, safe="@"))
            if attachment.is_message:  # counted as a member by its own `_message`
                yield from self._nested(
                    attachment.data, attachment.name, "eml", child, depth, when, at.locator
                )
            else:
                self.budget.take_member(self.what(child))
                yield from self._leaf(
                    attachment.data, attachment.name, child, depth, when, at.locator, "message"
                )

    def _leaf(
        self,
        data: bytes,
        name: str,
        place: _Place,
        depth: int,
        modified_us: int | None,
        message_locator: str | None,
        label: str,
    ) -> Iterator[Member]:
        """A member that is a document, or a container one level down; `label` names what it
        was found in (zip, tar, gzip, message)."""
        kind = container_kind(name, data[:_HEAD])
        if kind is not None:
            yield from self._nested(data, name, kind, place, depth, modified_us, message_locator)
            return
        from curation.ingest.extract import extract_bytes

        digest, size = hashlib.sha256(data).hexdigest(), len(data)
        try:
            extracted = extract_bytes(data, name, limits=self.limits, what=self.what(place))
        except ExtractionError as error:
            yield self._failed(place, error, data, modified_us, message_locator)
            return
        except Exception as error:  # a parser bug or MemoryError: this member, not the rest
            failure = ExtractionError(
                IngestReason.PARSE_ERROR,
                f"{self.what(place)}: {type(error).__name__}: {str(error)[:200]}",
            )
            failure.__cause__ = error
            yield self._failed(place, failure, data, modified_us, message_locator)
            return
        yield Member(
            place.locator,
            place.uri,
            _with_container(extracted, label),
            digest,
            size,
            modified_us,
            message_locator,
        )

    def _nested(
        self,
        data: bytes,
        name: str,
        kind: str,
        place: _Place,
        depth: int,
        modified_us: int | None,
        message_locator: str | None,
    ) -> Iterator[Member]:
        try:
            check_limits(self.limits, self.what(place), depth=depth + 1, kind=kind)
            yield from self.container(
                data,
                name,
                kind,
                place,
                depth=depth + 1,
                modified_us=modified_us,
                message_locator=message_locator,
            )
        except ExtractionError as error:
            yield self._failed(place, error, data, modified_us, message_locator)

    def _failed(
        self,
        place: _Place,
        error: ExtractionError,
        data: bytes,
        modified_us: int | None = None,
        message_locator: str | None = None,
    ) -> Member:
        cause = error.__cause__
        return Member(
            place.locator,
            place.uri,
            None,
            hashlib.sha256(data).hexdigest() if data else None,
            len(data) if data else None,
            modified_us,
            message_locator,
            str(error.reason),
            str(error),
            type(cause).__name__ if cause is not None else "ExtractionError",
        )

    def _refused(
        self, place: _Place, reason: str, message: str | None, modified_us: int | None
    ) -> Member:
        return Member(
            place.locator,
            place.uri,
            None,
            None,
            None,
            modified_us,
            reason=str(reason),
            message=f"{self.what(place)}: {message}" if message else self.what(place),
            error_class="Refused",
        )


def _with_container(extracted: Extracted, label: str) -> Extracted:
    """The member's metadata says what it was found in: zip, tar, gzip, mbox, maildir, eml,
    or message (an attachment)."""
    return replace(extracted, metadata={**extracted.metadata, "container": label})
