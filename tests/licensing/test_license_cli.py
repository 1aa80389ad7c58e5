"""`curate license PATH...` through typer, on real files (Markdown, HTML, PDF, sidecars)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
import typer
from typer.testing import CliRunner

from curation.offline import enforce_offline
from curation.schema import conform
from flows.commands.license import register
from licensing.attribution import license_summary, render_attribution
from licensing.resolve import resolve_licenses

enforce_offline()


def tiny_pdf(text: str, info: dict[str, str]) -> bytes:
    """A one-page PDF with one line of Helvetica text and the given /Info entries."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    info_entries = " ".join(f"/{k} ({v})" for k, v in info.items())
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< {info_entries} >>".encode(),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@pytest.fixture
def share(tmp_path: Path) -> Path:
    root = tmp_path / "share"
    (root / "policies").mkdir(parents=True)
    (root / "notes.md").write_text("# Notes\n\nThis document is licensed under the MIT License.\n")
    (root / "script.py").write_text("# SPDX-License-Identifier: Apache-2.0\nprint('hi')\n")
    (root / "plain.txt").write_text("Nothing said about licenses.\n")
    (root / "form.pdf").write_bytes(
        tiny_pdf("Enrollment form for new staff", {"Title": "Form", "Rights": "CC-BY-4.0"})
    )
    (root / "page.html").write_text(
        "<html><head><title>Guide</title></head><body><article><h1>Guide</h1><p>"
        + "Useful words about teams and processes. " * 20
        + '</p></article><footer><a rel="license" href="https://creativecommons.org/licenses/by-sa/4.0/">'
        "CC BY-SA 4.0</a></footer></body></html>"
    )
    (root / "policies" / "LICENSES.csv").write_text("path,spdx\n*.md,CC0-1.0\n")
    (root / "policies" / "leave.md").write_text("# Leave policy\n\nTake time off.\n")
    (root / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    secret = root.parent / "secret.txt"
    secret.write_text("This document is licensed under the MIT License.\n")
    (root / "link.txt").symlink_to(secret)
    return root


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()
    register(root)

    @root.command("version")
    def version() -> None:  # a second command keeps typer from collapsing the app to one
        """Unused."""

    return root


def test_json_reports_every_file_with_its_evidence(app, share):
    result = CliRunner().invoke(app, ["license", str(share), "--default", "CC-BY-4.0", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    by_name = {Path(r["path"]).relative_to(share).as_posix(): r for r in report}
    assert sorted(by_name) == [
        "broken.docx",
        "form.pdf",
        "link.txt",
        "notes.md",
        "page.html",
        "plain.txt",
        "policies/leave.md",
        "script.py",
    ]  # the sidecar LICENSES.csv is metadata, not a document
    observed = {name: (r["spdx"], r["evidence"]) for name, r in by_name.items()}
    assert observed == {
        "broken.docx": ("CC-BY-4.0", "default"),
        "form.pdf": ("CC-BY-4.0", "metadata"),
        "link.txt": ("CC-BY-4.0", "default"),  # a symlink out of the folder is never read
        "notes.md": ("MIT", "notice"),
        "page.html": ("CC-BY-SA-4.0", "metadata"),
        "plain.txt": ("CC-BY-4.0", "default"),
        "policies/leave.md": ("CC0-1.0", "manifest"),
        "script.py": ("Apache-2.0", "tag"),
    }
    for row in report:
        assert {"path", "spdx", "evidence", "confidence"} <= set(row)
        assert 0.0 <= row["confidence"] <= 1.0
    assert by_name["broken.docx"]["error"]
    assert "outside" in by_name["link.txt"]["error"]
    assert by_name["notes.md"]["conflicts"] == [{"evidence": "default", "spdx": "CC-BY-4.0"}]


def test_text_output_and_single_files(app, share):
    result = CliRunner().invoke(app, ["license", str(share / "notes.md"), str(share / "plain.txt")])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].split()[1:4] == ["MIT", "notice", "0.90"]
    assert lines[1].split()[1:4] == ["NOASSERTION", "default", "0.00"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--default", "Apache-9.9"], "--default: unknown license id"),
        (["--default", "MIT AND"], "--default: invalid SPDX expression"),
    ],
)
def test_bad_default_exits_2_with_a_message(app, share, args, message):
    result = CliRunner().invoke(app, ["license", str(share), *args, "--json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr


def test_missing_path_exits_2(app, tmp_path):
    result = CliRunner().invoke(app, ["license", str(tmp_path / "nope"), "--json"])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_help_names_the_options(app):
    result = CliRunner().invoke(app, ["license", "--help"])
    assert result.exit_code == 0
    assert "--default" in result.stdout and "--json" in result.stdout


def test_attribution_file_and_summary_from_resolved_rows():

    table = conform(
        pa.table(
            {
                "doc_id": ["a", "b", "c"],
                "source_id": ["s", "s", "t"],
                "source_uri": ["file:///s/a.md", "file:///s/b.md", "file:///t/c.md"],
                "relative_path": ["a.md", "b.md", "c.md"],
                "title": ["Guide [click](javascript:alert(1))", None, None],
                "text": [
                    "Copyright 2024 ACME\n\nThis work is licensed under CC BY 4.0.\n",
                    "This document has been placed in the public domain.\n",
                    "SPDX-License-Identifier: Apache-2.0\n",
                ],
            }
        )
    )
    resolved = resolve_licenses(table, declared={"s": "NOASSERTION", "t": "MIT"})
    text = render_attribution(resolved)
    assert "## Apache-2.0 (1 document)" in text
    assert "## CC-BY-4.0 (1 document)" in text
    assert (
        "Guide \\[click\\]\\(javascript:alert\\(1\\)\\) — Copyright 2024 ACME — file:///s/a.md"
        in text
    )
    assert "1 further document(s)" in text
    summary = license_summary(resolved).to_pylist()
    assert {(r["source_id"], r["spdx"], r["documents"]) for r in summary} == {
        ("s", "CC-BY-4.0", 1),
        ("s", "LicenseRef-PublicDomain", 1),
        ("t", "Apache-2.0", 1),
    }
