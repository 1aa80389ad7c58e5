"""Entry point of an extraction worker subprocess: `python -m curation.ingest.worker FD`.

Receives `(limits, memory_bytes)` then `Task`s over the socket FD, answers each with an
`Outcome` (a container's members first, one message each, and `OcrPages` before OCR); `None` or a closed socket ends it.
Kept tiny so a worker starts fast.
"""

from __future__ import annotations

import sys
from multiprocessing.connection import Connection

from curation.offline import enforce_offline


def serve(connection: Connection) -> None:
    from curation.ingest.extract.base import listening_to_ocr_pages
    from curation.ingest.pool import OcrPages, Outcome, run_task
    from curation.ingest.reasons import IngestReason

    limits, memory_bytes = connection.recv()
    if memory_bytes:
        _cap_memory(memory_bytes)
    connection.send("ready")
    while True:
        try:
            task = connection.recv()
        except EOFError:
            return
        if task is None:
            return
        try:
            # the pool extends this file's deadline by the allowance of the pages announced
            with listening_to_ocr_pages(lambda pages: connection.send(OcrPages(pages))):
                outcome = run_task(task, task.limits or limits, on_member=connection.send)
        except Exception as error:  # a library bug outside the parse: still one file's problem
            outcome = Outcome(
                None,
                None,
                None,
                IngestReason.PARSE_ERROR.value,
                f"{task.name!r}: {type(error).__name__}: {str(error)[:200]}",
                type(error).__name__,
            )
        connection.send(outcome)


def _cap_memory(memory_bytes: int) -> None:
    """Cap the address space so one parse cannot take the machine's memory (Linux only)."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    except (ImportError, ValueError, OSError) as error:
        print(f"curate extract worker: memory cap not applied: {error}", file=sys.stderr)


def main(argv: list[str]) -> int:
    enforce_offline()
    connection = Connection(int(argv[1]))
    try:
        serve(connection)
    finally:
        connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
