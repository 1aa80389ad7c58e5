"""Safety checks for zip-based formats (DOCX, XLSX, PPTX, ODF) before any parser sees them.

Zip bombs: the central directory's declared sizes are checked (total, per-member ratio, member
count). CPython's zipfile never inflates a member beyond its declared size, so checking the
declared sizes bounds what the parsers can decompress. XML entity bombs: every XML member's
prolog is parsed with defusedxml, which rejects any DTD, before the real parser runs.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from xml.etree.ElementTree import ParseError

from curation.exceptions import ExtractionError
from curation.ingest.extract.base import ExtractLimits, parse_error
from curation.ingest.reasons import IngestReason

_XML_SUFFIXES = (".xml", ".rels", ".vml")
_PROLOG_CHUNK = 65_536


def open_checked_zip(data: bytes, *, what: str, limits: ExtractLimits) -> zipfile.ZipFile:
    """Open `data` as a zip only if its declared sizes are sane and no XML member has a DTD."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as error:
        raise parse_error(error, f"{what} (not a valid zip package)") from error
    check_zip_bomb(members, what=what, limits=limits)
    for member in members:
        if member.filename.lower().endswith(_XML_SUFFIXES):
            check_xml_prolog(archive, member, what=what)
    return archive


def check_zip_bomb(members: list[zipfile.ZipInfo], *, what: str, limits: ExtractLimits) -> None:
    if len(members) > limits.max_archive_members:
        raise ExtractionError(
            IngestReason.ARCHIVE_BOMB,
            f"{what} has {len(members)} archive members (limit {limits.max_archive_members})",
        )
    total = sum(m.file_size for m in members)
    if total > limits.max_archive_bytes:
        raise ExtractionError(
            IngestReason.ARCHIVE_BOMB,
            f"{what} expands to {total} bytes (limit {limits.max_archive_bytes})",
        )
    for member in members:
        # Tiny members compress absurdly well (a run of zeros); only judge ratios above 1 MB.
        if member.file_size > 1_000_000:
            ratio = member.file_size / max(member.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                raise ExtractionError(
                    IngestReason.ARCHIVE_BOMB,
                    f"{what}: a member expands {ratio:.0f}x (limit {limits.max_compression_ratio:.0f}x)",
                )


class _RootReached(Exception):
    """The first element started: the prolog, where a DTD would have to be, is over."""


class _StopAtRoot:
    def start(self, tag: str, attrib: dict) -> None:
        raise _RootReached

    def end(self, tag: str) -> None:
        return None

    def data(self, data: str) -> None:
        return None

    def close(self) -> None:
        return None


def check_xml_prolog(archive: zipfile.ZipFile, member: zipfile.ZipInfo, *, what: str) -> None:
    """Reject a DTD or entity declaration in one XML member (billion laughs, XXE)."""
    import defusedxml
    from defusedxml.ElementTree import DefusedXMLParser

    parser = DefusedXMLParser(target=_StopAtRoot(), forbid_dtd=True)
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(_PROLOG_CHUNK):
                parser.feed(chunk)
    except _RootReached:
        return
    except defusedxml.DefusedXmlException as error:
        raise ExtractionError(
            IngestReason.XML_ENTITY,
            f"{what}: member {member.filename!r} declares a DTD or entities ({type(error).__name__}); "
            "such documents are refused",
        ) from error
    except (ParseError, zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
        raise parse_error(error, f"{what} member {member.filename!r}") from error
