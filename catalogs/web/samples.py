"""Sample rows of a version, a page at a time, with full-text search and filters.

DuckDB reads the version's Parquet files directly and only the columns a page shows, so a page
of a million-row version costs a few row groups, not the version. Without a filter the page is
located by the files' row counts (from the manifests) and only the files holding it are read.
Every value from the request is a bound parameter, never SQL text.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from catalogs.stats import UNKNOWN
from catalogs.web.snapshot import SnapshotFiles

PAGE_SIZE = 50
SNIPPET_CHARS = 280
# Context kept before a search match, so the snippet shows the match and what leads to it.
SNIPPET_LEAD = 80
MAX_QUERY_CHARS = 200
# Null licenses and languages are listed and filtered under the name the version stats use.
_LICENSE = f"coalesce(spdx, '{UNKNOWN}')"
_LANGUAGE = f"coalesce(lang, '{UNKNOWN}')"


@dataclass(frozen=True)
class SampleFilter:
    """What the sample table of a version page shows: search text, filters and page."""

    q: str = ""
    source: str = ""
    license: str = ""
    lang: str = ""
    page: int = 1

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> SampleFilter:
        """Read `?q=&source=&license=&lang=&page=`; a bad page number means the first page.

        Examples
        --------
        >>> SampleFilter.from_params({"q": " invoice ", "page": "3", "lang": "de"})
        SampleFilter(q='invoice', source='', license='', lang='de', page=3)
        >>> SampleFilter.from_params({"page": "-2"}).page
        1
        """
        try:
            page = max(1, int(params.get("page") or 1))
        except ValueError:
            page = 1
        return cls(
            q=(params.get("q") or "").strip()[:MAX_QUERY_CHARS],
            source=(params.get("source") or "").strip(),
            license=(params.get("license") or "").strip(),
            lang=(params.get("lang") or "").strip(),
            page=page,
        )

    @property
    def active(self) -> bool:
        """Whether any search or filter narrows the rows."""
        return bool(self.q or self.source or self.license or self.lang)

    def params(self, **changes: Any) -> dict[str, str]:
        """The non-empty query parameters of this filter, with `changes` applied.

        Examples
        --------
        >>> SampleFilter(q="x", page=2).params(page=3)
        {'q': 'x', 'page': '3'}
        >>> SampleFilter(q="x", page=2).params(page=1)
        {'q': 'x'}
        """
        values = {**asdict(self), **changes}
        if values["page"] == 1:
            values.pop("page")
        return {key: str(value) for key, value in values.items() if value not in ("", None)}


def parquet_source(paths: list[str]) -> str:
    """A `read_parquet([...])` table expression over `paths`, each quoted as a SQL string.

    Examples
    --------
    >>> parquet_source(["/w/a.parquet", "/w/it's.parquet"])
    "read_parquet(['/w/a.parquet', '/w/it''s.parquet'])"
    """
    quoted = ", ".join("'" + path.replace("'", "''") + "'" for path in paths)
    return f"read_parquet([{quoted}])"


def literal_pattern(text: str) -> str:
    r"""A case-insensitive RE2 pattern that matches `text` literally.

    DuckDB's `regexp_matches` with `(?i)` scans a text column about twice as fast as
    `contains(lower(text), ...)`, which lower-cases every document first.

    Examples
    --------
    >>> literal_pattern("a.b (c)* 50%")
    '(?i)a\\.b \\(c\\)\\* 50\\%'
    """
    return "(?i)" + "".join("\\" + c if c in string.punctuation else c for c in text)


def _where(sample: SampleFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if sample.q:
        pattern = literal_pattern(sample.q)
        clauses.append("(regexp_matches(text, ?) OR regexp_matches(coalesce(title, ''), ?))")
        params += [pattern, pattern]
    if sample.source:
        clauses.append("source_id = ?")
        params.append(sample.source)
    if sample.license:
        clauses.append(f"{_LICENSE} = ?")
        params.append(sample.license)
    if sample.lang:
        clauses.append(f"{_LANGUAGE} = ?")
        params.append(sample.lang)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _select(sample: SampleFilter) -> tuple[str, list[Any]]:
    if sample.q:
        snippet = (
            f"substr(text, greatest(1, strpos(lower(text), lower(?)) - {SNIPPET_LEAD}), "
            f"{SNIPPET_CHARS})"
        )
        params = [sample.q]
    else:
        snippet, params = f"left(text, {SNIPPET_CHARS})", []
    columns = (
        "doc_id, title, source_id, spdx, lang, length(text) AS characters, "
        f"round(quality_score, 3) AS quality_score, {snippet} AS snippet"
    )
    return columns, params


def _files_holding(files: SnapshotFiles, offset: int, limit: int) -> tuple[list[str], int]:
    """The files that hold rows [offset, offset + limit) and the offset inside the first."""
    chosen: list[str] = []
    start = 0
    local_offset = 0
    for data_file in files.files:
        end = start + data_file.records
        if end > offset and start < offset + limit:
            if not chosen:
                local_offset = offset - start
            chosen.append(data_file.path)
        start = end
    return chosen, local_offset


def sample_page(
    files: SnapshotFiles, sample: SampleFilter, *, page_size: int = PAGE_SIZE
) -> dict[str, Any]:
    """One page of rows matching `sample`, with the total number of matching rows."""
    import duckdb

    offset = (sample.page - 1) * page_size
    if not files.files:  # an empty version has no data file to read
        return _page([], 0, sample, page_size)
    columns, select_params = _select(sample)
    where, where_params = _where(sample)
    connection = duckdb.connect(":memory:")
    try:
        if sample.active:
            source = files.source()
            total = connection.execute(
                f"SELECT count(*) FROM {source}{where}", where_params
            ).fetchone()[0]
            paths, local_offset = files.paths, offset
        else:
            total = files.records
            paths, local_offset = _files_holding(files, offset, page_size)
        rows: list[dict[str, Any]] = []
        if paths and offset < total:
            cursor = connection.execute(
                f"SELECT {columns} FROM {files.source(paths)}{where} "
                f"LIMIT {int(page_size)} OFFSET {int(local_offset)}",
                [*select_params, *where_params],
            )
            names = [d[0] for d in cursor.description]
            rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    finally:
        connection.close()
    return _page(rows, int(total), sample, page_size)


def _page(
    rows: list[dict[str, Any]], total: int, sample: SampleFilter, page_size: int
) -> dict[str, Any]:
    return {
        "rows": rows,
        "total": total,
        "page": sample.page,
        "page_size": page_size,
        "pages": max(1, -(-total // page_size)),
        "filter": asdict(sample),
    }


def version_facets(files: SnapshotFiles) -> dict[str, Any]:
    """Documents per source (with its license mix), per license and per language.

    One grouped scan over three small columns: it fills the filter menus and the table of
    sources with licenses.
    """
    import duckdb

    if not files.files:
        return {"sources": [], "licenses": {}, "languages": {}}
    connection = duckdb.connect(":memory:")
    try:
        grouped = connection.execute(
            f"SELECT source_id, {_LICENSE} AS license, {_LANGUAGE} AS lang, count(*) AS n "
            f"FROM {files.source()} GROUP BY ALL"
        ).fetchall()
    finally:
        connection.close()
    sources: dict[str, dict[str, Any]] = {}
    licenses: dict[str, int] = {}
    languages: dict[str, int] = {}
    for source_id, license_id, lang, n in grouped:
        entry = sources.setdefault(
            source_id, {"source_id": source_id, "documents": 0, "licenses": {}}
        )
        entry["documents"] += n
        entry["licenses"][license_id] = entry["licenses"].get(license_id, 0) + n
        licenses[license_id] = licenses.get(license_id, 0) + n
        languages[lang] = languages.get(lang, 0) + n

    def by_count(counts: dict[str, int]) -> dict[str, int]:
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    ordered = sorted(sources.values(), key=lambda s: (-s["documents"], s["source_id"]))
    for entry in ordered:
        entry["licenses"] = by_count(entry["licenses"])
    return {"sources": ordered, "licenses": by_count(licenses), "languages": by_count(languages)}


def document_text(files: SnapshotFiles, doc_id: str) -> dict[str, Any] | None:
    """The text and content-derived fields of one document (None when it is not there)."""
    import duckdb

    if not files.files:
        return None
    connection = duckdb.connect(":memory:")
    try:
        cursor = connection.execute(
            "SELECT doc_id, text, title, author, metadata_json, lang, lang_score, "
            "quality_score, quality_signals, license_category "
            f"FROM {files.source()} WHERE doc_id = ? LIMIT 1",
            [doc_id],
        )
        names = [d[0] for d in cursor.description]
        row = cursor.fetchone()
    finally:
        connection.close()
    if row is None:
        return None
    record = dict(zip(names, row, strict=True))
    record["quality_signals"] = {
        entry["key"]: entry["value"] for entry in record.get("quality_signals") or []
    }
    return record
