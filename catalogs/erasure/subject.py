"""The subject of an erasure request: which documents it names, matched column-wise.

A request names one document (or the documents of one person) by exactly one of: its `doc_id`,
its source URI, the sha256 of its original bytes, or a piece of text it contains. The value is
an identifier of a person's data, so it is held only in memory: `repr` hides it, and whatever
erasure writes (receipt, trail, tombstones) carries its salted hash instead.

A source URI also names the documents read out of that file: rows of a Parquet/JSONL export
(`<uri>#row=<n>`) and members of an archive or mailbox (`<uri>!/<path>`, `<uri>#<id>`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import pyarrow as pa
import pyarrow.compute as pc

from catalogs.erasure.exceptions import InvalidErasureRequest

# Shorter text would match documents the request never meant (a name, a common word).
MIN_TEXT_MATCH = 8
# Separators after which a URI names something inside the file at the URI before them.
MEMBER_SEPARATORS = ("#", "!/")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class SubjectKind(StrEnum):
    """Which identifier a request names the subject by (the option it came from)."""

    DOC_ID = "doc_id"
    SOURCE_URI = "source_uri"
    SHA256 = "sha256"
    TEXT_MATCH = "text_match"


# The document columns each kind is matched on.
MATCH_COLUMN = {
    SubjectKind.DOC_ID: "doc_id",
    SubjectKind.SOURCE_URI: "source_uri",
    SubjectKind.SHA256: "content_sha256",
    SubjectKind.TEXT_MATCH: "text",
}


@dataclass(frozen=True)
class Subject:
    """What an erasure request names: the kind of identifier and its value (never written)."""

    kind: SubjectKind
    value: str

    def __repr__(self) -> str:
        return f"Subject(kind={self.kind.value!r}, value=<{len(self.value)} characters>)"

    __str__ = __repr__

    @property
    def option(self) -> str:
        """The CLI option that names this kind (`--source-uri`), for messages."""
        return "--" + self.kind.value.replace("_", "-")

    @classmethod
    def from_options(
        cls,
        *,
        doc_id: str | None = None,
        source_uri: str | None = None,
        sha256: str | None = None,
        text_match: str | None = None,
    ) -> Subject:
        """The subject named by exactly one of the options; refuses none, several, or a bad value.

        Examples
        --------
        >>> Subject.from_options(sha256="AB" * 32).value == "ab" * 32
        True
        >>> Subject.from_options(doc_id="hr-1", text_match="a sentence")
        Traceback (most recent call last):
        ...
        catalogs.erasure.exceptions.InvalidErasureRequest: name the subject with exactly one of --doc-id, --source-uri, --sha256 or --text-match (got --doc-id, --text-match)
        """
        given = {
            kind: value
            for kind, value in (
                (SubjectKind.DOC_ID, doc_id),
                (SubjectKind.SOURCE_URI, source_uri),
                (SubjectKind.SHA256, sha256),
                (SubjectKind.TEXT_MATCH, text_match),
            )
            if value is not None
        }
        if len(given) != 1:
            named = ", ".join("--" + k.value.replace("_", "-") for k in given) or "none"
            raise InvalidErasureRequest(
                "name the subject with exactly one of --doc-id, --source-uri, --sha256 or "
                f"--text-match (got {named})"
            )
        kind, value = next(iter(given.items()))
        if kind is not SubjectKind.TEXT_MATCH:
            value = value.strip()
        if kind is SubjectKind.SHA256:
            value = value.lower()
            if not _SHA256.match(value):
                raise InvalidErasureRequest(
                    "--sha256 must be the 64 hexadecimal digits of the original bytes' sha256 "
                    "(as `curate provenance` shows it)"
                )
        if not value:
            raise InvalidErasureRequest(f"--{kind.value.replace('_', '-')} must not be empty")
        if kind is SubjectKind.TEXT_MATCH and len(value) < MIN_TEXT_MATCH:
            raise InvalidErasureRequest(
                f"--text-match needs at least {MIN_TEXT_MATCH} characters, so that it names the "
                "subject's documents and not every document that shares a word: quote a sentence"
            )
        return cls(kind, value)

    @property
    def column(self) -> str:
        return MATCH_COLUMN[self.kind]

    def row_mask(self, table: pa.Table) -> pa.Array:
        """Which rows of `table` the subject names (False where the column is null or absent).

        Examples
        --------
        >>> rows = pa.table({"source_uri": ["file:///a.jsonl#row=3", "file:///a.jsonl2", None]})
        >>> Subject(SubjectKind.SOURCE_URI, "file:///a.jsonl").row_mask(rows).to_pylist()
        [True, False, False]
        """
        if self.column not in table.column_names:
            return pa.array([False] * table.num_rows, pa.bool_())
        values = table.column(self.column)
        if self.kind is SubjectKind.TEXT_MATCH:
            mask = pc.match_substring(values, self.value)
        elif self.kind is SubjectKind.SHA256:
            mask = pc.equal(pc.utf8_lower(values), self.value)
        elif self.kind is SubjectKind.SOURCE_URI:
            mask = pc.equal(values, self.value)
            for separator in MEMBER_SEPARATORS:
                mask = pc.or_(mask, pc.starts_with(values, self.value + separator))
        else:
            mask = pc.equal(values, self.value)
        mask = pc.fill_null(mask, False)
        return mask.combine_chunks() if isinstance(mask, pa.ChunkedArray) else mask
