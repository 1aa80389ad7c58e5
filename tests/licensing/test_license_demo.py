"""The demo share: every file gets the license its generator says it is under."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow as pa

from curation.demo.corpus import generate_demo_corpus
from curation.demo.spec import DEMO_SOURCES
from curation.exceptions import ExtractionError
from curation.ingest import extract_file
from curation.schema import conform, make_doc_id
from licensing.gate import gate_licenses
from licensing.policy import LicensePolicy
from licensing.resolve import resolve_licenses


def test_demo_corpus_licenses_match_the_ground_truth(tmp_path: Path):
    corpus = generate_demo_corpus(tmp_path)
    rows = []
    for rel in corpus.files:
        source, path = rel.split("/", 1)
        try:
            found = extract_file(corpus.path(rel))
            text, metadata = found.text, json.dumps(found.metadata)
        except ExtractionError:  # corrupt and unsupported files are quarantined by ingest
            text, metadata = None, None
        rows.append(
            {
                "doc_id": make_doc_id(source, path),
                "source_id": source,
                "source_uri": corpus.path(rel).as_uri(),
                "relative_path": path,
                "text": text,
                "metadata_json": metadata,
            }
        )
    policy = LicensePolicy(
        use="internal_only", declared_refs={"LicenseRef-Acme-Internal": "internal"}
    )
    resolved = resolve_licenses(
        conform(pa.Table.from_pylist(rows)),
        declared={s.id: s.license for s in DEMO_SOURCES},
        source_roots={s.id: corpus.corpus_dir / s.id for s in DEMO_SOURCES},
        policy=policy,
    )
    got = dict(zip(corpus.files, resolved.column("spdx").to_pylist(), strict=True))
    expected = {rel: corpus.expected_license(rel) for rel in corpus.files}
    assert got == expected
    evidence = Counter(resolved.column("license_evidence").to_pylist())
    assert evidence["tag"] >= 1  # the vendored MIT README
    assert set(gate_licenses(resolved, policy).decision.to_pylist()) == {"kept"}
