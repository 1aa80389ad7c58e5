"""The demo corpus: a deterministic, fictional enterprise file share with known ground truth.

`generate_demo_corpus(root, seed=7)` writes a few hundred documents (policies in revisions,
engineering docs, intranet HTML, e-mails, PDF/DOCX reports, plus junk, copies, corrupt and
unsupported files) and a dataset spec, and returns a `DemoCorpus` naming what a correct
pipeline must find. Only this module's submodules know the templates; everything else uses
the returned ground truth.
"""

from __future__ import annotations

from curation.demo.corpus import DemoCorpus, generate_demo_corpus
from curation.demo.exceptions import DemoCorpusError
from curation.demo.spec import DEMO_SOURCES, DEMO_SPEC_SECTIONS, render_spec, spec_mapping

__all__ = [
    "DEMO_SOURCES",
    "DEMO_SPEC_SECTIONS",
    "DemoCorpus",
    "DemoCorpusError",
    "generate_demo_corpus",
    "render_spec",
    "spec_mapping",
]
