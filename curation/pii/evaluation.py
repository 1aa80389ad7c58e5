"""The development/test split of the PII evaluation corpora, fixed by a hash of the document id.

Detection rules, cue words and lexicons are tuned on the development half only; benchmarks report
the test half. The split must not depend on anything a tuner could move (order, counts, seeds):
a document's half is a pure function of its id. Sentences of the synthetic presidio-research set
are generated from templates, so their id is the template (`template-87`): every sentence of a
template lands in the same half and a pattern fitted to a development template cannot score on
the test half. E-mail threads of emailcoref use their own `doc_id`.

Examples
--------
>>> corpus_half("allen_p_1"), corpus_half("template-1")
('test', 'dev')
>>> sorted({corpus_half(f"doc-{i}") for i in range(20)})
['dev', 'test']
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Half = Literal["dev", "test"]


def corpus_half(doc_id: str) -> Half:
    """`dev` or `test` for a document id: the low bit of its SHA-256."""
    return "test" if hashlib.sha256(doc_id.encode("utf-8")).digest()[-1] & 1 else "dev"


@dataclass(frozen=True)
class GoldDocument:
    """One labelled text: `spans` are (start, end, label, mention_kind) character spans."""

    doc_id: str
    text: str
    spans: tuple[tuple[int, int, str, str], ...]


def presidio_research(path: Path, half: Half | None = None) -> Iterator[GoldDocument]:
    """Sentences of presidio-research's `synth_dataset_v2.json` (labels: `entity_type`)."""
    rows = json.loads(Path(path).read_text(encoding="utf-8"))
    for index, row in enumerate(rows):
        doc_id = f"template-{row['template_id']}"
        if half is not None and corpus_half(doc_id) != half:
            continue
        spans = tuple(
            (s["start_position"], s["end_position"], s["entity_type"], "") for s in row["spans"]
        )
        yield GoldDocument(f"{doc_id}/{index}", row["full_text"], spans)


def emailcoref(path: Path, half: Half | None = None) -> Iterator[GoldDocument]:
    """Threads of emailcoref's `spans.jsonl` (labels PERSON/ORG/LOC/DIGITAL_ENTITY)."""
    with Path(path).open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if half is not None and corpus_half(row["doc_id"]) != half:
                continue
            spans = tuple(
                (s["start"], s["end"], s["label"], s.get("mention_kind", "")) for s in row["spans"]
            )
            yield GoldDocument(row["doc_id"], row["text"], spans)
