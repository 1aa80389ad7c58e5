"""Write an audit bundle: everything a regulator or data subject may ask about one version.

    summary.html                   the report, for a reader who is not an engineer
    summary.json                   every figure of the report as data, and `exported_at`
    documents.parquet / .csv       one row per input document: ids, hashes, license, decisions
    croissant.json                 Croissant 1.1 + RAI 1.0 of the audit record, validated
    dataset.spdx3.json             SPDX 3.0.1 DatasetPackage, checked for the profile's properties
    eu-training-content-summary.md the EU public summary template, filled where the ledger knows
    SHA256SUMS                     sha256 of every file (`sha256sum -c SHA256SUMS`)

Deterministic: every file is a function of the version, its ledger, the audit trail and the spec
given, with the snapshot's commit time wherever a date is needed. The time of export is one
field, `exported_at` of summary.json; so two bundles of one version differ in that field and,
through summary.json's hash, in its line of SHA256SUMS.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from catalogs.audit.croissant_audit import write_audit_croissant
from catalogs.audit.documents import column_descriptions
from catalogs.audit.eu_summary import render_eu_summary
from catalogs.audit.exceptions import BundleError
from catalogs.audit.facts import gather_facts
from catalogs.audit.report import render_report
from catalogs.audit.spdx3 import check_spdx3, write_spdx3
from catalogs.audit.trail import WorkspaceLike
from catalogs.croissant import FileEntry
from curation.workspace import resolve_workspace

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

SUMMARY_HTML = "summary.html"
SUMMARY_JSON = "summary.json"
DOCUMENTS_PARQUET = "documents.parquet"
DOCUMENTS_CSV = "documents.csv"
CROISSANT = "croissant.json"
SPDX3 = "dataset.spdx3.json"
EU_SUMMARY = "eu-training-content-summary.md"
SHA256SUMS = "SHA256SUMS"
BUNDLE_FILES = (
    SUMMARY_HTML,
    SUMMARY_JSON,
    DOCUMENTS_PARQUET,
    DOCUMENTS_CSV,
    CROISSANT,
    SPDX3,
    EU_SUMMARY,
    SHA256SUMS,
)
DESCRIPTIONS = {
    DOCUMENTS_PARQUET: "one row per input document: ids, hashes, license, decisions, PII counts",
    DOCUMENTS_CSV: "the same rows as CSV, for a spreadsheet",
    CROISSANT: "Croissant 1.1 metadata with Responsible AI (RAI 1.0) properties",
    SPDX3: "SPDX 3.0.1 dataset package (Dataset profile)",
    EU_SUMMARY: "the EU public summary template for training content, pre-filled",
    SUMMARY_HTML: "this report",
}


def _prepare(out_dir: Path, *, overwrite: bool) -> None:
    """An empty folder, or with `overwrite` one whose earlier bundle files are gone (other files
    are left alone)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise BundleError(f"{out_dir} is a file: choose a folder for the bundle")
    if out_dir.exists() and any(out_dir.iterdir()):
        if not overwrite:
            raise BundleError(f"{out_dir} is not empty: choose an empty folder or pass --overwrite")
        for name in BUNDLE_FILES:
            (out_dir / name).unlink(missing_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)


def plain_types(table: pa.Table) -> pa.Table:
    """Large and view strings as plain strings, so files do not depend on the engine's choice."""
    fields = [
        pa.field(f.name, pa.string())
        if pa.types.is_large_string(f.type) or pa.types.is_string_view(f.type)
        else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields))


def write_documents(table: pa.Table, out_dir: Path) -> int:
    """documents.parquet (zstd) and documents.csv; the CSV is read back to check its row count."""
    pq.write_table(table, out_dir / DOCUMENTS_PARQUET, compression="zstd")
    pcsv.write_csv(table, out_dir / DOCUMENTS_CSV)
    rows = pcsv.read_csv(
        out_dir / DOCUMENTS_CSV,
        convert_options=pcsv.ConvertOptions(
            column_types={n: pa.string() for n in table.column_names}
        ),
    ).num_rows
    if rows != table.num_rows:
        raise BundleError(f"{DOCUMENTS_CSV} has {rows} rows, the audit table {table.num_rows}")
    return rows


def _entry(out_dir: Path, name: str) -> dict[str, Any]:
    entry = FileEntry.of(out_dir / name, out_dir)
    return {
        "path": entry.path,
        "bytes": entry.bytes,
        "sha256": entry.sha256,
        "description": DESCRIPTIONS.get(name, ""),
    }


def write_bundle(
    catalog: Catalog,
    reference: str,
    out_dir: Path | str,
    *,
    workspace: WorkspaceLike | None = None,
    overwrite: bool = False,
    spec: Path | str | None = None,
    provider: str | None = None,
) -> dict[str, Any]:
    """Write the audit bundle of `NAME@VERSION` (or NAME, its newest version) to `out_dir`.

    `workspace` holds the audit trail (default: the one `resolve_workspace` picks); `spec`, the
    spec file the version was made with, adds source kinds, declared licenses and the policies
    (refused when its fingerprint is not the version's); `provider` names the organization in
    the SPDX document and the EU summary. Returns what was written, with each file's sha256.
    """
    out_dir = Path(out_dir)
    workspace = workspace if workspace is not None else resolve_workspace()
    facts, table = gather_facts(
        catalog, reference, workspace=workspace, spec_path=spec, provider=provider
    )
    _prepare(out_dir, overwrite=overwrite)
    table = plain_types(table)
    rows = write_documents(table, out_dir)
    write_audit_croissant(facts, table.schema, out_dir, column_descriptions(table.schema))
    problems = check_spdx3(write_spdx3(facts, out_dir / SPDX3))
    if problems:
        raise BundleError(f"{SPDX3} lacks required properties: " + "; ".join(problems))
    (out_dir / EU_SUMMARY).write_text(render_eu_summary(facts), encoding="utf-8")
    files = [
        _entry(out_dir, n) for n in (DOCUMENTS_PARQUET, DOCUMENTS_CSV, CROISSANT, SPDX3, EU_SUMMARY)
    ]
    (out_dir / SUMMARY_HTML).write_text(render_report(facts, files), encoding="utf-8")
    files.append(_entry(out_dir, SUMMARY_HTML))
    exported_at = datetime.now(UTC).isoformat(timespec="seconds")
    summary = {**facts, "exported_at": exported_at, "files": files}
    (out_dir / SUMMARY_JSON).write_text(
        json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    sums = [_entry(out_dir, n) for n in sorted(BUNDLE_FILES) if n != SHA256SUMS]
    (out_dir / SHA256SUMS).write_text(
        "".join(f"{f['sha256']}  {f['path']}\n" for f in sums), encoding="utf-8"
    )
    return {
        "dataset": facts["dataset"],
        "version": facts["version"],
        "snapshot_id": facts["snapshot_id"],
        "out_dir": str(out_dir),
        "documents": rows,
        "exported_at": exported_at,
        "audit_trail_ok": facts["audit_trail"]["ok"],
        "files": [
            {k: f[k] for k in ("path", "bytes", "sha256")}
            for f in [*sums, _entry(out_dir, SHA256SUMS)]
        ],
    }
