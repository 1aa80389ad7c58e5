"""A real dataset to erase from: a folder source, three versions, a ledger and a dedup index.

The versions are made the way a run makes them, without Prefect: ingest (real extraction of real
files), an incremental split that carries unchanged rows, dedup against the signature index
(with stored shingle sets), `commit_version`, and the index update. One person's leave request,
with three distinctive sentences, is in all three versions; an exact copy of it saved under
another name is dropped by dedup with the request's doc id in its ledger details.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from catalogs.erasure.tombstones import Tombstones
from catalogs.registry import CatalogSettings, open_catalog
from catalogs.versions import commit_version, load_dataset_table
from curation.dedup.config import DedupConfig
from curation.dedup.index import SignatureIndex
from curation.dedup.stage import deduplicate
from curation.ingest import SourceConfig, ingest_source
from curation.ledger import concat_ledgers, ledger_table
from curation.schema import conform, make_doc_id
from curation.stage import Stage, apply_decision
from curation.workspace import Workspace

DATASET = "curated.hr_demo"
SENTENCES = (
    "Jane Roe asked that her chemotherapy schedule stay between her and payroll.",
    "Her sick leave runs from the ninth of March until the end of April.",
    "Please route any questions about it to her sister Maria Roe only.",
)
SUBJECT_FILE = "requests/jane_roe_leave.txt"
COPY_FILE = "inbox/forwarded_leave.txt"
OTHER_FILES = {
    "policies/travel.md": "Travel is booked through the portal. Delays are reported at once.\n",
    "policies/leave.md": "Annual leave is twenty five days. Carry over is limited to five days a year.\n",
    "policies/security.txt": "Badges are worn visibly at all times. Lost badges are reported at once.\n",
}
DEDUP = DedupConfig(verify="exact")


@dataclass
class Built:
    """The dataset and everything a test checks against."""

    workspace: Workspace
    corpus: Path
    catalog: object
    subject_uri: str
    subject_doc_id: str
    subject_sha256: str
    copy_doc_id: str
    snapshots: dict[str, int] = field(default_factory=dict)
    rows: dict[str, list[str]] = field(default_factory=dict)

    @property
    def index_root(self) -> Path:
        return self.workspace.indexes / DATASET / "dedup"

    def table(self):
        return load_dataset_table(self.catalog, DATASET)


def write(path: Path, text: str, *, mtime: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime, mtime))


def run_version(
    built: Built,
    run_id: str,
    *,
    incremental: bool,
    tombstones: Tombstones | None = None,
    version_name: str | None = None,
) -> str:
    """One run over the corpus: ingest (with `tombstones` applied, as the run's ingest step
    does), carry unchanged rows, dedup, commit, update the index."""
    source = SourceConfig(id="hr", path=str(built.corpus))
    ledgers, documents = [], []
    for batch in ingest_source(source, run_id=run_id, workers=0):
        output = batch.as_stage_output()
        if tombstones is not None:
            output = tombstones.apply(output)
        result = apply_decision(Stage.INGEST, output.table, output.decision, run_id)
        ledgers.append(result.ledger)
        documents.append(result.table)
    ingested = pa.concat_tables(documents)
    carried = conform(ingested.slice(0, 0))
    if incremental:
        previous = built.table().scan().to_arrow()
        keys = pc.binary_join_element_wise(ingested["doc_id"], ingested["content_sha256"], "|")
        old = pc.binary_join_element_wise(previous["doc_id"], previous["content_sha256"], "|")
        unchanged = pc.is_in(keys, value_set=old)
        carried_ids = ingested.filter(unchanged).column("doc_id")
        carried = conform(previous.filter(pc.is_in(previous["doc_id"], value_set=carried_ids)))
        ledgers.append(
            ledger_table(
                run_id,
                Stage.INCREMENTAL,
                carried["doc_id"],
                ["kept"] * carried.num_rows,
                ["incremental.unchanged"] * carried.num_rows,
                source_ids=carried["source_id"],
                source_uris=carried["source_uri"],
            )
        )
        ingested = ingested.filter(pc.invert(unchanged))
    index = SignatureIndex.open(built.index_root) if incremental else None
    outcome = deduplicate(ingested, DEDUP, index=index)
    ingested = ingested.set_column(
        ingested.schema.get_field_index("dedup_cluster"), "dedup_cluster", outcome.cluster_id
    )
    deduped = apply_decision(Stage.DEDUP, ingested, outcome.decision, run_id)
    ledgers.append(deduped.ledger)
    kept = pa.concat_tables([carried, conform(deduped.table)]).sort_by("doc_id")
    version = commit_version(
        built.catalog,
        DATASET,
        kept,
        concat_ledgers(ledgers),
        run_id=run_id,
        spec_fingerprint="spec-1",
        code_version="test",
        summary={"inputs": kept.num_rows},
        version_name=version_name,
    )
    kept_ids = set(deduped.table.column("doc_id").to_pylist())
    signatures = outcome.signatures.filter(
        pc.is_in(outcome.signatures["doc_id"], value_set=pa.array(sorted(kept_ids), pa.string()))
    )
    if signatures.num_rows:
        SignatureIndex.open(built.index_root).add(signatures, version=version.name)
    built.snapshots[version.name] = version.snapshot_id
    built.rows[version.name] = kept.column("doc_id").to_pylist()
    return version.name


def build_dataset(root: Path) -> Built:
    corpus = root / "share"
    subject_text = "\n".join(SENTENCES) + "\n"
    write(corpus / SUBJECT_FILE, subject_text, mtime=1_700_000_000)
    write(corpus / COPY_FILE, subject_text, mtime=1_700_000_500)  # newer: dedup keeps the original
    for number, (name, text) in enumerate(OTHER_FILES.items()):
        write(corpus / name, text, mtime=1_700_001_000 + number)
    (corpus / "empty.txt").write_bytes(b"")  # quarantined by ingest, in every run's ledger
    workspace = Workspace(root / "ws").ensure()
    built = Built(
        workspace=workspace,
        corpus=corpus,
        catalog=open_catalog(CatalogSettings.for_workspace(workspace)),
        subject_uri=(corpus / SUBJECT_FILE).resolve().as_uri(),
        subject_doc_id=make_doc_id("hr", SUBJECT_FILE),
        subject_sha256=hashlib.sha256(subject_text.encode()).hexdigest(),
        copy_doc_id=make_doc_id("hr", COPY_FILE),
    )
    run_version(built, "run-1", incremental=False)
    write(
        corpus / "policies/remote.md",
        "Remote work needs a signed agreement.\n",
        mtime=1_700_002_000,
    )
    run_version(built, "run-2", incremental=True)
    write(
        corpus / "policies/travel.md",
        "Travel is booked through the new portal.\n",
        mtime=1_700_003_000,
    )
    run_version(built, "run-3", incremental=True)
    return built


@pytest.fixture()
def built(tmp_path, monkeypatch) -> Built:
    monkeypatch.delenv("CURATE_CATALOG_URI", raising=False)
    monkeypatch.delenv("CURATE_WAREHOUSE", raising=False)
    return build_dataset(tmp_path)


def leftovers(root: Path, needles: list[str]) -> list[tuple[str, str]]:
    """(file, needle) for every needle found in any file under `root`: Parquet read whole by
    pyarrow (every value of every column, decompressed), plus its raw bytes; Avro with its
    blocks decompressed; anything else (metadata JSON) as raw bytes."""
    import json

    import pyarrow.parquet as pq

    from catalogs.erasure.avro import decompressed

    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        haystacks = [data]
        if path.suffix == ".parquet":
            values = pq.read_table(path).to_pylist()
            haystacks.append(json.dumps(values, default=str, ensure_ascii=False).encode())
        elif path.suffix == ".avro":
            haystacks.append(decompressed(data))
        for needle in needles:
            if any(needle.encode() in haystack for haystack in haystacks):
                found.append((str(path.relative_to(root)), needle))
    return found


@pytest.fixture()
def scan():
    return leftovers


@pytest.fixture()
def next_run():
    """`run_version`: another run over the built dataset's corpus."""
    return run_version
