"""The workspace: one folder holding the catalog database, warehouse, run state and models.

Every command finds it without flags: `--workspace` wins, then `$CURATE_WORKSPACE`, then
`~/.local/share/curate` (or `$XDG_DATA_HOME/curate`). So the demo's result is what a following
`curate catalog list` shows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "CURATE_WORKSPACE"


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def catalog_db(self) -> Path:
        return self.root / "catalog.db"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def indexes(self) -> Path:
        """Persistent side indexes (dedup signatures) keyed by table name."""
        return self.root / "indexes"

    @property
    def prefect_home(self) -> Path:
        return self.root / "prefect"

    def ensure(self) -> Workspace:
        for path in (
            self.root,
            self.warehouse,
            self.runs,
            self.models,
            self.indexes,
            self.prefect_home,
        ):
            path.mkdir(parents=True, exist_ok=True)
        return self


def default_workspace_root() -> Path:
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "curate"


def resolve_workspace(option: str | os.PathLike[str] | None = None) -> Workspace:
    """The workspace chosen by `--workspace`, else `$CURATE_WORKSPACE`, else the default."""
    if option:
        root = Path(option)
    elif os.environ.get(ENV_VAR):
        root = Path(os.environ[ENV_VAR])
    else:
        root = default_workspace_root()
    return Workspace(root.expanduser().resolve())
