"""The same spec committed on threads and on a 2-worker Dask LocalCluster gives the same version.

Issue 19's acceptance: a run spread over Dask worker processes must decide every document as a
run on this machine's threads does (each worker builds its own stages and PII engine, batches
are mapped across processes), so the committed tables are compared row for row, every content
column, ignoring only the run id. The corpus is small but has what makes stages disagree when
they go wrong: several batches, exact and near-duplicates across batches, names, e-mail
addresses and phone numbers for PII (NER on), junk for quality and a source the license policy
drops.
"""

from __future__ import annotations

import json
import random

import pyarrow as pa
import pytest

import curation
from catalogs import versions
from catalogs.registry import CatalogSettings, open_catalog
from catalogs.stats import version_stats
from catalogs.versions import load_dataset_table, read_ledger, read_version
from curation.spec import load_spec
from curation.workspace import Workspace

pytestmark = pytest.mark.slow

SENTENCES = (
    "The quarterly maintenance window moves to the first Saturday of each month.",
    "Teams that deploy on Fridays should plan their releases around it.",
    "Travel requests need the approval of a manager before anything is booked.",
    "Receipts for every expense are submitted within thirty days of the trip.",
    "The service desk answers questions about laptops, badges and printers.",
    "New employees receive their equipment on the first day of work.",
    "Backups of the shared drives run every night and are kept for ninety days.",
    "The security team reviews access to production systems every quarter.",
    "Parking permits are renewed in January and cost the same as last year.",
    "Meeting rooms on the third floor can be booked through the intranet.",
    "A summary of each incident is written within two working days of its end.",
    "The handbook explains how holidays are requested and who approves them.",
)
PEOPLE = ("Maria Schmidt", "Jonas Weber", "Aisha Okafor", "Pierre Dubois", "Sofia Rossi")
JUNK = "Home | About | Careers | Contact | Privacy\nAccept all cookies | Manage preferences\n"


def write_corpus(folder):
    """About 150 documents in two JSONL sources, seeded."""
    rng = random.Random(19)
    rows, originals = [], []
    for number in range(150):
        draw = rng.random()
        if originals and draw < 0.15:
            words = rng.choice(originals).split(" ")
            words[rng.randrange(len(words))] = "revised"
            text = " ".join(words)
        elif originals and draw < 0.2:
            text = rng.choice(originals)
        elif draw < 0.27:
            text = JUNK * rng.randint(1, 4)
        else:
            paragraphs = [
                " ".join(rng.sample(SENTENCES, rng.randint(4, 9))) for _ in range(rng.randint(1, 4))
            ]
            if rng.random() < 0.4:
                person = rng.choice(PEOPLE)
                email = person.lower().replace(" ", ".") + "@example-corp.com"
                paragraphs.append(
                    f"Questions go to {person} at {email} or +1 415 555 {rng.randint(1000, 9999)}."
                )
            text = "\n\n".join(paragraphs)
            originals.append(text)
        rows.append({"id": f"doc-{number:04d}", "text": text})
    folder.mkdir()
    main, vendor = rows[:140], rows[140:]
    for name, part in (("main", main), ("vendor", vendor)):
        (folder / f"{name}.jsonl").write_text(
            "".join(json.dumps(row) + "\n" for row in part), encoding="utf-8"
        )


def write_spec(tmp_path, runner: str):
    spec = tmp_path / f"spec-{runner}.yaml"
    spec.write_text(
        f"""\
name: identity
output: {{table: curated.identity}}
sources:
  - {{id: main, type: jsonl, path: corpus/main.jsonl, id_field: id, license: CC0-1.0}}
  - {{id: vendor, type: jsonl, path: corpus/vendor.jsonl, id_field: id, license: GPL-3.0-only}}
license: {{allow_categories: [public_domain, permissive]}}
quality: {{}}
dedup: {{threshold: 0.8}}
pii: {{}}
runner: {{type: {runner}, workers: 2, batch_size: 16}}
""",
        encoding="utf-8",
    )
    return spec


def committed(workspace) -> tuple[pa.Table, pa.Table]:
    """The version's rows and the run's ledger decisions, sorted, without run ids."""
    catalog = open_catalog(CatalogSettings.for_workspace(Workspace(workspace)))
    rows = read_version(catalog, "curated.identity")
    rows = rows.drop_columns(["run_id"]).sort_by("doc_id")
    ledger = read_ledger(catalog, "curated.identity")
    decisions = ledger.select(["doc_id", "stage", "decision", "reason"]).sort_by(
        [("doc_id", "ascending"), ("stage", "ascending")]
    )
    return rows, decisions


def version_files_and_stats(workspace) -> tuple[int, dict]:
    """How many writers (write ids) made the version's data files, and its stats as committed.

    A commit writes all its files under one write id; each task of the workers under its own.
    """
    catalog = open_catalog(CatalogSettings.for_workspace(Workspace(workspace)))
    table = load_dataset_table(catalog, "curated.identity")
    names = [task.file.file_path.rsplit("/", 1)[-1] for task in table.scan().plan_files()]
    writers = {name.split("-", 2)[2] for name in names}
    stats = version_stats(catalog, "curated.identity")
    return len(writers), {
        k: v for k, v in stats.items() if k not in ("run_id", "created_at", "snapshot_id")
    }


def test_threads_and_a_two_worker_local_cluster_commit_identical_versions(tmp_path, monkeypatch):
    write_corpus(tmp_path / "corpus")

    # threads: the final batches make one write group, which the commit writes itself
    threads = curation.run(
        load_spec(write_spec(tmp_path, "threads")), workspace=tmp_path / "ws-threads"
    )
    # groups of a few batches: written by the commit itself, one after the other, on threads;
    # each by a task on a Dask worker, whose files the commit adds
    monkeypatch.setattr(versions, "WRITE_GROUP_BYTES", 16 * 1024)
    grouped = curation.run(
        load_spec(write_spec(tmp_path, "threads")), workspace=tmp_path / "ws-grouped"
    )
    dask = curation.run(load_spec(write_spec(tmp_path, "dask")), workspace=tmp_path / "ws-dask")

    assert threads.reconciliation["reconciled"] and dask.reconciliation["reconciled"]
    by_stage = threads.reconciliation["by_stage"]
    # the corpus exercises every decision the comparison is meant to cover
    assert by_stage["license"]["dropped"] > 0
    assert by_stage["quality"]["dropped"] > 0
    assert by_stage["dedup"]["dropped"] > 0
    assert by_stage["pii"]["modified"] > 0
    expected_rows, expected_decisions = committed(tmp_path / "ws-threads")
    result_rows, result_decisions = committed(tmp_path / "ws-dask")
    assert result_rows.num_rows == expected_rows.num_rows > 0
    assert result_rows.schema == expected_rows.schema
    for name in expected_rows.column_names:
        assert result_rows.column(name).to_pylist() == expected_rows.column(name).to_pylist(), (
            f"column {name} differs between threads and Dask"
        )
    assert result_decisions.equals(expected_decisions)
    assert dask.reconciliation == threads.reconciliation
    threads_writers, threads_stats = version_files_and_stats(tmp_path / "ws-threads")
    dask_writers, dask_stats = version_files_and_stats(tmp_path / "ws-dask")
    assert threads_writers == 1 and dask_writers > 2
    assert dask_stats == threads_stats
    assert grouped.reconciliation == threads.reconciliation
    grouped_rows, grouped_decisions = committed(tmp_path / "ws-grouped")
    assert grouped_rows.equals(expected_rows) and grouped_decisions.equals(expected_decisions)
    grouped_writers, grouped_stats = version_files_and_stats(tmp_path / "ws-grouped")
    assert grouped_writers == 1 and grouped_stats == threads_stats
    assert dask_stats["documents"] == expected_rows.num_rows
