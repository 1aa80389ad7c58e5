"""Per-stage speed against the peers, through the CLI as a user runs it, start-up included.

    .venv/bin/python bench/stage_speed.py --datatrove-python /tmp/dt-venv/bin/python

Every side runs as its own subprocess, one after the other, in this one invocation (never
against a figure from another run, never best-of-N for us against one run for them), with one
thread each: OMP/OPENBLAS/MKL_NUM_THREADS=1 and POLARS_MAX_THREADS=1 for every child. Each
side's wall seconds include interpreter start-up, imports, model loading, reading the input and
writing the output; its CPU seconds are that child's own user + system time (`os.wait4`), so
`per_cpu_second` ratios hold even when other work shares the machine; its peak RSS is the
kernel's VmHWM of that process, sampled every 20 ms.

- `dedup`: a revision-history corpus (the 5,791 real page revisions of
  ../shared/data/neardup, grown to `--dedup-docs` documents by copies whose words starting
  with a-m carry the copy number, as bench/dedup.py grows it, so copies are distinct while
  revisions inside a copy keep their exact similarities) written as JSONL; then
  `curate dedup CORPUS --out OUT.parquet --json` (the in-memory engine, and with
  `--out-of-core`), against a plain datasketch loop (MinHash per document over the same word
  5-gram shingles, `MinHashLSH` with our num_perm, seed and bands x rows, query then insert,
  union-find) run as a script with the same interpreter.
- `quality`: `--quality-docs` documents (the text documents of ../shared/data/enterprise when
  present, repeated to the count, else the neardup revisions) as JSONL; then `curate quality
  score CORPUS --out OUT.parquet --json` (language id with fastText lid.176 + every heuristic
  signal, all four rule families, for every document), against datatrove's
  GopherQualityFilter, GopherRepetitionFilter, C4QualityFilter and FineWebQualityFilter with
  their defaults, each run on every document (the work our command does: all signals of all
  documents, not a chain where later filters see only survivors), plus its LanguageFilter
  (fastText FT176LID given the same lid.176.ftz file, since datatrove would download
  lid.176.bin) when the peer venv has fasttext. datatrove runs in its own venv
  (`--datatrove-python`; bench/quality.py expects it at bench/.venv-datatrove): its
  dependency pins differ from ours. Without it the quality comparison is skipped and says so.

Prints one JSON object with docs/s, wall and CPU seconds per side, and the ratios.

Measured on 2026-12-07 on this 2-core machine (load average 5-9, other sessions running),
datatrove 0.10.1 in a separate venv (plus fasttext-numpy2-wheel and fasteners), one run of each
side per invocation, two invocations each:

- dedup, 20,000 revisions (185 MiB): `curate dedup` 4.04 and 4.15 CPU s (peak 510 MiB),
  datasketch loop 35.7 and 34.7 CPU s: 8.83x and 8.35x per CPU second (the code before
  issue 19's changes, interleaved with these runs: 4.90 and 4.95 CPU s, 7.27x and 6.95x).
  Duplicates 16,580 (ours, verified, split around representatives) against 17,502 (plain LSH
  components).
- quality, 2,000 enterprise text documents (22.6 MiB): `curate quality score` 12.24 and 11.22
  CPU s (peak 720-770 MiB); datatrove's LanguageFilter + four filters 125.3 and 123.8 CPU s:
  10.24x and 11.03x per CPU second (before: 12.47-13.53 CPU s, 8.86x-9.21x).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
NEARDUP = SHARED / "neardup" / "docs.jsonl"
ENTERPRISE = SHARED / "enterprise"
DATATROVE_PYTHON = REPO / "bench" / ".venv-datatrove" / "bin" / "python"
ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "POLARS_MAX_THREADS": "1",
    "RAYON_NUM_THREADS": "1",
    "TOKENIZERS_PARALLELISM": "false",
}

DATASKETCH_LOOP = r"""
import json, re, sys, time
from datasketch import MinHash, MinHashLSH

corpus, num_perm, bands, rows, seed, out = sys.argv[1:7]
num_perm, bands, rows, seed = int(num_perm), int(bands), int(rows), int(seed)
ids, texts = [], []
with open(corpus, encoding="utf-8") as lines:
    for line in lines:
        row = json.loads(line)
        ids.append(row["id"]); texts.append(row["text"])
lsh = MinHashLSH(num_perm=num_perm, params=(bands, rows))
parent = list(range(len(ids)))
def find(i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i
position = {}
for i, (doc_id, text) in enumerate(zip(ids, texts)):
    tokens = re.findall(r"\w+", text.lower())
    shingles = {" ".join(tokens[j : j + 5]) for j in range(max(1, len(tokens) - 4))}
    minhash = MinHash(num_perm=num_perm, seed=seed)
    minhash.update_batch([s.encode("utf-8") for s in shingles])
    for other in lsh.query(minhash):
        a, b = find(i), find(position[other])
        if a != b:
            parent[max(a, b)] = min(a, b)
    lsh.insert(doc_id, minhash)
    position[doc_id] = i
duplicates = sum(find(i) != i for i in range(len(ids)))
json.dump({"documents": len(ids), "duplicates": duplicates}, open(out, "w"))
"""

DATATROVE_FILTERS = r"""
import json, sys, time
from datatrove.data import Document
from datatrove.pipeline.filters import (
    C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter,
)

corpus, lid_model, out = sys.argv[1:4]
texts = [json.loads(line)["text"] for line in open(corpus, encoding="utf-8")]
filters = {
    "gopher_quality": GopherQualityFilter(),
    "gopher_repetition": GopherRepetitionFilter(),
    "c4": C4QualityFilter(),
    "fineweb": FineWebQualityFilter(),
}
if lid_model:
    from datatrove.pipeline.filters import LanguageFilter
    from fasttext.FastText import _FastText

    language = LanguageFilter()  # languages=None: any language above 0.65, like our default
    language.model._model = _FastText(lid_model)  # the same file ours reads; no download
    filters = {"language": language, **filters}
seconds, dropped = {}, {}
for name, step in filters.items():
    started = time.perf_counter()
    drops = 0
    for i, text in enumerate(texts):
        outcome = step.filter(Document(text=text, id=str(i)))
        drops += outcome is not True
    seconds[name] = time.perf_counter() - started
    dropped[name] = drops
json.dump({"documents": len(texts), "seconds": seconds, "dropped": dropped}, open(out, "w"))
"""


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dedup-docs", type=int, default=20000)
    parser.add_argument("--quality-docs", type=int, default=2000)
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument(
        "--datatrove-python",
        type=Path,
        default=DATATROVE_PYTHON,
        help="python of a venv with datatrove 0.10.1 (and fasttext-numpy2-wheel and fasteners "
        "for its LID)",
    )
    parser.add_argument("--only", choices=["dedup", "quality"], default=None)
    parser.add_argument("--skip-out-of-core", action="store_true")
    parser.add_argument("--work-dir", type=Path, default=None, help="kept when given")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per side")
    return parser.parse_args()


def _vm_hwm(pid: int) -> int:
    """Peak resident set of a running process in bytes (VmHWM), 0 once it has exited."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def measured(command: list[str], *, timeout: int, env: dict[str, str] | None = None) -> dict:
    """Run one side; its wall seconds (start-up included), CPU seconds, max RSS and stdout."""
    child_env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CURATE_"))}
    child_env.update(ONE_THREAD)
    child_env.update(env or {})
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(command, cwd=REPO, env=child_env, stdout=out, stderr=err)
        deadline = started + timeout
        peak = 0
        while True:
            peak = max(peak, _vm_hwm(proc.pid))
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        wall = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{stderr[-4000:]}")
    return {
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        # VmHWM sampled while it runs: ru_maxrss of a child starts at this process's RSS at
        # fork time (Linux carries it across exec), which the corpus held here would inflate
        "peak_rss_mib": round(peak / 2**20, 1),
        "stdout": stdout,
    }


def _rates(side: dict, documents: int) -> dict:
    side = {k: v for k, v in side.items() if k != "stdout"}
    side["docs_per_s"] = round(documents / side["wall_seconds"], 1)
    side["docs_per_cpu_s"] = round(documents / side["cpu_seconds"], 1)
    return side


def _ratio(ours: dict, theirs: dict) -> dict:
    return {
        "wall": round(theirs["wall_seconds"] / ours["wall_seconds"], 2),
        "per_cpu_second": round(theirs["cpu_seconds"] / ours["cpu_seconds"], 2),
    }


def write_revision_corpus(path: Path, n_docs: int) -> int:
    """The neardup revisions grown to `n_docs` by renamed copies, as JSONL `id, text`."""
    import polars as pl

    frame = pl.read_ndjson(NEARDUP).select(pl.col("id"), pl.col("text"))
    copies, k = [frame], 1
    while sum(c.height for c in copies) < n_docs:
        copies.append(
            frame.with_columns(
                pl.col("id") + f"-c{k}",
                pl.col("text").str.replace_all(r"\b([a-mA-M]\w*)", f"${{1}}x{k}"),
            )
        )
        k += 1
    grown = pl.concat(copies).head(n_docs)
    grown.write_ndjson(path)
    return grown.height


def bench_dedup(folder: Path, args: argparse.Namespace) -> dict:
    sys.path.insert(0, str(REPO))
    from curation.dedup.config import DedupConfig

    corpus = folder / "revisions.jsonl"
    documents = write_revision_corpus(corpus, args.dedup_docs)
    cfg = DedupConfig(threshold=args.threshold)
    bands, rows = cfg.band_params()
    curate = [sys.executable, "-m", "flows.cli", "dedup", str(corpus), "--json"]
    threshold = ["--threshold", str(args.threshold)]
    result: dict = {
        "documents": documents,
        "corpus_mib": round(corpus.stat().st_size / 2**20, 1),
        "config": {
            "threshold": args.threshold,
            "num_perm": cfg.num_perm,
            "bands_rows": [bands, rows],
            "seed": cfg.seed,
            "shingles": f"word {cfg.ngram}-grams of re.findall(r'\\w+', text.lower())",
        },
    }
    sides: dict[str, dict] = {}
    ours = measured(
        [*curate, "--out", str(folder / "ours.parquet"), *threshold], timeout=args.timeout
    )
    sides["curate_dedup"] = ours
    if not args.skip_out_of_core:
        sides["curate_dedup_out_of_core"] = measured(
            [
                *curate,
                "--out",
                str(folder / "ours-ooc.parquet"),
                "--out-of-core",
                "--work-dir",
                str(folder),
                *threshold,
            ],
            timeout=args.timeout,
        )
    script = folder / "datasketch_loop.py"
    script.write_text(DATASKETCH_LOOP, encoding="utf-8")
    loop_out = folder / "loop.json"
    sides["datasketch_loop"] = measured(
        [sys.executable, str(script), str(corpus), str(cfg.num_perm), str(bands), str(rows)]
        + [str(cfg.seed), str(loop_out)],
        timeout=args.timeout,
    )
    for name, side in sides.items():
        summary = json.loads(loop_out.read_text()) if name == "datasketch_loop" else None
        summary = summary or json.loads(side["stdout"])
        result[name] = {
            **_rates(side, documents),
            "duplicates": summary.get("duplicates"),
            "reported_seconds": summary.get("seconds"),
        }
    base = result["datasketch_loop"]
    result["speedup_vs_datasketch_loop"] = {
        name: _ratio(result[name], base) for name in sides if name != "datasketch_loop"
    }
    return result


def write_quality_corpus(path: Path, n_docs: int) -> tuple[int, str]:
    """Text documents as JSONL `id, text`: the enterprise share's text files, else neardup."""
    texts: list[str] = []
    origin = "neardup revisions"
    if (ENTERPRISE / "MANIFEST.csv").exists():
        import csv

        with (ENTERPRISE / "MANIFEST.csv").open(encoding="utf-8") as manifest:
            for row in csv.DictReader(manifest):
                if row["format"] in {"md", "rst", "txt", "txt (no extension)"}:
                    file = ENTERPRISE / row["relative_path"]
                    if file.exists():
                        texts.append(file.read_text(encoding="utf-8", errors="replace"))
        origin = "text documents (md, rst, txt) of ../shared/data/enterprise, repeated"
    if not texts:
        with NEARDUP.open(encoding="utf-8") as lines:
            texts = [json.loads(line)["text"] for line in lines]
    with path.open("w", encoding="utf-8") as out:
        for i in range(n_docs):
            out.write(json.dumps({"id": f"q{i:07d}", "text": texts[i % len(texts)]}) + "\n")
    return n_docs, f"{origin} ({len(texts)} distinct)"


def bench_quality(folder: Path, args: argparse.Namespace) -> dict:
    sys.path.insert(0, str(REPO))
    corpus = folder / "quality.jsonl"
    documents, origin = write_quality_corpus(corpus, args.quality_docs)
    result: dict = {
        "documents": documents,
        "corpus": origin,
        "corpus_mib": round(corpus.stat().st_size / 2**20, 1),
    }
    ours = measured(
        [sys.executable, "-m", "flows.cli", "quality", "score", str(corpus), "--json"]
        + ["--out", str(folder / "scores.parquet")],
        timeout=args.timeout,
    )
    report = json.loads(ours["stdout"])
    result["curate_quality_score"] = {
        **_rates(ours, documents),
        "kept": report.get("kept"),
        "work": "fastText lid.176 language id + every heuristic signal of all four families",
    }
    peer = args.datatrove_python
    if not peer.exists():
        result["datatrove"] = (
            f"not measured: no datatrove venv at {peer} (create one with datatrove==0.10.1 and "
            "fasttext-numpy2-wheel, pass --datatrove-python)"
        )
        return result
    # datatrove's LanguageFilter also needs fasteners (it refuses to start without it), which
    # `make bench-venv` does not install either
    has_fasttext = (
        subprocess.run(
            [str(peer), "-c", "import fasttext, fasteners"], capture_output=True, check=False
        ).returncode
        == 0
    )
    from curation.resources import lid_model_path

    lid = str(lid_model_path()) if has_fasttext else ""
    script = folder / "datatrove_filters.py"
    script.write_text(DATATROVE_FILTERS, encoding="utf-8")
    peer_out = folder / "datatrove.json"
    theirs = measured(
        [str(peer), str(script), str(corpus), lid, str(peer_out)], timeout=args.timeout
    )
    peer_report = json.loads(peer_out.read_text())
    version = subprocess.run(
        [
            str(peer),
            "-c",
            "import datatrove, importlib.metadata as m; print(m.version('datatrove'))",
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    result["datatrove"] = {
        **_rates(theirs, documents),
        "version": version,
        "filters": list(peer_report["seconds"]),
        "language_id": "LanguageFilter (FT176LID on lid.176.ftz)" if lid else "not available",
        "filter_seconds": {k: round(v, 2) for k, v in peer_report["seconds"].items()},
        "dropped": peer_report["dropped"],
    }
    result["speedup_vs_datatrove"] = _ratio(result["curate_quality_score"], result["datatrove"])
    return result


def main() -> None:
    args = _parse()
    keep = args.work_dir is not None
    folder = args.work_dir or Path(tempfile.mkdtemp(prefix="curate-stage-speed-"))
    folder.mkdir(parents=True, exist_ok=True)
    result: dict = {
        "cpus": os.cpu_count(),
        "threads_per_side": 1,
        "load_average_1min_before": round(os.getloadavg()[0], 2),
    }
    try:
        if args.only in (None, "dedup"):
            print(f"dedup: {args.dedup_docs} revisions...", file=sys.stderr)
            result["dedup"] = bench_dedup(folder, args)
        if args.only in (None, "quality"):
            print(f"quality: {args.quality_docs} documents...", file=sys.stderr)
            result["quality"] = bench_quality(folder, args)
        result["load_average_1min_after"] = round(os.getloadavg()[0], 2)
        print(json.dumps(result, indent=1))
    finally:
        if not keep:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
