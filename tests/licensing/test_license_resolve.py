"""Per-document resolution: every evidence kind, precedence, conflicts, manifests on disk."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pytest

from curation.schema import DOCUMENT_SCHEMA, conform, make_doc_id
from licensing.exceptions import LicensingError, ManifestError
from licensing.policy import LicensePolicy
from licensing.resolve import resolve_licenses

PD_NOTICE = "Copyright\n=========\n\nThis document has been placed in the public domain.\n"


def batch(rows: list[dict]) -> pa.Table:
    columns = {
        key: [row.get(key) for row in rows]
        for key in ("source_id", "relative_path", "text", "metadata_json", "title", "author")
    }
    columns["source_id"] = [s or "src" for s in columns["source_id"]]
    columns["doc_id"] = [
        make_doc_id(s, p or str(i))
        for i, (s, p) in enumerate(zip(columns["source_id"], columns["relative_path"], strict=True))
    ]
    columns["source_uri"] = [
        f"file:///data/{s}/{p}"
        for s, p in zip(columns["source_id"], columns["relative_path"], strict=True)
    ]
    return conform(pa.table(columns))


def resolved_rows(table: pa.Table, **kw) -> list[dict]:
    out = resolve_licenses(table, **kw)
    assert out.schema.equals(DOCUMENT_SCHEMA)
    rows = out.to_pylist()
    for row in rows:
        row["attribution"] = json.loads(row["attribution"])
    return rows


def test_every_in_document_evidence_kind_and_the_default():
    table = batch(
        [
            {"relative_path": "tag.py", "text": "# SPDX-License-Identifier: MIT\nprint()\n"},
            {"relative_path": "notice.rst", "text": "Body.\n\n" + PD_NOTICE},
            {
                "relative_path": "meta.pdf",
                "text": "Scanned form",
                "metadata_json": '{"rights": "CC-BY-4.0"}',
            },
            {"relative_path": "plain.md", "text": "Nothing about licenses here."},
        ]
    )
    rows = resolved_rows(table, declared={"src": "Apache-2.0"})
    assert [(r["spdx"], r["license_evidence"]) for r in rows] == [
        ("MIT", "tag"),
        ("LicenseRef-PublicDomain", "notice"),
        ("CC-BY-4.0", "metadata"),
        ("Apache-2.0", "default"),
    ]
    assert [r["license_confidence"] for r in rows] == pytest.approx([0.99, 0.9, 0.8, 0.6])
    assert [r["license_category"] for r in rows] == [
        "permissive",
        "public_domain",
        "permissive",
        "permissive",
    ]
    # a document's own statement wins over the source default, and the conflict is recorded
    assert rows[1]["attribution"]["conflicts"] == [{"evidence": "default", "spdx": "Apache-2.0"}]
    assert rows[3]["attribution"]["conflicts"] == []


def test_precedence_tag_over_notice_over_metadata():
    text = "SPDX-License-Identifier: MIT\n\nThis document is licensed under the Apache License, Version 2.0.\n"
    rows = resolved_rows(
        batch(
            [{"relative_path": "a.md", "text": text, "metadata_json": '{"license": "CC-BY-4.0"}'}]
        ),
        declared={"src": "CC0-1.0"},
    )
    assert rows[0]["spdx"] == "MIT"
    assert rows[0]["license_evidence"] == "tag"
    assert rows[0]["attribution"]["conflicts"] == [
        {"evidence": "notice", "spdx": "Apache-2.0"},
        {"evidence": "metadata", "spdx": "CC-BY-4.0"},
        {"evidence": "default", "spdx": "CC0-1.0"},
    ]


def test_unknown_source_and_noassertion_default():
    rows = resolved_rows(
        batch(
            [
                {"source_id": "a", "relative_path": "x.md", "text": "x"},
                {"source_id": "b", "relative_path": "y.md", "text": "y"},
            ]
        ),
        declared={"a": "NOASSERTION"},
    )
    assert [(r["spdx"], r["license_evidence"], r["license_category"]) for r in rows] == [
        ("NOASSERTION", "default", "unknown"),
        ("NOASSERTION", "default", "unknown"),
    ]
    assert [r["license_confidence"] for r in rows] == [0.0, 0.0]


def test_invalid_declared_license_raises_with_the_source_named():
    with pytest.raises(LicensingError, match="source 'src'.*fix the source's license"):
        resolve_licenses(batch([{"relative_path": "x", "text": "x"}]), declared={"src": "Apache-9"})


def test_invalid_tag_falls_through_and_is_recorded():
    rows = resolved_rows(
        batch([{"relative_path": "x.md", "text": "SPDX-License-Identifier: Apache-9\n"}]),
        declared={"src": "MIT"},
    )
    assert (rows[0]["spdx"], rows[0]["license_evidence"]) == ("MIT", "default")
    assert rows[0]["attribution"]["invalid_tag"] == "Apache-9"


def test_spec_manifest_last_matching_glob_wins():
    table = batch(
        [
            {"relative_path": "docs/a.md", "text": "a"},
            {"relative_path": "docs/legal/b.md", "text": "b"},
            {"relative_path": "code/c.py", "text": "c"},
        ]
    )
    manifests = {"src": {"**/*.md": "CC-BY-4.0", "docs/legal/**": "CC0-1.0"}}
    rows = resolved_rows(table, declared={"src": "Apache-2.0"}, manifests=manifests)
    assert [(r["spdx"], r["license_evidence"]) for r in rows] == [
        ("CC-BY-4.0", "manifest"),
        ("CC0-1.0", "manifest"),
        ("Apache-2.0", "default"),
    ]
    assert rows[0]["attribution"]["manifest"] == "spec:src"
    assert rows[0]["license_confidence"] == pytest.approx(0.9)


def test_invalid_spec_manifest_names_source_and_pattern():
    with pytest.raises(ManifestError, match="source 'src', pattern '\\*\\.md'"):
        resolve_licenses(
            batch([{"relative_path": "a.md", "text": "a"}]),
            declared={},
            manifests={"src": {"*.md": "CC-BY-9"}},
        )


def test_sidecar_manifests_on_disk(tmp_path: Path):
    root = tmp_path / "share"
    (root / "reports" / "2024").mkdir(parents=True)
    (root / "LICENSES.csv").write_text(
        "path,spdx,copyright\n*.md,CC-BY-4.0,Copyright 2024 ACME\nbad.md,Nope-1.0,\n"
    )
    (root / "reports" / "LICENSES.json").write_text(json.dumps({"2024/*.md": "CC0-1.0"}))
    (root / "reports" / "2024" / "memo.md.license").write_text(
        "SPDX-FileCopyrightText: 2024 Jane Roe\nSPDX-License-Identifier: MIT\n"
    )
    table = batch(
        [
            {"relative_path": "readme.md", "text": "r"},
            {"relative_path": "reports/2024/q1.md", "text": "q"},
            {"relative_path": "reports/2024/memo.md", "text": "m"},
            {"relative_path": "reports/data.txt", "text": "d"},
            {"relative_path": "bad.md", "text": "b"},
        ]
    )
    rows = resolved_rows(table, declared={"src": "NOASSERTION"}, source_roots={"src": root})
    assert [(r["spdx"], r["license_evidence"]) for r in rows] == [
        ("CC-BY-4.0", "manifest"),
        ("CC0-1.0", "manifest"),
        ("MIT", "manifest"),
        ("NOASSERTION", "default"),
        ("CC-BY-4.0", "manifest"),  # the invalid row is skipped, the glob above still applies
    ]
    facts = [r["attribution"] for r in rows]
    assert facts[0]["manifest"] == "LICENSES.csv"
    assert facts[0]["copyright"] == "Copyright 2024 ACME"
    assert facts[1]["manifest"] == "reports/LICENSES.json"
    assert facts[2]["manifest"] == "reports/2024/memo.md.license"
    assert facts[2]["copyright"] == "2024 Jane Roe"


def test_sidecars_are_never_read_through_symlinks_or_outside_the_root(tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "LICENSES.csv").write_text("path,spdx\n*,MIT\n")
    root = tmp_path / "share"
    (root / "docs").mkdir(parents=True)
    os.symlink(outside / "LICENSES.csv", root / "docs" / "LICENSES.csv")
    rows = resolved_rows(
        batch(
            [
                {"relative_path": "docs/a.md", "text": "a"},
                {"relative_path": "../outside/x.md", "text": "x"},
            ]
        ),
        declared={"src": "CC0-1.0"},
        source_roots={"src": root},
    )
    assert [r["license_evidence"] for r in rows] == ["default", "default"]


def test_companions_inherit_their_documents_notice(tmp_path: Path):
    root = tmp_path / "peps"
    (root / "pep-0639").mkdir(parents=True)
    (root / "pep-0639.rst").write_text("PEP 639\n\n" + PD_NOTICE)
    table = batch(
        [
            {"relative_path": "pep-0602.rst", "text": "PEP 602\n\n" + PD_NOTICE},
            {"relative_path": "pep-0602-calendar.pptx", "text": "Release calendar slide"},
            {"relative_path": "pep-0639/appendix-examples.rst", "text": "Examples"},
            {"relative_path": "pep-0700-notes.txt", "text": "no companion here"},
        ]
    )
    rows = resolved_rows(table, declared={"src": "NOASSERTION"}, source_roots={"src": root})
    assert [(r["spdx"], r["license_evidence"]) for r in rows] == [
        ("LicenseRef-PublicDomain", "notice"),
        ("LicenseRef-PublicDomain", "notice"),  # from pep-0602.rst in the same batch
        ("LicenseRef-PublicDomain", "notice"),  # from pep-0639.rst read from the source
        ("NOASSERTION", "default"),
    ]
    assert rows[1]["attribution"]["inherited_from"] == "pep-0602.rst"
    assert rows[2]["attribution"]["inherited_from"] == "pep-0639.rst"
    assert rows[1]["license_confidence"] == pytest.approx(0.7)
    assert rows[0]["attribution"]["inherited_from"] is None


def test_manifest_beats_companion_and_own_notice_beats_manifest():
    table = batch(
        [
            {"relative_path": "pep-1.rst", "text": PD_NOTICE},
            {"relative_path": "pep-1-slides.pptx", "text": "slides"},
            {
                "relative_path": "other.md",
                "text": "This document is licensed under the MIT License.",
            },
        ]
    )
    rows = resolved_rows(
        table,
        declared={"src": "NOASSERTION"},
        manifests={"src": {"*.pptx": "CC-BY-4.0", "*.md": "CC0-1.0"}},
    )
    assert [(r["spdx"], r["license_evidence"]) for r in rows] == [
        ("LicenseRef-PublicDomain", "notice"),
        ("CC-BY-4.0", "manifest"),
        ("MIT", "notice"),
    ]
    assert rows[2]["attribution"]["conflicts"] == [{"evidence": "manifest", "spdx": "CC0-1.0"}]


def test_attribution_carries_what_an_attribution_file_needs():
    table = batch(
        [
            {
                "relative_path": "guide.html",
                "title": "Team guide",
                "author": "Jane Roe",
                "text": "Guide.\n\nCopyright 2023 ACME Inc.\n\nThis work is licensed under a Creative Commons "
                "Attribution 4.0 International License.\n",
            }
        ]
    )
    rows = resolved_rows(table, declared={"src": "CC0-1.0"})
    facts = rows[0]["attribution"]
    assert facts == {
        "license": "CC-BY-4.0",
        "evidence": "notice",
        "source_id": "src",
        "source_uri": "file:///data/src/guide.html",
        "path": "guide.html",
        "title": "Team guide",
        "author": "Jane Roe",
        "copyright": "Copyright 2023 ACME Inc.",
        "statement": "This work is licensed under a Creative Commons Attribution 4.0 International License.",
        "manifest": None,
        "inherited_from": None,
        "requires_attribution": True,
        "conflicts": [{"evidence": "default", "spdx": "CC0-1.0"}],
        "invalid_tag": None,
    }


def test_declared_refs_from_the_policy():
    policy = LicensePolicy(declared_refs={"LicenseRef-Acme-Internal": "proprietary"})
    rows = resolved_rows(
        batch(
            [
                {
                    "relative_path": "a.md",
                    "text": "SPDX-License-Identifier: LicenseRef-Acme-Internal\n",
                },
                {"relative_path": "b.md", "text": "b"},
            ]
        ),
        declared={"src": "LicenseRef-Acme-Internal"},
        policy=policy,
    )
    assert [(r["spdx"], r["license_evidence"], r["license_category"]) for r in rows] == [
        ("LicenseRef-Acme-Internal", "tag", "proprietary"),
        ("LicenseRef-Acme-Internal", "default", "proprietary"),
    ]


def test_other_columns_pass_through_and_empty_batches_work():
    table = batch([{"relative_path": "a.md", "text": "hello", "title": "T"}])
    out = resolve_licenses(table, declared={"src": "MIT"})
    for name in ("doc_id", "text", "source_uri", "title"):
        assert out.column(name).equals(table.column(name))
    empty = resolve_licenses(conform(pa.table({"doc_id": pa.array([], pa.string())})), declared={})
    assert empty.num_rows == 0
    assert empty.schema.equals(DOCUMENT_SCHEMA)
