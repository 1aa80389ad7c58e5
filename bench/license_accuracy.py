"""License resolution accuracy on ../shared/data/enterprise (issue #8's acceptance measurement).

The resolver gets what an operator would write in a spec, one declared license per top-level
folder (python-peps: NOASSERTION, its license is only inside each PEP), plus the documents;
its per-document SPDX is compared with MANIFEST.csv's `spdx_license`. Also applies the policy
"permissive or public domain, commercial use" and counts what it keeps and holds back.

    .venv/bin/python bench/license_accuracy.py [--data PATH] [--text-only]

Prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from curation.offline import enforce_offline  # noqa: E402

enforce_offline()

import pyarrow as pa  # noqa: E402

from curation.schema import conform, make_doc_id  # noqa: E402
from licensing.gate import gate_licenses  # noqa: E402
from licensing.policy import LicensePolicy  # noqa: E402
from licensing.resolve import resolve_licenses  # noqa: E402

# What the data README says each source is licensed under: the spec's per-source declaration.
DECLARED = {
    "18f-handbook": "CC0-1.0",
    "18f-methods": "CC0-1.0",
    "18f-website": "CC0-1.0",
    "apache-httpd-manual": "Apache-2.0",
    "cncf-glossary": "Apache-2.0",
    "github-site-policy": "CC0-1.0",
    "opentelemetry-docs": "CC-BY-4.0",
    "python-peps": "NOASSERTION",
}
TEXT_FORMATS = {"md", "rst", "txt", "txt (no extension)", "html"}


def _extract(args: tuple[str, str, bool]) -> tuple[str | None, str | None, str | None, str | None]:
    """(text, metadata_json, title, author) of one file; Nones when it cannot be read."""
    path, fmt, text_only = args
    if not text_only:
        try:
            from curation.ingest.extract import extract_file
        except ImportError:
            extract_file = None
        if extract_file is not None:
            from curation.exceptions import ExtractionError

            try:
                found = extract_file(Path(path))
            except ExtractionError:
                return None, None, None, None
            return found.text, json.dumps(found.metadata, default=str), found.title, found.author
    if fmt in TEXT_FORMATS:
        return Path(path).read_bytes().decode("utf-8", errors="replace"), None, None, None
    return None, None, None, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / ".." / "shared" / "data" / "enterprise")
    parser.add_argument(
        "--text-only", action="store_true", help="read text files only, no extractors"
    )
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    root = args.data.resolve()
    rows = list(csv.DictReader((root / "MANIFEST.csv").open(encoding="utf-8")))

    started = time.perf_counter()
    jobs = [(str(root / r["relative_path"]), r["format"], args.text_only) for r in rows]
    with ProcessPoolExecutor(args.workers) as pool:
        extracted = list(pool.map(_extract, jobs, chunksize=32))
    extract_s = time.perf_counter() - started

    sources = [r["relative_path"].split("/", 1)[0] for r in rows]
    relative = [r["relative_path"].split("/", 1)[1] for r in rows]
    table = conform(
        pa.table(
            {
                "doc_id": [make_doc_id(s, p) for s, p in zip(sources, relative, strict=True)],
                "source_id": sources,
                "source_uri": [(root / r["relative_path"]).as_uri() for r in rows],
                "relative_path": relative,
                "text": [e[0] for e in extracted],
                "metadata_json": [e[1] for e in extracted],
                "title": [e[2] for e in extracted],
                "author": [e[3] for e in extracted],
            }
        )
    )
    started = time.perf_counter()
    resolved = resolve_licenses(
        table, declared=DECLARED, source_roots={s: root / s for s in DECLARED}
    )
    resolve_s = time.perf_counter() - started

    predicted = resolved.column("spdx").to_pylist()
    evidence = resolved.column("license_evidence").to_pylist()
    truth = [r["spdx_license"] for r in rows]
    confusion: dict[str, Counter] = defaultdict(Counter)
    by_source: dict[str, Counter] = defaultdict(Counter)
    mismatches = []
    for src, path, t, p, e in zip(sources, relative, truth, predicted, evidence, strict=True):
        confusion[t][p] += 1
        by_source[src]["documents"] += 1
        by_source[src]["match"] += t == p
        if t != p:
            mismatches.append({"path": f"{src}/{path}", "truth": t, "predicted": p, "evidence": e})

    def rate(selected: list[int]) -> dict:
        hits = sum(truth[i] == predicted[i] for i in selected)
        return {"documents": len(selected), "match": hits, "rate": round(hits / len(selected), 4)}

    policy = LicensePolicy(
        use="commercial_training", allow_categories=("public_domain", "permissive")
    )
    decision = gate_licenses(resolved, policy)
    outcome: dict[str, Counter] = defaultdict(Counter)
    for p, d in zip(predicted, decision.decision.to_pylist(), strict=True):
        outcome[p][d] += 1

    print(
        json.dumps(
            {
                "benchmark": "license_accuracy",
                "data": str(root),
                "extraction": "text-only" if args.text_only else "curation.ingest.extract",
                "overall": rate(list(range(len(rows)))),
                "python_peps": rate([i for i, s in enumerate(sources) if s == "python-peps"]),
                "by_source": {
                    s: {**c, "rate": round(c["match"] / c["documents"], 4)}
                    for s, c in sorted(by_source.items())
                },
                "confusion": {t: dict(c.most_common()) for t, c in sorted(confusion.items())},
                "evidence": dict(Counter(evidence).most_common()),
                "mismatches": mismatches,
                "policy": {
                    "spec": {"use": policy.use, "allow_categories": list(policy.allow_categories)},
                    "by_license": {p: dict(c) for p, c in sorted(outcome.items())},
                },
                "seconds": {"extract": round(extract_s, 2), "resolve": round(resolve_s, 2)},
                "documents_per_second_resolve": round(len(rows) / resolve_s, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
