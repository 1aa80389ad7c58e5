"""The dataset card (README.md) of an export, with the YAML header the Hugging Face Hub reads.

The header is what `datasets.load_dataset(folder)` and the Hub use: `configs` points the
default config's train split at the Parquet shards, `dataset_info` gives the features (so a
loader casts to the same types the files hold) and the split's size, and `license`,
`language`, `size_categories` and `task_categories` use the Hub's own vocabularies. The body
says how the version was made, for a reader who never opens the catalog.

Nothing here reads document values: only counts, types, license ids and language codes, so the
card holds no PII (invariant 3).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import yaml

from catalogs.exceptions import CatalogError

# License identifiers the Hub accepts in a card
# (https://huggingface.co/docs/hub/repositories-licenses), in the order of its table.
HUB_LICENSES = frozenset(
    """
     apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m
     bigscience-bloom-rail-1.0 bigcode-openrail-m afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause
     bsd-3-clause bsd-3-clause-clear c-uda cc cc0-1.0 cc-by-2.0 cc-by-2.5 cc-by-3.0 cc-by-4.0
     cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0 cc-by-nd-4.0
     cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 cc-by-nc-sa-4.0
     cdla-sharing-1.0 cdla-permissive-1.0 cdla-permissive-2.0 wtfpl ecl-2.0 epl-1.0 epl-2.0
     etalab-2.0 eupl-1.1 agpl-3.0 gfdl gpl gpl-2.0 gpl-3.0 lgpl lgpl-2.1 lgpl-3.0 isc lppl-1.3c
     ms-pl mpl-2.0 odc-by odbl openrail++ osl-3.0 postgresql ofl-1.1 ncsa unlicense zlib pddl
     lgpl-lr deepfloyd-if-license llama2 gemma
    """.split()  # noqa: SIM905 (one block reads like the Hub's table)
)
# SPDX ids whose Hub identifier is not their lower-cased spelling.
_HUB_ALIASES = {
    "odc-by-1.0": "odc-by",
    "odbl-1.0": "odbl",
    "pddl-1.0": "pddl",
    "c-uda-1.0": "c-uda",
    "lgpllr": "lgpl-lr",
}
_SPDX_OPERATORS = {"AND", "OR", "WITH"}
_SPDX_TOKEN = re.compile(r"[A-Za-z0-9.+\-]+")

# The Hub's size buckets, by number of examples: (upper bound, label).
_SIZE_BUCKETS = (
    (10**3, "n<1K"),
    (10**4, "1K<n<10K"),
    (10**5, "10K<n<100K"),
    (10**6, "100K<n<1M"),
    (10**7, "1M<n<10M"),
    (10**8, "10M<n<100M"),
    (10**9, "100M<n<1B"),
    (10**10, "1B<n<10B"),
    (10**11, "10B<n<100B"),
    (10**12, "100B<n<1T"),
)
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


def license_ids(expression: str | None) -> list[str]:
    """The license ids an SPDX expression names (exceptions after WITH are not licenses).

    Examples
    --------
    >>> license_ids("(MIT OR Apache-2.0) AND GPL-2.0-only WITH Classpath-exception-2.0")
    ['MIT', 'Apache-2.0', 'GPL-2.0-only']
    >>> license_ids(None)
    []
    """
    ids: list[str] = []
    after_with = False
    for token in _SPDX_TOKEN.findall(expression or ""):
        if token.upper() in _SPDX_OPERATORS:
            after_with = token.upper() == "WITH"
            continue
        if not after_with and token not in ids:
            ids.append(token)
        after_with = False
    return ids


def hub_license(license_id: str) -> str | None:
    """The Hub's identifier for an SPDX id; None when the Hub lists no such license.

    `-only` / `-or-later` variants map to the Hub's single entry per version; NOASSERTION is
    the Hub's `unknown`.

    Examples
    --------
    >>> [hub_license(i) for i in ("MIT", "CC-BY-SA-4.0", "GPL-3.0-or-later", "ODbL-1.0")]
    ['mit', 'cc-by-sa-4.0', 'gpl-3.0', 'odbl']
    >>> hub_license("LicenseRef-Acme-Internal") is None
    True
    """
    if license_id == "NOASSERTION":
        return "unknown"
    key = license_id.lower().removesuffix("+")
    for suffix in ("-only", "-or-later"):
        key = key.removesuffix(suffix)
    if key.startswith("gfdl-"):
        return "gfdl"
    key = _HUB_ALIASES.get(key, key)
    return key if key in HUB_LICENSES else None


def hub_license_fields(ids: Iterable[str]) -> dict[str, Any]:
    """The card's `license` (one id or a list), plus `license_name` / `license_link` for `other`.

    Examples
    --------
    >>> hub_license_fields(["MIT"])
    {'license': 'mit'}
    >>> hub_license_fields(["CC-BY-4.0", "MIT", "LicenseRef-Acme-Internal"])
    {'license': ['cc-by-4.0', 'mit', 'other'], 'license_name': 'licenseref-acme-internal', 'license_link': 'README.md#licenses'}
    """
    known: list[str] = []
    other: list[str] = []
    for license_id in ids:
        hub = hub_license(license_id)
        if hub is None:
            other.append(license_id)
        elif hub not in known:
            known.append(hub)
    values = sorted(known) + (["other"] if other else [])
    if not values:
        return {"license": "unknown"}
    fields: dict[str, Any] = {"license": values[0] if len(values) == 1 else values}
    if other:
        slug = "-and-".join(re.sub(r"[^a-z0-9.]+", "-", i.lower()).strip("-") for i in other)
        fields["license_name"] = slug
        fields["license_link"] = "README.md#licenses"
    return fields


def size_category(rows: int) -> str:
    """The Hub's size bucket for a number of examples.

    Examples
    --------
    >>> [size_category(n) for n in (0, 999, 1000, 123_456, 10**13)]
    ['n<1K', 'n<1K', '1K<n<10K', '100K<n<1M', 'n>1T']
    """
    for bound, label in _SIZE_BUCKETS:
        if rows < bound:
            return label
    return "n>1T"


def language_codes(counts: Iterable[tuple[str | None, int]]) -> list[str]:
    """ISO 639 codes (two letters, or three where 639-1 has none) ordered by documents.

    Examples
    --------
    >>> language_codes([("en", 5), ("de", 9), (None, 3), ("ceb", 1), ("zh-Hans", 1)])
    ['de', 'en', 'ceb']
    """
    ordered = sorted(((c, n) for c, n in counts if c), key=lambda cn: (-cn[1], cn[0]))
    return [c for c, _ in ordered if _LANGUAGE_CODE.match(c)]


def _dtype(arrow_type: pa.DataType) -> str | None:
    """The `datasets` Value dtype of a scalar Arrow type (its string spelling in card YAML)."""
    if pa.types.is_timestamp(arrow_type):
        tz = f", tz={arrow_type.tz}" if arrow_type.tz else ""
        return f"timestamp[{arrow_type.unit}{tz}]"
    names = {
        pa.string(): "string",
        pa.large_string(): "large_string",
        pa.bool_(): "bool",
        pa.int8(): "int8",
        pa.int16(): "int16",
        pa.int32(): "int32",
        pa.int64(): "int64",
        pa.uint8(): "uint8",
        pa.uint16(): "uint16",
        pa.uint32(): "uint32",
        pa.uint64(): "uint64",
        pa.float16(): "float16",
        pa.float32(): "float32",
        pa.float64(): "float64",
        pa.date32(): "date32",
        pa.binary(): "binary",
        pa.large_binary(): "large_binary",
    }
    return names.get(arrow_type)


def _feature(name: str, arrow_type: pa.DataType) -> dict[str, Any]:
    scalar = _dtype(arrow_type)
    if scalar is not None:
        return {"name": name, "dtype": scalar}
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        item = arrow_type.value_type
        if pa.types.is_struct(item):
            return {"name": name, "list": [_feature(f.name, f.type) for f in item]}
        inner = _dtype(item)
        if inner is not None:
            return {"name": name, "list": inner}
    if pa.types.is_struct(arrow_type):
        return {"name": name, "struct": [_feature(f.name, f.type) for f in arrow_type]}
    raise CatalogError(
        f"column {name!r} has Arrow type {arrow_type}, which the dataset card cannot describe "
        "as a `datasets` feature: export without it or add its mapping to catalogs/card.py"
    )


def hub_features(schema: pa.Schema) -> list[dict[str, Any]]:
    """`dataset_info.features` as `datasets` writes it for `schema`.

    Examples
    --------
    >>> hub_features(pa.schema([("doc_id", pa.string()),
    ...     ("pii_counts", pa.list_(pa.struct([("key", pa.string()), ("value", pa.int32())])))]))
    [{'name': 'doc_id', 'dtype': 'string'}, {'name': 'pii_counts', 'list': [{'name': 'key', 'dtype': 'string'}, {'name': 'value', 'dtype': 'int32'}]}]
    """
    return [_feature(f.name, f.type) for f in schema]


@dataclass(frozen=True)
class CardFacts:
    """Everything the card says, as plain values (the exporter computes them once)."""

    dataset: str
    version: str
    run_id: str | None
    spec_fingerprint: str | None
    code_version: str | None
    committed_at: str
    pii_fingerprint: str | None
    rows: int
    num_bytes: int
    download_size: int
    shard_count: int
    schema: pa.Schema
    summary: Mapping[str, Any]
    licenses: Sequence[Mapping[str, Any]]
    license_ids: Sequence[str]
    languages: Sequence[tuple[str | None, int]]
    pii: Sequence[tuple[str, int, int]]
    timeframe: tuple[str, str] | None
    left_out: Sequence[str]
    left_out_reason: str
    descriptions: Mapping[str, str] = field(default_factory=dict)
    stage_notes: Mapping[str, str] = field(default_factory=dict)
    shards_glob: str = "data/train-*.parquet"


def card_header(facts: CardFacts) -> dict[str, Any]:
    """The YAML header as a dict, in the order the Hub's own cards use."""
    languages = language_codes(facts.languages)
    header: dict[str, Any] = {"pretty_name": f"{facts.dataset} {facts.version}"}
    header.update(hub_license_fields(facts.license_ids))
    if languages:
        header["language"] = languages
        header["multilinguality"] = "multilingual" if len(languages) > 1 else "monolingual"
    header["size_categories"] = [size_category(facts.rows)]
    header["task_categories"] = ["text-generation"]
    header["tags"] = ["sovereign-curate"]
    header["configs"] = [
        {
            "config_name": "default",
            "data_files": [{"split": "train", "path": facts.shards_glob}],
        }
    ]
    header["dataset_info"] = {
        "features": hub_features(facts.schema),
        "splits": [{"name": "train", "num_bytes": facts.num_bytes, "num_examples": facts.rows}],
        "download_size": facts.download_size,
        "dataset_size": facts.num_bytes,
    }
    return header


def render_card(facts: CardFacts) -> str:
    """README.md: the YAML header between `---` lines, then the card's Markdown body."""
    header = yaml.safe_dump(
        card_header(facts), sort_keys=False, allow_unicode=True, default_flow_style=False
    )
    return f"---\n{header}---\n\n" + "\n".join(_body(facts))


def _body(facts: CardFacts) -> list[str]:
    summary = facts.summary
    lines = [
        f"# {facts.dataset} — version {facts.version}",
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
        f"- run id: `{facts.run_id}`",
        f"- spec fingerprint: `{facts.spec_fingerprint}`",
        f"- code version: `{facts.code_version}`",
    ]
    if facts.pii_fingerprint:
        lines.append(f"- PII policy fingerprint: `{facts.pii_fingerprint}`")
    lines += [
        f"- committed: {facts.committed_at}",
        f"- inputs {summary.get('inputs', '?')}, kept {summary.get('kept', facts.rows)}, "
        f"dropped {summary.get('dropped', '?')}, quarantined {summary.get('quarantined', '?')}",
    ]
    if facts.timeframe:
        lines.append(
            f"- documents last modified between {facts.timeframe[0]} and {facts.timeframe[1]}"
        )
    lines += [
        "",
        "| stage | what it does | kept | modified | dropped | quarantined |",
        "|---|---|---|---|---|---|",
    ]
    for stage, counts in summary.get("by_stage", {}).items():
        cells = " | ".join(
            str(counts.get(k, 0)) for k in ("kept", "modified", "dropped", "quarantined")
        )
        lines.append(f"| {stage} | {facts.stage_notes.get(stage, '')} | {cells} |")
    if summary.get("by_reason"):
        lines += ["", "| reason documents were dropped or quarantined | documents |", "|---|---|"]
        lines += [f"| `{reason}` | {count} |" for reason, count in summary["by_reason"].items()]
    lines += [
        "",
        "## Licenses",
        "",
        "| source | license | category | evidence | documents |",
        "|---|---|---|---|---|",
    ]
    for row in facts.licenses:
        lines.append(
            f"| {row['source_id']} | {row['spdx']} | {row['license_category']} | "
            f"{row['license_evidence']} | {row['documents']} |"
        )
    mapped = hub_license_fields(facts.license_ids)
    lines += [
        "",
        "The card's `license` field lists the Hub identifiers of these licenses"
        + (
            f"; `other` stands for {', '.join(i for i in facts.license_ids if hub_license(i) is None)}"
            if "license_name" in mapped
            else ""
        )
        + ".",
        "See ATTRIBUTION.md for the credit that licenses such as CC-BY require.",
        "",
    ]
    languages = [(c, n) for c, n in facts.languages if c]
    if languages:
        lines += ["## Languages", "", "| language | documents |", "|---|---|"]
        lines += [f"| {code} | {count} |" for code, count in languages]
        unknown = sum(n for c, n in facts.languages if not c)
        if unknown:
            lines.append(f"| (none identified) | {unknown} |")
        lines.append("")
    lines += ["## Personal data", ""]
    if facts.pii:
        lines += [
            "Redacted before the version was committed; the values are gone, counts remain in "
            "`pii_counts`.",
            "",
            "| entity type | occurrences redacted | documents |",
            "|---|---|---|",
        ]
        lines += [f"| {kind} | {count} | {docs} |" for kind, count, docs in facts.pii]
    else:
        lines.append("No personal data was found in the exported documents.")
    lines += ["", "## Columns", ""]
    for column in facts.schema:
        note = facts.descriptions.get(column.name)
        lines.append(f"- `{column.name}` ({column.type})" + (f": {note}" if note else ""))
    lines.append("")
    if facts.left_out:
        names = ", ".join(f"`{c}`" for c in facts.left_out)
        lines += [
            f"Left out: {names}: {facts.left_out_reason}. Export with `--include-provenance` "
            "to keep them.",
            "",
        ]
    lines += [
        "## Files",
        "",
        f"- `{facts.shards_glob}`: {facts.shard_count} zstd Parquet shard(s), rows sorted by "
        "`doc_id`",
        "- `croissant.json`: Croissant 1.1 metadata with RAI properties and each shard's sha256",
        "- `manifest.json`: every file's size and sha256, for verifying a copy",
        "- `ATTRIBUTION.md`: the credit owed to authors",
        "",
    ]
    return lines
