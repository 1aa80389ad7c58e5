"""What erasure writes in place of the rows it changes: column-wise rewrites of a batch.

In a version, the subject's rows go, and other rows that name an erased document (a
`dedup_cluster` pointing at it) keep their place with the id replaced by its stand-in. In the
ledger, an audit record, no row goes: the subject's rows keep their decision with their doc id
and source URI replaced by `erased-<salted hash>`, and any id, URI or path of the subject inside
another row's details (a duplicate's `kept_doc_id`, a quarantine message) is replaced the same
way. A JSON string escapes some characters, so the escaped form of each value is replaced too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from urllib.parse import unquote, urlparse

import pyarrow as pa
import pyarrow.compute as pc

from catalogs.erasure.hashing import Hasher, pseudonym
from catalogs.erasure.subject import Subject, SubjectKind
from curation.ledger import LEDGER_SCHEMA
from curation.schema import conform

Transform = Callable[[pa.Table], pa.Table]
# Subject kinds a ledger row can be matched by (the ledger has no text and no content hash).
LEDGER_KINDS = (SubjectKind.DOC_ID, SubjectKind.SOURCE_URI)


def spellings(value: str) -> list[str]:
    """`value` and the forms it takes inside text: JSON-escaped, and a `file://` URI's path.

    Examples
    --------
    >>> spellings("file:///data/Jos%C3%A9.txt")
    ['file:///data/Jos%C3%A9.txt', '/data/José.txt', '/data/Jos\\\\u00e9.txt']
    """
    forms = [value]
    parsed = urlparse(value)
    if parsed.scheme == "file" and parsed.path:
        forms.append(unquote(parsed.path))
    for form in list(forms):
        escaped = json.dumps(form)[1:-1]
        if escaped not in forms:
            forms.append(escaped)
    return forms


def _replace_values(column: pa.ChunkedArray, mask: pa.Array, hasher: Hasher) -> pa.Array:
    """`column` with the values under `mask` replaced by their stand-ins."""
    values = column.combine_chunks()
    chosen = values.filter(mask).to_pylist()
    stand_ins = pa.array(
        [pseudonym(hasher, v) if v is not None else None for v in chosen], values.type
    )
    return pc.replace_with_mask(values, mask, stand_ins)


def _set(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    return table.set_column(table.schema.get_field_index(name), name, values)


def _replace_inside(
    column: pa.ChunkedArray, values: Iterable[str], hasher: Hasher
) -> pa.ChunkedArray | pa.Array:
    """Every occurrence of each value (in each of its spellings) inside the strings of `column`
    replaced by the value's stand-in; longest first, so a path never splits a URI."""
    pairs = {form: pseudonym(hasher, value) for value in values for form in spellings(value)}
    result: pa.ChunkedArray | pa.Array = column
    for form in sorted(pairs, key=len, reverse=True):
        if pc.any(pc.fill_null(pc.match_substring(result, form), False)).as_py():
            result = pc.replace_substring(result, form, pairs[form])
    return result


def ledger_subject_mask(
    rows: pa.Table, subject: Subject, doc_ids: set[str], source_uris: set[str]
) -> pa.Array:
    """Ledger rows of the subject: named by the request, or by an erased doc id or URI."""
    mask = pc.is_in(rows.column("doc_id"), value_set=pa.array(sorted(doc_ids), pa.string()))
    if "source_uri" in rows.column_names:
        by_uri = pc.is_in(
            rows.column("source_uri"), value_set=pa.array(sorted(source_uris), pa.string())
        )
        mask = pc.or_(mask, by_uri)
    if subject.kind in LEDGER_KINDS:
        mask = pc.or_(mask, subject.row_mask(rows))
    mask = pc.fill_null(mask, False)
    return mask.combine_chunks() if isinstance(mask, pa.ChunkedArray) else mask


def ledger_reference_mask(rows: pa.Table, values: Iterable[str]) -> pa.Array:
    """Ledger rows whose details name one of `values` (in any of its spellings)."""
    mask = pa.array([False] * rows.num_rows, pa.bool_())
    if "details" not in rows.column_names:
        return mask
    details = rows.column("details")
    for value in values:
        for form in spellings(value):
            mask = pc.or_(mask, pc.fill_null(pc.match_substring(details, form), False))
    return mask.combine_chunks() if isinstance(mask, pa.ChunkedArray) else mask


def pseudonymize_ledger(
    subject: Subject, doc_ids: set[str], source_uris: set[str], hasher: Hasher
) -> Transform:
    """The ledger rewrite: subject rows keep their decision under stand-in ids; details lose
    every erased id, URI and path. Rows come back in order, cast to the ledger schema."""

    def transform(rows: pa.Table) -> pa.Table:
        if rows.num_rows == 0:
            return rows
        mask = ledger_subject_mask(rows, subject, doc_ids, source_uris)
        ids = doc_ids | set(rows.column("doc_id").filter(mask).drop_null().to_pylist())
        uris = set(source_uris)
        if "source_uri" in rows.column_names:
            uris |= set(rows.column("source_uri").filter(mask).drop_null().to_pylist())
        if "details" in rows.column_names:
            rows = _set(
                rows, "details", _replace_inside(rows.column("details"), ids | uris, hasher)
            )
        rows = _set(rows, "doc_id", _replace_values(rows.column("doc_id"), mask, hasher))
        if "source_uri" in rows.column_names:
            rows = _set(
                rows, "source_uri", _replace_values(rows.column("source_uri"), mask, hasher)
            )
        if set(LEDGER_SCHEMA.names) <= set(rows.column_names):
            return rows.select(LEDGER_SCHEMA.names).cast(LEDGER_SCHEMA)
        return rows

    return transform


def remove_subject(subject: Subject, erased_ids: set[str], hasher: Hasher) -> Transform:
    """The version rewrite: the subject's rows go; a row whose `dedup_cluster` names an erased
    document keeps its place with the stand-in. Rows come back in the document schema."""
    erased = pa.array(sorted(erased_ids), pa.string())

    def transform(rows: pa.Table) -> pa.Table:
        rows = rows.filter(pc.invert(subject.row_mask(rows)))
        if "dedup_cluster" in rows.column_names and rows.num_rows:
            cluster = rows.column("dedup_cluster")
            mask = pc.fill_null(pc.is_in(cluster, value_set=erased), False)
            mask = mask.combine_chunks() if isinstance(mask, pa.ChunkedArray) else mask
            if pc.any(mask).as_py():
                rows = _set(rows, "dedup_cluster", _replace_values(cluster, mask, hasher))
        return conform(rows)

    return transform
