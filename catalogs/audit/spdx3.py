"""dataset.spdx3.json: the version as an SPDX 3.0.1 `DatasetPackage`, written and checked offline.

`spdx-python-model` checks each value's type when it is set but not the Dataset profile's
required properties, and `spdx3-validate` downloads its schema at run time (never used here), so
`check_spdx3` reads the file back with the library's own JSON-LD deserializer and checks the
profile's properties itself: the dataset properties, the package properties a Software package
needs, and exactly one `hasDeclaredLicense` and one `hasConcludedLicense` relationship from the
package to a license expression.

Element ids are URNs built from the dataset, version and snapshot, and every time is the
snapshot's commit time, so the same version always gives the same bytes. The `@context` is the
SPDX context URL, a name that JSON-LD tools resolve; nothing here fetches it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from catalogs.audit.facts import TO_COMPLETE

DATASET_PROPERTIES = (
    "dataset_datasetType",
    "dataset_anonymizationMethodUsed",
    "dataset_confidentialityLevel",
    "dataset_dataCollectionProcess",
    "dataset_dataPreprocessing",
    "dataset_datasetAvailability",
    "dataset_datasetSize",
    "dataset_hasSensitivePersonalInformation",
    "dataset_intendedUse",
    "dataset_knownBias",
)
PACKAGE_PROPERTIES = (
    "builtTime",
    "originatedBy",
    "releaseTime",
    "software_downloadLocation",
    "software_primaryPurpose",
)
LICENSE_RELATIONSHIPS = ("hasDeclaredLicense", "hasConcludedLicense")
PRESENCE = ("yes", "no", "noAssertion")


def _base(facts: Mapping[str, Any]) -> str:
    return f"urn:sovereign-curate:{facts['dataset']}:{facts['version']}:{facts['snapshot_id']}:"


def conjunction(expressions: list[str]) -> str:
    """One SPDX expression that holds all of `expressions` (each document keeps its own).

    Examples
    --------
    >>> conjunction(["MIT", "Apache-2.0 OR MIT", "MIT"])
    'MIT AND (Apache-2.0 OR MIT)'
    >>> conjunction([])
    'NOASSERTION'
    """
    unique = list(
        dict.fromkeys(e for e in expressions if e and e not in ("unknown", "NOASSERTION"))
    )
    if not unique:
        return "NOASSERTION"
    return " AND ".join(f"({e})" if " " in e.strip() else e for e in unique)


def _pii_methods(facts: Mapping[str, Any]) -> list[str]:
    pii = facts["pii"]
    methods = [
        f"Automatic PII detection for language {x['lang']}: {x['method']}"
        + (f" with the spaCy NER model {x['ner_model']}" if x["ner_model"] else "")
        + f" ({x['documents']} documents)"
        for x in pii["examined"]
    ]
    actions = ((facts["spec"].get("pii_policy") or {}).get("actions")) or {}
    by_action: dict[str, list[str]] = {}
    for entity, action in sorted(actions.items()):
        by_action.setdefault(action, []).append(entity)
    if by_action:
        methods += [
            f"{action}: {', '.join(entities)}" for action, entities in sorted(by_action.items())
        ]
    else:
        methods.append(
            "Each finding replaced as the PII policy says (default: its entity tag, e.g. "
            f"<PERSON>); policy fingerprint {facts['spec'].get('pii_policy_fingerprint')}"
        )
    methods.append("Only entity types and counts are kept (pii_counts), never the values")
    return methods


def _sensitive(facts: Mapping[str, Any]) -> str:
    """`yes` when the PII policy keeps some entity type; otherwise `noAssertion`, since
    automatic redaction does not find every occurrence."""
    actions = ((facts["spec"].get("pii_policy") or {}).get("actions")) or {}
    return "yes" if "keep" in actions.values() else "noAssertion"


def _preprocessing(facts: Mapping[str, Any]) -> list[str]:
    return [
        f"{s['stage']}: {s.get('note') or ''} (inputs {s['inputs']}, kept {s['kept']}, modified "
        f"{s['modified']}, dropped {s['dropped']}, quarantined {s['quarantined']})"
        for s in facts["stages"]
    ] or ["no ledger rows recorded for the run"]


def _biases(facts: Mapping[str, Any]) -> list[str]:
    languages = facts["languages"]["by_language"]
    total = max(facts["totals"]["documents"], 1)
    shares = ", ".join(f"{k} {100 * v / total:.1f}%" for k, v in languages.items())
    sources = ", ".join(f"{s['source_id']} {s['documents']}" for s in facts["sources"])
    return [
        "Documents come only from the organization's own sources; their topics, vocabulary and "
        f"authorship reflect those stores (documents per source: {sources or 'none'}).",
        f"Language mix: {shares or 'none identified'}.",
        "Heuristic quality filters and near-duplicate removal favour long, well-formed prose "
        "over short or list-like documents.",
    ]


def build_spdx3(facts: Mapping[str, Any]) -> Any:
    """The SHACLObjectSet of the SpdxDocument that describes the version."""
    from spdx_python_model import v3_0_1 as spdx

    base = _base(facts)
    when = datetime.fromisoformat(facts["committed_at"])
    info = spdx.CreationInfo(specVersion="3.0.1", created=when, createdBy=[base + "provider"])
    provider = spdx.Organization(
        spdxId=base + "provider",
        creationInfo=info,
        name=facts.get("provider") or f"The provider ({TO_COMPLETE})",
    )
    tool = spdx.Tool(
        spdxId=base + "tool",
        creationInfo=info,
        name=f"sovereign-curate {facts.get('code_version') or ''}".strip(),
    )
    info.createdUsing = [tool]
    totals = facts["totals"]
    package = spdx.dataset_DatasetPackage(
        spdxId=base + "dataset",
        creationInfo=info,
        name=f"{facts['dataset']}@{facts['version']}",
        description=(
            f"{totals['documents']} documents curated on premises by sovereign-curate from "
            f"{totals['inputs']} inputs (run {facts['run_id']}, snapshot {facts['snapshot_id']})."
        ),
        software_packageVersion=facts["version"],
        builtTime=when,
        releaseTime=when,
        originatedBy=[provider],
        suppliedBy=provider,
        software_downloadLocation=(
            f"urn:sovereign-curate:catalog:{facts['dataset']}:snapshot:{facts['snapshot_id']}"
        ),
        software_primaryPurpose=spdx.software_SoftwarePurpose.data,
        dataset_datasetType=[spdx.dataset_DatasetType.text],
        dataset_anonymizationMethodUsed=_pii_methods(facts),
        dataset_confidentialityLevel=spdx.dataset_ConfidentialityLevelType.amber,
        dataset_dataCollectionProcess=(
            f"Read on premises from the organization's own document stores "
            f"({len(facts['sources'])} source(s)); text extracted per format with the extractor "
            "and its version recorded, each document's provenance (source, sha256 of the "
            "original bytes) and license evidence kept, every decision in the run's ledger."
        ),
        dataset_dataPreprocessing=_preprocessing(facts),
        dataset_datasetAvailability=spdx.dataset_DatasetAvailabilityType.query,
        dataset_datasetSize=int(totals["text_bytes"]),
        dataset_hasSensitivePersonalInformation=getattr(spdx.PresenceType, _sensitive(facts)),
        dataset_intendedUse=(
            "Pre-training or fine-tuning small domain-specific language models inside the "
            "organization, within the uses every document's license permits."
        ),
        dataset_knownBias=_biases(facts),
        dataset_datasetUpdateMechanism=(
            "Each curation run commits a new tagged version of the Iceberg table; erasure "
            "requests rewrite every retained version that held the subject's documents."
        ),
    )
    declared_sources = [
        s["declared_license"] for s in facts["sources"] if s.get("declared_license")
    ]
    declared = spdx.simplelicensing_LicenseExpression(
        spdxId=base + "license-declared",
        creationInfo=info,
        simplelicensing_licenseExpression=conjunction(declared_sources),
    )
    concluded = spdx.simplelicensing_LicenseExpression(
        spdxId=base + "license-concluded",
        creationInfo=info,
        simplelicensing_licenseExpression=conjunction(list(facts["licenses"]["by_license"])),
    )
    relationships = [
        spdx.Relationship(
            spdxId=base + f"relationship-{kind}",
            creationInfo=info,
            from_=package,
            to=[target],
            relationshipType=getattr(spdx.RelationshipType, kind),
        )
        for kind, target in (("hasDeclaredLicense", declared), ("hasConcludedLicense", concluded))
    ]
    elements = [provider, tool, package, declared, concluded, *relationships]
    document = spdx.SpdxDocument(
        spdxId=base + "document",
        creationInfo=info,
        name=f"SPDX document of {facts['dataset']}@{facts['version']}",
        rootElement=[package],
        element=elements,
        profileConformance=[
            spdx.ProfileIdentifierType.core,
            spdx.ProfileIdentifierType.software,
            spdx.ProfileIdentifierType.dataset,
            spdx.ProfileIdentifierType.simpleLicensing,
        ],
    )
    return spdx.SHACLObjectSet([document, *elements])


def write_spdx3(facts: Mapping[str, Any], path: Path) -> Path:
    """Serialize the document with the library's JSON-LD serializer (sorted keys, indented)."""
    from spdx_python_model import v3_0_1 as spdx

    buffer = io.BytesIO()
    spdx.JSONLDSerializer().write(build_spdx3(facts), buffer, indent=2, sort_keys=True)
    path.write_bytes(buffer.getvalue() + b"\n")
    return path


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return len(value) == 0
    except TypeError:
        return False


def _last(iri: Any) -> str:
    """The name at the end of an enum IRI (`.../PresenceType/yes` -> `yes`)."""
    return str(iri).rsplit("/", 1)[-1]


def check_spdx3(path: Path | str) -> list[str]:
    """Problems with the Dataset profile's required properties in the file at `path` (read back
    with spdx-python-model's JSON-LD deserializer); empty when it has them all."""
    from spdx_python_model import v3_0_1 as spdx

    objects = spdx.SHACLObjectSet()
    try:
        with Path(path).open("rb") as handle:
            spdx.JSONLDDeserializer().read(handle, objects)
    except (OSError, ValueError, TypeError, KeyError) as error:
        return [f"cannot read {Path(path).name} as SPDX 3 JSON-LD: {error}"]
    packages = list(objects.foreach_type(spdx.dataset_DatasetPackage))
    if len(packages) != 1:
        return [f"expected one dataset_DatasetPackage, found {len(packages)}"]
    package = packages[0]
    problems = [
        f"DatasetPackage has no {name}"
        for name in (*DATASET_PROPERTIES, *PACKAGE_PROPERTIES)
        if _empty(getattr(package, name))
    ]
    types = [_last(t) for t in package.dataset_datasetType or []]
    if "text" not in types:
        problems.append(f"dataset_datasetType must include text, got {types}")
    presence = package.dataset_hasSensitivePersonalInformation
    if presence is not None and _last(presence) not in PRESENCE:
        problems.append(
            f"dataset_hasSensitivePersonalInformation {presence} is not yes/no/noAssertion"
        )
    for kind in LICENSE_RELATIONSHIPS:
        found = [
            r
            for r in objects.foreach_type(spdx.Relationship)
            if _last(r.relationshipType) == kind and r.from_ is package
        ]
        if len(found) != 1:
            problems.append(
                f"expected one {kind} relationship from the package, found {len(found)}"
            )
            continue
        targets = list(found[0].to or [])
        if len(targets) != 1 or not isinstance(targets[0], spdx.simplelicensing_AnyLicenseInfo):
            problems.append(f"{kind} must point at one license")
        elif isinstance(targets[0], spdx.simplelicensing_LicenseExpression) and _empty(
            targets[0].simplelicensing_licenseExpression
        ):
            problems.append(f"{kind} points at an empty license expression")
    return problems
