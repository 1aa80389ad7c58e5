"""Resolve the license of files on disk without a run: what `curate license PATH...` reports.

Each PATH is treated as one source: a folder is its root (so its `LICENSES.csv`,
`<file>.license` and companion documents are found), a single file's root is its folder.
`default` plays the source's declared license. Files are read with the ingest extractors
(PDF, DOCX, HTML ... with their properties); a file that cannot be extracted is still reported,
licensed by its manifest or the default, with the extraction error. Sidecar manifests
themselves (`LICENSES.csv`, `LICENSES.json`, `*.license`) are license metadata, not documents,
and are not listed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from curation.exceptions import ExtractionError
from curation.schema import conform, make_doc_id
from licensing.exceptions import LicensingError
from licensing.expressions import validate_spdx
from licensing.manifests import LICENSE_SUFFIX, SIDECAR_NAMES
from licensing.policy import LicensePolicy
from licensing.resolve import resolve_licenses

# Read as plain text when the ingest extractors are not installed.
_TEXT_SUFFIXES = {".txt", ".md", ".rst", ".html", ".htm", ".csv", ".json", ".yaml", ".yml", ""}


@dataclass(frozen=True)
class FileLicense:
    """The resolved license of one file, with its evidence and attribution facts."""

    path: str
    spdx: str
    evidence: str
    confidence: float
    category: str
    requires_attribution: bool
    copyright: str | None = None
    statement: str | None = None
    conflicts: list[dict[str, str]] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _files(path: Path) -> tuple[Path, list[tuple[str, str | None]]]:
    """(root, [(relative path, refusal)]) of one PATH argument, sidecar manifests left out.

    Folders are walked like a folder source: symlinks out of the folder and special files are
    listed with the reason they are not read, never followed.
    """
    if path.is_dir():
        from curation.ingest.folder import walk_folder

        entries = [(e.relative_path, e.message) for e in walk_folder(path, ("**/*",), ())]
        root = path
    elif path.is_file():
        root, entries = path.parent, [(path.name, None)]
    else:
        raise LicensingError(f"{path} does not exist: give files or folders to report on")
    keep = [
        (r, refused)
        for r, refused in entries
        if Path(r).name not in SIDECAR_NAMES and not r.endswith(LICENSE_SUFFIX)
    ]
    return root, keep


def _extract(path: Path) -> tuple[str | None, str | None, str | None, str | None, str | None]:
    """(text, metadata_json, title, author, error) of one file."""
    try:
        from curation.ingest import extract_file
    except ImportError:  # the ingest extractors are optional for this command
        extract_file = None
    if extract_file is None:
        if path.suffix.lower() not in _TEXT_SUFFIXES:
            return None, None, None, None, "no extractor for this format"
        return path.read_text(encoding="utf-8", errors="replace"), None, None, None, None
    try:
        found = extract_file(path)
    except ExtractionError as error:
        return None, None, None, None, str(error)
    metadata = json.dumps(found.metadata, default=str, sort_keys=True) if found.metadata else None
    return found.text, metadata, found.title, found.author, None


def license_report(
    paths: Sequence[Path],
    *,
    default: str = "NOASSERTION",
    policy: LicensePolicy | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[FileLicense]:
    """The resolved license of every file under `paths`, in path order.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "a.md").write_text("This document is licensed under CC-BY-4.0.\\n")
    ...     [(r.spdx, r.evidence) for r in license_report([Path(folder)], default="MIT")]
    [('CC-BY-4.0', 'notice')]
    """
    refs = policy.declared_refs if policy else {}
    declared = validate_spdx(default, "--default", declared_refs=refs)
    sources = [_files(Path(p)) for p in paths]
    total = sum(len(rel) for _, rel in sources)
    columns: dict[str, list[Any]] = {
        k: []
        for k in (
            "doc_id",
            "source_id",
            "source_uri",
            "relative_path",
            "text",
            "metadata_json",
            "title",
            "author",
        )
    }
    shown: list[str] = []
    errors: list[str | None] = []
    done = 0
    for index, ((root, relative), given) in enumerate(zip(sources, paths, strict=True)):
        source_id = f"path{index}"
        for rel, refused in relative:
            full = root / rel
            if refused:
                text, metadata, title, author, error = None, None, None, None, refused
            else:
                text, metadata, title, author, error = _extract(full)
            columns["doc_id"].append(make_doc_id(source_id, rel))
            columns["source_id"].append(source_id)
            columns["source_uri"].append(full.absolute().as_uri())
            columns["relative_path"].append(rel)
            columns["text"].append(text)
            columns["metadata_json"].append(metadata)
            columns["title"].append(title)
            columns["author"].append(author)
            shown.append(str(Path(given) / rel) if Path(given).is_dir() else str(given))
            errors.append(error)
            done += 1
            if progress is not None:
                progress(done, total)
    if not shown:
        return []
    table = conform(pa.table(columns))
    resolved = resolve_licenses(
        table,
        declared={f"path{i}": declared for i in range(len(paths))},
        source_roots={f"path{i}": root for i, (root, _) in enumerate(sources)},
        policy=policy,
    )
    out = []
    for path, error, row in zip(shown, errors, resolved.to_pylist(), strict=True):
        facts = json.loads(row["attribution"])
        out.append(
            FileLicense(
                path=path,
                spdx=row["spdx"],
                evidence=row["license_evidence"],
                confidence=round(float(row["license_confidence"]), 2),
                category=row["license_category"],
                requires_attribution=bool(facts.get("requires_attribution")),
                copyright=facts.get("copyright"),
                statement=facts.get("statement")
                or facts.get("manifest")
                or facts.get("inherited_from"),
                conflicts=facts.get("conflicts") or [],
                error=error,
            )
        )
    return out
