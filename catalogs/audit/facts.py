"""What an audit bundle says about a version, gathered once as plain JSON-ready values.

Every file of the bundle renders from the dict `gather_facts` returns (it is `summary.json`
without `exported_at` and the file list), so the HTML report, the EU summary, the SPDX and the
Croissant documents cannot disagree. Facts come from the version's snapshot (identity, stats
stored at commit), the ledger of the run that made it, the audit table of its input documents,
the audit trail (erasures, models) and, when given, the spec the version was made with (checked
against the version's spec fingerprint).

Only ids, counts, hashes, license ids, language codes, reasons and policy settings are read
into the facts. Values that could identify a person are left out: text, titles, authors, paths,
source URIs (their sha256 only, in the audit table), the spec's file path and model folders, the
terms of deny and allow lists, and the notes recorded with models.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from catalogs.audit.documents import PII_PREFIX, VERSION_COLUMNS, build_document_table, pii_methods
from catalogs.audit.exceptions import AuditError
from catalogs.audit.models import models_trained_on
from catalogs.audit.trail import (
    WorkspaceLike,
    erasures_for_version,
    read_trail,
    verify_chain,
    version_lineage,
)
from catalogs.card import language_codes, license_ids
from catalogs.exceptions import DatasetNotFound
from catalogs.export import STAGE_NOTES
from catalogs.query import parse_reference
from catalogs.stats import (
    STATS_COLUMNS,
    compute_version_stats,
    read_run_decisions,
    version_stats,
)
from catalogs.versions import (
    LEDGER_SUFFIX,
    VersionInfo,
    get_version,
    load_dataset_table,
    snapshot_property,
)
from curation.ledger import LEDGER_SCHEMA
from curation.pii.entities import PERSON, SUPPORTED_ENTITIES
from curation.stage import Stage

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

    from curation.spec import DatasetSpec

FORMAT = "sovereign-curate audit bundle 1"
DETAIL_STAGES = (Stage.LICENSE.value, Stage.PII.value)
TO_COMPLETE = "to be completed by the provider"
PRIVACY_NOTE = (
    "This bundle holds no document text and no personal data values: no titles, authors, "
    "paths or e-mail headers, and personal data only as entity types with counts. Source URIs "
    "can name people (a CV saved under its owner's name), so each appears only as the sha256 of "
    "the URI (column source_uri_sha256 of documents.parquet and documents.csv): whoever holds a "
    "URI can check whether it was an input, nobody can read one back."
)
STAGE_NOTES_AUDIT = {
    **STAGE_NOTES,
    "erasure": "documents removed from the version on a data subject's request",
}


def _run_id(version: VersionInfo, erasures: list[dict[str, Any]]) -> str | None:
    """The run that made the version; for an erased version whose snapshot lost its run id,
    the one its erasure receipt recorded."""
    if version.run_id:
        return version.run_id
    for entry in reversed(erasures):
        for item in entry.get("versions_affected") or []:
            if isinstance(item, dict) and item.get("new") == version.name and item.get("run_id"):
                return str(item["run_id"])
    return None


def _stats(catalog: Catalog, version: VersionInfo, run_id: str | None) -> dict[str, Any]:
    """The version's stats; for a snapshot that lost its run id (an erasure rewrote it), computed
    from its rows and the ledger of the run its receipt names."""
    if version.run_id or run_id is None:
        return version_stats(catalog, f"{version.dataset}@{version.name}")
    rows = (
        load_dataset_table(catalog, version.dataset)
        .scan(snapshot_id=version.snapshot_id, selected_fields=STATS_COLUMNS)
        .to_arrow()
    )
    return compute_version_stats(rows, read_run_decisions(catalog, version.dataset, run_id))


def _ledger(catalog: Catalog, dataset: str, run_id: str | None) -> pa.Table:
    """The run's ledger rows, with the details of the stages the audit reads them from only
    (license: the resolved expression; PII: counts, language, method): the details of other
    stages are the bulk of a ledger's bytes and are not needed."""
    from pyiceberg.expressions import And, EqualTo, In

    if run_id is None:
        return LEDGER_SCHEMA.empty_table()
    try:
        ledger = load_dataset_table(catalog, dataset + LEDGER_SUFFIX)
    except DatasetNotFound:
        return LEDGER_SCHEMA.empty_table()
    this_run = EqualTo("run_id", run_id)
    rows = ledger.scan(
        row_filter=this_run, selected_fields=tuple(c for c in LEDGER_SCHEMA.names if c != "details")
    ).to_arrow()
    details = ledger.scan(
        row_filter=And(this_run, In("stage", DETAIL_STAGES)),
        selected_fields=("doc_id", "stage", "details"),
    ).to_arrow()
    joined = rows.join(details, keys=["doc_id", "stage"], join_type="left outer")
    return joined.select(LEDGER_SCHEMA.names)


def _model_folder(value: str | None) -> str | None:
    """A spaCy model name as is; a folder path only as "(local folder)" (paths name people)."""
    if value is None:
        return None
    return "(local model folder)" if ("/" in value or "\\" in value) else value


def spec_excerpt(spec: DatasetSpec) -> dict[str, Any]:
    """The parts of a spec an auditor needs, without paths or list terms.

    Sources with kind and declared license; the license policy; the PII policy's entity types,
    action per type and detection settings (lists only as sizes).
    """
    pii = spec.pii
    policy = spec.license
    lexicon = pii.name_lexicon if pii.name_lexicon in ("auto", "off") else "(custom lists)"
    return {
        "name": spec.name,
        "table": spec.table_name,
        "sources": [
            {
                "id": source.id,
                "kind": source.type,
                "declared_license": source.license,
                "license_manifest": bool(source.license_manifest),
            }
            for source in spec.sources
        ],
        "license_policy": {
            "use": policy.use,
            "allow": list(policy.allow),
            "deny": list(policy.deny),
            "allow_categories": list(policy.allow_categories),
            "deny_categories": list(policy.deny_categories),
            "unknown": policy.unknown,
        },
        "pii_policy": {
            "entities": list(pii.entities),
            "actions": {e: pii.action_for(e) for e in pii.all_entities},
            "metadata": pii.metadata,
            "max_density": pii.max_density,
            "ner": pii.ner,
            "ner_models": {k: _model_folder(v) for k, v in sorted(pii.ner_models.items())},
            "name_lexicon": lexicon,
            "custom_recognizers": sorted({r.entity for r in pii.recognizers}),
            "deny_list_terms": {k: len(v) for k, v in sorted(pii.deny_lists.items())},
            "allow_list_terms": len(pii.allow_list),
        },
    }


def load_checked_spec(spec_path: str | Path, version: VersionInfo) -> DatasetSpec:
    """The spec at `spec_path`, refused unless it is the one the version was made with."""
    from curation.spec import load_spec

    spec = load_spec(spec_path)
    if version.spec_fingerprint and spec.fingerprint != version.spec_fingerprint:
        raise AuditError(
            f"the spec {Path(spec_path).name} has fingerprint {spec.fingerprint}, but "
            f"{version.dataset}@{version.name} was made with {version.spec_fingerprint}: pass "
            "the spec the version was made with, or leave --spec out"
        )
    return spec


def _counts(frame: pl.DataFrame, column: str) -> dict[str, int]:
    """Rows per value, most first then by value; nulls under "unknown"."""
    if frame.height == 0:
        return {}
    grouped = (
        frame.select(pl.col(column).fill_null("unknown"))
        .group_by(column)
        .len()
        .sort(["len", column], descending=[True, False])
    )
    return {str(k): int(n) for k, n in grouped.iter_rows()}


def _sources(documents: pl.DataFrame, spec: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Per source: kind and declared license (from the spec), inputs, kept documents, licenses."""
    declared = {s["id"]: s for s in (spec or {}).get("sources", [])}
    ids = sorted(set(documents.get_column("source_id").drop_nulls().to_list()) | set(declared))
    out = []
    for source_id in ids:
        mine = documents.filter(pl.col("source_id") == source_id)
        kept = mine.filter(pl.col("in_version"))
        entry = declared.get(source_id, {})
        out.append(
            {
                "source_id": source_id,
                "kind": entry.get("kind"),
                "declared_license": entry.get("declared_license"),
                "owner": None,
                "inputs": int(mine.height),
                "documents": int(kept.height),
                "licenses": _counts(kept, "spdx"),
                "license_categories": _counts(kept, "license_category"),
                "evidence": _counts(kept, "license_evidence"),
            }
        )
    return out


def entity_method(entity: str, method: str | None, ner: str | None) -> str:
    """How an entity type was looked for in a document, from the PII stage's details.

    Examples
    --------
    >>> entity_method("PERSON", "patterns+cues+lexicon+ner", "en_core_web_sm")
    'patterns+cues+lexicon+ner (NER model en_core_web_sm)'
    >>> entity_method("IBAN_CODE", "patterns+cues+lexicon", None)
    'patterns (validated formats and context words)'
    """
    if entity == PERSON:
        label = method or "unknown"
        return f"{label} (NER model {ner})" if ner else label
    if entity in SUPPORTED_ENTITIES:
        return "patterns (validated formats and context words)"
    return "custom recognizer declared in the spec"


def _pii(
    documents: pl.DataFrame, ledger: pl.DataFrame, spec: dict[str, Any] | None
) -> dict[str, Any]:
    """PII found per type (occurrences, documents), the action per type, and the method per type
    and language as the run's PII stage recorded it."""
    kept = documents.filter(pl.col("in_version"))
    types = [c.removeprefix(PII_PREFIX) for c in documents.columns if c.startswith(PII_PREFIX)]
    actions = ((spec or {}).get("pii_policy") or {}).get("actions", {})
    entities = []
    for entity in types:
        column = pl.col(f"{PII_PREFIX}{entity}")
        occurrences = int(kept.select(column.fill_null(0).sum()).item() or 0)
        with_type = int(kept.filter(column.fill_null(0) > 0).height)
        entities.append(
            {
                "type": entity,
                "occurrences": occurrences,
                "documents": with_type,
                "action": actions.get(entity),
            }
        )
    entities.sort(key=lambda e: (-e["occurrences"], e["type"]))

    methods: list[dict[str, Any]] = []
    looked = pii_methods(ledger) if ledger.height else pl.DataFrame()
    if looked.height and types:
        long = (
            documents.select("doc_id", *[f"{PII_PREFIX}{t}" for t in types])
            .join(looked, on="doc_id", how="inner")
            .unpivot(
                index=["doc_id", "lang", "method", "ner"],
                on=[f"{PII_PREFIX}{t}" for t in types],
                variable_name="type",
                value_name="occurrences",
            )
            .with_columns(pl.col("type").str.strip_prefix(PII_PREFIX))
            .filter(pl.col("occurrences").fill_null(0) > 0)
        )
        grouped = (
            long.group_by(["type", "lang", "method", "ner"])
            .agg(pl.col("occurrences").sum(), pl.col("doc_id").n_unique().alias("documents"))
            .sort(["type", "lang", "method", "ner"], nulls_last=True)
        )
        for row in grouped.iter_rows(named=True):
            methods.append(
                {
                    "type": row["type"],
                    "lang": row["lang"] or "unknown",
                    "method": entity_method(row["type"], row["method"], _model_folder(row["ner"])),
                    "documents": int(row["documents"]),
                    "occurrences": int(row["occurrences"]),
                }
            )
    examined = (
        looked.group_by(["lang", "method", "ner"])
        .len()
        .sort(["lang", "method", "ner"], nulls_last=True)
        .iter_rows(named=True)
        if looked.height
        else []
    )
    return {
        "documents_with_pii": int(
            kept.filter(
                pl.any_horizontal([pl.col(f"{PII_PREFIX}{t}").fill_null(0) > 0 for t in types])
            ).height
        )
        if types
        else 0,
        "entities": entities,
        "methods": methods,
        "examined": [
            {
                "lang": r["lang"] or "unknown",
                "method": r["method"],
                "ner_model": _model_folder(r["ner"]),
                "documents": int(r["len"]),
            }
            for r in examined
        ],
        "carried_documents": int(kept.filter(pl.col("carried")).height),
    }


def _waterfall(stats: dict[str, Any], final: dict[str, int]) -> list[dict[str, Any]]:
    """The run's stages with what each did, plus an erasure step when documents were erased."""
    stages = [
        {**stage, "note": STAGE_NOTES_AUDIT.get(stage["stage"], "")}
        for stage in stats.get("waterfall", [])
    ]
    erased = final.get("erased", 0)
    if erased and stages:
        last = stages[-1]
        survivors = last["inputs"] - last["dropped"] - last["quarantined"]
        stages.append(
            {
                "stage": "erasure",
                "inputs": survivors,
                "kept": survivors - erased,
                "modified": 0,
                "dropped": erased,
                "quarantined": 0,
                "reasons": {"erasure.requested": erased},
                "note": STAGE_NOTES_AUDIT["erasure"],
            }
        )
    return stages


def _erasure_view(entry: dict[str, Any]) -> dict[str, Any]:
    """An erasure receipt as a bundle shows it: no subject hash, no file paths."""
    files = entry.get("files_deleted") or []
    return {
        "request_id": entry.get("request_id"),
        "at": entry.get("at"),
        "verified": bool(entry.get("verified")),
        "versions_affected": [
            {"old": item.get("old"), "new": item.get("new")}
            for item in entry.get("versions_affected") or []
            if isinstance(item, dict)
        ],
        "files_deleted": len(files) if isinstance(files, list) else 0,
    }


def _model_view(entry: dict[str, Any]) -> dict[str, Any]:
    """A model entry as a bundle shows it: the free-text note stays in the workspace."""
    return {
        "model": entry.get("model"),
        "version": entry.get("version"),
        "snapshot_id": entry.get("snapshot_id"),
        "at": entry.get("at"),
    }


def run_started(run_id: str | None) -> str | None:
    """When a run started, from its id (`curation.runs.new_run_id`: UTC time, then a suffix);
    None for ids of another shape. An erased version's snapshot is younger than its documents'
    collection, the run that read them is not.

    Examples
    --------
    >>> run_started("20261207T063212Z-3fa2c1"), run_started("run-1")
    ('2026-12-07T06:32:12+00:00', None)
    """
    match = re.match(r"^(\d{8}T\d{6}Z)-", run_id or "")
    if not match:
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).isoformat()


def size_band(tokens: int) -> str:
    """The EU template's band for text training data size.

    Examples
    --------
    >>> [size_band(n) for n in (5, 10**9, 10**13 + 1)]
    ['less than 1 billion tokens', '1 billion to 10 trillion tokens', 'more than 10 trillion tokens']
    """
    if tokens < 10**9:
        return "less than 1 billion tokens"
    if tokens <= 10**13:
        return "1 billion to 10 trillion tokens"
    return "more than 10 trillion tokens"


def gather_facts(
    catalog: Catalog,
    reference: str,
    *,
    workspace: WorkspaceLike,
    spec_path: str | Path | None = None,
    provider: str | None = None,
) -> tuple[dict[str, Any], pa.Table]:
    """The facts of one version (the body of summary.json) and its audit table."""
    name, version_name = parse_reference(reference)
    version = get_version(catalog, name, version_name)
    erasures = erasures_for_version(workspace, version.dataset, version.name)
    run_id = _run_id(version, erasures)
    spec = spec_excerpt(load_checked_spec(spec_path, version)) if spec_path else None

    rows = (
        load_dataset_table(catalog, name)
        .scan(snapshot_id=version.snapshot_id, selected_fields=VERSION_COLUMNS)
        .to_arrow()
    )
    ledger_arrow = _ledger(catalog, name, run_id)
    table = build_document_table(rows, ledger_arrow, erased=bool(erasures))
    documents = pl.from_arrow(table)
    ledger = pl.from_arrow(ledger_arrow.select(["doc_id", "stage", "details"]))
    assert isinstance(documents, pl.DataFrame) and isinstance(ledger, pl.DataFrame)

    stats = _stats(catalog, version, run_id)
    final = _counts(documents, "final_decision")
    lineage = version_lineage(read_trail(workspace, version.dataset), version.name)
    models = models_trained_on(workspace, version.dataset, lineage)
    chain = verify_chain(workspace, version.dataset)
    kept = documents.filter(pl.col("in_version"))
    license_weights: dict[str, int] = {}
    for expression, count in _counts(kept, "spdx").items():
        for license_id in license_ids("NOASSERTION" if expression == "unknown" else expression):
            license_weights[license_id] = license_weights.get(license_id, 0) + count
    span = stats.get("time_span") or {}
    facts: dict[str, Any] = {
        "format": FORMAT,
        "dataset": version.dataset,
        "version": version.name,
        "snapshot_id": version.snapshot_id,
        "committed_at": version.created_at,
        "run_id": run_id,
        "code_version": version.code_version,
        "provider": provider,
        "spec": {
            "fingerprint": version.spec_fingerprint,
            "pii_policy_fingerprint": snapshot_property(
                catalog, name, version.snapshot_id, "pii_fingerprint"
            ),
            "checked_against_spec_file": spec is not None,
            **(spec or {}),
        },
        "collection": {
            "first_modified": span.get("first_modified"),
            "last_modified": span.get("last_modified"),
            "collected_at": run_started(run_id) or version.created_at,
        },
        "totals": {
            "inputs": documents.height,
            "kept": final.get("kept", 0),
            "dropped": final.get("dropped", 0),
            "quarantined": final.get("quarantined", 0),
            "erased": final.get("erased", 0),
            "not_committed": final.get("not_committed", 0),
            "carried": int(documents.filter(pl.col("carried")).height),
            "documents": int(kept.height),
            "tokens": int(stats.get("tokens", 0)),
            "characters": int(stats.get("characters", 0)),
            "text_bytes": int(stats.get("bytes", 0)),
            "source_bytes": int(stats.get("source_bytes", 0)),
            "size_band": size_band(int(stats.get("tokens", 0))),
        },
        "sources": _sources(documents, spec),
        "stages": _waterfall(stats, final),
        "reasons": _counts(documents.filter(pl.col("final_reason").is_not_null()), "final_reason"),
        "pii": _pii(documents, ledger, spec),
        "licenses": {
            "by_license": _counts(kept, "spdx"),
            "by_category": _counts(kept, "license_category"),
            "by_evidence": _counts(kept, "license_evidence"),
            "ids": sorted(license_weights, key=lambda i: (-license_weights[i], i))
            or ["NOASSERTION"],
        },
        "languages": {
            "by_language": _counts(kept, "lang"),
            "codes": language_codes(
                (None if k == "unknown" else k, n) for k, n in _counts(kept, "lang").items()
            ),
        },
        "erasures": [_erasure_view(e) for e in erasures],
        "models": [_model_view(e) for e in models],
        "audit_trail": {
            "entries": chain.entries,
            "ok": chain.ok,
            "head_sha256": chain.head_sha256,
            "problems": list(chain.problems),
        },
        "privacy": PRIVACY_NOTE,
    }
    return facts, table
