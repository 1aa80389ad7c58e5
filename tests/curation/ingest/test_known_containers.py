"""Incremental runs over containers: an unchanged archive, mailbox or e-mail is not opened
again, and every member still comes back (as an unchanged row); a changed one is read in full.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import curation.ingest.pool as pool
from curation.ingest import SourceConfig, ingest_source
from curation.ingest.known import CONTAINER_COLUMNS, KnownInputs, batch_inputs, inputs_table

from . import samples
from .test_mail import mbox, message


def bundle(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


MEMBERS = {
    "docs/a.txt": b"The first member of the bundle.\n",
    "docs/b.md": b"# Second\n\nThe second member of the bundle.\n",
    "docs/broken.pdf": b"%PDF-1.7\nnot really a pdf",  # quarantined as a member
}


@pytest.fixture()
def share(tmp_path: Path) -> Path:
    root = tmp_path / "share"
    (root / "inbox").mkdir(parents=True)
    (root / "bundle.zip").write_bytes(bundle(MEMBERS))
    (root / "box.mbox").write_bytes(mbox(message(1, attachments=("table.csv",)), message(2)))
    (root / "inbox" / "1.eml").write_bytes(samples.make_eml())
    (root / "Mail" / "cur").mkdir(parents=True)
    for part in ("new", "tmp"):
        (root / "Mail" / part).mkdir()
    (root / "Mail" / "cur" / "1725000000.M1P1.host:2,S").write_bytes(bytes(message(3)))
    (root / "plain.txt").write_bytes(b"A plain file beside the containers.\n")
    return root


@pytest.fixture()
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the containers opened (in-process extraction: `workers=0`)."""
    names: list[str] = []
    real = pool.expand

    def spy(data, name, **kwargs):
        names.append(name)
        return real(data, name, **kwargs)

    monkeypatch.setattr(pool, "expand", spy)
    return names


def run(source: SourceConfig, run_id: str, known: KnownInputs | None = None, **kwargs):
    batches = list(
        ingest_source(source, run_id=run_id, batch_size=3, workers=0, known=known, **kwargs)
    )
    table = inputs_table(batch_inputs(b, source) for b in batches)
    rows = {
        name: [row for b in batches for row in getattr(b, name).to_pylist()]
        for name in ("documents", "quarantined", "unchanged")
    }
    return KnownInputs(table), rows


def test_unchanged_containers_are_not_opened_and_every_member_comes_back(share, opened):
    source = SourceConfig(id="hr", path=str(share))
    first, rows = run(source, "r1")
    assert {"bundle.zip", "box.mbox", "inbox/1.eml"} <= set(opened)
    members = first.table.filter(first.table.column("container_locator").is_valid())
    assert set(members.column("container_locator").to_pylist()) == {
        "bundle.zip",
        "box.mbox",
        "inbox/1.eml",
        "Mail/cur/1725000000.M1P1.host:2,S",
    }
    assert "bundle.zip!/docs/broken.pdf" in {q["relative_path"] for q in rows["quarantined"]}
    opened.clear()

    again, rows = run(source, "r2", first)

    assert opened == []
    assert rows["documents"] == [] and rows["quarantined"] == []
    same = {u["relative_path"]: u for u in rows["unchanged"]}
    assert set(same) == set(first.table.column("locator").to_pylist())
    assert same["bundle.zip!/docs/broken.pdf"]["reason"] == "ingest.parse_error"
    assert same["bundle.zip!/docs/a.txt"]["reason"] is None
    assert same["bundle.zip!/docs/a.txt"]["size_bytes"] == len(MEMBERS["docs/a.txt"])
    # the next run knows exactly what this one knew: members and their containers' stat
    assert again.table.equals(first.table)

    _, verified = run(source, "r3", first, verify=True)
    assert verified["unchanged"] == [] and "bundle.zip" in opened


def test_a_changed_or_touched_container_is_read_again_in_full(share, opened):
    source = SourceConfig(id="hr", path=str(share))
    first, _ = run(source, "r1")
    smaller = dict(MEMBERS)
    del smaller["docs/b.md"]
    (share / "bundle.zip").write_bytes(bundle(smaller))
    info = (share / "box.mbox").stat()
    os.utime(share / "box.mbox", ns=(info.st_atime_ns, info.st_mtime_ns + 5_000_000))
    opened.clear()

    _, rows = run(source, "r2", first)

    assert sorted(opened) == ["box.mbox", "bundle.zip"]
    read = {d["relative_path"] for d in rows["documents"]}
    read |= {q["relative_path"] for q in rows["quarantined"]}
    assert {p for p in read if p.startswith("bundle.zip")} == {
        "bundle.zip!/docs/a.txt",
        "bundle.zip!/docs/broken.pdf",
    }
    assert any(p.startswith("box.mbox#") for p in read)
    skipped = {u["relative_path"] for u in rows["unchanged"]}
    assert not any(p.startswith(("bundle.zip", "box.mbox")) for p in skipped)
    assert "plain.txt" in skipped and any(p.startswith("inbox/1.eml#") for p in skipped)


def test_containers_in_a_table_without_container_columns_are_read_again(share, opened, tmp_path):
    source = SourceConfig(id="hr", path=str(share))
    first, _ = run(source, "r1")
    older = tmp_path / "inputs.parquet"
    pq.write_table(first.table.drop_columns(list(CONTAINER_COLUMNS)), older)
    opened.clear()

    _, rows = run(source, "r2", KnownInputs.read(older))

    assert {"bundle.zip", "box.mbox", "inbox/1.eml"} <= set(opened)
    assert [u["relative_path"] for u in rows["unchanged"]] == ["plain.txt"]
