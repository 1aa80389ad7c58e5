"""Members of zip, tar (plain, gz, bz2, xz) and single-file gzip archives, read in memory.

Each reader yields `RawMember`s: a member's bytes, or why it was not read (unsafe name, link,
too large, encrypted, a bomb). Limits on the whole tree (total inflated bytes, member count)
live in a `Budget` shared with nested archives. What is known before reading (a zip's central
directory) is refused before anything inflates; what is only learnt while streaming (a tar.gz)
stops the stream with an `ExtractionError`, after the members already read. Nothing is written
to disk, and member names are only ever data.
"""

from __future__ import annotations

import gzip
import io
import lzma
import re
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from curation.exceptions import ExtractionError
from curation.ingest.extract.base import ExtractLimits, parse_error
from curation.ingest.reasons import IngestReason

# Tiny members compress absurdly well (a run of zeros): judge ratios only past this many bytes.
RATIO_FLOOR_BYTES = 1_000_000
_CHUNK = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")


def check_limits(
    limits: ExtractLimits,
    what: str,
    *,
    members: int | None = None,
    total_bytes: int | None = None,
    inflated: int | None = None,
    stored: int | None = None,
    depth: int | None = None,
    kind: str = "container",
) -> None:
    """Raise `ExtractionError` for the first container limit that the given values break.

    The one place where a container tree is judged, whether the numbers are declared (a zip's
    central directory), counted while streaming (a tar.gz) or structural (nesting), so every
    reader refuses the same thing with the same reason. `members` and `total_bytes` count the
    whole tree; `inflated` / `stored` are the bytes one stream has produced from how many
    compressed ones (judged only past `RATIO_FLOOR_BYTES`); `depth` is the level a `kind` of
    container would be read at.

    Examples
    --------
    >>> check_limits(ExtractLimits(), "a.zip", total_bytes=1_000, depth=2)
    >>> check_limits(ExtractLimits(), "a.zip", inflated=90_000_000, stored=10_000)
    Traceback (most recent call last):
    ...
    curation.exceptions.ExtractionError: a.zip expands 9000x (limit 200x): refused as a compression bomb
    """
    if members is not None and members > limits.max_archive_members:
        raise ExtractionError(
            IngestReason.ARCHIVE_TOO_MANY_MEMBERS,
            f"{what}: {members} members in all (limit {limits.max_archive_members}, "
            "max_archive_members); the rest was not read",
        )
    if total_bytes is not None and total_bytes > limits.max_archive_bytes:
        raise ExtractionError(
            IngestReason.ARCHIVE_TOO_LARGE,
            f"{what} expands to {total_bytes} bytes in all (limit {limits.max_archive_bytes}, "
            "max_archive_bytes); the rest was not read",
        )
    if inflated is not None and stored is not None and inflated > RATIO_FLOOR_BYTES:
        ratio = inflated / max(stored, 1)
        if ratio > limits.max_compression_ratio:
            raise ExtractionError(
                IngestReason.ARCHIVE_BOMB,
                f"{what} expands {ratio:.0f}x (limit {limits.max_compression_ratio:.0f}x): "
                "refused as a compression bomb",
            )
    if depth is not None and depth > limits.max_archive_depth:
        raise ExtractionError(
            IngestReason.ARCHIVE_TOO_DEEP,
            f"{what} is a {kind} nested {depth} deep (limit {limits.max_archive_depth}): "
            "unpack it and add its files instead",
        )


@dataclass
class Budget:
    """What a whole container tree (the file and every nested archive in it) has used."""

    limits: ExtractLimits
    inflated: int = 0
    members: int = 0

    def take_member(self, what: str) -> None:
        self.members += 1
        check_limits(self.limits, what, members=self.members)

    def take_bytes(self, size: int, what: str) -> None:
        check_limits(self.limits, what, total_bytes=self.inflated + size)
        self.inflated += size


@dataclass(frozen=True)
class RawMember:
    """One member as stored: its bytes, or the reason it was not read."""

    name: str
    data: bytes | None
    modified_us: int | None = None
    reason: IngestReason | None = None
    message: str | None = None


def unsafe_name(name: str) -> str | None:
    """Why a member name must not be used as a path (absolute, `..`, a drive), else None.

    Examples
    --------
    >>> unsafe_name("docs/a.txt") is None
    True
    >>> unsafe_name("../../etc/passwd")
    "a '..' component"
    """
    if "\x00" in name:
        return "a NUL byte"
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or _DRIVE.match(normalized):
        return "an absolute path"
    if ".." in normalized.split("/"):
        return "a '..' component"
    return None


def zip_members(data: bytes, *, what: str, budget: Budget) -> Iterator[RawMember]:
    """Members of a zip; the central directory's sizes are checked before anything inflates.

    CPython's zipfile never inflates a member past its declared size (a lie fails the CRC),
    so declared sizes bound both memory and time.
    """
    limits = budget.limits
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as error:
        raise parse_error(error, f"{what} (not a valid zip archive)") from error
    check_limits(
        limits,
        what,
        members=budget.members + len(infos),
        total_bytes=budget.inflated + sum(info.file_size for info in infos),
    )
    for info in infos:
        budget.take_member(what)
        yield _zip_member(archive, info, what, budget)


def _zip_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, what: str, budget: Budget
) -> RawMember:
    limits = budget.limits
    name = info.filename
    modified = _zip_time(info)
    refused = _refusal(name, info.file_size, limits)
    if refused is not None:
        return RawMember(name, None, modified, *refused)
    if info.flag_bits & 0x1:
        return RawMember(
            name, None, modified, IngestReason.ENCRYPTED, "the member is encrypted: not read"
        )
    if stat.S_ISLNK(info.external_attr >> 16):
        return RawMember(
            name,
            None,
            modified,
            IngestReason.NOT_REGULAR_FILE,
            "the member is a symbolic link: links inside archives are never followed",
        )
    try:
        check_limits(limits, "the member", inflated=info.file_size, stored=info.compress_size)
    except ExtractionError as bomb:  # one member is refused, its siblings are still read
        return RawMember(name, None, modified, bomb.reason, str(bomb))
    try:
        with archive.open(info) as stream:
            payload = stream.read(limits.max_file_bytes + 1)
    except (
        zipfile.BadZipFile,
        zlib.error,
        lzma.LZMAError,
        EOFError,
        OSError,
        NotImplementedError,
        RuntimeError,
        ValueError,
    ) as error:
        failure = parse_error(error, "the member")
        return RawMember(name, None, modified, IngestReason.PARSE_ERROR, str(failure))
    budget.take_bytes(len(payload), what)
    return RawMember(name, payload, modified)


def tar_members(data: bytes, *, what: str, budget: Budget) -> Iterator[RawMember]:
    """Members of a tar, compressed or not, streamed once from the start (no seeking back)."""
    limits = budget.limits
    source = _CountingReader(data)
    try:
        archive = tarfile.open(fileobj=source, mode="r|*")  # noqa: SIM115 - closed below
    except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError) as error:
        raise parse_error(error, f"{what} (not a valid tar archive)") from error
    try:
        while True:
            try:
                info = archive.next()
            except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError) as error:
                raise parse_error(error, f"{what} (a corrupt tar archive)") from error
            if info is None:
                return
            if info.isdir():
                continue
            budget.take_member(what)
            modified = int(info.mtime * 1_000_000) if info.mtime and info.mtime > 0 else None
            # Declared sizes are exact in tar; taking them first stops a bomb before it inflates.
            budget.take_bytes(info.size if info.isreg() else 0, what)
            refused = _refusal(info.name, info.size, limits)
            if refused is not None:
                yield RawMember(info.name, None, modified, *refused)
            elif not info.isreg():
                kind = "a link" if info.issym() or info.islnk() else "not a regular file"
                yield RawMember(
                    info.name,
                    None,
                    modified,
                    IngestReason.NOT_REGULAR_FILE,
                    f"the member is {kind}: links and devices inside archives are never followed",
                )
            else:
                try:
                    stream = archive.extractfile(info)
                    payload = stream.read() if stream is not None else b""
                except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError) as error:
                    raise parse_error(error, f"{what} (a corrupt tar archive)") from error
                # Judged on what this member inflated, before anyone parses it.
                check_limits(
                    limits, what, inflated=info.offset_data + len(payload), stored=source.consumed
                )
                yield RawMember(info.name, payload, modified)
    finally:
        archive.close()


def gzip_member(data: bytes, *, name: str, what: str, budget: Budget) -> Iterator[RawMember]:
    """The one member of a .gz file, inflated in chunks against the size and ratio limits."""
    limits = budget.limits
    source = _CountingReader(data)
    chunks: list[bytes] = []
    inflated = 0
    too_large = False
    modified = None
    try:
        with gzip.GzipFile(fileobj=source, mode="rb") as stream:
            while chunk := stream.read(_CHUNK):
                inflated += len(chunk)
                budget.take_bytes(len(chunk), what)
                check_limits(limits, what, inflated=inflated, stored=source.consumed)
                if inflated > limits.max_file_bytes:
                    too_large = True
                    break
                chunks.append(chunk)
            if stream.mtime and not too_large:
                modified = stream.mtime * 1_000_000
    except (gzip.BadGzipFile, OSError, EOFError, zlib.error) as error:
        raise parse_error(error, f"{what} (not a valid gzip file)") from error
    budget.take_member(what)
    if too_large:
        yield RawMember(
            name,
            None,
            modified,
            IngestReason.TOO_LARGE,
            f"the member inflates to more than {limits.max_file_bytes} bytes (max_file_bytes)",
        )
    else:
        yield RawMember(name, b"".join(chunks), modified)


def _refusal(name: str, size: int, limits: ExtractLimits) -> tuple[IngestReason, str] | None:
    why = unsafe_name(name)
    if why is not None:
        return (
            IngestReason.UNSAFE_MEMBER_PATH,
            f"the member name has {why}: such names are refused, never followed",
        )
    if size > limits.max_file_bytes:
        return (
            IngestReason.TOO_LARGE,
            f"the member has {size} bytes (limit {limits.max_file_bytes}): raise max_file_bytes "
            "for this source or exclude the archive",
        )
    return None


def _zip_time(info: zipfile.ZipInfo) -> int | None:
    """A zip entry's time as UTC microseconds (zip stores local time without a zone)."""
    try:
        return int(datetime(*info.date_time, tzinfo=UTC).timestamp() * 1_000_000)
    except (TypeError, ValueError):
        return None


class _CountingReader(io.RawIOBase):
    """A read-only stream over bytes that counts what a decompressor has consumed."""

    def __init__(self, data: bytes) -> None:
        self._view = memoryview(data)
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        size = min(len(buffer), len(self._view) - self.consumed)
        buffer[:size] = self._view[self.consumed : self.consumed + size]
        self.consumed += size
        return size
