"""Per-document license resolution: every document gets an SPDX expression and its evidence.

Layered, strongest first; each layer records what it found, so an audit sees every claim:

====================  ==========  ==========  ==============================================
layer                 evidence    confidence  where
====================  ==========  ==========  ==============================================
SPDX tag in the text  tag         0.99        `notices.find_document_evidence`
notice in the text    notice      0.90        idem (self-referential license statements)
file properties       metadata    0.80        idem (PDF/DOCX/ODF/HTML license properties)
manifest              manifest    0.90        `manifests` (`<file>.license`, LICENSES.csv/json,
                                              spec globs)
companion notice      notice      0.70        the notice of the document this one belongs to
                                              (`pep-0605/x.odp`, `pep-0602-x.pptx` ->
                                              `pep-0605.rst`, `pep-0602.rst`)
source declaration    default     0.60        `declared[source_id]` (0.0 when NOASSERTION)
====================  ==========  ==========  ==============================================

A document's own statement wins over manifests and the source default; disagreements are not
hidden: `attribution` (a JSON object) lists every other layer that named a different license
under `conflicts`, and an `SPDX-License-Identifier` that does not parse under `invalid_tag`.
`attribution` also carries what an attribution file needs: source, path, title, author,
copyright line, license, and the statement or manifest the license came from.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path, PurePosixPath

import polars as pl
import pyarrow as pa

from curation.schema import DOCUMENT_SCHEMA
from licensing.exceptions import LicenseExpressionError, LicensingError
from licensing.expressions import (
    NOASSERTION,
    expression_category,
    normalize_spdx,
    requires_attribution,
)
from licensing.manifests import (
    LICENSE_SUFFIX,
    MAX_MANIFEST_BYTES,
    license_files,
    match_rules,
    sidecar_rules,
    spec_rules,
)
from licensing.notices import find_document_evidence
from licensing.policy import LicensePolicy

log = logging.getLogger(__name__)


class Evidence(StrEnum):
    """Where a document's license came from (the `license_evidence` column)."""

    TAG = "tag"
    NOTICE = "notice"
    METADATA = "metadata"
    MANIFEST = "manifest"
    DEFAULT = "default"


CONFIDENCE = {
    "tag": 0.99,
    "notice": 0.90,
    "metadata": 0.80,
    "manifest": 0.90,
    "companion": 0.70,
    "default": 0.60,
    "unknown": 0.0,
}
# Documents whose notice a companion (an attachment, an appendix) may inherit.
COMPANION_SUFFIXES = (".rst", ".md", ".txt", ".html", ".htm")

_STRING = pl.String


def resolve_licenses(
    table: pa.Table,
    *,
    declared: Mapping[str, str],
    manifests: Mapping[str, Mapping[str, str]] | None = None,
    source_roots: Mapping[str, Path] | None = None,
    policy: LicensePolicy | None = None,
) -> pa.Table:
    """Fill `spdx`, `license_evidence`, `license_confidence`, `license_category`, `attribution`.

    `table` is a DOCUMENT_SCHEMA batch; `declared` maps source_id to the source's declared
    SPDX expression (missing or NOASSERTION: unknown); `manifests` maps source_id to the spec's
    `{glob: spdx}`; `source_roots` maps source_id to the folder its relative paths start from,
    where sidecar manifests and companion documents are looked up. `policy.declared_refs` names
    the `LicenseRef-*` ids that are valid here.

    Examples
    --------
    >>> from curation.schema import conform
    >>> batch = conform(pa.table({
    ...     "doc_id": ["a", "b"], "source_id": ["peps", "peps"], "source_uri": ["file:///a", "file:///b"],
    ...     "relative_path": ["pep-1.rst", "pep-2.rst"],
    ...     "text": ["Copyright\\n=========\\n\\nThis document has been placed in the public domain.\\n", "No notice."],
    ... }))
    >>> out = resolve_licenses(batch, declared={"peps": "NOASSERTION"})
    >>> out.select(["spdx", "license_evidence", "license_category"]).to_pylist()[0]
    {'spdx': 'LicenseRef-PublicDomain', 'license_evidence': 'notice', 'license_category': 'public_domain'}
    >>> out.column("spdx")[1].as_py(), out.column("license_confidence")[1].as_py()
    ('NOASSERTION', 0.0)
    """
    refs = dict(policy.declared_refs) if policy else {}
    n = table.num_rows
    docs = pl.DataFrame(
        {
            name: _column(table, name, n)
            for name in ("source_id", "source_uri", "relative_path", "title", "author")
        }
    )
    found = find_document_evidence(
        _column(table, "text", n), _column(table, "metadata_json", n), declared_refs=refs
    )
    manifest = _manifest_evidence(docs, manifests or {}, source_roots or {}, refs)
    default = _declared(docs["source_id"], declared, refs)
    own = found.select(pl.coalesce("tag", "notice", "metadata"))[:, 0]
    needs_companion = own.is_null() & manifest["spdx"].is_null()
    companion = _companions(docs, found, needs_companion, source_roots or {}, refs)

    frame = pl.concat(
        [
            docs,
            found,
            manifest.rename(
                {"spdx": "manifest", "origin": "manifest_origin", "copyright": "manifest_copyright"}
            ),
            companion,
            pl.DataFrame({"default": default}),
        ],
        how="horizontal",
    )
    resolved = frame.with_columns(
        pl.coalesce("tag", "notice", "metadata", "manifest", "companion", "default").alias("spdx"),
        pl.when(pl.col("tag").is_not_null())
        .then(pl.lit("tag"))
        .when(pl.col("notice").is_not_null())
        .then(pl.lit("notice"))
        .when(pl.col("metadata").is_not_null())
        .then(pl.lit("metadata"))
        .when(pl.col("manifest").is_not_null())
        .then(pl.lit("manifest"))
        .when(pl.col("companion").is_not_null())
        .then(pl.lit("companion"))
        .when(pl.col("default") != NOASSERTION)
        .then(pl.lit("default"))
        .otherwise(pl.lit("unknown"))
        .alias("layer"),
    )
    spdx_values = resolved["spdx"].unique().to_list()
    category = {s: expression_category(s, declared_refs=refs).value for s in spdx_values}
    attribution_needed = {s: requires_attribution(s) for s in spdx_values}
    resolved = resolved.with_columns(
        pl.col("layer")
        .replace_strict(
            {"companion": Evidence.NOTICE.value, "unknown": Evidence.DEFAULT.value},
            default=pl.col("layer"),
            return_dtype=_STRING,
        )
        .alias("evidence"),
        pl.col("layer").replace_strict(CONFIDENCE, return_dtype=pl.Float32).alias("confidence"),
        pl.col("spdx").replace_strict(category, return_dtype=_STRING).alias("category"),
        pl.col("spdx")
        .replace_strict(attribution_needed, return_dtype=pl.Boolean)
        .alias("requires"),
    )
    attribution = resolved.select(_attribution_json().alias("attribution"))["attribution"]

    columns = {
        "spdx": resolved["spdx"],
        "license_evidence": resolved["evidence"],
        "license_confidence": resolved["confidence"],
        "license_category": resolved["category"],
        "attribution": attribution,
    }
    out = table
    for name, values in columns.items():
        field = DOCUMENT_SCHEMA.field(name)
        array = values.to_arrow().cast(field.type)
        if name in out.column_names:
            out = out.set_column(out.column_names.index(name), field, array)
        else:
            out = out.append_column(field, array)
    return out


def _column(table: pa.Table, name: str, n: int) -> pl.Series:
    if name not in table.column_names:
        return pl.Series(name, [None] * n, dtype=_STRING)
    return pl.Series(name, table.column(name).combine_chunks().cast(pa.large_string())).cast(
        _STRING
    )


def _declared(
    source_ids: pl.Series, declared: Mapping[str, str], refs: Mapping[str, str]
) -> pl.Series:
    normalized: dict[str, str] = {}
    for source_id in source_ids.drop_nulls().unique().to_list():
        value = declared.get(source_id)
        if value is None:
            log.warning(
                "source %r declares no license: its documents default to NOASSERTION", source_id
            )
            value = NOASSERTION
        try:
            normalized[source_id] = normalize_spdx(value, declared_refs=refs)
        except LicenseExpressionError as error:
            raise LicensingError(
                f"declared license of source {source_id!r}: {error}; fix the source's license in the spec"
            ) from error
    return source_ids.replace_strict(normalized, default=NOASSERTION, return_dtype=_STRING)


def _manifest_evidence(
    docs: pl.DataFrame,
    manifests: Mapping[str, Mapping[str, str]],
    source_roots: Mapping[str, Path],
    refs: Mapping[str, str],
) -> pl.DataFrame:
    """Winning manifest rule per document: `<file>.license`, then folder, then spec."""
    schema = {"spdx": _STRING, "origin": _STRING, "copyright": _STRING}
    parts = [pl.DataFrame(schema={"row": pl.UInt32, **schema})]
    for (source_id,), group in docs.with_row_index("row").group_by(
        "source_id", maintain_order=True
    ):
        paths = group["relative_path"]
        rules = spec_rules(str(source_id), manifests.get(str(source_id), {}), declared_refs=refs)
        files = pl.DataFrame(
            {"file_spdx": [None] * len(paths), "file_copyright": [None] * len(paths)},
            schema={"file_spdx": _STRING, "file_copyright": _STRING},
        )
        root = source_roots.get(str(source_id))
        if root is not None:
            rules += sidecar_rules(Path(root), paths.drop_nulls().to_list(), declared_refs=refs)
            found, holders = license_files(Path(root), paths.to_list(), declared_refs=refs)
            files = pl.DataFrame(
                {"file_spdx": found, "file_copyright": holders}, schema=files.schema
            )
        matched = match_rules(paths, rules)
        has_file = pl.col("file_spdx").is_not_null()
        parts.append(
            pl.concat(
                [group.select("row", "relative_path"), files, matched], how="horizontal"
            ).select(
                "row",
                pl.coalesce("file_spdx", "spdx").alias("spdx"),
                pl.when(has_file)
                .then(pl.col("relative_path") + LICENSE_SUFFIX)
                .otherwise(pl.col("origin"))
                .alias("origin"),
                pl.when(has_file)
                .then(pl.col("file_copyright"))
                .otherwise(pl.col("copyright"))
                .alias("copyright"),
            )
        )
    return pl.concat(parts).sort("row").drop("row")


def companion_stems(path: str) -> list[str]:
    """Stems of documents `path` may belong to, closest first.

    `a/pep-0602-calendar.pptx` -> `a/pep-0602`; `a/pep-0605/x.odp` -> `a/pep-0605`: an
    attachment named after its document, or kept in a folder named after it.
    """
    pure = PurePosixPath(path)
    out: list[str] = []
    parts = pure.stem.split("-")
    out += [str(pure.parent / "-".join(parts[:k])) for k in range(len(parts) - 1, 0, -1)]
    if pure.parent.name:
        out.append(str(pure.parent))
        folder_parts = pure.parent.name.split("-")
        out += [
            str(pure.parent.parent / "-".join(folder_parts[:k]))
            for k in range(len(folder_parts) - 1, 0, -1)
        ]
    return [c.removeprefix("./") for c in out]


def _companions(
    docs: pl.DataFrame,
    found: pl.DataFrame,
    needs: pl.Series,
    source_roots: Mapping[str, Path],
    refs: Mapping[str, str],
) -> pl.DataFrame:
    """License stated by a companion document, for documents with no evidence of their own."""
    n = docs.height
    spdx: list[str | None] = [None] * n
    origin: list[str | None] = [None] * n
    statement: list[str | None] = [None] * n
    holder: list[str | None] = [None] * n
    need_rows = [i for i, flag in enumerate(needs.to_list()) if flag]
    if need_rows:
        stated = pl.concat([docs, found], how="horizontal").with_row_index("row")
        stated = stated.filter(pl.col("tag").is_not_null() | pl.col("notice").is_not_null())
        known: dict[tuple[str, str], tuple[str, str, str | None, str | None]] = {}
        for row in stated.iter_rows(named=True):
            if row["relative_path"]:
                stem = str(PurePosixPath(row["relative_path"]).with_suffix(""))
                known[(row["source_id"], stem)] = (
                    row["tag"] or row["notice"],
                    row["relative_path"],
                    row["notice_text"],
                    row["copyright"],
                )
        source_ids = docs["source_id"].to_list()
        paths = docs["relative_path"].to_list()
        missing: dict[tuple[str, str], Path] = {}
        for i in need_rows:
            if not paths[i]:
                continue
            for stem in companion_stems(paths[i]):
                key = (source_ids[i], stem)
                if key not in known and key not in missing and source_ids[i] in source_roots:
                    on_disk = _companion_file(Path(source_roots[source_ids[i]]), stem)
                    if on_disk is not None:
                        missing[key] = on_disk
        known.update(_read_companions(missing, refs))
        for i in need_rows:
            for stem in companion_stems(paths[i]) if paths[i] else ():
                hit = known.get((source_ids[i], stem))
                if hit is not None:
                    spdx[i], origin[i], statement[i], holder[i] = hit
                    break
    return pl.DataFrame(
        {
            "companion": spdx,
            "companion_path": origin,
            "companion_text": statement,
            "companion_copyright": holder,
        },
        schema={
            k: _STRING
            for k in ("companion", "companion_path", "companion_text", "companion_copyright")
        },
    )


def _companion_file(root: Path, stem: str) -> Path | None:
    if ".." in PurePosixPath(stem).parts or PurePosixPath(stem).is_absolute():
        return None
    for suffix in COMPANION_SUFFIXES:
        path = root / (stem + suffix)
        try:
            if (
                not path.is_symlink()
                and path.is_file()
                and path.stat().st_size <= 20 * MAX_MANIFEST_BYTES
                and path.resolve().is_relative_to(root.resolve())
            ):
                return path
        except OSError:
            continue
    return None


def _read_companions(
    files: Mapping[tuple[str, str], Path], refs: Mapping[str, str]
) -> dict[tuple[str, str], tuple[str, str, str | None, str | None]]:
    """Notices of companion documents that are not in the batch, read from the source."""
    if not files:
        return {}
    keys = list(files)
    texts = [files[k].read_text(encoding="utf-8", errors="replace") for k in keys]
    found = find_document_evidence(
        pl.Series(texts, dtype=_STRING),
        pl.Series([None] * len(keys), dtype=_STRING),
        declared_refs=refs,
    )
    out = {}
    for key, path, row in zip(keys, files.values(), found.iter_rows(named=True), strict=True):
        license_ = row["tag"] or row["notice"]
        if license_:
            out[key] = (license_, key[1] + path.suffix, row["notice_text"], row["copyright"])
    return out


def _attribution_json() -> pl.Expr:
    """The attribution object of each document, JSON-encoded column-wise."""
    others = [
        ("tag", pl.col("tag")),
        ("notice", pl.col("notice")),
        ("metadata", pl.col("metadata")),
        ("manifest", pl.col("manifest")),
        ("default", pl.when(pl.col("default") != NOASSERTION).then(pl.col("default"))),
    ]
    conflicts = pl.concat_list(
        [
            pl.when(value.is_not_null() & (value != pl.col("spdx"))).then(
                pl.struct(pl.lit(name).alias("evidence"), value.alias("spdx"))
            )
            for name, value in others
        ]
    ).list.drop_nulls()
    return pl.struct(
        pl.col("spdx").alias("license"),
        pl.col("evidence"),
        pl.col("source_id"),
        pl.col("source_uri"),
        pl.col("relative_path").alias("path"),
        pl.col("title"),
        pl.col("author"),
        pl.coalesce("copyright", "manifest_copyright", "companion_copyright").alias("copyright"),
        pl.when(pl.col("layer") == "notice")
        .then(pl.col("notice_text"))
        .when(pl.col("layer") == "companion")
        .then(pl.col("companion_text"))
        .alias("statement"),
        pl.when(pl.col("layer") == "manifest").then(pl.col("manifest_origin")).alias("manifest"),
        pl.col("companion_path").alias("inherited_from"),
        pl.col("requires").alias("requires_attribution"),
        conflicts.alias("conflicts"),
        pl.when(pl.col("tag").is_null()).then(pl.col("tag_raw")).alias("invalid_tag"),
    ).struct.json_encode()
