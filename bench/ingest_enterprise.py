"""Ingest the whole ../shared/data/enterprise share (one source per top-level folder); print JSON.

Usage: .venv/bin/python bench/ingest_enterprise.py [--workers 2] [--batch-size 256]
Not a test: it takes about a minute on two cores. Reports wall time, throughput and the count
of documents and quarantined files by reason, overall and per source.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from curation.ingest.report import scan_source  # noqa: E402
from curation.ingest.sources import load_sources  # noqa: E402
from curation.offline import enforce_offline  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--root", type=Path, default=REPO.parent / "shared" / "data" / "enterprise")
    args = parser.parse_args()
    enforce_offline()
    root = args.root.resolve()
    if not root.is_dir():
        sys.exit(f"the enterprise share is not at {root}")
    folders = sorted(p.name for p in root.iterdir() if p.is_dir())
    sources = load_sources([{"id": name, "path": name} for name in folders], root)
    started = time.perf_counter()
    per_source = {}
    totals = {"inputs": 0, "documents": 0, "quarantined": 0, "text_chars": 0}
    by_reason: dict[str, int] = {}
    by_extractor: dict[str, int] = {}
    for source in sources:
        t0 = time.perf_counter()
        report = scan_source(
            source, run_id="bench", workers=args.workers, batch_size=args.batch_size
        )
        result = report.as_dict()
        result["seconds"] = round(time.perf_counter() - t0, 2)
        per_source[source.id] = result
        for key in totals:
            totals[key] += result[key]
        for reason, count in report.by_reason.items():
            by_reason[reason] = by_reason.get(reason, 0) + count
        for extractor, count in report.by_extractor.items():
            by_extractor[extractor] = by_extractor.get(extractor, 0) + count
    wall = time.perf_counter() - started
    print(
        json.dumps(
            {
                "benchmark": "ingest_enterprise",
                "workers": args.workers,
                "batch_size": args.batch_size,
                "wall_seconds": round(wall, 2),
                "files_per_second": round(totals["inputs"] / wall, 1),
                **totals,
                "by_reason": dict(sorted(by_reason.items(), key=lambda kv: -kv[1])),
                "by_extractor": dict(sorted(by_extractor.items(), key=lambda kv: -kv[1])),
                "per_source": per_source,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
