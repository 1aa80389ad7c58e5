"""`generate_demo_corpus`: write the demo share and its spec, return the ground truth.

A pure function of (root, seed): same seed, same bytes and same mtimes, no clock and no
network. Tests and the demo use the returned `DemoCorpus` to check what the pipeline should
find (PII values, near-duplicate groups, files that must be quarantined).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curation.demo.engineering import build_engineering
from curation.demo.exceptions import DemoCorpusError
from curation.demo.knowledge_base import build_knowledge_base
from curation.demo.mail import build_mail
from curation.demo.plan import ALL_EMAILS, ALL_IBANS, ALL_NAMES, ALL_PHONES, EPOCH_END, Plan
from curation.demo.policies import build_policies
from curation.demo.reports import build_reports
from curation.demo.spec import DEMO_SOURCES, render_spec

GENERATOR_VERSION = "1"
CORPUS_FOLDER = "corpus"
SPEC_NAME = "demo.yaml"
MARKER_NAME = ".demo-corpus.json"


@dataclass(frozen=True)
class DemoCorpus:
    """What was generated and what a correct pipeline must find in it.

    Every path in the ground truth is relative to `corpus_dir` and starts with the source id
    (`policies/hr/annual-leave-policy-v1.md`), so `path.split("/", 1)` gives the source and
    the path inside the source.
    """

    root: Path
    spec_path: Path
    corpus_dir: Path
    seed: int
    files: tuple[str, ...]
    seeded_emails: tuple[str, ...]
    seeded_phones: tuple[str, ...]
    seeded_ibans: tuple[str, ...]
    seeded_names: tuple[str, ...]
    near_duplicate_groups: tuple[tuple[str, ...], ...]
    exact_duplicate_groups: tuple[tuple[str, ...], ...]
    corrupt_files: tuple[str, ...]
    unsupported_files: tuple[str, ...]
    non_english_files: tuple[str, ...]
    junk_files: tuple[str, ...]
    expected_license_by_source: dict[str, str]
    expected_license_overrides: dict[str, str] = field(default_factory=dict)
    languages: dict[str, str] = field(default_factory=dict)

    def path(self, relative: str) -> Path:
        """Absolute path of a ground-truth entry."""
        return self.corpus_dir / relative

    def as_dict(self) -> dict[str, Any]:
        """The ground truth as JSON-able values (paths as strings), plus counts per source and
        per file extension, for `--json` output and audit notes."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = str(value) if isinstance(value, Path) else value
        out["counts"] = {
            "files": len(self.files),
            "by_source": dict(sorted(Counter(r.split("/", 1)[0] for r in self.files).items())),
            "by_extension": dict(
                sorted(Counter(Path(r).suffix or "(none)" for r in self.files).items())
            ),
        }
        return json.loads(json.dumps(out))  # tuples become lists, as a JSON reader sees them

    def locate(self, relative: str) -> tuple[str, str]:
        """(source id, path inside the source): the pair ingest records as `source_id` and
        `relative_path`."""
        source, inside = relative.split("/", 1)
        return source, inside

    def expected_license(self, relative: str) -> str:
        """The SPDX expression a license stage should assign to one file."""
        return self.expected_license_overrides.get(
            relative, self.expected_license_by_source[relative.split("/", 1)[0]]
        )


def build_plan(seed: int) -> Plan:
    """Every file of the corpus in memory, in a fixed order."""
    plan = Plan()
    build_policies(plan, seed)
    build_engineering(plan, seed)
    build_knowledge_base(plan, seed)
    build_mail(plan, seed)
    build_reports(plan, seed)
    return plan


def _found(values: tuple[str, ...], texts: list[str]) -> tuple[str, ...]:
    """The values that really occur in some file's text, in list order."""
    return tuple(value for value in values if any(value in text for text in texts))


def _check_root(root: Path) -> Path:
    """The corpus folder, after refusing to replace anything this generator did not write."""
    corpus = root / CORPUS_FOLDER
    if (root / MARKER_NAME).is_file():
        return corpus
    for ours in (corpus, root / SPEC_NAME):
        if ours.exists():
            raise DemoCorpusError(
                f"{ours} exists and was not written by the demo generator: "
                "choose an empty folder for the demo corpus or remove it first"
            )
    return corpus


def generate_demo_corpus(root: Path, *, seed: int = 7) -> DemoCorpus:
    """Write the demo share under `root/corpus`, its spec at `root/demo.yaml`, and describe it.

    Regenerating into the same root replaces the previous demo corpus (and only that).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     corpus = generate_demo_corpus(Path(tmp))
    ...     print(corpus.spec_path.name, 250 <= len(corpus.files) <= 400)
    ...     print(corpus.expected_license("engineering/vendor/retry-backoff/README.md"))
    demo.yaml True
    MIT
    """
    root = Path(root)
    corpus = _check_root(root)
    plan = build_plan(seed)
    if corpus.exists():
        shutil.rmtree(corpus)
    folders: set[Path] = set()
    for planned in plan.files:
        target = corpus / planned.rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(planned.data)
        stamp = planned.mtime.timestamp()
        os.utime(target, (stamp, stamp))
        folders.update(p for p in target.parents if corpus in p.parents or p == corpus)
    # Folders get the corpus's last date too, deepest first, so a listing is reproducible.
    stamp = EPOCH_END.timestamp()
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        os.utime(folder, (stamp, stamp))
    spec_path = root / SPEC_NAME
    spec_path.write_text(render_spec(CORPUS_FOLDER), encoding="utf-8")
    (root / MARKER_NAME).write_text(
        json.dumps({"generator": "curation.demo", "version": GENERATOR_VERSION, "seed": seed})
        + "\n",
        encoding="utf-8",
    )
    texts = [f.text for f in plan.files]
    return DemoCorpus(
        root=root,
        spec_path=spec_path,
        corpus_dir=corpus,
        seed=seed,
        files=tuple(sorted(f.rel for f in plan.files)),
        seeded_emails=_found(ALL_EMAILS, texts),
        seeded_phones=_found(ALL_PHONES, texts),
        seeded_ibans=_found(ALL_IBANS, texts),
        seeded_names=_found(ALL_NAMES, texts),
        near_duplicate_groups=tuple(plan.near_duplicate_groups),
        exact_duplicate_groups=tuple(plan.exact_duplicate_groups),
        corrupt_files=tuple(plan.corrupt),
        unsupported_files=tuple(plan.unsupported),
        non_english_files=tuple(plan.languages),
        junk_files=tuple(plan.junk),
        expected_license_by_source={s.id: s.license for s in DEMO_SOURCES},
        expected_license_overrides=dict(plan.license_overrides),
        languages=dict(plan.languages),
    )
