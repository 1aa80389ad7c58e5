"""Croissant 1.1 JSON-LD with RAI properties: build it from plain facts, check it, validate it.

A Croissant file lets a consumer load and judge a dataset without reading our code: which files
hold it (each with its sha256), which columns the records have and of which type, under which
licenses, and the Responsible AI (RAI 1.0) facts that the ledger can fill (how the documents were
collected, processed and redacted). The builder takes plain values, not a catalog, so the export
and an audit bundle describe their files the same way.

Offline: the `@context` is written inline (never a URL that a JSON-LD processor would fetch), and
`validate_croissant` runs mlcroissant's static checks on the local file, which open no socket.

mlcroissant parses RAI values by cardinality but does not check them (and 1.1.1 reads two
properties under spellings that differ from the RAI specification: `dataCollectionTimeFrame`,
`dataDataManipulationProtocol`), so `check_rai` checks the shapes the specification gives before
a file is written.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow as pa

from catalogs.exceptions import CatalogError

CROISSANT_1_1 = "http://mlcommons.org/croissant/1.1"
RAI_1_0 = "http://mlcommons.org/croissant/RAI/1.0"
PARQUET = "application/x-parquet"

# The standard context of Croissant 1.1 (the specification's appendix and what mlcroissant
# 1.1.x writes), with the `rai` prefix. schema.org is spelled https, as mlcroissant expects.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "sc": "https://schema.org/",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "dct": "http://purl.org/dc/terms/",
    "annotation": "cr:annotation",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "excludes": "cr:excludes",
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "readLines": "cr:readLines",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sdVersion": "cr:sdVersion",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
    "unArchive": "cr:unArchive",
    "value": "cr:value",
}

# RAI 1.0 properties and the shape of their values (the specification's cardinality table):
# "text" is one string, "texts" one string or a list of strings, "dates" a [start, end] pair of
# ISO 8601 dates or date-times.
RAI_SHAPES: dict[str, str] = {
    "rai:dataCollection": "text",
    "rai:dataCollectionType": "texts",
    "rai:dataCollectionMissingData": "text",
    "rai:dataCollectionRawData": "text",
    "rai:dataCollectionTimeframe": "dates",
    "rai:dataImputationProtocol": "text",
    "rai:dataManipulationProtocol": "text",
    "rai:dataPreprocessingProtocol": "texts",
    "rai:dataAnnotationProtocol": "text",
    "rai:dataAnnotationPlatform": "texts",
    "rai:dataAnnotationAnalysis": "texts",
    "rai:dataReleaseMaintenancePlan": "texts",
    "rai:personalSensitiveInformation": "texts",
    "rai:dataSocialImpact": "text",
    "rai:dataBiases": "texts",
    "rai:dataLimitations": "texts",
    "rai:dataUseCases": "texts",
    "rai:annotationsPerItem": "text",
    "rai:annotatorDemographics": "texts",
    "rai:machineAnnotationTools": "texts",
}
# Spellings mlcroissant 1.1.1 reads that the RAI specification does not define.
_RAI_MISSPELLINGS = {
    "rai:dataCollectionTimeFrame": "rai:dataCollectionTimeframe",
    "rai:dataDataManipulationProtocol": "rai:dataManipulationProtocol",
}

_INTEGERS = {8, 16, 32, 64}
_SEMVER_TAG = re.compile(r"^v(\d+)$")


class InvalidCroissant(CatalogError):
    """A Croissant document that would not describe its files truthfully or fails validation."""


@dataclass(frozen=True)
class FileEntry:
    """One file the Croissant document describes, by its path relative to the document."""

    path: str
    sha256: str
    bytes: int
    encoding_format: str = PARQUET

    @classmethod
    def of(cls, path: Path, root: Path, encoding_format: str = PARQUET) -> FileEntry:
        """The entry of a file on disk (sha256 streamed, so shards of any size fit)."""
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return cls(
            path=path.relative_to(root).as_posix(),
            sha256=digest.hexdigest(),
            bytes=path.stat().st_size,
            encoding_format=encoding_format,
        )


@dataclass(frozen=True)
class DatasetFacts:
    """What the dataset-level part of a Croissant document says; every value is plain data.

    `rai` maps RAI property names (`rai:dataCollection`, ...) to their values; `check_rai`
    says whether they have the right shapes.
    """

    name: str
    description: str
    version: str
    date_published: str
    licenses: Sequence[str]
    languages: Sequence[str] = ()
    keywords: Sequence[str] = ()
    cite_as: str | None = None
    rai: Mapping[str, Any] = field(default_factory=dict)


def semantic_version(tag: str) -> str:
    """The MAJOR.MINOR.PATCH that Croissant's `version` asks for, from a version tag.

    `v<n>` tags become `n.0.0`; other names are kept as semver build metadata so nothing is
    lost and the value still parses.

    Examples
    --------
    >>> semantic_version("v3")
    '3.0.0'
    >>> semantic_version("2026-q4_final")
    '0.0.0+2026-q4-final'
    """
    match = _SEMVER_TAG.match(tag)
    if match:
        return f"{int(match.group(1))}.0.0"
    build = ".".join(part for part in re.sub(r"[^0-9A-Za-z.-]", "-", tag).split(".") if part)
    return f"0.0.0+{build or 'unnamed'}"


def license_url(license_id: str) -> str:
    """The SPDX page of a license-list id; other ids (LicenseRef-*, NOASSERTION) as written.

    Examples
    --------
    >>> license_url("CC-BY-4.0")
    'https://spdx.org/licenses/CC-BY-4.0.html'
    >>> license_url("LicenseRef-Acme-Internal")
    'LicenseRef-Acme-Internal'
    """
    if license_id.startswith("LicenseRef-") or license_id in ("NOASSERTION", "NONE"):
        return license_id
    return f"https://spdx.org/licenses/{license_id}.html"


def _data_type(arrow_type: pa.DataType) -> str | None:
    """The Croissant dataType of a scalar Arrow type; None when it has no faithful one."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "sc:Text"
    if pa.types.is_boolean(arrow_type):
        return "sc:Boolean"
    if pa.types.is_integer(arrow_type) and arrow_type.bit_width in _INTEGERS:
        prefix = "Int" if pa.types.is_signed_integer(arrow_type) else "UInt"
        return f"cr:{prefix}{arrow_type.bit_width}"
    if pa.types.is_floating(arrow_type):
        return f"cr:Float{arrow_type.bit_width}"
    if pa.types.is_timestamp(arrow_type):
        return "sc:DateTime"
    if pa.types.is_date(arrow_type):
        return "sc:Date"
    return None


def _field(
    record_set: str, shards: str, name: str, arrow_type: pa.DataType, description: str | None
) -> dict[str, Any] | None:
    """A Field for one column: scalars directly, lists as arrays, lists of structs with subFields."""
    source = {"fileSet": {"@id": shards}, "extract": {"column": name}}
    node: dict[str, Any] = {"@type": "cr:Field", "@id": f"{record_set}/{name}", "name": name}
    if description:
        node["description"] = description
    scalar = _data_type(arrow_type)
    if scalar is not None:
        return {**node, "dataType": scalar, "source": source}
    if not (pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type)):
        return None
    item = arrow_type.value_type
    scalar = _data_type(item)
    if scalar is not None:
        return {**node, "dataType": scalar, "isArray": True, "arrayShape": "-1", "source": source}
    if not pa.types.is_struct(item):
        return None
    children = []
    for child in item:
        child_type = _data_type(child.type)
        if child_type is None:
            return None
        children.append(
            {
                "@type": "cr:Field",
                "@id": f"{record_set}/{name}/{child.name}",
                "name": child.name,
                "dataType": child_type,
                "source": {**source, "transform": {"jsonPath": child.name}},
            }
        )
    return {**node, "isArray": True, "arrayShape": "-1", "subField": children}


def record_set(
    schema: pa.Schema,
    *,
    shards: str,
    name: str = "default",
    key: str | None = "doc_id",
    descriptions: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A RecordSet with one Field per column of `schema` that Croissant can type.

    Columns whose Arrow type has no Croissant counterpart are left out of `field` and named in
    the record set's description, so a reader knows they exist.

    Examples
    --------
    >>> schema = pa.schema([("doc_id", pa.string()), ("n", pa.int32()), ("b", pa.binary())])
    >>> rs = record_set(schema, shards="shards")
    >>> [(f["name"], f["dataType"]) for f in rs["field"]]
    [('doc_id', 'sc:Text'), ('n', 'cr:Int32')]
    >>> rs["description"]
    'One record per row of the Parquet shards. Not described as fields (no Croissant type): b.'
    """
    descriptions = descriptions or {}
    fields, skipped = [], []
    for column in schema:
        node = _field(name, shards, column.name, column.type, descriptions.get(column.name))
        if node is None:
            skipped.append(column.name)
        else:
            fields.append(node)
    description = "One record per row of the Parquet shards."
    if skipped:
        description += f" Not described as fields (no Croissant type): {', '.join(skipped)}."
    node: dict[str, Any] = {
        "@type": "cr:RecordSet",
        "@id": name,
        "name": name,
        "description": description,
    }
    if key and key in schema.names:
        node["key"] = {"@id": f"{name}/{key}"}
    node["field"] = fields
    return node


def build_croissant(
    facts: DatasetFacts,
    files: Sequence[FileEntry],
    schema: pa.Schema,
    *,
    shards_glob: str,
    descriptions: Mapping[str, str] | None = None,
    shards_id: str = "parquet-shards",
) -> dict[str, Any]:
    """The Croissant 1.1 JSON-LD (a dict) for `files`, whose rows follow `schema`.

    Every file gets a FileObject with its sha256 and size; the files matched by `shards_glob`
    (relative to the document) form the FileSet that the record set reads.
    """
    doc: dict[str, Any] = {
        # a copy: JSON-LD processors (mlcroissant among them) add "@base" to the context they get
        "@context": copy.deepcopy(CONTEXT),
        "@type": "sc:Dataset",
        "name": facts.name,
        "description": facts.description,
        "conformsTo": [CROISSANT_1_1, RAI_1_0],
        "citeAs": facts.cite_as or f"{facts.name}, version {facts.version}",
        "datePublished": facts.date_published,
        "version": semantic_version(facts.version),
        "license": [license_url(i) for i in facts.licenses],
    }
    if facts.languages:
        doc["inLanguage"] = list(facts.languages)
    if facts.keywords:
        doc["keywords"] = list(facts.keywords)
    doc.update(facts.rai)
    distribution: list[dict[str, Any]] = [
        {
            "@type": "cr:FileObject",
            "@id": entry.path,
            "name": entry.path,
            "contentUrl": entry.path,
            "contentSize": f"{entry.bytes} B",
            "encodingFormat": entry.encoding_format,
            "sha256": entry.sha256,
        }
        for entry in files
    ]
    distribution.append(
        {
            "@type": "cr:FileSet",
            "@id": shards_id,
            "name": shards_id,
            "description": "The Parquet shards that hold the records, read together.",
            "encodingFormat": PARQUET,
            "includes": shards_glob,
        }
    )
    doc["distribution"] = distribution
    doc["recordSet"] = [record_set(schema, shards=shards_id, descriptions=descriptions)]
    return doc


def _is_iso_date(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        (datetime if "T" in value else date).fromisoformat(value)
    except ValueError:
        return False
    return True


def check_rai(doc: Mapping[str, Any]) -> list[str]:
    """Problems with the RAI values of a Croissant document (empty when every shape is right).

    Examples
    --------
    >>> check_rai({"rai:dataCollection": "read from file shares",
    ...            "rai:dataUseCases": ["pre-training"],
    ...            "rai:dataCollectionTimeframe": ["2024-01-01", "2024-03-01T00:00:00+00:00"]})
    []
    >>> check_rai({"rai:dataCollection": ["a", "b"], "rai:dataCollectionTimeframe": "2024"})
    ['rai:dataCollection must be one string, got list', 'rai:dataCollectionTimeframe must be a [start, end] pair of ISO 8601 dates, got str']
    """
    problems = []
    for key, value in doc.items():
        if not key.startswith("rai:"):
            continue
        shape = RAI_SHAPES.get(key)
        kind = type(value).__name__
        if shape is None:
            hint = _RAI_MISSPELLINGS.get(key)
            problems.append(
                f"{key} is not an RAI 1.0 property"
                + (f": the specification spells it {hint}" if hint else "")
            )
        elif shape == "text" and not (isinstance(value, str) and value.strip()):
            problems.append(f"{key} must be one string, got {kind}")
        elif shape == "texts" and not (
            (isinstance(value, str) and value.strip())
            or (
                isinstance(value, list)
                and value
                and all(isinstance(v, str) and v.strip() for v in value)
            )
        ):
            problems.append(f"{key} must be a string or a non-empty list of strings, got {kind}")
        elif shape == "dates":
            if not (isinstance(value, list) and len(value) == 2 and all(map(_is_iso_date, value))):
                problems.append(f"{key} must be a [start, end] pair of ISO 8601 dates, got {kind}")
            elif value[0] > value[1]:
                problems.append(f"{key} starts after it ends: {value[0]} > {value[1]}")
    return problems


def write_croissant(doc: Mapping[str, Any], path: Path) -> Path:
    """Write `doc` after checking its RAI values; raise InvalidCroissant instead of writing a bad one."""
    problems = check_rai(doc)
    if problems:
        raise InvalidCroissant("Croissant RAI values have the wrong shape: " + "; ".join(problems))
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _local_file_problems(doc: Mapping[str, Any], folder: Path) -> list[str]:
    """Every FileObject must carry a sha256 that matches the file beside the document."""
    problems = []
    distribution = doc.get("distribution") or []
    for node in distribution if isinstance(distribution, list) else [distribution]:
        if not isinstance(node, dict) or node.get("@type") != "cr:FileObject":
            continue
        name = node.get("@id") or node.get("name") or "?"
        expected = node.get("sha256")
        if not expected:
            problems.append(f"FileObject {name} has no sha256 checksum")
            continue
        url = node.get("contentUrl")
        relative = PurePosixPath(url) if isinstance(url, str) and "://" not in url else None
        if relative is None or relative.is_absolute() or ".." in relative.parts:
            continue
        path = folder / relative
        if not path.is_file():
            problems.append(f"FileObject {name}: {relative} is missing beside the Croissant file")
            continue
        entry = FileEntry.of(path, folder)
        if entry.sha256 != expected:
            problems.append(f"FileObject {name}: sha256 {expected} does not match the file")
        declared = (
            size.removesuffix(" B") if isinstance(size := node.get("contentSize"), str) else ""
        )
        if declared.isdigit() and int(declared) != entry.bytes:
            problems.append(f"FileObject {name}: contentSize {size} is not {entry.bytes} B")
    return problems


def validate_croissant(path: Path | str) -> list[str]:
    """Errors that keep the Croissant file at `path` from being valid (empty when valid).

    mlcroissant's static checks (structure, required properties, checksums present, types),
    then our own: RAI value shapes, and every local FileObject's sha256 and size against the
    file itself. Runs offline: the inline context needs no fetch and no record is read.
    """
    import mlcroissant as mlc

    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return [f"cannot read {path.name}: {error}"]
    if not isinstance(doc, dict):
        return [f"{path.name} is not a JSON-LD object"]
    problems: list[str] = []
    try:
        mlc.Dataset(jsonld=path)
    except mlc.ValidationError as error:
        problems += _issue_lines(str(error))
    except (ValueError, KeyError, TypeError) as error:
        problems.append(f"mlcroissant cannot load {path.name}: {error}")
    problems += check_rai(doc)
    problems += _local_file_problems(doc, path.parent)
    return problems


def _issue_lines(report: str) -> list[str]:
    """The errors of an mlcroissant report, without its warnings.

    A report has a "Found the following N error(s)" and a "... warning(s)" section, each a list
    of `  -  message` items.

    Examples
    --------
    >>> _issue_lines("Found the following 1 error(s) during the validation:\\n"
    ...              "  -  [FileObject(a)] no sha256\\n"
    ...              "Found the following 1 warning(s) during the validation:\\n"
    ...              "  -  [Metadata(x)] citeAs is recommended")
    ['[FileObject(a)] no sha256']
    """
    errors: list[str] = []
    in_errors = False
    for line in report.splitlines():
        if line.startswith("Found the following"):
            in_errors = "error(s)" in line
        elif in_errors and line.startswith("  -  "):
            errors.append(line.removeprefix("  -  ").strip())
        elif in_errors and errors and line.strip():
            errors[-1] += " " + line.strip()
    return errors or [report.strip()]
