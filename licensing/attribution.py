"""What a version owes its authors: the license mix and an attribution file for export.

Both read only the columns `resolve_licenses` filled (`spdx`, `license_category`,
`attribution`, provenance), so the catalog can call them on any stored version.
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

_FACTS = pl.Struct(
    {
        "license": pl.String,
        "source_uri": pl.String,
        "path": pl.String,
        "title": pl.String,
        "author": pl.String,
        "copyright": pl.String,
        "requires_attribution": pl.Boolean,
    }
)


def license_summary(table: pa.Table) -> pa.Table:
    """Documents per source and license: source_id, spdx, license_category, license_evidence, documents.

    Examples
    --------
    >>> t = pa.table({"source_id": ["a", "a", "b"], "spdx": ["MIT", "MIT", "CC0-1.0"],
    ...               "license_category": ["permissive", "permissive", "public_domain"],
    ...               "license_evidence": ["default", "default", "notice"]})
    >>> license_summary(t).to_pylist()[0]
    {'source_id': 'a', 'spdx': 'MIT', 'license_category': 'permissive', 'license_evidence': 'default', 'documents': 2}
    """
    keys = ["source_id", "spdx", "license_category", "license_evidence"]
    frame = pl.from_arrow(table.select(keys))
    assert isinstance(frame, pl.DataFrame)
    return (
        frame.group_by(keys)
        .agg(pl.len().cast(pl.Int64).alias("documents"))
        .sort(["source_id", "documents", "spdx"], descending=[False, True, False])
        .to_arrow()
    )


def render_attribution(table: pa.Table, *, title: str = "Attributions") -> str:
    """A Markdown attribution file for the documents whose license asks for credit.

    One section per license, one line per document: title or path, author or copyright line,
    and where it came from. Licenses that ask for nothing (CC0, public domain) are counted, not
    listed. Text from documents is escaped so it cannot inject Markdown links or HTML.

    Examples
    --------
    >>> import json
    >>> facts = {"license": "CC-BY-4.0", "source_uri": "file:///d/a.md", "path": "a.md",
    ...          "title": "Guide", "author": None, "copyright": "Copyright 2024 ACME",
    ...          "requires_attribution": True}
    >>> print(render_attribution(pa.table({"attribution": [json.dumps(facts)]})))
    # Attributions
    <BLANKLINE>
    ## CC-BY-4.0 (1 document)
    <BLANKLINE>
    - Guide — Copyright 2024 ACME — file:///d/a.md
    <BLANKLINE>
    """
    facts = (
        pl.from_arrow(table.select(["attribution"]))
        .select(pl.col("attribution").str.json_decode(_FACTS).alias("f"))
        .unnest("f")
    )
    assert isinstance(facts, pl.DataFrame)
    owed = facts.filter(pl.col("requires_attribution").fill_null(False))
    free = facts.height - owed.height
    lines = [f"# {title}", ""]
    for (license_,), group in owed.sort("license", "path").group_by("license", maintain_order=True):
        count = group.height
        lines += [f"## {_escape(license_)} ({count} document{'s' if count != 1 else ''})", ""]
        for row in group.iter_rows(named=True):
            # A version's attribution carries no source URI or path (they stay in the catalog).
            name = row["title"] or row["path"] or row["source_uri"] or "untitled document"
            credit = row["copyright"] or row["author"]
            parts = (
                [_escape(name)]
                + ([_escape(credit)] if credit else [])
                + ([_escape(row["source_uri"])] if row["source_uri"] else [])
            )
            lines.append("- " + " — ".join(parts))
        lines.append("")
    if free:
        lines += [f"{free} further document(s) are under licenses that require no attribution.", ""]
    return "\n".join(lines)


def _escape(value: str | None) -> str:
    """Neutralize Markdown/HTML syntax in untrusted text (invariant 5)."""
    text = " ".join(str(value or "").split())
    for char in "\\`*_{}[]()<>#|!":
        text = text.replace(char, "\\" + char)
    return text
