"""Erasure outside the tables: the dedup signature index and the runs' staging folders.

The signature index beside a dataset keeps each committed document's MinHash signature, band
hashes and (with `verify: exact`) its shingle set: derived from the text, so an erased document
must leave it, and its version folders follow the tags erasure moved (`version=v3` becomes
`version=v3-e1`), so the next incremental run finds the index current instead of rebuilding it.

A run's folder may still hold staged batches (a run killed before its cleanup, whose staging the
next run sweeps) and, after a failure, its ledger parts: batches lose the subject's rows, ledger
parts keep their rows with the identifiers replaced, as the ledger table does.
"""

from __future__ import annotations

import fcntl
import uuid
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curation.dedup.index import SignatureIndex

RowMask = Callable[[pa.Table], pa.Array]
Rewrite = Callable[[pa.Table], pa.Table]
LEDGER_COLUMNS = ("stage", "decision")


def live_runs(runs_root: Path) -> list[str]:
    """Run ids whose process still holds its `owner.lock` (a run is writing right now)."""
    live = []
    for owner in sorted(runs_root.glob("*/owner.lock")):
        try:
            with owner.open("a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            live.append(owner.parent.name)
        except OSError:
            continue
    return live


def scrub_index(index_root: Path, doc_ids: list[str], renames: dict[str, str]) -> dict[str, object]:
    """Remove documents (signatures, bands, shingle sets) from the index and rename its
    version folders after the moved tags; returns what changed."""
    known_removed = _scrub_known_inputs(index_root.parent / "inputs.parquet", doc_ids)
    if not index_root.is_dir():
        return {
            "path": str(index_root),
            "signatures_removed": 0,
            "versions_renamed": {},
            "known_inputs_removed": known_removed,
        }
    index = SignatureIndex.open(index_root)
    removed = index.remove(doc_ids) if doc_ids else 0
    renamed = {}
    for old, new in sorted(renames.items()):
        source, target = index_root / f"version={old}", index_root / f"version={new}"
        if source.is_dir() and not target.exists():
            source.rename(target)
            renamed[old] = new
    return {
        "path": str(index_root),
        "signatures_removed": removed,
        "versions_renamed": renamed,
        "known_inputs_removed": known_removed,
    }


def _scrub_known_inputs(path: Path, doc_ids: list[str]) -> int:
    """Drop the erased documents from what the last run saw at the sources (`inputs.parquet`:
    ids, URIs and hashes): the next run then reads those inputs again, and tombstones drop them."""
    if not path.is_file() or not doc_ids:
        return 0
    table = pq.read_table(path)
    erased = pc.is_in(table.column("doc_id"), value_set=pa.array(doc_ids, pa.string()))
    removed = int(pc.sum(erased).as_py() or 0)
    if removed:
        _replace(path, table.filter(pc.invert(erased)))
    return removed


def scrub_staging(runs_root: Path, *, drop: RowMask, pseudonymize: Rewrite) -> dict[str, int]:
    """Every Parquet file in the runs' folders: ledger parts (`stage`, `decision` columns) are
    rewritten by `pseudonymize`, other files with a `doc_id` lose the rows `drop` selects."""
    counts = {"files_rewritten": 0, "rows_removed": 0, "ledger_rows_rewritten": 0}
    for path in sorted(runs_root.glob("*/**/*.parquet")):
        table = pq.read_table(path)
        if "doc_id" not in table.column_names:
            continue
        if all(c in table.column_names for c in LEDGER_COLUMNS):
            rewritten = pseudonymize(table)
            changed = _rows_changed(table, rewritten)
            if not changed:
                continue
            counts["ledger_rows_rewritten"] += changed
        else:
            mask = drop(table)
            removed = int(pc.sum(mask).as_py() or 0)
            if not removed:
                continue
            rewritten = table.filter(pc.invert(mask))
            counts["rows_removed"] += removed
        _replace(path, rewritten)
        counts["files_rewritten"] += 1
    return counts


def _rows_changed(before: pa.Table, after: pa.Table) -> int:
    """Rows in which any value differs (a null against a value counts as a difference)."""
    changed = pa.array([False] * before.num_rows)
    for name in before.column_names:
        differs = pc.fill_null(pc.not_equal(before.column(name), after.column(name)), True)
        both_null = pc.and_(pc.is_null(before.column(name)), pc.is_null(after.column(name)))
        changed = pc.or_(changed, pc.and_(differs, pc.invert(both_null)))
    return int(pc.sum(changed).as_py() or 0)


def _replace(path: Path, table: pa.Table) -> None:
    """Write `table` over `path` atomically, keeping its schema."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    pq.write_table(table, temporary)
    temporary.replace(path)
