"""Export a version as plain Parquet with a dataset card and an attribution file.

For consumers without an Iceberg reader (a training job reading Parquet, `datasets`): the
version's rows as Parquet files, `README.md` (a dataset card: how it was made, what it holds,
license mix, stage counts), `ATTRIBUTION.md` for licenses that require credit, and
`manifest.json` with the files' sha256 so a copy can be verified.

Provenance identifiers (`PROVENANCE_IDENTIFIERS`: the source URI and the path inside the source)
stay in the version, where audit, lineage and erasure need them, but are left out of what feeds
training unless asked for: a file named `jane_doe_cv.txt` names a person in its path. The card
says which columns were left out and why.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from catalogs.exceptions import CatalogError
from catalogs.query import parse_reference
from catalogs.versions import get_version, load_dataset_table
from licensing.attribution import license_summary, render_attribution

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

ROWS_PER_FILE = 50_000
# Columns that locate a document at its source: kept in the version, left out of training data.
PROVENANCE_IDENTIFIERS = ("source_uri", "relative_path")
PROVENANCE_REASON = (
    "they locate each document at its source (file share paths, object keys), which can name "
    "people (a CV saved under its owner's name); they stay in the catalog for audit, lineage and erasure"
)


def training_columns(schema: pa.Schema, *, include_provenance: bool = False) -> list[str]:
    """The columns of a version that go to a training consumer.

    Examples
    --------
    >>> schema = pa.schema([("doc_id", pa.string()), ("text", pa.string()),
    ...                     ("source_uri", pa.string()), ("relative_path", pa.string())])
    >>> training_columns(schema)
    ['doc_id', 'text']
    >>> training_columns(schema, include_provenance=True)
    ['doc_id', 'text', 'source_uri', 'relative_path']
    """
    if include_provenance:
        return list(schema.names)
    return [name for name in schema.names if name not in PROVENANCE_IDENTIFIERS]


def read_training_table(
    catalog: Catalog, reference: str, *, include_provenance: bool = False
) -> pa.Table:
    """A version's rows as a training job should get them (sorted by `doc_id`)."""
    name, version_name = parse_reference(reference)
    version = get_version(catalog, name, version_name)
    table = load_dataset_table(catalog, name).scan(snapshot_id=version.snapshot_id).to_arrow()
    columns = training_columns(table.schema, include_provenance=include_provenance)
    return table.select(columns).sort_by("doc_id")


def export_version(
    catalog: Catalog,
    reference: str,
    out_dir: Path,
    *,
    overwrite: bool = False,
    include_provenance: bool = False,
) -> dict[str, Any]:
    """Write one version to `out_dir` as Parquet + README.md + ATTRIBUTION.md + manifest.json.

    `include_provenance` keeps `source_uri` and `relative_path` in the Parquet files (for an
    export that stays on the premises, e.g. to an audit tool).
    """
    name, version_name = parse_reference(reference)
    version = get_version(catalog, name, version_name)
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise CatalogError(f"{out_dir} is not empty: choose an empty folder or pass --overwrite")
    (out_dir / "data").mkdir(parents=True, exist_ok=True)
    table = load_dataset_table(catalog, name).scan(snapshot_id=version.snapshot_id).to_arrow()
    left_out = (
        [] if include_provenance else [c for c in PROVENANCE_IDENTIFIERS if c in table.schema.names]
    )
    table = table.select(training_columns(table.schema, include_provenance=include_provenance))
    table = table.sort_by("doc_id")
    files = []
    for number, start in enumerate(range(0, max(table.num_rows, 1), ROWS_PER_FILE)):
        path = out_dir / "data" / f"part-{number:05d}.parquet"
        pq.write_table(table.slice(start, ROWS_PER_FILE), path, compression="zstd")
        files.append(path)
    licenses = license_summary(table)
    (out_dir / "ATTRIBUTION.md").write_text(
        render_attribution(table, title=f"Attributions for {version.dataset}@{version.name}"),
        encoding="utf-8",
    )
    (out_dir / "README.md").write_text(
        _dataset_card(version.as_dict(), table, licenses, left_out), encoding="utf-8"
    )
    manifest = {
        "dataset": version.dataset,
        "version": version.name,
        "snapshot_id": version.snapshot_id,
        "run_id": version.run_id,
        "rows": table.num_rows,
        "columns_left_out": left_out,
        "files": [
            {
                "path": str(p.relative_to(out_dir)),
                "bytes": p.stat().st_size,
                "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
            }
            for p in files
        ],
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return {**manifest, "out_dir": str(out_dir)}


def _dataset_card(
    version: dict[str, Any], table: pa.Table, licenses: pa.Table, left_out: list[str]
) -> str:
    summary = version.get("summary", {})
    lines = [
        f"# {version['dataset']} — version {version['version']}",
        "",
        "Curated on premises by sovereign-curate. Every document below kept its provenance "
        "(source URI, sha256 of the original bytes, extractor and version) and its license "
        "with the evidence for it; PII was redacted in every content-derived column (`text`, "
        "`title`, `metadata_json`, `attribution`; author metadata is dropped or redacted, and "
        "attribution keeps a credited name only where the license requires it), with counts "
        "per type in `pii_counts`.",
        "",
        "## How it was made",
        "",
        f"- run id: `{version['run_id']}`",
        f"- spec fingerprint: `{version['spec_fingerprint']}`",
        f"- code version: `{version['code_version']}`",
        f"- committed: {version['created_at']}",
        f"- inputs {summary.get('inputs', '?')}, kept {summary.get('kept', table.num_rows)}, "
        f"dropped {summary.get('dropped', '?')}, quarantined {summary.get('quarantined', '?')}",
        "",
        "| stage | kept | modified | dropped | quarantined |",
        "|---|---|---|---|---|",
    ]
    for stage, counts in summary.get("by_stage", {}).items():
        cells = " | ".join(
            str(counts.get(k, 0)) for k in ("kept", "modified", "dropped", "quarantined")
        )
        lines.append(f"| {stage} | {cells} |")
    lines += [
        "",
        "## Licenses",
        "",
        "| source | license | category | evidence | documents |",
        "|---|---|---|---|---|",
    ]
    for row in licenses.to_pylist():
        lines.append(
            f"| {row['source_id']} | {row['spdx']} | {row['license_category']} | "
            f"{row['license_evidence']} | {row['documents']} |"
        )
    lines += ["", "See ATTRIBUTION.md for the credit that licenses such as CC-BY require.", ""]
    lines += ["## Columns", "", ", ".join(f"`{f.name}`" for f in table.schema), ""]
    if left_out:
        names = ", ".join(f"`{c}`" for c in left_out)
        lines += [
            f"Left out: {names}: {PROVENANCE_REASON}. Export with `--include-provenance` to "
            "keep them.",
            "",
        ]
    return "\n".join(lines)
