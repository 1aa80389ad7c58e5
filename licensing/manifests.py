"""License manifests: path patterns mapped to SPDX, from the spec or from files beside the data.

Three forms, all resolved per document path (source-relative, POSIX):

- **spec**: `manifests[source_id] = {glob: spdx}` from the dataset spec.
- **`LICENSES.csv` / `LICENSES.json`** in any folder of a source. CSV columns: `path` (a glob
  relative to the manifest's folder), `spdx`, optional `copyright`. JSON: an object
  `{glob: spdx}` or a list of `{"path", "spdx", "copyright"?}` objects. A manifest covers its
  folder and everything below it.
- **`<file>.license`** beside a file (the REUSE convention): `SPDX-License-Identifier:` lines
  (several are combined with AND, as REUSE does) and `SPDX-FileCopyrightText:` lines.

Precedence: a `<file>.license` beats folder manifests, a deeper folder's manifest beats a
shallower one, folder manifests beat spec globs (they sit with the data and travel with it),
and within one manifest the last matching pattern wins (as in .gitattributes). Globs follow
the ingest globs: `**` spans folders, `*` stays in one segment, a pattern without `/` matches
the file name at any depth.

Manifests are read-only inputs from a source: never followed through symlinks or out of the
source root, and capped in size. A bad row is skipped with a warning, never a crash.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import polars as pl

from curation.ingest.globs import glob_to_regex
from licensing.exceptions import LicenseExpressionError, ManifestError
from licensing.expressions import normalize_spdx, validate_spdx

log = logging.getLogger(__name__)

SIDECAR_NAMES = ("LICENSES.csv", "LICENSES.json")
LICENSE_SUFFIX = ".license"
MAX_MANIFEST_BYTES = 1_000_000


@dataclass(frozen=True)
class ManifestRule:
    """One pattern -> license rule; `origin` says where it came from (for attribution)."""

    regex: str
    spdx: str
    origin: str
    copyright: str | None = None


def spec_rules(
    source_id: str, patterns: Mapping[str, str], *, declared_refs: Iterable[str] = ()
) -> list[ManifestRule]:
    """Rules from the spec's `{glob: spdx}` for one source; invalid SPDX raises ManifestError."""
    rules = []
    for pattern, spdx in patterns.items():
        try:
            normalized = normalize_spdx(spdx, declared_refs=tuple(declared_refs))
        except LicenseExpressionError as error:
            raise ManifestError(
                f"license manifest of source {source_id!r}, pattern {pattern!r}: {error}"
            ) from error
        rules.append(ManifestRule(glob_to_regex(pattern), normalized, f"spec:{source_id}"))
    return rules


def validate_manifest(
    patterns: Mapping[str, str] | None, where: str, *, declared_refs: Iterable[str] = ()
) -> dict[str, str]:
    """Normalize a spec's `{glob: spdx}`, raising SpecError naming `where.<glob>` when invalid.

    Examples
    --------
    >>> validate_manifest({"docs/**": "cc-by-4.0"}, "sources[0].license_manifest")
    {'docs/**': 'CC-BY-4.0'}
    >>> validate_manifest({"*.md": "CC-BY-9"}, "sources[0].license_manifest")
    Traceback (most recent call last):
    ...
    curation.exceptions.SpecError: sources[0].license_manifest.*.md: unknown license id(s) CC-BY-9 in 'CC-BY-9': use an id from https://spdx.org/licenses/ or a declared LicenseRef-
    """
    return {
        pattern: validate_spdx(spdx, f"{where}.{pattern}", declared_refs=tuple(declared_refs))
        for pattern, spdx in (patterns or {}).items()
    }


def _read_small(root: Path, relative: PurePosixPath) -> str | None:
    """Text of a manifest inside `root`, or None if absent, a symlink, outside or too big."""
    path = root / relative
    try:
        if path.is_symlink() or not path.is_file():
            return None
        if not path.resolve().is_relative_to(root.resolve()):
            return None
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            log.warning(
                "license manifest %s is over %d bytes: ignored", relative, MAX_MANIFEST_BYTES
            )
            return None
        return path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as error:
        log.warning("license manifest %s unreadable (%s): ignored", relative, error)
        return None


def _folder_rules(
    folder: PurePosixPath, name: str, text: str, refs: tuple[str, ...]
) -> list[ManifestRule]:
    origin = str(folder / name) if str(folder) != "." else name
    entries: list[tuple[str, str, str | None]] = []
    try:
        if name.endswith(".csv"):
            for row in csv.DictReader(io.StringIO(text)):
                entries.append((row.get("path") or "", row.get("spdx") or "", row.get("copyright")))
        else:
            data = json.loads(text)
            if isinstance(data, Mapping):
                entries = [(str(k), str(v), None) for k, v in data.items()]
            elif isinstance(data, list):
                entries = [
                    (str(e.get("path", "")), str(e.get("spdx", "")), e.get("copyright"))
                    for e in data
                    if isinstance(e, Mapping)
                ]
    except (csv.Error, json.JSONDecodeError) as error:
        log.warning("license manifest %s cannot be parsed (%s): ignored", origin, error)
        return []
    prefix = "" if str(folder) == "." else _escape(str(folder)) + "/"
    rules = []
    for pattern, spdx, copyright_line in entries:
        if not pattern.strip() or ".." in PurePosixPath(pattern).parts:
            continue
        try:
            normalized = normalize_spdx(spdx, declared_refs=refs)
        except LicenseExpressionError as error:
            log.warning("license manifest %s, pattern %r skipped: %s", origin, pattern, error)
            continue
        rules.append(
            ManifestRule(prefix + glob_to_regex(pattern), normalized, origin, copyright_line)
        )
    return rules


def _escape(text: str) -> str:
    """Escape a literal path for the regex dialects of both `re` and polars (Rust)."""
    return "".join(f"\\{c}" if c in r"\.+*?()|[]{}^$#&-~" else c for c in text)


def sidecar_rules(
    root: Path, paths: Iterable[str], *, declared_refs: Iterable[str] = ()
) -> list[ManifestRule]:
    """Folder manifests that cover any of `paths`, shallow first (so deeper ones win)."""
    refs = tuple(declared_refs)
    folders: set[PurePosixPath] = set()
    for path in paths:
        folders.update(PurePosixPath(path).parents)
    rules: list[ManifestRule] = []
    for folder in sorted(folders, key=lambda f: (len(f.parts), str(f))):
        if ".." in folder.parts or folder.is_absolute():
            continue
        for name in SIDECAR_NAMES:
            text = _read_small(root, folder / name)
            if text is not None:
                rules.extend(_folder_rules(folder, name, text, refs))
    return rules


def read_license_file(
    text: str, *, declared_refs: Iterable[str] = ()
) -> tuple[str | None, str | None]:
    """(SPDX, copyright) of a REUSE `.license` file; SPDX None when absent or invalid.

    Examples
    --------
    >>> read_license_file("SPDX-FileCopyrightText: 2024 Jane Roe\\nSPDX-License-Identifier: cc-by-4.0\\n")
    ('CC-BY-4.0', '2024 Jane Roe')
    """
    ids, holders = [], []
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "SPDX-License-Identifier" and value.strip():
            ids.append(value.strip())
        elif key.strip() == "SPDX-FileCopyrightText" and value.strip():
            holders.append(value.strip())
    spdx = None
    if ids:
        combined = " AND ".join(f"({i})" if len(ids) > 1 else i for i in ids)
        try:
            spdx = normalize_spdx(combined, declared_refs=tuple(declared_refs))
        except LicenseExpressionError as error:
            log.warning("invalid SPDX in .license file skipped: %s", error)
    return spdx, "; ".join(holders) or None


def license_files(
    root: Path, paths: Sequence[str | None], *, declared_refs: Iterable[str] = ()
) -> tuple[list[str | None], list[str | None]]:
    """SPDX and copyright from `<path>.license` beside each file (None where there is none)."""
    spdx: list[str | None] = []
    holders: list[str | None] = []
    for path in paths:
        text = None
        if path and ".." not in PurePosixPath(path).parts and not PurePosixPath(path).is_absolute():
            text = _read_small(root, PurePosixPath(path + LICENSE_SUFFIX))
        found = read_license_file(text, declared_refs=declared_refs) if text else (None, None)
        spdx.append(found[0])
        holders.append(found[1])
    return spdx, holders


def match_rules(paths: pl.Series, rules: Sequence[ManifestRule]) -> pl.DataFrame:
    """Winning rule per path (last match wins): columns spdx, origin, copyright (null if none).

    Examples
    --------
    >>> rules = spec_rules("s", {"**/*.md": "CC-BY-4.0", "legal/*": "CC0-1.0"})
    >>> match_rules(pl.Series(["a/b.md", "legal/x.md", "c.txt"]), rules)["spdx"].to_list()
    ['CC-BY-4.0', 'CC0-1.0', None]
    """
    frame = pl.DataFrame({"path": paths.cast(pl.String)})
    if not rules:
        return pl.DataFrame(
            {
                "spdx": [None] * len(paths),
                "origin": [None] * len(paths),
                "copyright": [None] * len(paths),
            },
            schema={"spdx": pl.String, "origin": pl.String, "copyright": pl.String},
        )
    winner = pl.coalesce(
        [
            pl.when(pl.col("path").str.contains(f"^(?:{rule.regex})$")).then(pl.lit(i, pl.Int32))
            for i, rule in reversed(list(enumerate(rules)))
        ]
    )
    index = frame.select(winner.alias("rule"))["rule"]
    lookup = pl.DataFrame(
        {
            "rule": pl.Series(range(len(rules)), dtype=pl.Int32),
            "spdx": [r.spdx for r in rules],
            "origin": [r.origin for r in rules],
            "copyright": pl.Series([r.copyright for r in rules], dtype=pl.String),
        }
    )
    return index.to_frame().join(lookup, on="rule", how="left", maintain_order="left").drop("rule")
