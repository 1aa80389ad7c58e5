"""Symlinks are never followed out of a source or round a loop, and every one gets a ledger row."""

from __future__ import annotations

import json
from pathlib import Path

from curation.ingest import SourceConfig, ingest_source
from curation.ingest.folder import walk_folder


def build(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("outside the source: must never be read")
    root = tmp_path / "share"
    (root / "nested" / "deeper").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "docs" / "a.md").write_text("# A\n\nA document inside.\n")
    (root / "nested" / "b.txt").write_text("another document inside")
    (root / "nested" / "loop").symlink_to("..", target_is_directory=True)  # back to the root
    (root / "nested" / "deeper" / "up").symlink_to("../..", target_is_directory=True)
    (root / "escape").symlink_to(outside, target_is_directory=True)
    (root / "alias").symlink_to("docs", target_is_directory=True)
    (root / "secret-link.txt").symlink_to(outside / "secret.txt")
    (root / "inside-link.md").symlink_to("docs/a.md")
    (root / "dangling.txt").symlink_to("docs/missing.txt")
    (root / "self.txt").symlink_to("self.txt")  # a loop of one
    return root


EXPECTED_DOCUMENTS = {"docs/a.md", "nested/b.txt", "inside-link.md"}
EXPECTED_REASONS = {
    "nested/loop": "ingest.symlink_loop",
    "nested/deeper/up": "ingest.symlink_loop",
    "escape": "ingest.symlink_outside",
    "alias": "ingest.symlink_folder",
    "secret-link.txt": "ingest.symlink_outside",
    "dangling.txt": "ingest.unreadable",
    "self.txt": "ingest.symlink_loop",
}


def test_every_symlink_is_accounted_for_and_none_is_followed(tmp_path: Path) -> None:
    root = build(tmp_path)
    source = SourceConfig(id="links", path=str(root))
    batches = list(ingest_source(source, run_id="r", workers=1))
    documents = [row for b in batches for row in b.documents.to_pylist()]
    quarantined = [row for b in batches for row in b.quarantined.to_pylist()]

    assert {row["relative_path"] for row in documents} == EXPECTED_DOCUMENTS
    assert {row["relative_path"]: row["reason"] for row in quarantined} == EXPECTED_REASONS
    assert len(documents) + len(quarantined) == len(EXPECTED_DOCUMENTS) + len(EXPECTED_REASONS)
    everything = json.dumps(documents + quarantined, default=str)
    assert "must never be read" not in everything
    details = {row["relative_path"]: json.loads(row["details"]) for row in quarantined}
    assert "following it would loop" in details["nested/loop"]["message"]
    assert "outside the source" in details["escape"]["message"]
    assert all(row["content_sha256"] is None for row in quarantined)


def test_a_loop_does_not_make_the_walk_repeat_itself(tmp_path: Path) -> None:
    root = build(tmp_path)
    paths = [entry.relative_path for entry in walk_folder(root, ("**/*",), ())]
    assert len(paths) == len(set(paths)) == len(EXPECTED_DOCUMENTS) + len(EXPECTED_REASONS)


def test_include_filters_apply_to_folder_symlinks_too(tmp_path: Path) -> None:
    root = build(tmp_path)
    paths = {entry.relative_path for entry in walk_folder(root, ("docs/**",), ())}
    assert paths == {"docs/a.md"}
