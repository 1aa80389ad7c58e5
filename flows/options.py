"""What every `curate` command shares: the workspace and JSON options, errors, JSON output.

Errors a user can cause are domain exceptions (`CurationError`); a command turns one into a
single line on stderr that names the problem and its fix, and exit code 2. `--json` prints
exactly one JSON value on stdout, so a script can parse it while progress goes to stderr.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from curation.exceptions import CurationError
from curation.workspace import Workspace, resolve_workspace

if TYPE_CHECKING:
    from collections.abc import Callable

stderr = Console(stderr=True)

WorkspaceOption = Annotated[
    str | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder (catalog, warehouse, runs, models). Default: $CURATE_WORKSPACE, "
        "else ~/.local/share/curate.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON value on stdout.")]


def fail(error: Exception) -> typer.Exit:
    """Print `error` as one line on stderr and return the exit (code 2) to raise."""
    from rich.markup import escape

    from flows.logs import LogFormat, current_log_format

    if current_log_format() is LogFormat.JSON:
        sys.stderr.write(json.dumps({"level": "ERROR", "message": str(error)}) + "\n")
        return typer.Exit(2)
    # One line however wide the terminal: the message names the problem and its fix.
    stderr.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def print_json(value: Any) -> None:
    """One JSON value on stdout (non-JSON values such as paths and dates as strings)."""
    sys.stdout.write(json.dumps(value, indent=2, default=str, ensure_ascii=False) + "\n")


def open_workspace(option: str | None) -> Workspace:
    workspace = resolve_workspace(option).ensure()
    # Prefect keeps its database and settings inside the workspace, not in ~/.prefect.
    os.environ.setdefault("PREFECT_HOME", str(workspace.prefect_home))
    return workspace


def query_catalog(workspace: str | None, query: Callable[..., Any], *args: Any) -> Any:
    """Open the workspace catalog and run one catalog query, turning domain errors into exit 2."""
    from catalogs.registry import CatalogSettings, open_catalog

    ws = open_workspace(workspace)
    try:
        return query(open_catalog(CatalogSettings.for_workspace(ws)), *args)
    except CurationError as error:
        raise fail(error) from error


def keep_freed_memory() -> None:
    """Let glibc keep freed heap memory for the next batch instead of returning it.

    Every batch (of sketches here, of quality signals in `curate quality score`) allocates
    and frees the same tens of MB of numpy and Arrow arrays; by default glibc serves them by
    mmap or trims them back to the OS, and Arrow's own allocator (mimalloc) purges them, so
    each batch faults its pages in again (a third of a second of system time on a 185 MiB
    corpus). Arrow allocates from the same glibc heap here. Peak memory is unchanged: only
    memory already used once is kept. The glibc settings are a no-op where the C library is
    not glibc.
    """
    import ctypes
    import ctypes.util

    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # <malloc.h>
    mallopt(m_mmap_threshold, 32 << 20)  # glibc's largest allowed value on 64-bit
    mallopt(m_trim_threshold, 1 << 30)
