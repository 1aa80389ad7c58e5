"""PII in the columns beside `text`: `title`, `author`, `metadata_json`, `attribution`.

A training set is only as PII-free as its least-checked column: report PDFs carry their author
in `/Author`, DOCX files their creator, titles read "Budget review by Thomas Keller", and the
license stage copies title and author into `attribution`. Three rules:

- **Author-like values** (the `author` column and the metadata keys in `AUTHOR_KEYS`) name a
  person by construction, so they are not searched but removed whole: `pii.metadata: drop`
  (the default) nulls the column and deletes the keys, `redact` replaces each value by the
  PERSON action's output (`<PERSON>`, a pseudonym, or a mask). Each counts as one PERSON.
- **Free-text values** (`title`, every other string of `metadata_json`, the copyright line and
  license statement of `attribution`) go through the same detectors as the text.
- **Attribution keeps a credited name only where the license requires credit** (CC-BY and the
  like: `requires_attribution`), and says so in `credit`. Otherwise its author is handled as
  above and its provenance identifiers (source URI, paths) are left out: they stay in their own
  columns, inside the premises, but not in a column that travels with the training text.

Detection is the caller's: `redact(texts, rows)` redacts strings that belong to the given table
rows (so the engine can use each row's language) and returns the new strings and their counts.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyarrow as pa

from curation.ingest.records import metadata_json
from curation.pii.config import PiiConfig
from curation.pii.lexicon import load_lexicon
from curation.pii.operators import Span, apply_spans

PERSON = "PERSON"
# Metadata keys whose value is a person (extractors' names, lower-cased, `-` as `_`).
AUTHOR_KEYS = frozenset(
    {
        "author",
        "authors",
        "creator",
        "last_modified_by",
        "lastmodifiedby",
        "contributor",
        "contributors",
        "owner",
        "manager",
        "sender",
        "from",
        "to",
        "cc",
        "bcc",
        "reply_to",
        "editor",
        "reviewer",
    }
)
# Technical values that cannot hold PII: not worth a pass through the detectors.
TECHNICAL_KEYS = frozenset(
    {
        "encoding",
        "date",
        "created",
        "modified",
        "pages",
        "body_type",
        "attachments",
        "attachment_types",
        "language",
        "mime_type",
        # written by extractors and connectors, never by a document's author
        "encoding_reason",
        "message_doc_id",
        "etag",
        "version_id",
    }
)
# Attribution fields that locate the source: dropped unless the license asks for credit.
PROVENANCE_FIELDS = ("source_uri", "path", "manifest", "inherited_from")
METADATA_COLUMNS = ("title", "author", "metadata_json", "attribution")

Redact = Callable[[list[str], list[int]], tuple[list[str], list[dict[str, int]]]]


@dataclass
class MetadataResult:
    """The table with its metadata columns passed through the policy, and what that did."""

    table: pa.Table
    counts: list[dict[str, int]]
    changed: list[bool]


def person_value(value: str, cfg: PiiConfig, key: bytes | None) -> str | None:
    """An author-like value under `pii.metadata`: None (drop) or the PERSON action's output.

    Examples
    --------
    >>> person_value("Thomas Keller", PiiConfig(), None) is None
    True
    >>> person_value("Thomas Keller", PiiConfig(metadata="redact"), None)
    '<PERSON>'
    """
    if cfg.metadata == "drop":
        return None
    return apply_spans(value, [Span(0, len(value), PERSON, 1.0, 100)], cfg, key)


def _person_in_text(value: str, cfg: PiiConfig, key: bytes | None) -> str:
    """A name inside free text gets the text's PERSON action (tag, pseudonym, mask)."""
    return apply_spans(value, [Span(0, len(value), PERSON, 1.0, 100)], cfg, key)


def redact_metadata(
    table: pa.Table, cfg: PiiConfig, redact: Redact, key: bytes | None
) -> MetadataResult:
    """Pass `title`, `author`, `metadata_json` and `attribution` of every row through the policy.

    Columns the table lacks are skipped. Free-text values of all rows go to `redact` in one
    call, so the detectors see one batch, not one call per value.

    Examples
    --------
    >>> t = pa.table({"author": ["Ann Lee", None], "title": ["Plan", "Notes"]})
    >>> def fake(texts, rows):  # a detector that finds nothing
    ...     return texts, [{} for _ in texts]
    >>> out = redact_metadata(t, PiiConfig(), fake, None)
    >>> out.table.column("author").to_pylist(), out.counts, out.changed
    ([None, None], [{'PERSON': 1}, {}], [True, False])
    """
    n = table.num_rows
    counts = [Counter() for _ in range(n)]
    changed = [False] * n
    batch = _FreeText()
    columns: dict[str, list] = {}

    if "author" in table.column_names:
        authors = table.column("author").to_pylist()
        for i, value in enumerate(authors):
            if value and value.strip():
                authors[i] = person_value(value, cfg, key)
                counts[i][PERSON] += 1
                changed[i] = True
        columns["author"] = authors
    if "title" in table.column_names:
        titles = table.column("title").to_pylist()
        for i, value in enumerate(titles):
            if value:
                batch.add(i, value, _setter(titles, i))
        columns["title"] = titles
    if "metadata_json" in table.column_names:
        raw = table.column("metadata_json").to_pylist()
        metadata: list = [_loads(v) for v in raw]
        for i, values in enumerate(metadata):
            if isinstance(values, dict | list):
                _metadata_values(i, values, cfg, key, batch, counts, changed)
            elif raw[i]:  # not JSON: scanned as text, kept as the redacted string
                metadata[i] = _Raw(raw[i])
                batch.add(i, raw[i], metadata[i].set)
        columns["metadata_json"] = metadata
    if "attribution" in table.column_names:
        facts = [_loads(v) for v in table.column("attribution").to_pylist()]
        for i, value in enumerate(facts):
            if isinstance(value, dict):
                changed[i] |= _attribution(i, value, cfg, key, batch, counts)
        columns["attribution"] = facts

    joined = None
    if PERSON in cfg.entities:
        first, last = load_lexicon(cfg.name_lexicon)
        if first and last:
            joined = functools.partial(
                joined_names, first=first, last=last, replace=lambda v: _person_in_text(v, cfg, key)
            )
    batch.run(redact, counts, changed, joined)
    for name in ("metadata_json", "attribution"):
        if name in columns:
            columns[name] = [_dumps(v) for v in columns[name]]
    for name, values in columns.items():
        index = table.column_names.index(name)
        table = table.set_column(index, name, pa.array(values, table.schema.field(name).type))
    return MetadataResult(table, [dict(sorted(c.items())) for c in counts], changed)


class _FreeText:
    """Free-text values collected across rows, redacted in one call, written back by setter."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.rows: list[int] = []
        self.setters: list[Callable[[str], None]] = []

    def add(self, row: int, text: str, setter: Callable[[str], None]) -> None:
        self.texts.append(text)
        self.rows.append(row)
        self.setters.append(setter)

    def run(
        self,
        redact: Redact,
        counts: list[Counter],
        changed: list[bool],
        joined: Callable[[str], tuple[str, int]] | None = None,
    ) -> None:
        if not self.texts:
            return
        texts = self.texts
        if joined is not None:  # names inside file names and ids first ("jane_doe_cv.docx")
            results = [joined(t) for t in texts]
            texts = [t for t, _ in results]
            for row, (_, found) in zip(self.rows, results, strict=True):
                if found:
                    counts[row][PERSON] += found
        new_texts, new_counts = redact(texts, self.rows)
        for old, new, found, row, setter in zip(
            self.texts, new_texts, new_counts, self.rows, self.setters, strict=True
        ):
            if new != old:
                setter(new)
                changed[row] = True
            counts[row].update(found)


def _metadata_values(
    row: int,
    values: dict | list,
    cfg: PiiConfig,
    key: bytes | None,
    batch: _FreeText,
    counts: list[Counter],
    changed: list[bool],
) -> None:
    """Walk one metadata object (nested objects and lists too) and apply the rules in place.

    Numbers long enough to be an identifier or a phone number (tabular sources store such
    columns as JSON numbers) are scanned as text and replaced by the redacted string if found.
    """
    items = list(values.items()) if isinstance(values, dict) else list(enumerate(values))
    for name, value in items:
        normalized = str(name).strip().lower().replace("-", "_").replace(" ", "_")
        if isinstance(values, dict) and normalized in AUTHOR_KEYS:
            people = value if isinstance(value, list) else [value]
            people = [v for v in people if v not in (None, "")]
            redacted = [person_value(str(v), cfg, key) for v in people]
            counts[row][PERSON] += len(redacted)
            changed[row] = changed[row] or bool(redacted)
            if cfg.metadata == "drop" or not redacted:
                del values[name]
            else:
                values[name] = redacted if isinstance(value, list) else redacted[0]
        elif isinstance(values, dict) and normalized in TECHNICAL_KEYS:
            continue
        elif isinstance(value, (dict, list)):
            _metadata_values(row, value, cfg, key, batch, counts, changed)
        elif isinstance(value, str) and value.strip():
            batch.add(row, value, _setter(values, name))
        elif (
            isinstance(value, int)
            and not isinstance(value, bool)
            and len(str(abs(value))) >= MIN_ID_DIGITS
        ):
            batch.add(row, str(value), _setter(values, name, only_if_changed=True))


MIN_ID_DIGITS = 6


def _setter(container: dict | list, name, *, only_if_changed: bool = False):
    original = container[name]

    def write(new: str) -> None:
        if not only_if_changed or new != str(original):
            container[name] = new

    return write


def _attribution(
    row: int,
    facts: dict,
    cfg: PiiConfig,
    key: bytes | None,
    batch: _FreeText,
    counts: list[Counter],
) -> bool:
    """Apply the credit rule to one attribution object in place; True when PII was removed.

    The provenance fields are left out for every license (they stay in their own columns, and
    an internal file path is no public credit); that is not a PII change, so it does not mark
    the row modified. A license that requires credit keeps its author and copyright line.
    """
    for name in PROVENANCE_FIELDS:
        facts.pop(name, None)
    title = facts.get("title")
    if isinstance(title, str) and title:
        batch.add(row, title, _setter(facts, "title"))
    if facts.get("requires_attribution"):
        facts["credit"] = f"kept: {facts.get('license') or 'the license'} requires attribution"
        return False
    facts["credit"] = "none kept: the license does not require attribution"
    for name in ("copyright", "statement"):
        value = facts.get(name)
        if isinstance(value, str) and value.strip():
            batch.add(row, value, _setter(facts, name))
    author = facts.get("author")
    if not (isinstance(author, str) and author.strip()):
        return False
    # Counted once with the `author` column it repeats.
    facts["author"] = person_value(author, cfg, key)
    return True


class _Raw:
    """A metadata value that is not JSON: its (redacted) text is written back as it is."""

    def __init__(self, text: str) -> None:
        self.text = text

    def set(self, new: str) -> None:
        self.text = new


def _loads(value: str | None):
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _dumps(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, _Raw):
        return value.text
    if isinstance(value, dict):
        return metadata_json(value)  # the same stable JSON ingest writes; None when empty
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


# Letter runs joined by `_`, `.` or `-` without spaces: file names, ids, mailbox names.
_JOINED_RE = re.compile(r"[^\W\d_]+(?:[_.\-][^\W\d_]+)+")
_LETTERS_RE = re.compile(r"[^\W\d_]+")


def joined_names(
    value: str, *, first: frozenset[str], last: frozenset[str], replace: Callable[[str], str | None]
) -> tuple[str, int]:
    """`value` with given name + surname pairs inside joined tokens replaced; and how many.

    Word-exported titles and metadata carry file names ("Microsoft Word - jane_doe_cv.docx")
    whose lower-case, underscore-joined names no text detector reads as a person.

    >>> joined_names("Microsoft Word - jane_doe_cv.docx", first=frozenset({"jane"}),
    ...              last=frozenset({"doe"}), replace=lambda v: "<PERSON>")
    ('Microsoft Word - <PERSON>_cv.docx', 1)
    >>> joined_names("budget_q3.xlsx", first=frozenset({"jane"}), last=frozenset({"doe"}),
    ...              replace=lambda v: "<PERSON>")
    ('budget_q3.xlsx', 0)
    """
    spans: list[tuple[int, int]] = []
    for run in _JOINED_RE.finditer(value):
        if value[run.end() : run.end() + 1] == "@" or value[run.start() - 1 : run.start()] == "@":
            continue  # an e-mail address: its own detector tags it whole
        words = list(_LETTERS_RE.finditer(value, run.start(), run.end()))
        for a, b in zip(words, words[1:], strict=False):
            is_name = a.group().casefold() in first and b.group().casefold() in last
            if is_name and (not spans or a.start() >= spans[-1][1]):
                spans.append((a.start(), b.end()))
    for start, end in reversed(spans):
        value = value[:start] + (replace(value[start:end]) or "") + value[end:]
    return value, len(spans)


def merge_counts(a: Sequence[dict[str, int]], b: Sequence[dict[str, int]]) -> list[dict[str, int]]:
    """Per-row sums of two lists of counts per entity type.

    >>> merge_counts([{"PERSON": 1}], [{"PERSON": 2, "EMAIL_ADDRESS": 1}])
    [{'EMAIL_ADDRESS': 1, 'PERSON': 3}]
    """
    return [dict(sorted((Counter(x) + Counter(y)).items())) for x, y in zip(a, b, strict=True)]
