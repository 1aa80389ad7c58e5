"""Proof of an erasure: read every remaining file and look for what identified the subject.

The needles are the erased documents' ids, source URIs (and the paths inside `file://` URIs),
original sha256 and full text, and the request's text for `--text-match`. Every file under the
given folders is read as its readers would see it:

- Parquet: every string value of every column (nested ones too), decompressed and decoded by
  pyarrow, and the file's raw bytes (footers hold min/max statistics in clear);
- Avro (Iceberg manifests and manifest lists): header plus decompressed blocks, where column
  bounds keep the first 16 characters of strings, so the 16-character prefixes of the ids and
  hashes are needles there too, when they still identify one document;
- anything else (metadata JSON, gzip metadata): its bytes, decompressed when gzip.

A finding names the file, where in it, and which kind of needle matched, never the value. A
file that cannot be read counts against the verification as well.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from catalogs.erasure.avro import decompressed
from catalogs.erasure.storage import Folder

# Texts shorter than this are too common to prove anything (and would match other documents).
MIN_TEXT_NEEDLE = 32
# Iceberg's default metrics keep string bounds truncated to this many characters.
BOUND_CHARACTERS = 16
# A bound prefix identifies one document only with this many hexadecimal digits in it.
MIN_BOUND_DIGITS = 10
_BATCH_ROWS = 4096


@dataclass(frozen=True)
class Needle:
    """One value that must not remain anywhere, and what kind of identifier it is."""

    kind: str
    value: str

    def __repr__(self) -> str:
        return f"Needle({self.kind!r}, <{len(self.value)} characters>)"


def _bound_prefix(value: str) -> str | None:
    """The 16-character prefix Iceberg keeps as a lower bound, when it still names `value`
    alone (a sha256, or a doc id with enough digest digits in its first 16 characters)."""
    prefix = value[:BOUND_CHARACTERS]
    if len(value) <= BOUND_CHARACTERS:
        return None
    digest = prefix.rpartition("-")[2]
    if len(digest) >= MIN_BOUND_DIGITS and all(c in "0123456789abcdef" for c in digest.lower()):
        return prefix
    return None


def build_needles(
    *,
    doc_ids: Iterable[str] = (),
    source_uris: Iterable[str] = (),
    content_sha256s: Iterable[str] = (),
    texts: Iterable[str] = (),
    text_match: str | None = None,
) -> list[Needle]:
    """The needles of an erasure, deduplicated, longest first."""
    needles: set[Needle] = set()
    for doc_id in doc_ids:
        needles.add(Needle("doc_id", doc_id))
        if prefix := _bound_prefix(doc_id):
            needles.add(Needle("doc_id_prefix", prefix))
    for uri in source_uris:
        needles.add(Needle("source_uri", uri))
        parsed = urlparse(uri)
        if parsed.scheme == "file" and len(unquote(parsed.path)) >= MIN_TEXT_NEEDLE // 4:
            needles.add(Needle("source_path", unquote(parsed.path)))
    for sha in content_sha256s:
        needles.add(Needle("content_sha256", sha.lower()))
        if prefix := _bound_prefix(sha.lower()):
            needles.add(Needle("content_sha256_prefix", prefix))
    for text in texts:
        if len(text.strip()) >= MIN_TEXT_NEEDLE:
            needles.add(Needle("text", text))
    if text_match:
        needles.add(Needle("text_match", text_match))
    return sorted(needles, key=lambda n: (-len(n.value), n.kind, n.value))


def _string_leaves(array: pa.Array, name: str) -> Iterator[tuple[str, pa.Array]]:
    """Every string-valued part of a (possibly nested) column, with a readable column path."""
    kind = array.type
    if pa.types.is_dictionary(kind):
        yield from _string_leaves(array.dictionary_decode(), name)
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        yield name, array
    elif pa.types.is_struct(kind):
        for index in range(kind.num_fields):
            yield from _string_leaves(array.field(index), f"{name}.{kind.field(index).name}")
    elif pa.types.is_map(kind):
        yield from _string_leaves(array.keys, f"{name}.key")
        yield from _string_leaves(array.items, f"{name}.value")
    elif (
        pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)
    ):
        yield from _string_leaves(array.flatten(), f"{name}[]")


def _in_bytes(data: bytes, needles: list[Needle]) -> set[str]:
    return {n.kind for n in needles if n.value.encode("utf-8") in data}


class Verifier:
    """Reads files and records where any needle was found."""

    def __init__(self, needles: list[Needle]) -> None:
        self.needles = needles
        self.findings: list[dict[str, str]] = []
        self.unreadable: list[dict[str, str]] = []
        self.counts = {"parquet": 0, "avro": 0, "other": 0}
        self.rows_read = 0

    def check_folder(self, folder: Folder) -> None:
        for path in folder.files():
            try:
                self.check_file(folder, path)
            except (OSError, ValueError, pa.ArrowException) as error:
                self.unreadable.append({"path": path, "error": type(error).__name__})

    def check_file(self, folder: Folder, path: str) -> None:
        data = folder.read(path)
        if path.endswith(".parquet"):
            self.counts["parquet"] += 1
            self._check_parquet(folder, path)
        elif path.endswith(".avro"):
            self.counts["avro"] += 1
            data = decompressed(data)
        else:
            self.counts["other"] += 1
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
        for kind in sorted(_in_bytes(data, self.needles)):
            self.findings.append({"path": path, "where": "bytes", "kind": kind})

    def _check_parquet(self, folder: Folder, path: str) -> None:
        found: set[tuple[str, str]] = set()
        with folder.open(path) as handle:
            parquet = pq.ParquetFile(handle)
            for batch in parquet.iter_batches(batch_size=_BATCH_ROWS):
                self.rows_read += batch.num_rows
                for name, column in zip(batch.schema.names, batch.columns, strict=True):
                    for leaf_name, leaf in _string_leaves(column, name):
                        for needle in self.needles:
                            if (leaf_name, needle.kind) in found:
                                continue
                            if pc.any(pc.match_substring(leaf, needle.value)).as_py():
                                found.add((leaf_name, needle.kind))
        for column, kind in sorted(found):
            self.findings.append({"path": path, "where": f"column {column}", "kind": kind})

    def report(self) -> dict[str, object]:
        kinds: dict[str, int] = {}
        for needle in self.needles:
            kinds[needle.kind] = kinds.get(needle.kind, 0) + 1
        return {
            "verified": not self.findings and not self.unreadable,
            "files_checked": sum(self.counts.values()),
            "files_by_kind": dict(self.counts),
            "rows_read": self.rows_read,
            "needles": dict(sorted(kinds.items())),
            "findings": self.findings,
            "unreadable": self.unreadable,
        }


def verify_folders(folders: Iterable[Folder], needles: list[Needle]) -> dict[str, object]:
    """Read every file below `folders` and report whether any needle remains (see module doc)."""
    verifier = Verifier(needles)
    for folder in folders:
        verifier.check_folder(folder)
    return verifier.report()
