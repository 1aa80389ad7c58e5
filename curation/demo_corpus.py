"""Alias of `curation.demo`, the demo corpus generator (kept at the path the plan names)."""

from __future__ import annotations

from curation.demo import (
    DEMO_SOURCES,
    DEMO_SPEC_SECTIONS,
    DemoCorpus,
    DemoCorpusError,
    generate_demo_corpus,
)

__all__ = [
    "DEMO_SOURCES",
    "DEMO_SPEC_SECTIONS",
    "DemoCorpus",
    "DemoCorpusError",
    "generate_demo_corpus",
]
