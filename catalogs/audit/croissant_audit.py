"""croissant.json of an audit bundle: the audit table as a Croissant 1.1 dataset with RAI facts.

The record set is the bundle's `documents.parquet` (one record per input document, its decisions
and PII counts); the dataset-level RAI 1.0 properties describe how the version those documents
went into was collected and processed, from the same facts as the rest of the bundle. Written
and validated with `catalogs.croissant` (offline: inline context, local checksums).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from catalogs.audit.exceptions import BundleError
from catalogs.croissant import (
    DatasetFacts,
    FileEntry,
    build_croissant,
    validate_croissant,
    write_croissant,
)

CSV = "text/csv"


def rai_properties(facts: Mapping[str, Any]) -> dict[str, Any]:
    """The RAI 1.0 properties the ledger can fill truthfully (every one the vocabulary lists
    for collection, processing, annotation, personal data, impact, biases and uses)."""
    totals = facts["totals"]
    pii = facts["pii"]
    sources = ", ".join(f"{s['source_id']} ({s['inputs']} inputs)" for s in facts["sources"])
    rai: dict[str, Any] = {
        "rai:dataCollection": (
            f"{totals['inputs']} documents read on premises from the organization's own document "
            f"stores ({len(facts['sources'])} source(s): {sources or 'none'}) by the run "
            f"{facts['run_id']}; text extracted per format, provenance (source, sha256 of the "
            "original bytes) and license evidence recorded for each document."
        ),
        "rai:dataCollectionType": ["Document analysis", "Software Collection"],
        "rai:dataCollectionMissingData": (
            f"{totals['quarantined']} input documents could not be read (corrupt, unsupported, "
            "empty, too large) and were quarantined with their reason; they are rows of this "
            "record set with final_decision quarantined. No document is skipped silently."
        ),
        "rai:dataCollectionRawData": (
            "The raw documents stay in the organization's stores. This record set names each "
            "by doc_id, the sha256 of its source URI and the sha256 of its original bytes."
        ),
        "rai:dataPreprocessingProtocol": [
            f"{s['stage']}: {s.get('note') or ''} (inputs {s['inputs']}, kept {s['kept']}, "
            f"modified {s['modified']}, dropped {s['dropped']}, quarantined {s['quarantined']})"
            for s in facts["stages"]
        ]
        or ["No ledger rows were recorded for the run."],
        "rai:dataManipulationProtocol": (
            "Personal data was detected (patterns, context cues, name lexicons and, where a "
            "model exists for the language, spaCy NER) and replaced as the PII policy says in "
            "every content-derived column before the version was committed; only entity types "
            f"and counts are kept. PII policy fingerprint: "
            f"{facts['spec'].get('pii_policy_fingerprint')}."
        ),
        "rai:dataImputationProtocol": "No imputation: values that are unknown stay null.",
        "rai:dataAnnotationProtocol": (
            "No human annotation. Machine annotations per document: license and its evidence, "
            "language, heuristic quality signals, near-duplicate cluster, PII entity counts."
        ),
        "rai:machineAnnotationTools": [
            "fastText lid.176 (language identification)",
            "Presidio with spaCy NER models and pattern recognizers (personal data)",
            "MinHash LSH (near-duplicate detection)",
            "license-expression (SPDX license resolution)",
        ],
        # one string: mlcroissant 1.1 reads this property with cardinality one
        "rai:dataReleaseMaintenancePlan": (
            "Each curation run commits a new tagged version of the dataset's Iceberg table; "
            f"this record set describes {facts['dataset']}@{facts['version']} "
            f"(snapshot {facts['snapshot_id']}). Erasure requests rewrite every retained "
            "version holding the subject's documents and are recorded in the dataset's "
            "hash-chained audit trail."
        ),
        "rai:personalSensitiveInformation": [
            f"{e['type']}: {e['occurrences']} occurrence(s) redacted in {e['documents']} "
            "document(s)"
            for e in pii["entities"]
            if e["occurrences"]
        ]
        or ["No personal data was detected in the documents of the version."],
        "rai:dataSocialImpact": (
            "Trains models on the organization's own documents inside its premises; personal "
            "data is redacted and erasure requests are honoured in every retained version."
        ),
        "rai:dataBiases": [
            "Topics, vocabulary and languages reflect the organization's own document stores.",
            "Quality heuristics favour long, well-formed prose over short or list-like text.",
        ],
        "rai:dataLimitations": [
            "Automatic PII detection does not find every occurrence: residual personal data can "
            "remain in the text.",
            "The sha256 of the original bytes is recorded for documents of the version only.",
        ],
        "rai:dataUseCases": [
            "Auditing what went into a training set version and why each document was kept "
            "or left out.",
            "Pre-training or fine-tuning small domain-specific models inside the organization "
            "(the version itself).",
        ],
    }
    first = facts["collection"].get("first_modified")
    last = facts["collection"].get("last_modified")
    if first and last:
        rai["rai:dataCollectionTimeframe"] = [first, last]
    return rai


def write_audit_croissant(
    facts: Mapping[str, Any], schema: pa.Schema, out_dir: Path, descriptions: Mapping[str, str]
) -> Path:
    """Write croissant.json for `documents.parquet` / `documents.csv` and validate it."""
    files = [
        FileEntry.of(out_dir / "documents.parquet", out_dir),
        FileEntry.of(out_dir / "documents.csv", out_dir, encoding_format=CSV),
    ]
    dataset_facts = DatasetFacts(
        name=f"{facts['dataset']} {facts['version']} audit record",
        description=(
            f"One record per input document of the run that made {facts['dataset']}@"
            f"{facts['version']}: ids and hashes, license and evidence, the decision and reason "
            "of every stage, PII entity counts. No text and no personal data values."
        ),
        version=facts["version"],
        date_published=facts["committed_at"],
        licenses=facts["licenses"]["ids"],
        languages=facts["languages"]["codes"],
        keywords=["audit", "data governance", "sovereign-curate"],
        cite_as=(
            f"{facts['dataset']}, version {facts['version']} (snapshot {facts['snapshot_id']}, "
            f"run {facts['run_id']}), audit record by sovereign-curate {facts['code_version']}"
        ),
        rai=rai_properties(facts),
    )
    doc = build_croissant(
        dataset_facts,
        files,
        schema,
        shards_glob="documents.parquet",
        descriptions=descriptions,
        shards_id="audit-records",
    )
    path = write_croissant(doc, out_dir / "croissant.json")
    problems = validate_croissant(path)
    if problems:
        raise BundleError(f"{path} does not validate: " + "; ".join(problems))
    return path
