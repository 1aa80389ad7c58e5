"""Leave a `curate` process without tearing the interpreter down.

By the time a command returns, its process has imported Prefect and its pydantic models,
spaCy, Presidio, DuckDB and Arrow. Python's teardown then releases every module and object one
by one: 0.2 s after importing Prefect alone, 0.8 s at the end of an incremental `curate run`,
CPU spent after the output is written, on memory the kernel takes back at once when the
process ends. `exit_now` keeps what an exit must still do (flush stdout and stderr, run the
`atexit` handlers: logging's flush, Prefect's, `weakref.finalize` for temporary folders,
multiprocessing's; before them, the wait for threads that are not daemons) and skips the
teardown.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from typing import NoReturn


def exit_code(code: object) -> int:
    """The status `SystemExit(code)` gives: None is 0, an int is itself, anything else (a
    message, which is printed to stderr) is 1.

    >>> exit_code(None), exit_code(2), exit_code("no spec given")
    (0, 2, 1)
    """
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    return 1


def _flush_standard_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        # a closed pipe or stream: nothing more can be said
        with contextlib.suppress(OSError, ValueError):
            stream.flush()


def exit_now(code: object = None) -> NoReturn:
    """End the process with `code` as `sys.exit(code)` would, without the interpreter's
    teardown (see the module's docstring)."""
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
    status = exit_code(code)
    join_threads = getattr(threading, "_shutdown", None)
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if join_threads is None or run_exit_handlers is None:  # an interpreter without them
        raise SystemExit(status)
    _flush_standard_streams()
    # The first two steps of the interpreter's own exit, in its order (both private, and the
    # same since Python 3.0): stop idle executors and wait for threads that are not daemons,
    # then the `atexit` handlers. What the interpreter does after them is the teardown.
    join_threads()
    run_exit_handlers()
    _flush_standard_streams()
    os._exit(status)
