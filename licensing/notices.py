"""License evidence inside documents, found column-wise over a whole batch with polars regexes.

Three kinds, each a column:

- **tag**: an `SPDX-License-Identifier:` line (REUSE / SPDX convention), the strongest
  statement a file can make about itself.
- **notice**: a sentence in which the document speaks about its own license: it starts with
  a self-reference ("This document/PEP/work/material ...", "The rest of this document ...") at
  the start of a line or sentence, or with "Licensed/Released under ..." (page footers), it has
  a licensing predicate ("placed in the public domain", "under", "subject to", "licensed"), and
  it names a license we recognize (`classify_license_text`). Mentions of licenses elsewhere
  ("The Advisory Database is licensed under CC-BY-4.0", "the license on every repo must be
  CC0") are not statements about the document and are ignored. Statements indented four or more
  spaces are quoted examples (reST literal blocks, templates) and are ignored too. When a
  document has several statements, the last one wins: copyright sections close documents.
- **metadata**: a license, rights or copyright property of the file (PDF info, DOCX/ODF core
  properties, HTML meta), given as an SPDX id or as text the same classifier understands.

Nothing here loops over documents in Python: regexes run over the batch's columns, and SPDX
normalization runs once per distinct candidate string.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import polars as pl

from licensing.expressions import NOASSERTION, PUBLIC_DOMAIN_REF, try_normalize

# A statement may run over lines; it ends at a sentence end, a blank line or the text's end.
# Line starts are written `(?:\A|\n)`, not `(?m)^`: multi-line anchors keep the regex engine
# from skipping ahead to its literals and cost 15x on a real corpus.
_SENTENCE_END = r"(?s:.{0,400}?)(?:[.!?](?:\s|<|\z)|\n[ \t]*\n|\z)"
_LINE_START = r"(?:\A|\n)[ \t]{0,3}"
_SELF = (
    r"(?:this|the\s+rest\s+of\s+this)\s+(?:p\.e\.p\.|(?:document|pep|work|material|file|page|"
    r"text|article|agreement|content|documentation|specification)\b)"
)
# at a line start (indented at most 3 spaces: deeper is a quoted block) or after a sentence
_SELF_STATEMENT = rf"(?:{_LINE_START}|[.;:!?>)][ \t]+){_SELF}{_SENTENCE_END}"
_FOOTER_STATEMENT = (
    rf"(?:{_LINE_START}|[.>][ \t]*)(?:licen[cs]ed|released|distributed|dedicated|"
    rf"made\s+available)\s+(?:under|to\s+the\s+public\s+domain)\b{_SENTENCE_END}"
)
# one alternation, so that extract_all lists statements in text order
STATEMENT = rf"(?i){_SELF_STATEMENT}|{_FOOTER_STATEMENT}"
# Unanchored words every statement contains; cheap to search for (see find_document_evidence).
_KEY_WORDS = (
    r"(?i)(?:this|the\s+rest\s+of\s+this)\s+(?:p\.e\.p\.|document|pep|work|material|file|page|text|"
    r"article|agreement|content|documentation|specification)|(?:licen[cs]ed|released|distributed|"
    r"dedicated|made\s+available)\s+(?:under|to\s+the\s+public)"
)
_PARTIAL = r"(?i)\bthe\s+rest\s+of\s+this\b"
_PREDICATE = r"(?i)(?:in|into|to)\s+the\s+public[\s-]+domain|\bunder\b|subject\s+to|\blicen[cs]ed\b"
TAG = r"(?i)SPDX-License-Identifier:[ \t]*([^\r\n]+)"
# A year right after the keyword tells a copyright line from prose about copyright.
COPYRIGHT = (
    r"(?i)((?:SPDX-FileCopyrightText:|copyright\b|©)[ \t]*(?:\(c\)|©)?[ \t]*"
    r"(?:by[ \t]+)?\d{4}[^\n<]{0,160})"
)
METADATA_LICENSE = r'(?i)"[^"]*(?:licen[cs]e|rights|usageterms)[^"]*"\s*:\s*"((?:[^"\\]|\\.)*)"'
METADATA_COPYRIGHT = r'(?i)"[^"]*copyright[^"]*"\s*:\s*"((?:[^"\\]|\\.){1,200})"'

# Vocabulary: what a notice's words name. Regexes on the statement text, case-insensitive.
_PD = r"(?i)public[\s-]+domain"
_PD_DEDICATION = r"(?i)public[\s-]+domain[\s-]+dedication"
_CC0 = r"(?i)\bCC0\b|\bCC[\s-]?zero\b|creative\s+commons\s+zero|publicdomain/zero"
_CC_URL = r"(?i)creativecommons\.org/licenses/(by(?:-nc)?(?:-sa|-nd)?)/(\d\.\d)"
_CC_NAME = (
    r"(?i)creative\s+commons\s+attribution(?:[\s-]+(non-?commercial))?"
    r"(?:[\s-]+(share-?alike|no-?deriv(?:ative)?s))?(?:\s+licen[cs]e)?[\s,]*(?:version\s+|v)?(\d\.\d)"
)
_CC_SHORT = r"(?i)\bCC[\s-]BY(?:[\s-](NC))?(?:[\s-](SA|ND))?[\s-]+(\d\.\d)"
_SIMPLE: tuple[tuple[str, str], ...] = (
    (
        "Apache-2.0",
        r"(?i)apache\s+licen[cs]e,?\s+(?:version\s+|v)?2\.0|apache\.org/licenses/LICENSE-2\.0"
        r"|\bapache[\s-]2\.0\b",
    ),
    ("MIT", r"(?i)\bMIT\s+licen[cs]e\b|opensource\.org/licenses/MIT\b|\bunder\s+the\s+MIT\b"),
    ("OPUBL-1.0", r"(?i)open\s+publication\s+licen[cs]e|opencontent\.org/openpub"),
    ("BSD-3-Clause", r"(?i)\bBSD[\s-]3[\s-]clause\b|\b(?:new|revised|modified)\s+BSD\s+licen"),
    ("BSD-2-Clause", r"(?i)\bBSD[\s-]2[\s-]clause\b|\bsimplified\s+BSD\s+licen"),
    ("Unlicense", r"(?i)\bthe\s+unlicense\b|unlicense\.org"),
    ("GPL-3.0-or-later", r"(?i)GNU\s+General\s+Public\s+Licen[cs]e.{0,40}?3.{0,60}?later"),
    ("GPL-2.0-or-later", r"(?i)GNU\s+General\s+Public\s+Licen[cs]e.{0,40}?2.{0,60}?later"),
    ("LGPL-2.1-or-later", r"(?i)GNU\s+Lesser\s+General\s+Public\s+Licen[cs]e.{0,40}?2\.1"),
)
_ALTERNATIVE = r"(?i)\b(?:or|either|whichever|dual[\s-]licen[cs]ed|alternatively)\b"


def _cc_id(groups: pl.Expr, nc: str, variant: str, version: str) -> pl.Expr:
    """`CC-BY[-NC][-SA|-ND]-<version>` from the captured parts of a CC name or URL."""
    nc_part = (
        pl.when(groups.struct.field(nc).is_not_null()).then(pl.lit("-NC")).otherwise(pl.lit(""))
    )
    v = groups.struct.field(variant).str.to_uppercase().str.replace_all("-", "")
    variant_part = (
        pl.when(v.str.starts_with("SHARE") | (v == "SA"))
        .then(pl.lit("-SA"))
        .when(v.str.starts_with("NO") | (v == "ND"))
        .then(pl.lit("-ND"))
        .otherwise(pl.lit(""))
    )
    return pl.concat_str(
        [pl.lit("CC-BY"), nc_part, variant_part, pl.lit("-"), groups.struct.field(version)]
    )


def classify_license_text(text: pl.Expr) -> pl.Expr:
    """SPDX expression named by a piece of license text (a notice, a property), else null.

    Several names in one statement combine with OR when the statement offers a choice ("public
    domain or CC0, whichever is more permissive"), else with AND. Public domain plus CC0 is
    always the choice `LicenseRef-PublicDomain OR CC0-1.0`: CC0 is the fallback where a
    dedication to the public domain is not legally possible. "CC0 public domain dedication" is
    the name of CC0 alone.

    Examples
    --------
    >>> df = pl.DataFrame({"t": [
    ...     "This document has been placed in the public domain.",
    ...     "placed in the public domain or under the CC0-1.0-Universal license",
    ...     "licensed under a Creative Commons Attribution-ShareAlike 4.0 License",
    ...     "Licensed under the Apache License, Version 2.0.",
    ...     "This document is the property of the PSU.",
    ... ]})
    >>> df.select(classify_license_text(pl.col("t")).alias("spdx"))["spdx"].to_list()
    ['LicenseRef-PublicDomain', 'LicenseRef-PublicDomain OR CC0-1.0', 'CC-BY-SA-4.0', 'Apache-2.0', None]
    """
    pd = text.str.count_matches(_PD) > text.str.count_matches(_PD_DEDICATION)
    cc0 = text.str.contains(_CC0)
    cc_url = text.str.extract_groups(_CC_URL)
    cc_url_id = pl.concat_str(
        [
            pl.lit("CC-"),
            cc_url.struct.field("1").str.to_uppercase(),
            pl.lit("-"),
            cc_url.struct.field("2"),
        ]
    )
    cc_name_id = _cc_id(text.str.extract_groups(_CC_NAME), "1", "2", "3")
    cc_short_id = _cc_id(text.str.extract_groups(_CC_SHORT), "1", "2", "3")
    parts = [
        pl.when(pd).then(pl.lit(PUBLIC_DOMAIN_REF)),
        pl.when(cc0).then(pl.lit("CC0-1.0")),
        pl.coalesce(cc_url_id, cc_name_id, cc_short_id),
        *(pl.when(text.str.contains(pattern)).then(pl.lit(spdx)) for spdx, pattern in _SIMPLE),
    ]
    ids = pl.concat_list(parts).list.drop_nulls().list.unique(maintain_order=True)
    choice = text.str.contains(_ALTERNATIVE) | (pd & cc0)
    joined = pl.when(choice).then(ids.list.join(" OR ")).otherwise(ids.list.join(" AND "))
    return pl.when(ids.list.len() > 0).then(joined).otherwise(pl.lit(None, pl.String))


def _normalize_column(values: pl.Series, declared_refs: Iterable[str]) -> pl.Series:
    """Normalize each distinct candidate once; invalid ones become null."""
    refs = tuple(declared_refs)
    mapping = {v: try_normalize(v, declared_refs=refs) for v in values.drop_nulls().unique()}
    return values.replace_strict(mapping, default=None, return_dtype=pl.String)


def _asserted(values: pl.Series) -> pl.Series:
    """NOASSERTION in a tag or a property says nothing: it must not hide other evidence."""
    return values.set(values == NOASSERTION, None)


def _clean_tag(tag: pl.Expr) -> pl.Expr:
    """Drop comment closers and trailing punctuation that share the tag's line."""
    return (
        tag.str.replace(r"(?:\*/|-->|#\}|%>|\]\]>|\"\"\"|''').*$", "")
        .str.strip_chars()
        .str.strip_chars_end(".,;\"'`")
        .str.strip_chars()
    )


def find_document_evidence(
    text: pl.Series,
    metadata_json: pl.Series,
    *,
    declared_refs: Mapping[str, str] | Iterable[str] = (),
) -> pl.DataFrame:
    """Evidence columns for a batch: one row per document, in order.

    Columns: `tag_raw` (the tag as written), `tag` (normalized or null when invalid),
    `notice` (SPDX of the last statement), `notice_text` (that statement, whitespace folded,
    at most 300 chars), `metadata` (SPDX from properties), `copyright` (first copyright line,
    from the text or the properties).

    Examples
    --------
    >>> ev = find_document_evidence(
    ...     pl.Series(["# SPDX-License-Identifier: mit\\nhello", "Copyright 2020 Jane Roe\\n\\n"
    ...               "This document has been placed in the public domain.", None]),
    ...     pl.Series([None, None, '{"rights": "CC-BY-4.0"}']),
    ... )
    >>> ev.select("tag", "notice", "metadata", "copyright").rows()
    [('MIT', None, None, None), (None, 'LicenseRef-PublicDomain', None, 'Copyright 2020 Jane Roe'), (None, None, 'CC-BY-4.0', None)]
    """
    refs = tuple(declared_refs)
    n = len(text)
    frame = pl.DataFrame(
        {"text": text.cast(pl.String), "meta": metadata_json.cast(pl.String)}
    ).with_row_index("row")
    found = frame.select(
        "row",
        _clean_tag(pl.col("text").str.extract(TAG, 1)).alias("tag_raw"),
        pl.col("text").str.extract(COPYRIGHT, 1).str.strip_chars().alias("copyright_text"),
        pl.col("meta").str.extract(METADATA_LICENSE, 1).alias("meta_value"),
        pl.col("meta").str.extract(METADATA_COPYRIGHT, 1).str.strip_chars().alias("meta_copyright"),
    )
    # Statements never cross a blank line, so the text is cut into paragraphs and the anchored
    # statement regex runs only on paragraphs that contain its key words: a regex that starts
    # with a character class (line start, sentence end) is slow to search a whole corpus with.
    paragraphs = (
        frame.select("row", pl.col("text").str.split("\n\n").alias("paragraph"))
        .explode("paragraph")
        .filter(pl.col("paragraph").str.contains(_KEY_WORDS))
    )
    statements = (
        paragraphs.select("row", pl.col("paragraph").str.extract_all(STATEMENT).alias("statement"))
        .explode("statement")
        .drop_nulls("statement")
        .with_columns(pl.col("statement").str.replace_all(r"\s+", " ").str.strip_chars())
        .filter(pl.col("statement").str.contains(_PREDICATE))
        .with_columns(classify_license_text(pl.col("statement")).alias("notice_raw"))
        .drop_nulls("notice_raw")
        .with_columns(
            # "The rest of this document is ...": some of it is under terms the statement does
            # not name, so the document as a whole is not known to be under the named license
            pl.when(pl.col("statement").str.contains(_PARTIAL))
            .then(pl.concat_str(pl.lit("("), "notice_raw", pl.lit(f") AND {NOASSERTION}")))
            .otherwise("notice_raw")
            .alias("notice_raw")
        )
    )
    # the last statement in the text wins: copyright sections and footers close documents
    last = statements.group_by("row", maintain_order=True).agg(
        pl.col("notice_raw").last(),
        pl.col("statement").last().str.slice(0, 300).alias("notice_text"),
    )
    # a license property first; a copyright property only when it names a license itself
    meta_vocab = found.select(
        "row",
        pl.coalesce(
            classify_license_text(pl.col("meta_value")),
            classify_license_text(pl.col("meta_copyright")),
        ).alias("meta_vocab"),
    )
    out = found.join(last, on="row", how="left").join(meta_vocab, on="row", how="left").sort("row")
    meta_direct = _normalize_column(out["meta_value"], refs)
    meta_words = _normalize_column(out["meta_vocab"], refs)
    metadata = meta_direct.fill_null(meta_words)
    return pl.DataFrame(
        {
            "tag_raw": out["tag_raw"],
            "tag": _asserted(_normalize_column(out["tag_raw"], refs)),
            "notice": _normalize_column(out["notice_raw"], refs),
            "notice_text": out["notice_text"],
            "metadata": _asserted(metadata),
            "copyright": out["copyright_text"].fill_null(out["meta_copyright"]),
        },
        schema={
            "tag_raw": pl.String,
            "tag": pl.String,
            "notice": pl.String,
            "notice_text": pl.String,
            "metadata": pl.String,
            "copyright": pl.String,
        },
    ).head(n)
