"""The dataset spec: one declarative YAML (or TOML) file per dataset, validated up front.

Each section is handed to the config class of the package that owns the stage, so a section's
format lives next to the code that uses it, and every error names the offending key
(`sources[2].path: ...`). The spec's fingerprint (a hash of the validated configs, not of the
file's bytes) goes into every version's snapshot properties.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from curation.config import build_config, fingerprint
from curation.exceptions import SpecError

if TYPE_CHECKING:
    from curation.dedup.config import DedupConfig
    from curation.ingest.sources import SourceConfig
    from curation.pii.config import PiiConfig
    from filters.config import QualityConfig
    from licensing.policy import LicensePolicy

Config = TypeVar("Config")

TOP_LEVEL_KEYS = ("name", "output", "sources", "license", "quality", "dedup", "pii", "runner")


@dataclass(frozen=True)
class OutputConfig:
    """Where the version goes: `namespace.table`, optional version name and catalog location."""

    table: str = ""
    version: str | None = None
    catalog_uri: str | None = None
    warehouse: str | None = None


@dataclass(frozen=True)
class RunnerConfig:
    """How tasks run: threads on this machine (default), a local Dask cluster, or an existing one.

    `workers`: threads, or the LocalCluster's processes; with `address`, how many workers the
    existing cluster has. Either way it sizes the chunks of batches each task takes (a few
    tasks per worker), so a number below the cluster's leaves workers idle.
    """

    type: str = "threads"
    workers: int = 2
    address: str | None = None
    batch_size: int = 256

    def __post_init__(self) -> None:
        if self.type not in ("threads", "dask"):
            raise ValueError(f"runner.type must be 'threads' or 'dask', got {self.type!r}")


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    path: Path
    output: OutputConfig
    sources: tuple[SourceConfig, ...]
    license: LicensePolicy
    quality: QualityConfig
    dedup: DedupConfig
    pii: PiiConfig
    runner: RunnerConfig

    @property
    def table_name(self) -> str:
        return self.output.table or f"curated.{self.name.replace('-', '_')}"

    @property
    def fingerprint(self) -> str:
        parts = {
            "name": self.name,
            "output": dataclasses.asdict(self.output),
            "sources": [dataclasses.asdict(s) for s in self.sources],
            "license": dataclasses.asdict(self.license),
            "quality": dataclasses.asdict(self.quality),
            "dedup": dataclasses.asdict(self.dedup),
            "pii": dataclasses.asdict(self.pii),
        }
        return fingerprint(parts)


def read_spec_mapping(path: Path) -> dict[str, Any]:
    """Parse a YAML or TOML spec file into a mapping, with a clear error for bad syntax."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(
            "", f"spec file {path} does not exist: create one with `curate init {path}`"
        )
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as error:
        raise SpecError(
            "", f"{path} is not valid {'TOML' if path.suffix == '.toml' else 'YAML'}: {error}"
        ) from error
    if not isinstance(data, dict):
        raise SpecError("", f"{path} must contain a mapping with keys {', '.join(TOP_LEVEL_KEYS)}")
    return data


def read_spec_section(path: str | Path | None, key: str) -> dict[str, Any]:
    """The raw mapping of one section of a spec file (empty without a file or section).

    The file may be a whole dataset spec or hold just that section's mapping, so the commands
    that try one stage accept either.
    """
    if path is None:
        return {}
    data = read_spec_mapping(Path(path))
    if key in data:
        section = data[key]
    elif "sources" in data or "name" in data:
        section = None  # a dataset spec without this section: its defaults
    else:
        section = data
    if section is not None and not isinstance(section, dict):
        raise SpecError(key, f"must be a mapping in {path}")
    return dict(section or {})


def load_spec_section(path: str | Path | None, key: str, config_class: type[Config]) -> Config:
    """One section of a spec file as its config class (defaults without a file), validated
    with errors that name the offending key."""
    return build_config(config_class, read_spec_section(path, key) or None, key)


def load_spec(path: str | Path) -> DatasetSpec:
    """Load and validate a dataset spec; raises SpecError naming the offending key."""
    from curation.dedup.config import DedupConfig
    from curation.ingest.sources import load_sources
    from curation.pii.config import PiiConfig
    from filters.config import QualityConfig
    from licensing.policy import LicensePolicy

    path = Path(path).resolve()
    data = read_spec_mapping(path)
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise SpecError(
                str(key), f"unknown top-level key; expected one of: {', '.join(TOP_LEVEL_KEYS)}"
            )
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SpecError("name", "required: a short dataset name such as `hr-policies`")
    sources_data = data.get("sources")
    if not isinstance(sources_data, list) or not sources_data:
        raise SpecError(
            "sources", "required: a list with at least one source (id, type, path, license)"
        )
    license_policy = build_config(LicensePolicy, data.get("license"), "license")
    sources = load_sources(sources_data, path.parent)
    _validate_declared_licenses(sources, license_policy)
    return DatasetSpec(
        name=name,
        path=path,
        output=build_config(OutputConfig, data.get("output"), "output"),
        sources=sources,
        license=license_policy,
        quality=build_config(QualityConfig, data.get("quality"), "quality"),
        dedup=build_config(DedupConfig, data.get("dedup"), "dedup"),
        pii=build_config(PiiConfig, data.get("pii"), "pii"),
        runner=build_config(RunnerConfig, data.get("runner"), "runner"),
    )


def _validate_declared_licenses(sources: tuple[SourceConfig, ...], policy: LicensePolicy) -> None:
    """Invalid SPDX in a source's declared license is a spec error, named by its key."""
    from licensing.expressions import validate_spdx
    from licensing.manifests import validate_manifest

    declared_refs = getattr(policy, "declared_refs", None) or {}
    for index, source in enumerate(sources):
        validate_spdx(source.license, f"sources[{index}].license", declared_refs=declared_refs)
        if source.license_manifest:
            validate_manifest(
                source.license_manifest,
                f"sources[{index}].license_manifest",
                declared_refs=declared_refs,
            )
