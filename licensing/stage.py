"""The license stage: resolve each document's license, then gate it by the policy.

Resolution annotates the batch (`spdx`, `license_evidence`, `license_confidence`,
`license_category`, `attribution`); the gate (`licensing.gate`) decides kept, dropped
(`license.denied`) or quarantined (`license.unknown`) from the resolved expression.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import pyarrow as pa

from curation.schema import conform
from curation.stage import Scope, Stage, StageOutput
from licensing.gate import gate_licenses
from licensing.policy import LicensePolicy
from licensing.resolve import resolve_licenses

if TYPE_CHECKING:
    from curation.ingest.sources import SourceConfig


@dataclass(frozen=True)
class LicenseStage:
    """Resolve and gate licenses under `policy`, with each source's declared license.

    Examples
    --------
    >>> batch = conform(pa.table({"doc_id": ["a"], "source_id": ["s"], "source_uri": ["file:///a"],
    ...                           "text": ["plain text"]}))
    >>> stage = LicenseStage(LicensePolicy(), declared={"s": "MIT"})
    >>> out = stage.process(batch)
    >>> out.table.column("spdx").to_pylist(), out.decision.decision.to_pylist()
    (['MIT'], ['kept'])
    """

    name: ClassVar[Stage] = Stage.LICENSE
    scope: ClassVar[Scope] = Scope.BATCH

    policy: LicensePolicy
    declared: Mapping[str, str] = field(default_factory=dict)
    manifests: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    source_roots: Mapping[str, Path] = field(default_factory=dict)

    @classmethod
    def for_sources(cls, policy: LicensePolicy, sources: tuple[SourceConfig, ...]) -> LicenseStage:
        """The stage for a spec: declared licenses, manifests and folder roots per source id."""
        return cls(
            policy,
            declared={s.id: s.license for s in sources},
            manifests={s.id: s.license_manifest for s in sources if s.license_manifest},
            source_roots={
                s.id: Path(s.path) for s in sources if getattr(s, "type", "folder") == "folder"
            },
        )

    def process(self, table: pa.Table) -> StageOutput:
        resolved = conform(
            resolve_licenses(
                table,
                declared=self.declared,
                manifests=self.manifests,
                source_roots=self.source_roots,
                policy=self.policy,
            )
        )
        return StageOutput(resolved, gate_licenses(resolved, self.policy))
