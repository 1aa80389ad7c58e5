"""Benchmark: our column-wise quality signals against datatrove's filters, and language id.

Runs on the text documents (md, rst, txt, html) of ../shared/data/enterprise, or on any JSONL
(`--jsonl FILE --text-field text`). Prints one JSON object:

- `ours`: docs/s of every heuristic signal (all four rule families, one pass over the batch),
  measured on a warm process (spaCy loaded) like the baseline;
- `datatrove`: docs/s of GopherQualityFilter, GopherRepetitionFilter, C4QualityFilter and
  FineWebQualityFilter (datatrove 0.10.1, default thresholds = our `datatrove` preset), run in
  a subprocess with the python of a separate venv (bench/.venv-datatrove, see --datatrove-python);
- `speed_ratio`: datatrove's time for the four filters over ours for all signals (median of
  `--repeats` runs; datatrove runs once in the same invocation, minutes long; with
  `--datatrove-cache` an earlier run is reused and `datatrove_run` says so);
- `agreement`: per family, the share of documents with the same keep/drop decision, with the
  disagreeing documents and both sides' reasons (for explaining systematic differences);
- `language_id`: fastText lid.176 accuracy on documents whose MANIFEST.csv gives a language,
  documents under 20 words excluded, compared on base languages (lid.176 has no regions);
- `language_mix`: per-paragraph language id (`quality.lang_per_paragraph`) on the same
  documents: docs/s, accuracy of the paragraphs' majority language, and how many English
  documents fall under the default `min_lang_allowed_frac`;
- `presets`: per preset, documents kept and the first failing rule of the dropped ones.

    .venv/bin/python bench/quality.py --out bench/results/quality.json
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from curation.offline import enforce_offline  # noqa: E402

enforce_offline()

ENTERPRISE = REPO.parent / "shared" / "data" / "enterprise"
DATATROVE_PYTHON = REPO / "bench" / ".venv-datatrove" / "bin" / "python"
TEXT_FORMATS = {"md", "rst", "txt", "txt (no extension)", "html"}
FAMILIES = ("gopher_quality", "gopher_repetition", "c4", "fineweb")

DATATROVE_SCRIPT = r"""
import json, sys, time
from datatrove.data import Document
from datatrove.pipeline.filters import (
    C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter,
)
texts = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8")]
filters = {
    "gopher_quality": GopherQualityFilter(),
    "gopher_repetition": GopherRepetitionFilter(),
    "c4": C4QualityFilter(),
    "fineweb": FineWebQualityFilter(),
}
result = {}
for name, step in filters.items():
    step.filter(Document(text="Warm up the tokenizer. It loads spaCy once.", id="warm"))
    verdicts = []
    started = time.perf_counter()
    for i, text in enumerate(texts):
        outcome = step.filter(Document(text=text, id=str(i)))
        verdicts.append(None if outcome is True else (outcome[1] if isinstance(outcome, tuple) else "dropped"))
    result[name] = {"seconds": time.perf_counter() - started, "reasons": verdicts}
json.dump(result, open(sys.argv[2], "w"))
"""


def load_enterprise(root: Path, limit: int | None) -> list[dict]:
    """Text documents of the enterprise share, extracted as ingest extracts them."""
    try:
        from curation.ingest.extract import extract_file
    except ImportError:  # ingest not there yet: text formats directly, HTML through trafilatura
        extract_file = None
    docs = []
    with open(root / "MANIFEST.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["format"] not in TEXT_FORMATS:
                continue
            path = root / row["relative_path"]
            if extract_file is not None:
                text = extract_file(path).text
            elif row["format"] == "html":
                import trafilatura

                text = trafilatura.extract(path.read_text(errors="replace")) or ""
            else:
                text = path.read_text(encoding="utf-8", errors="replace")
            docs.append({"id": row["relative_path"], "text": text, "language": row["language"]})
            if limit and len(docs) >= limit:
                break
    return docs


def load_jsonl(path: Path, text_field: str, limit: int | None) -> list[dict]:
    docs = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if line.strip():
                record = json.loads(line)
                docs.append(
                    {
                        "id": str(record.get("id", number)),
                        "text": record[text_field] or "",
                        "language": record.get("language", ""),
                    }
                )
            if limit and len(docs) >= limit:
                break
    return docs


def family_verdicts(signals, cfg) -> dict[str, list[str | None]]:
    """Per family, the first failing rule of each document (None = kept), datatrove semantics."""
    import polars as pl

    verdicts = {}
    for family in FAMILIES:
        rules = [(r, t) for r, t in cfg.active_rules() if r.family == family]
        exprs = []
        for rule, threshold in rules:
            value = pl.col(rule.signal)
            failed = value < threshold if rule.bound == "min" else value > threshold
            exprs.append(pl.when(failed.fill_null(False)).then(pl.lit(rule.reason.value)))
        # datatrove's repetition and FineWeb filters drop empty documents before any rule
        if family == "gopher_repetition":
            exprs.insert(0, pl.when(pl.col("char_count") == 0).then(pl.lit("quality.empty_text")))
        if family == "fineweb":
            empty = pl.col("line_punct_ratio").is_null()
            exprs.insert(0, pl.when(empty).then(pl.lit("quality.empty_text")))
        column = signals.select(pl.coalesce(exprs).alias("reason"))["reason"]
        verdicts[family] = column.to_list()
    return verdicts


def run_ours(texts: list[str], repeats: int) -> tuple[object, float, list[float]]:
    """Signals for all texts: (frame, warm-up seconds, seconds of each timed repeat)."""
    from filters import tokens
    from filters.signals import compute_signals

    started = time.perf_counter()
    compute_signals(texts[:50])  # loads spaCy, derives the fast-path tables
    cold = time.perf_counter() - started
    times = []
    for _ in range(repeats):
        # a fresh spaCy tokenizer: its cache must not remember the previous run's chunks
        tokens._tokenizer.cache_clear()
        tokens._tokenizer()
        started = time.perf_counter()
        frame = compute_signals(texts)
        times.append(time.perf_counter() - started)
    return frame, cold, times


def run_datatrove(python: Path, texts: list[str], reuse: Path | None) -> dict | None:
    """datatrove's verdicts and timings; `reuse` is a raw result saved by an earlier run."""
    digest = hashlib.sha256("\x00".join(texts).encode()).hexdigest()
    if reuse is not None and reuse.is_file():
        saved = json.loads(reuse.read_text())
        if saved.get("texts_sha256") == digest:
            print(f"reusing datatrove's run from {reuse}", file=sys.stderr)
            return {**saved, "reused_from": str(reuse)}
    if not python.is_file():
        return None
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        source = Path(tmp) / "texts.jsonl"
        target = Path(tmp) / "verdicts.json"
        with open(source, "w", encoding="utf-8") as handle:
            for text in texts:
                handle.write(json.dumps({"text": text}) + "\n")
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "DO_NOT_TRACK": "1"}
        print("running datatrove (minutes)...", file=sys.stderr)
        subprocess.run(
            [str(python), "-c", DATATROVE_SCRIPT, str(source), str(target)],
            check=True,
            env=env,
        )
        result = json.loads(target.read_text())
    result["texts_sha256"] = digest
    if reuse is not None:
        reuse.parent.mkdir(parents=True, exist_ok=True)
        reuse.write_text(json.dumps(result))
    return result


def language_accuracy(docs: list[dict]) -> dict:
    from filters.langid import identify_languages

    chosen = [d for d in docs if d["language"] and len(d["text"].split()) >= 20]
    if not chosen:
        return {"documents": 0}
    started = time.perf_counter()
    lang, score = identify_languages([d["text"] for d in chosen])
    seconds = time.perf_counter() - started
    got = lang.to_pylist()
    # lid.176 names base languages ("pt", "zh"), as the language policy compares them: the
    # manifest's "pt-br" or "zh-tw" is right when lid.176 says "pt" or "zh"
    want = [d["language"].lower().split("-")[0] for d in chosen]
    errors = Counter(
        f"{d['language']}->{g}" for d, w, g in zip(chosen, want, got, strict=True) if g != w
    )
    correct = sum(g == w for w, g in zip(want, got, strict=True))
    per_language = Counter(d["language"] for d in chosen)
    return {
        "documents": len(chosen),
        "correct": correct,
        "accuracy": round(correct / len(chosen), 4),
        "docs_per_s": round(len(chosen) / seconds, 1),
        "languages": dict(per_language.most_common()),
        "errors": dict(errors.most_common()),
    }


def language_mix_report(docs: list[dict]) -> dict:
    """Per-paragraph language id (`lang_per_paragraph`): speed, and the main-language share of
    documents whose MANIFEST.csv gives a language (the evidence for `min_lang_allowed_frac`)."""
    import numpy as np
    import polars as pl

    from filters.config import QualityConfig
    from filters.langmix import LANG_FRAC_PREFIX, MAIN_FRAC, language_mix_signals

    chosen = [d for d in docs if d["language"] and len(d["text"].split()) >= 20]
    if not chosen:
        return {"documents": 0}
    started = time.perf_counter()
    mix = language_mix_signals([d["text"] for d in chosen])
    seconds = time.perf_counter() - started
    threshold = QualityConfig().min_lang_allowed_frac
    main = mix.filter(pl.col("key") == MAIN_FRAC)["value"].to_numpy()
    shares = mix.filter(pl.col("key").str.starts_with(LANG_FRAC_PREFIX))
    # the language most of each document's paragraph text is in
    majority = (
        shares.sort("value", descending=True)
        .group_by("row", maintain_order=True)
        .first()
        .select("row", pl.col("key").str.strip_prefix(LANG_FRAC_PREFIX).alias("lang"))
    )
    by_row = dict(majority.iter_rows())
    want = [d["language"].split("-")[0] for d in chosen]
    english = np.array([w == "en" for w in want])
    measured = ~np.isnan(main.astype(float))
    english_main = main[english & measured].astype(float)
    return {
        "documents": len(chosen),
        "docs_per_s": round(len(chosen) / seconds, 1),
        "unmeasured": int((~measured).sum()),
        "paragraph_majority_accuracy": round(
            sum(by_row.get(i) == w for i, w in enumerate(want)) / len(chosen), 4
        ),
        "english_main_frac_percentiles": {
            str(q): round(float(np.quantile(english_main, q / 100)), 3) for q in (1, 2, 5, 10)
        },
        "threshold": threshold,
        "english_below_threshold": int((english_main < threshold).sum()),
        "english_documents": int(english.sum()),
    }


def preset_report(signals, langs, lang_scores) -> dict:
    """Per preset: kept, and dropped documents by first failing rule (language rules included)."""
    import pyarrow as pa

    from filters.config import QualityConfig
    from filters.stage import rule_outcomes, signals_to_map

    table = pa.table(
        {
            "text": pa.array(["x"] * signals.height, pa.string()),
            "lang": langs,
            "lang_score": lang_scores,
            "quality_signals": signals_to_map(signals),
            "quality_score": pa.nulls(signals.height, pa.float32()),
        }
    )
    report = {}
    for preset in ("datatrove", "enterprise"):
        outcomes = rule_outcomes(table, QualityConfig(preset=preset))
        first = Counter(r for r in outcomes["reason"].to_list() if r)
        anywhere = Counter(r for failed in outcomes["failed"].to_list() for r in failed)
        report[preset] = {
            "kept": int(outcomes["reason"].is_null().sum()),
            "kept_share": round(float(outcomes["reason"].is_null().mean()), 4),
            "first_reason": dict(first.most_common()),
            "failing_anywhere": dict(anywhere.most_common()),
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ENTERPRISE, help="enterprise-style folder")
    parser.add_argument("--jsonl", type=Path, help="a JSONL of documents instead of --corpus")
    parser.add_argument("--text-field", default="text")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--datatrove-python", type=Path, default=DATATROVE_PYTHON)
    parser.add_argument("--no-datatrove", action="store_true")
    parser.add_argument(
        "--datatrove-cache",
        type=Path,
        default=None,
        help="save datatrove's raw verdicts here and reuse them while the texts are the same "
        "(for agreement work only: `speed_ratio` is then against an earlier run, and the "
        "output says so; by default datatrove runs in this invocation)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of ours (median)")
    parser.add_argument("--max-listed", type=int, default=15, help="disagreements listed")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()

    import pyarrow as pa

    from filters.config import QualityConfig
    from filters.langid import identify_languages

    if args.jsonl:
        docs = load_jsonl(args.jsonl, args.text_field, args.limit)
    else:
        if not (args.corpus / "MANIFEST.csv").is_file():
            sys.exit(f"no corpus at {args.corpus}: pass --corpus or --jsonl")
        docs = load_enterprise(args.corpus, args.limit)
    texts = [d["text"] for d in docs]
    chars = sum(len(t) for t in texts)
    print(f"{len(texts)} documents, {chars / 1e6:.1f} M chars", file=sys.stderr)

    signals, cold, times = run_ours(texts, args.repeats)
    warm = statistics.median(times)
    result: dict = {
        "documents": len(texts),
        "chars": chars,
        "ours": {
            "seconds": round(warm, 2),
            "seconds_each_run": [round(t, 2) for t in times],
            "docs_per_s": round(len(texts) / warm, 1),
            "mchars_per_s": round(chars / warm / 1e6, 3),
            "warmup_seconds_50_docs": round(cold, 2),
        },
    }
    cfg = QualityConfig(preset="datatrove")
    ours = family_verdicts(signals, cfg)
    baseline = (
        None
        if args.no_datatrove
        else run_datatrove(args.datatrove_python, texts, args.datatrove_cache)
    )
    if baseline is None:
        result["datatrove"] = f"not run: no python at {args.datatrove_python}"
    else:
        total = sum(baseline[f]["seconds"] for f in FAMILIES)
        result["datatrove"] = {
            f: {
                "seconds": round(baseline[f]["seconds"], 2),
                "docs_per_s": round(len(texts) / baseline[f]["seconds"], 1),
            }
            for f in FAMILIES
        }
        result["datatrove"]["all_four"] = {
            "seconds": round(total, 2),
            "docs_per_s": round(len(texts) / total, 1),
        }
        result["speed_ratio"] = round(total / warm, 2)
        result["datatrove_run"] = (
            f"reused from {baseline['reused_from']}: an earlier run, not a same-run ratio"
            if "reused_from" in baseline
            else "this invocation"
        )
        agreement = {}
        for family in FAMILIES:
            theirs = baseline[family]["reasons"]
            mine = ours[family]
            differ = [
                i
                for i, (a, b) in enumerate(zip(mine, theirs, strict=True))
                if (a is None) != (b is None)
            ]
            agreement[family] = {
                "agreement": round(1 - len(differ) / len(texts), 4),
                "disagreements": len(differ),
                "kept_ours": sum(r is None for r in mine),
                "kept_datatrove": sum(r is None for r in theirs),
                "examples": [
                    {"id": docs[i]["id"], "ours": mine[i], "datatrove": theirs[i]}
                    for i in differ[: args.max_listed]
                ],
            }
        result["agreement"] = agreement
    result["language_id"] = language_accuracy(docs)
    result["language_mix"] = language_mix_report(docs)
    langs, scores = identify_languages(texts)
    result["presets"] = preset_report(signals, langs, scores.cast(pa.float32()))
    text = json.dumps(result, indent=2, sort_keys=True)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
