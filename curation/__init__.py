"""sovereign-curate: enterprise documents to versioned, licensed, PII-free training sets.

`curation.run(spec, workspace=...)` runs a dataset spec end to end and returns its
`RunSummary`; the stage contract is in `curation/stage.py`, each stage in its own package.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from catalogs.commit import RunSummary
    from curation.spec import DatasetSpec
    from curation.workspace import Workspace
    from flows.run import OnProgress


def run(
    spec: DatasetSpec | str | Path,
    *,
    workspace: Workspace | str | Path | None = None,
    incremental: bool = False,
    version: str | None = None,
    on_progress: OnProgress | None = None,
    resume: bool = False,
    verify: bool = False,
) -> RunSummary:
    """Run `spec` (a loaded spec or its YAML/TOML file) and commit a new version.

    The same call as `curate run`; see `flows.run.run_spec` for the arguments.
    """
    from flows.run import run_spec

    return run_spec(
        spec,
        workspace=workspace,
        incremental=incremental,
        version=version,
        on_progress=on_progress,
        resume=resume,
        verify=verify,
    )
