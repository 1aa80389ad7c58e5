"""Acceptance on the real corpus: per-document licenses of ../shared/data/enterprise.

Runs on the text documents of two sources (fast, no extractors): python-peps, declared
NOASSERTION, whose licenses are stated only inside each PEP, and github-site-policy, declared
CC0-1.0. bench/license_accuracy.py measures the whole corpus with extraction.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest

from curation.schema import conform, make_doc_id
from licensing.gate import gate_licenses
from licensing.policy import LicensePolicy
from licensing.resolve import resolve_licenses

ENTERPRISE = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "enterprise"
DECLARED = {"python-peps": "NOASSERTION", "github-site-policy": "CC0-1.0"}

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def resolved() -> tuple[pa.Table, list[str]]:
    if not (ENTERPRISE / "MANIFEST.csv").is_file():
        pytest.skip(
            f"needs the enterprise corpus at {ENTERPRISE} (../shared/data beside the checkout)"
        )
    rows = [
        r
        for r in csv.DictReader((ENTERPRISE / "MANIFEST.csv").open(encoding="utf-8"))
        if r["relative_path"].split("/", 1)[0] in DECLARED and r["format"] in {"rst", "md"}
    ]
    sources = [r["relative_path"].split("/", 1)[0] for r in rows]
    relative = [r["relative_path"].split("/", 1)[1] for r in rows]
    table = conform(
        pa.table(
            {
                "doc_id": [make_doc_id(s, p) for s, p in zip(sources, relative, strict=True)],
                "source_id": sources,
                "source_uri": [f"file:///enterprise/{r['relative_path']}" for r in rows],
                "relative_path": relative,
                "text": [
                    (ENTERPRISE / r["relative_path"]).read_text(encoding="utf-8") for r in rows
                ],
            }
        )
    )
    out = resolve_licenses(
        table, declared=DECLARED, source_roots={s: ENTERPRISE / s for s in DECLARED}
    )
    return out, [r["spdx_license"] for r in rows]


def test_pep_licenses_match_the_manifest(resolved):
    table, truth = resolved
    predicted = table.column("spdx").to_pylist()
    peps = [i for i, s in enumerate(table.column("source_id").to_pylist()) if s == "python-peps"]
    hits = sum(predicted[i] == truth[i] for i in peps)
    assert len(peps) > 700
    assert hits / len(peps) >= 0.98, Counter(
        (truth[i], predicted[i]) for i in peps if truth[i] != predicted[i]
    )
    found = Counter(predicted[i] for i in peps)
    for expected in (
        "LicenseRef-PublicDomain",
        "LicenseRef-PublicDomain OR CC0-1.0",
        "OPUBL-1.0",
        "NOASSERTION",
    ):
        assert found[expected] > 0


def test_site_policy_inherits_the_declared_license(resolved):
    table, truth = resolved
    rows = [
        i for i, s in enumerate(table.column("source_id").to_pylist()) if s == "github-site-policy"
    ]
    predicted = table.column("spdx").to_pylist()
    assert sum(predicted[i] == truth[i] for i in rows) >= len(rows) - 1


def test_acceptance_policy_holds_back_opubl_and_noassertion(resolved):
    table, _ = resolved
    policy = LicensePolicy(
        use="commercial_training", allow_categories=("public_domain", "permissive")
    )
    decision = gate_licenses(table, policy)
    outcome = Counter(
        zip(table.column("spdx").to_pylist(), decision.decision.to_pylist(), strict=True)
    )
    assert outcome[("OPUBL-1.0", "dropped")] == 5
    assert outcome[("NOASSERTION", "quarantined")] > 0
    assert outcome[("LicenseRef-PublicDomain OR CC0-1.0", "kept")] > 200
    assert outcome[("CC0-1.0", "kept")] > 50
    assert not any(d == "kept" and s in {"OPUBL-1.0", "NOASSERTION"} for s, d in outcome)
