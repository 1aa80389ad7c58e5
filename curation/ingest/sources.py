"""Source declarations: one entry of the dataset spec's `sources` list, validated up front."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from curation.config import build_config
from curation.exceptions import SpecError

SOURCE_ID = re.compile(r"[a-z0-9_-]+")


@dataclass(frozen=True)
class SourceConfig:
    """One document source.

    `path` is absolute once `load_sources` has resolved it against the spec's folder. Globs in
    `include` / `exclude` match the path relative to the source root (POSIX separators); a
    pattern without `/` matches the file name at any depth (gitignore style), `**` spans
    folders. `license` is the declared SPDX expression, validated by the licensing package.
    """

    id: str
    path: str
    type: Literal["folder", "parquet", "jsonl"] = "folder"
    include: tuple[str, ...] = ("**/*",)
    exclude: tuple[str, ...] = ()
    license: str = "NOASSERTION"
    license_manifest: dict[str, str] | None = None
    text_field: str = "text"
    id_field: str | None = None
    max_file_bytes: int = 50_000_000
    extract_timeout_s: float = 60.0

    def __post_init__(self) -> None:
        if not SOURCE_ID.fullmatch(self.id):
            raise SpecError("id", f"{self.id!r} must match [a-z0-9_-]+, e.g. `hr-policies`")
        if self.max_file_bytes <= 0:
            raise SpecError("max_file_bytes", "must be a positive number of bytes")
        if self.extract_timeout_s <= 0:
            raise SpecError("extract_timeout_s", "must be a positive number of seconds")

    @property
    def root(self) -> Path:
        return Path(self.path)


def load_sources(items: list[Any], base_dir: Path) -> tuple[SourceConfig, ...]:
    """Validate the spec's `sources` list; relative paths are resolved against `base_dir`.

    Errors name the key (`sources[2].path`) and say what to fix.

    Examples
    --------
    >>> import tempfile
    >>> base = Path(tempfile.mkdtemp())
    >>> (base / "docs").mkdir()
    >>> [s.id for s in load_sources([{"id": "hr", "path": "docs"}], base)]
    ['hr']
    """
    if not isinstance(items, list) or not items:
        raise SpecError("sources", "required: a list with at least one source (id, type, path)")
    seen: dict[str, int] = {}
    sources = []
    for index, item in enumerate(items):
        where = f"sources[{index}]"
        try:
            source = build_config(SourceConfig, item, where)
        except SpecError as error:
            if error.key in {"id", "max_file_bytes", "extract_timeout_s"}:
                raise SpecError(f"{where}.{error.key}", str(error).split(": ", 1)[1]) from error
            raise
        if source.id in seen:
            raise SpecError(
                f"{where}.id",
                f"duplicate source id {source.id!r} (also sources[{seen[source.id]}]): "
                "give every source its own id",
            )
        seen[source.id] = index
        path = Path(source.path).expanduser()
        if not path.is_absolute():
            path = Path(base_dir) / path
        path = path.resolve()
        if not path.exists():
            raise SpecError(
                f"{where}.path",
                f"source {source.id!r} path {path} does not exist: fix {where}.path in the spec "
                "(relative paths are resolved against the spec file's folder)",
            )
        if source.type == "folder" and not path.is_dir():
            raise SpecError(
                f"{where}.path",
                f"source {source.id!r} is type folder but {path} is not a folder: point "
                f"{where}.path at a folder or set {where}.type to parquet or jsonl",
            )
        sources.append(_replace_path(source, str(path)))
    return tuple(sources)


def _replace_path(source: SourceConfig, path: str) -> SourceConfig:
    import dataclasses

    return dataclasses.replace(source, path=path)
