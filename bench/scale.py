"""Benchmark of a whole `curate run` at scale: docs/s per stage, peak memory, disk.

    .venv/bin/python bench/scale.py --docs 50000
    .venv/bin/python bench/scale.py --docs 20000 --runner dask --workers 2
    .venv/bin/python bench/scale.py --docs 5000 --runner dask --workers 1 --also-workers 2

Generates a seeded corpus in `--work-dir` (default: a temporary folder, removed afterwards):
two JSONL sources (`main`, CC0-1.0, and `vendor`, GPL-3.0, which the license policy drops),
documents of mixed lengths (1-2, 3-8 and 10-40 paragraphs) assembled from the paragraphs of
the real revision history in ../shared/data/neardup (English prose; a small built-in word list
when that file is absent), planted near-duplicates (a few words changed, a sentence dropped or
appended), exact copies, seeded PII (names, e-mail addresses, phone numbers, IBANs) and junk
(navigation / cookie boilerplate, symbol soup, one-liners). Writes a spec beside it and runs
`curate run SPEC --json` in a subprocess with its own workspace, the way a user runs it.

While the run goes on, the process tree of the CLI is sampled every `--sample-every` seconds
(psutil): RSS and VmHWM (the kernel's peak RSS, so peaks between samples are not missed) of the
flow process (the CLI itself), of Dask workers and of the other children (Prefect's ephemeral
server, Dask's nanny and scheduler processes), the size of the workspace's staging folder
(`runs/`) and the load average. Afterwards: the warehouse size, CPU seconds of all children
(`getrusage(RUSAGE_CHILDREN)`) and the largest child's max RSS as the kernel reports it.

Prints one JSON object: `docs_per_s` per stage (input documents of the run over the stage's
wall seconds from the run summary's `stage_seconds`), whole-run docs/s (inputs over the CLI's
wall time, start-up included, and over the flow's own wall time), the run's reconciliation
counts, memory, disk and load. `pii_mode` says whether NER ran (`--pii-mode ner`) or only
patterns, context cues and lexicons (`patterns`, the default here: `pii: {ner: false}`).
`--also-workers K2` runs the same corpus a second time with K2 workers (a fresh workspace) and
reports both runs and the ratio of whole-run docs/s (scale-out efficiency); both runs are in
this one invocation, never against a number from another run.

Measured on 2026-12-07 on this 2-core machine while other sessions' tests and benchmarks ran
(1-minute load average 2-11 during the runs: figures are lower bounds, compare within a run),
threads runner x2, PII patterns only, batch_size 256:

| docs | whole run docs/s (CLI / flow) | quality | dedup | pii | flow peak RSS | staging peak | warehouse |
|---|---|---|---|---|---|---|---|
| 5,000 | 130 / 182 | 448 | 4,673 | 461 | 644 MiB | 26 MiB | 3.9 MiB |
| 20,000 | 162 / 183 | 475 | 5,587 | 424 | 1,076 MiB | 103 MiB | 15.8 MiB |
| 50,000 | 152 / 159 | 448 | 3,066 | 333 | 1,291 MiB | 257 MiB | 40.0 MiB |

Issue 19 (peak RSS of the flow process at 200k within 1.2x of 50k), same settings, after the
run-level steps stopped holding the run (dedup's DuckDB bounded to 256 MB with one scan for
the ranking and signature streams of 8,192 rows; known inputs sorted by DuckDB over the
staged parts; the signature index written from the staged file, streamed):

| docs | whole run docs/s (CLI / flow) | quality | dedup | pii | flow peak RSS | staging peak | warehouse | load (mean) |
|---|---|---|---|---|---|---|---|---|
| 50,000 | 123 / 127 | 512 | 2,690 | 217 | 922 MiB | 266 MiB | 40.3 MiB | 8.2 |
| 200,000 | 159 / 161 | 588 | 1,793 | 295 | 1,109 MiB (1.20x) | 1,056 MiB | 161.5 MiB | 5.8 |

Flow peak per phase (MiB), 50k / 200k: quality 579 / 674, dedup 752 / 932, pii 661 / 734,
commit (commit, known inputs, index) 915 / 1,109. The same code before these changes, 50k at
load 4.0: 931 MiB; at 200k with the quality and PII stages replaced by keep-all stubs, the
dedup decision reached 1,050 MiB, the known inputs 936 and the index update 1,152.
Dask, 1 -> 2 workers (LocalCluster of processes; ingest, dedup and the commit run in the flow
process, see the notes): 10,000 docs 105 -> 93 flow docs/s (0.88x) at load 6.9-8.8; 5,000 docs
137 -> 149 flow docs/s (1.08x; 105 -> 108 with CLI start-up, 1.04x) at load 3.0-3.4. With
two cores and a load above two from other work there is no idle core for the second worker.

Issue 19 again, 2026-12-07, after the flow fused adjacent per-batch steps into one task
(license + quality + dedup's sketch; dedup's apply + PII) over chunks of consecutive batches,
four tasks per worker: a run of 10,000 docs makes 16 fused task runs with 2 workers where it
made 5 per batch (about 200) before. PII patterns only, batch_size 256, Dask LocalCluster,
`--docs 10000 --runner dask --workers 1 --also-workers 2`; other sessions' work kept the load
far above two cores throughout, so these ratios say nothing of the scale-out on a quiet machine
(rerun there with `--docs 20000`: an estimated 6 minutes for both runs):

| docs | load 1-min mean (1w / 2w) | CLI docs/s 1w -> 2w | flow docs/s 1w -> 2w | CPU s: workers / flow / server (1w; 2w) |
|---|---|---|---|---|
| 5,000, before fusing | 2.7 / 6.7 | 72 -> 58 (0.81x) | 94 -> 81 (0.86x) | |
| 10,000 | 14.2 / 20.2 | 66 -> 70 (1.06x) | 88 -> 101 (1.15x) | 53.5 / 12.4 / 9.6; 64.3 / 13.7 / 10.4 |
| 10,000 | 6.8 / 8.2 | 97 -> 91 (0.94x) | 124 -> 112 (0.91x) | 54.6 / 11.3 / 9.3; 66.5 / 13.2 / 10.5 |
| 10,000 | 6.4 / 8.7 | 89 -> 95 (1.07x) | 125 -> 125 (1.00x) | 54.0 / 11.8 / 10.3; 63.3 / 12.8 / 10.3 |
| 10,000 | 3.9 / 6.5 | 114 -> 111 (0.97x) | 140 -> 151 (1.08x) | 56.9 / 12.1 / 9.8; 66.4 / 13.0 / 10.9 |
| 2,000, NER (`--pii-mode ner`) | 8.5 / 10.8 | 17.8 -> 17.8 (1.00x) | 30.5 -> 26.8 (0.88x) | 20.8 / 9.4 / 11.0; 29.4 / 10.2 / 10.1 |

`cpu_seconds_by_role` (psutil, each process's last sample) shows where the cores went: the
flow process and Prefect's server together take about a quarter of the run's CPU (the server's
start-up is most of its share), the second worker adds about 11 CPU seconds (its own start,
imports and models). With fused steps the license, quality and dedup ledger parts of a batch
appear together, so the phases of `peak_rss_mib_by_phase` are approximate.

The same tree on a quiet machine (2026-12-07 15:38-15:48; 1-min load mean 1.35 with one worker,
2.31 with two), `--docs 20000 --runner dask --workers 1 --also-workers 2`, PII patterns only:
CLI 162.6 -> 247.7 docs/s (**1.52x**, 123.0 s -> 80.7 s, start-up included), flow 182.7 ->
297.2 docs/s (**1.63x**); CPU s workers / flow / server 103.5 / 16.2 / 12.6 and 107.4 / 15.5 /
11.7; flow peak RSS 732 and 745 MiB. With NER (`--pii-mode ner --docs 5000`, load mean 0.79 /
1.29): CLI 93.5 -> 120.1 docs/s (1.28x), flow 125.2 -> 178.8 (1.43x); 13.5 s of the one-worker
run's 53.5 s are outside the flow (the CLI, Prefect's server, the LocalCluster's start), which
a run this small does not amortize. At `--docs 50000` (16:43-16:51, load mean 0.89 / 2.80):
CLI 181.3 -> 286.6 docs/s (1.58x, 275.8 s -> 174.4 s), flow 190.7 -> 310.8 (1.63x); CPU s
workers / flow / server 250.2 / 29.8 / 14.1 and 255.0 / 29.8 / 13.3.

A Dask run now starts its own LocalCluster (`flows.dask_cluster`): the scheduler while the
run's server starts, the workers as the flow starts (each imports the flow's modules before it
registers), so their start overlaps the flow's setup and ingest; before, prefect-dask started
the cluster at the first task, after ingest. Quiet machine, 2026-12-07 18:35-18:41, `--docs
20000 --runner dask --workers 1 --also-workers 2`, this tree and then the same tree with
prefect-dask's cluster: this tree 88.8 s / 59.9 s, CLI 225.2 -> 333.7 docs/s (1.48x), flow
239.6 -> 371.0 (1.55x), load mean 1.66 / 1.99, CPU s workers / flow / server 80.4 / 14.3 / 5.4
and 86.8 / 14.6 / 5.2; prefect-dask's cluster 92.2 s / 60.7 s, CLI 216.9 -> 329.3 (1.52x),
flow 1.57x. Both runs are faster than in the morning (one worker: 123 s -> 89 s, from PII's
detectors, a new workspace's Prefect database copied from a migrated one, the CLI's exit
without the interpreter's teardown), while the serial parts (ingest, dedup's decision, the
commit: about 9 s of each run) are not, so the ratio fell. At `--docs 50000` (18:51-18:57,
quiet, load mean 1.17 / 2.41): 209.8 s / 127.8 s, CLI 238.3 -> 391.2 docs/s (1.64x), flow
244.7 -> 410.2 (1.68x); CPU s workers / flow / server 194.3 / 27.3 / 6.9 and 192.3 / 26.4 /
6.2; both runs reconciled.

Issue 19's memory figure on the same final tree, quiet machine (2026-12-07 16:04-16:23),
threads x2, PII patterns only, batch_size 256, `--docs 50000` then `--docs 200000` (known
inputs written through DuckDB within 64 MB, index bands sorted by DuckDB, signatures copied a
row group at a time):

| docs | whole run docs/s (CLI / flow) | quality | dedup | pii | flow peak RSS | staging peak | warehouse | load (mean) |
|---|---|---|---|---|---|---|---|---|
| 50,000 | 210.0 / 221.2 | 904 | 4,167 | 377 | 969 MiB | 297 MiB | 40.3 MiB | 1.53 |
| 200,000 | 224.9 / 228.4 | 912 | 4,167 | 396 | 1,062 MiB (1.10x) | 1,183 MiB | 161.3 MiB | 1.90 |

Flow peak per phase (MiB), 50k / 200k: quality 664 / 757, dedup 697 / 811, pii 666 / 732,
commit 965 / 1,062 (the commit itself; the known inputs and the index stay below it).

Later the same day (21:04-21:14, quiet), after the version's data files moved to the Dask
workers (`catalogs.data_files`: one task per 64 MiB group of final batches, started before the
commit, which reconciles and appends the ledger meanwhile) and PII gained name rules (about 5%
dearer in patterns-only mode), `--runner dask --workers 1 --also-workers 2`: at 20,000 docs
99.7 s -> 62.3 s, CLI 200.6 -> 320.9 docs/s (**1.60x**), flow 1.67x, load mean 1.41 / 1.89 (the
final batches make one group there, so the commit is the same); at 50,000 docs 226.8 s ->
134.8 s, CLI 220.5 -> 370.9 docs/s (**1.68x**), flow 226.6 -> 387.8 (1.71x), load mean 1.16 /
2.82, CPU s workers / flow / server 214.8 / 28.3 / 8.4 and 207.5 / 26.7 / 6.8; the flow
process's peak RSS fell to 555 / 564 MiB (it no longer reads the documents at the commit).
Threads (the commit writes its groups itself there, one at a time), 21:58-22:11, quiet:
50,000 docs 307.7 / 315.0 docs/s (CLI / flow), flow peak 985 MiB; 200,000 docs 307.1 / 308.9
docs/s, flow peak 1,080 MiB (1.10x), staging peak 1,183 MiB, warehouse 161.3 MiB; both
reconciled.

The next session (22:45-00:10, quiet; the machine ran about a quarter slower than in the
afternoon: one Dask worker took 209-272 s where it took 210-227 s before, and default Presidio
41-46 CPU s where it took 41). Threads, `--docs 50000` then `--docs 200000`: 271.4 / 279.1 and
288.0 / 289.8 docs/s (CLI / flow), flow peak 998 and 1,084 MiB (1.09x), staging peak 297 and
1,182 MiB, warehouse 40.3 and 161.3 MiB, both reconciled. `--runner dask --workers 1
--also-workers 2` at 50,000 docs, twice: 209.5 -> 132.1 s, CLI 1.585x, flow 1.615x (load mean
1.25 / 2.43); 271.8 -> 171.5 s, CLI 1.584x, flow 1.619x (load mean 1.22 / 3.03; CPU s workers /
flow / server 257.5 / 38.4 / 12.2 and 256.4 / 37.1 / 9.7). With two workers the flow process
and the Prefect server (a sixth of the CPU seconds) share the two cores with the workers; with
one worker they have the second core to themselves, which caps the ratio here near 1.6-1.7.

2026-12-08 (01:00-02:25, quiet). The fused tasks' chunks were four equal ones per worker, so at
the end of each phase one worker waited out the other's last quarter-share (6-17 s idle per
phase at 50k: chunks differ in cost, e.g. the one whose documents the license stage drops
early). Chunks now shrink as the run goes (`flows.curate_flow.chunks`, guided
self-scheduling: half of a worker's remaining share, down to 2 batches). `--runner dask
--workers 1 --also-workers 2` at 50,000 docs: before 286.6 -> 188.6 s, CLI **1.52x** (flow
1.54x); after 255.1 -> 141.1 s, CLI **1.81x** (flow 1.86x, load mean 1.41 / 3.21), and again
after the known-inputs change below 202.8 -> 119.8 s, CLI **1.69x** (flow 1.73x, load mean
1.36 / 2.44; CPU s workers / flow / server 192.8 / 23.5 / 7.1 and 192.2 / 22.8 / 6.4); all runs
reconciled (34,036 kept). A 200k threads run failed after its commit: DuckDB ran out of its
64 MB writing the known inputs (the decisions' details of 40k dropped documents in a temporary
table and a window). They now come from one scan over the ledger parts into a spill file, the
first decision per document is a grouped minimum, and the limit grows to hold what the join
keeps (`curation.ingest.known._load_decided`); the step takes 4 s instead of 15 s on a
200k-document synthetic ledger. Threads, `--docs 50000` then `--docs 200000`: 261.5 / 267.7
and 283.2 / 285.1 docs/s (CLI / flow), flow peak 977 and 1,128 MiB (**1.15x**), staging peak
297 and 1,182 MiB, warehouse 40.3 and 161.2 MiB, both reconciled (132,725 kept at 200k).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NEARDUP = REPO.parent / "shared" / "data" / "neardup" / "docs.jsonl"

FIRST_NAMES = [
    "Maria",
    "Jonas",
    "Aisha",
    "Pierre",
    "Sofia",
    "Liam",
    "Olga",
    "Hiroshi",
    "Fatima",
    "Lukas",
    "Emma",
    "Mateo",
    "Ingrid",
    "Tomasz",
    "Chloe",
    "Rahul",
    "Elena",
    "Kwame",
    "Greta",
    "Diego",
    "Hannah",
    "Yusuf",
    "Clara",
    "Nils",
    "Amelia",
    "Marco",
    "Zoe",
    "Andrei",
]
LAST_NAMES = [
    "Schmidt",
    "Garcia",
    "Novak",
    "Dubois",
    "Rossi",
    "Okafor",
    "Jensen",
    "Kowalski",
    "Martin",
    "Silva",
    "Fischer",
    "Moreau",
    "Tanaka",
    "Brennan",
    "Lindqvist",
    "Haddad",
    "Petrov",
    "Murphy",
    "Costa",
    "Weber",
    "Nguyen",
    "Keller",
    "Almeida",
    "Bauer",
]
FALLBACK_WORDS = [
    "the",
    "team",
    "reviews",
    "each",
    "request",
    "and",
    "the",
    "manager",
    "approves",
    "travel",
    "before",
    "any",
    "booking",
    "is",
    "made",
    "employees",
    "should",
    "keep",
    "receipts",
    "for",
    "every",
    "expense",
    "and",
    "submit",
    "them",
    "within",
    "thirty",
    "days",
    "of",
    "the",
    "trip",
    "the",
    "policy",
    "applies",
    "to",
    "contractors",
    "as",
    "well",
    "as",
    "staff",
    "and",
    "it",
    "is",
    "reviewed",
    "every",
    "year",
    "by",
    "the",
    "finance",
    "office",
    "which",
    "publishes",
    "changes",
    "on",
    "the",
    "intranet",
    "with",
    "a",
    "summary",
    "of",
    "what",
    "moved",
]
BOILERPLATE = [
    "Home | About us | Products | Careers | Contact | Privacy | Terms",
    "We use cookies to improve your experience. Accept all cookies | Manage preferences",
    "Skip to main content",
    "Copyright (c) All rights reserved.",
    "Share on Twitter | Share on LinkedIn | Print this page",
    "Back to top",
]


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000, help="documents in the corpus")
    parser.add_argument("--workers", type=int, default=2, help="runner workers (threads or Dask)")
    parser.add_argument("--runner", choices=["threads", "dask"], default="threads")
    parser.add_argument(
        "--also-workers",
        type=int,
        default=0,
        help="run the same corpus again with this many workers and report the ratio",
    )
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--pii-mode", choices=["patterns", "ner"], default="patterns")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--work-dir", type=Path, default=None, help="kept when given")
    parser.add_argument("--sample-every", type=float, default=0.25, help="seconds")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per curate run")
    return parser.parse_args()


def paragraph_pool() -> list[str]:
    """English paragraphs of the real revision history, deduplicated, in a stable order."""
    if not NEARDUP.exists():
        rng = random.Random(0)
        return [
            " ".join(rng.choice(FALLBACK_WORDS) for _ in range(rng.randint(20, 90))).capitalize()
            + "."
            for _ in range(5000)
        ]
    seen: dict[str, None] = {}
    with NEARDUP.open(encoding="utf-8") as lines:
        for line in lines:
            for paragraph in json.loads(line)["text"].split("\n\n"):
                paragraph = paragraph.strip()
                if len(paragraph.split()) >= 8:
                    seen.setdefault(paragraph, None)
    return sorted(seen)


def _pii_sentence(rng: random.Random) -> str:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    email = f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@example-corp.com"
    phone = f"+1 415 555 {rng.randint(1000, 9999)}"
    iban = f"DE{rng.randint(10, 99)} 3704 0044 0532 {rng.randint(1000, 9999)} 00"
    templates = [
        f"For questions contact {first} {last} at {email} or call {phone}.",
        f"Please send the signed form to {first} {last} ({email}).",
        f"Reimbursements go to the account of {first} {last}, IBAN {iban}.",
        f"{first} {last} is the owner of this page; phone {phone}.",
    ]
    return rng.choice(templates)


def _edit(text: str, rng: random.Random) -> str:
    """A small revision: a few words replaced, maybe a sentence dropped or one appended."""
    words = text.split(" ")
    for _ in range(max(1, len(words) // 60)):
        words[rng.randrange(len(words))] = rng.choice(FALLBACK_WORDS)
    edited = " ".join(words)
    if rng.random() < 0.3:
        sentences = edited.split(". ")
        if len(sentences) > 3:
            del sentences[rng.randrange(len(sentences))]
            edited = ". ".join(sentences)
    if rng.random() < 0.3:
        edited += "\n\nUpdated after the last review; see the change log for details."
    return edited


def _junk(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.5:
        return "\n".join(rng.choice(BOILERPLATE) for _ in range(rng.randint(3, 12)))
    if kind < 0.8:
        return " ".join(
            "".join(rng.choice("#$%&*@!0123456789{}[]<>") for _ in range(rng.randint(2, 9)))
            for _ in range(rng.randint(20, 200))
        )
    return rng.choice(["ok", "TODO", "see attached", "draft", "n/a"])


def generate_corpus(folder: Path, n_docs: int, seed: int) -> dict:
    """Write `main.jsonl` and `vendor.jsonl` with `n_docs` documents in all; return the mix."""
    rng = random.Random(seed)
    pool = paragraph_pool()
    folder.mkdir(parents=True, exist_ok=True)
    mix = {"fresh": 0, "near_duplicate": 0, "exact_copy": 0, "junk": 0, "with_pii": 0}
    originals: list[str] = []
    text_bytes = 0
    with (
        (folder / "main.jsonl").open("w", encoding="utf-8") as main,
        (folder / "vendor.jsonl").open("w", encoding="utf-8") as vendor,
    ):
        for i in range(n_docs):
            draw = rng.random()
            if originals and draw < 0.12:
                text, kind = _edit(rng.choice(originals), rng), "near_duplicate"
            elif originals and draw < 0.15:
                text, kind = rng.choice(originals), "exact_copy"
            elif draw < 0.23:
                text, kind = _junk(rng), "junk"
            else:
                length = rng.random()
                k = rng.randint(1, 2) if length < 0.3 else rng.randint(3, 8)
                if length > 0.9:
                    k = rng.randint(10, 40)
                paragraphs = rng.sample(pool, k)
                if rng.random() < 0.3:
                    paragraphs.insert(rng.randrange(k + 1), _pii_sentence(rng))
                    mix["with_pii"] += 1
                text, kind = "\n\n".join(paragraphs), "fresh"
                originals.append(text)
                if len(originals) > 2000:  # revisions of recent documents, bounded memory
                    originals.pop(rng.randrange(len(originals)))
            mix[kind] += 1
            text_bytes += len(text.encode("utf-8"))
            target = vendor if rng.random() < 0.03 else main
            target.write(json.dumps({"id": f"d{i:07d}", "text": text}) + "\n")
    mix["text_bytes"] = text_bytes
    mix["paragraph_pool"] = len(pool)
    return mix


def write_spec(folder: Path, *, runner: str, workers: int, batch_size: int, pii_mode: str) -> Path:
    pii = "{ner: false}" if pii_mode == "patterns" else "{}"
    spec = f"""\
# written by bench/scale.py
name: scale-bench
output: {{table: curated.scale_bench}}
sources:
  - {{id: main, type: jsonl, path: corpus/main.jsonl, text_field: text, id_field: id, license: CC0-1.0}}
  - {{id: vendor, type: jsonl, path: corpus/vendor.jsonl, text_field: text, id_field: id, license: GPL-3.0-only}}
license:
  allow_categories: [public_domain, permissive]
  unknown: quarantine
quality: {{}}
dedup: {{threshold: 0.8}}
pii: {pii}
runner: {{type: {runner}, workers: {workers}, batch_size: {batch_size}}}
"""
    path = folder / "spec.yaml"
    path.write_text(spec, encoding="utf-8")
    return path


def folder_bytes(root: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            with contextlib.suppress(OSError):  # a staged file removed while we walk
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


def _vm_hwm(pid: int) -> int:
    """Peak resident set of a process in bytes (VmHWM), 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _role(proc, root_pid: int) -> str:
    if proc.pid == root_pid:
        return "flow"
    try:
        cmdline = " ".join(proc.cmdline())
    except Exception:  # noqa: BLE001 - psutil raises several kinds for a vanished process
        return "other"
    if "uvicorn" in cmdline or "prefect" in cmdline and "server" in cmdline:
        return "prefect_server"
    if "distributed" in cmdline or "multiprocessing" in cmdline or "spawn_main" in cmdline:
        return "dask_process"
    return "other"


STAGE_ORDER = ("ingest", "license", "quality", "dedup", "pii")


def current_phase(runs: Path, previous: str) -> str:
    """Which stage the run is in, from the ledger parts staged so far (one per stage and batch).

    A batch stage is done when it has as many ledger parts as the stage before it; dedup writes
    one part for the run (`dedup-run`), then re-batches; after the last PII part, the commit.
    Once the staging folder is gone (the run finished), the phase stays "commit".
    """
    counts = dict.fromkeys(STAGE_ORDER, 0)
    dedup_batches = 0
    for ledger in runs.glob("*/ledger"):
        for name in os.listdir(ledger) if ledger.exists() else ():
            stage = name.partition("-")[0]
            if stage in counts:
                counts[stage] += 1
        documents = ledger.parent / "documents"
        with contextlib.suppress(OSError):
            dedup_batches += sum(n.startswith("dedup-") for n in os.listdir(documents))
    if not any(counts.values()):
        return "commit" if previous not in ("start-up", "ingest") else previous
    if counts["pii"]:
        return "commit" if dedup_batches and counts["pii"] >= dedup_batches else "pii"
    if counts["dedup"]:
        return "pii"
    for stage, before in (("quality", "license"), ("license", "ingest")):
        if counts[stage]:
            done = counts[stage] >= counts[before]
            return STAGE_ORDER[STAGE_ORDER.index(stage) + 1] if done else stage
    return "ingest"


class Sampler(threading.Thread):
    """Samples the process tree under `pid`, the staging folder and the load average."""

    def __init__(self, pid: int, staging: Path, every: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.staging, self.every = pid, staging, every
        self.stop = threading.Event()
        self.peak: dict[int, dict] = {}
        self.peak_tree_rss = 0
        self.peak_staging = 0
        self.loads: list[float] = []
        self.samples = 0
        self.phase = "start-up"
        # peak RSS (MiB) of the flow process and of the largest Dask process, per phase
        self.by_phase: dict[str, dict[str, float]] = {}

    def run(self) -> None:
        import psutil

        root = psutil.Process(self.pid)
        last_disk = 0.0
        while not self.stop.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            tree_rss = 0
            phase = self.by_phase.setdefault(self.phase, {"flow": 0.0, "dask_process": 0.0})
            for proc in procs:
                try:
                    rss = proc.memory_info().rss
                except psutil.Error:
                    continue
                tree_rss += rss
                entry = self.peak.setdefault(
                    proc.pid, {"role": _role(proc, self.pid), "rss": 0, "hwm": 0, "cpu": 0.0}
                )
                with contextlib.suppress(psutil.Error):
                    times = proc.cpu_times()
                    entry["cpu"] = times.user + times.system
                entry["rss"] = max(entry["rss"], rss)
                entry["hwm"] = max(entry["hwm"], _vm_hwm(proc.pid))
                if entry["role"] == "other":  # the cmdline may not have been readable yet
                    entry["role"] = _role(proc, self.pid)
                if entry["role"] in phase:
                    phase[entry["role"]] = max(phase[entry["role"]], round(rss / 2**20, 1))
            self.peak_tree_rss = max(self.peak_tree_rss, tree_rss)
            now = time.monotonic()
            if now - last_disk >= 1.0:  # walking the staging folder costs more than /proc
                self.peak_staging = max(self.peak_staging, folder_bytes(self.staging))
                self.loads.append(os.getloadavg()[0])
                self.phase = current_phase(self.staging, self.phase)
                last_disk = now
            self.samples += 1
            self.stop.wait(self.every)

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds per role at each process's last sample (a lower bound: what a process
        used after its last sample is missing): where the cores went besides the stages."""
        out: dict[str, float] = {}
        for entry in self.peak.values():
            out[entry["role"]] = out.get(entry["role"], 0.0) + entry["cpu"]
        return {role: round(seconds, 1) for role, seconds in sorted(out.items())}

    def memory(self) -> dict:
        mib = 2**20
        roles: dict[str, list[dict]] = {}
        for pid, entry in self.peak.items():
            roles.setdefault(entry["role"], []).append({"pid": pid, **entry})
        out: dict = {}
        for role, entries in sorted(roles.items()):
            peak = max(max(e["rss"], e["hwm"]) for e in entries)
            out[role] = {
                "processes": len(entries),
                "peak_rss_mib_max": round(peak / mib, 1),
                "peak_rss_mib_each": sorted(
                    round(max(e["rss"], e["hwm"]) / mib, 1) for e in entries
                ),
            }
        out["tree_peak_rss_sum_mib"] = round(self.peak_tree_rss / mib, 1)
        out["peak_rss_mib_by_phase"] = self.by_phase
        return out


def run_once(folder: Path, spec: Path, n_docs: int, every: float, timeout: int) -> dict:
    """`curate run SPEC --json` in a fresh workspace under `folder`, sampled while it runs."""
    workspace = folder / f"ws-{time.monotonic_ns()}"
    workspace.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CURATE_"))}
    env["CURATE_WORKSPACE"] = str(workspace)
    env["PYTHONPATH"] = str(REPO)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before = os.getloadavg()
    started = time.monotonic()
    with tempfile.TemporaryFile(mode="w+") as err_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "run", str(spec), "--json"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err_file,
            text=True,
        )
        sampler = Sampler(proc.pid, workspace / "runs", every)
        sampler.start()
        try:
            stdout, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
        finally:
            sampler.stop.set()
            sampler.join()
        wall = time.monotonic() - started
        err_file.seek(0)
        stderr = err_file.read()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"curate run failed ({proc.returncode}):\n{stderr[-4000:]}")
    summary = json.loads(stdout)
    stage_seconds = summary.get("stage_seconds", {})
    inputs = summary.get("inputs", n_docs)
    mib = 2**20
    return {
        "inputs": inputs,
        "kept": summary.get("kept"),
        "dropped": summary.get("dropped"),
        "quarantined": summary.get("quarantined"),
        "reconciled": summary.get("reconciled"),
        "by_stage": summary.get("by_stage"),
        "cli_wall_seconds": round(wall, 2),
        "flow_wall_seconds": summary.get("wall_seconds"),
        "docs_per_s_cli": round(inputs / wall, 1),
        "docs_per_s_flow": round(inputs / summary["wall_seconds"], 1)
        if summary.get("wall_seconds")
        else None,
        "stage_seconds": stage_seconds,
        # every stage is timed over the run's input count, so the figures add up like the times
        "docs_per_s_by_stage": {
            name: round(inputs / seconds, 1) if seconds else None
            for name, seconds in stage_seconds.items()
        },
        "memory": sampler.memory(),
        "max_rss_largest_child_mib_kernel": round(after.ru_maxrss / 1024, 1),
        "cpu_seconds_children": round(
            (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1
        ),
        "cpu_seconds_by_role": sampler.cpu_seconds(),
        "staging_peak_mib": round(sampler.peak_staging / mib, 1),
        "warehouse_mib": round(folder_bytes(workspace / "warehouse") / mib, 1),
        "indexes_mib": round(folder_bytes(workspace / "indexes") / mib, 1),
        "load_average_1min": {
            "before": round(load_before[0], 2),
            "during_mean": round(sum(sampler.loads) / len(sampler.loads), 2)
            if sampler.loads
            else None,
            "during_max": round(max(sampler.loads), 2) if sampler.loads else None,
        },
        "samples": sampler.samples,
    }


def main() -> None:
    args = _parse()
    try:
        import psutil  # noqa: F401
    except ImportError as error:
        raise SystemExit("bench/scale.py samples the process tree with psutil") from error
    keep = args.work_dir is not None
    folder = args.work_dir or Path(tempfile.mkdtemp(prefix="curate-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        started = time.monotonic()
        mix = generate_corpus(folder / "corpus", args.docs, args.seed)
        generated = time.monotonic() - started
        result: dict = {
            "docs": args.docs,
            "seed": args.seed,
            "corpus": {**mix, "generate_seconds": round(generated, 1)},
            "pii_mode": "patterns only (pii: {ner: false}): no spaCy NER"
            if args.pii_mode == "patterns"
            else "NER (spaCy) + patterns",
            "runner": args.runner,
            "batch_size": args.batch_size,
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
        }
        runs = {}
        for workers in [args.workers] + ([args.also_workers] if args.also_workers else []):
            spec = write_spec(
                folder,
                runner=args.runner,
                workers=workers,
                batch_size=args.batch_size,
                pii_mode=args.pii_mode,
            )
            print(f"curate run: {args.docs} docs, {args.runner} x{workers}...", file=sys.stderr)
            runs[str(workers)] = run_once(folder, spec, args.docs, args.sample_every, args.timeout)
        if len(runs) == 1:
            result["workers"] = args.workers
            result.update(next(iter(runs.values())))
        else:
            result["runs_by_workers"] = runs
            first, second = (runs[str(args.workers)], runs[str(args.also_workers)])
            result["scale_out"] = {
                "workers": [args.workers, args.also_workers],
                "cli_docs_per_s_ratio": round(
                    second["docs_per_s_cli"] / first["docs_per_s_cli"], 3
                ),
                "flow_docs_per_s_ratio": round(
                    second["docs_per_s_flow"] / first["docs_per_s_flow"], 3
                )
                if first["docs_per_s_flow"] and second["docs_per_s_flow"]
                else None,
            }
        print(json.dumps(result, indent=1))
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
