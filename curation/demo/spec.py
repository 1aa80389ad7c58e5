"""The dataset spec written beside the demo corpus (`<root>/demo.yaml`).

The `license`, `quality`, `dedup` and `pii` sections are owned by other packages whose config
formats are still settling, so they live in one mapping, `DEMO_SPEC_SECTIONS`, that the
integrator can adjust in one place; the generator never hard-codes them elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True)
class DemoSource:
    """One top-level folder of the demo share and the license its owner declared for it."""

    id: str
    license: str
    description: str


DEMO_SOURCES: tuple[DemoSource, ...] = (
    DemoSource(
        "policies", "LicenseRef-Acme-Internal", "HR and IT policies, several revisions each"
    ),
    DemoSource(
        "engineering", "Apache-2.0", "design docs, runbooks, service docs; one vendored MIT file"
    ),
    DemoSource(
        "knowledge-base", "CC-BY-4.0", "intranet help pages with navigation and cookie boilerplate"
    ),
    DemoSource(
        "mail", "LicenseRef-Acme-Internal", "e-mails and memos: names, addresses, phones, IBANs"
    ),
    DemoSource("reports", "CC0-1.0", "PDF and DOCX reports with KPI tables"),
)

# Sections other packages own. Keep them minimal: their owners decide the keys.
DEMO_SPEC_SECTIONS: dict[str, Any] = {
    "name": "acme-demo",
    "output": {"table": "curated.acme_demo"},
    "license": {
        "allow_categories": ["public_domain", "permissive", "weak_copyleft", "internal"],
        "declared_refs": {"LicenseRef-Acme-Internal": "internal"},
    },
    "quality": {},
    "dedup": {"threshold": 0.8},
    "pii": {},
}

_COMMENTS = {
    "name": "# Dataset name: the catalog lists versions under it.",
    "output": "# Where versions are committed: an Iceberg table name in the workspace catalog.",
    "sources": (
        "# One entry per top-level folder of the share. `path` is relative to this file;\n"
        "# `license` is the SPDX expression the folder's owner declared (documents may override\n"
        "# it with their own notice, e.g. an SPDX-License-Identifier line)."
    ),
    "license": (
        "# License policy: which license categories may enter the training set.\n"
        "# declared_refs gives a category to LicenseRef-* identifiers the SPDX list cannot know."
    ),
    "quality": "# Quality filters: empty means the package's defaults.",
    "dedup": "# Near-duplicate detection: word 5-gram MinHash; pairs above `threshold` are merged.",
    "pii": "# PII redaction: empty means the package's defaults.",
}

_ORDER = ("name", "output", "sources", "license", "quality", "dedup", "pii")


def spec_mapping(corpus_folder: str = "corpus") -> dict[str, Any]:
    """The spec as a mapping (what `yaml.safe_load` of the written file returns)."""
    sources = [
        {"id": s.id, "type": "folder", "path": f"{corpus_folder}/{s.id}", "license": s.license}
        for s in DEMO_SOURCES
    ]
    mapping = dict(DEMO_SPEC_SECTIONS)
    mapping["sources"] = sources
    return {key: mapping[key] for key in _ORDER if key in mapping} | {
        k: v for k, v in mapping.items() if k not in _ORDER
    }


def render_spec(corpus_folder: str = "corpus") -> str:
    """YAML text of the spec, each section preceded by a comment saying what it is for."""
    out = [
        "# Dataset spec for the generated demo corpus (curation.demo.generate_demo_corpus).",
        "# A fictional company's file share: five folders, each with the license its owner",
        "# declared. `curate run demo.yaml` curates it; relative paths resolve against this file.",
        "",
    ]
    for key, value in spec_mapping(corpus_folder).items():
        if key in _COMMENTS:
            out.append(_COMMENTS[key])
        out.append(yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True).rstrip())
        out.append("")
    return "\n".join(out)
