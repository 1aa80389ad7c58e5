"""Hugging Face `datasets` on disk as a source: rows become documents, read offline with Arrow.

Two layouts: a folder written by `Dataset.save_to_disk` / `DatasetDict.save_to_disk` (Arrow IPC
stream shards listed in each split folder's `state.json`, beside `dataset_info.json`), and a
Hub-layout folder of Parquet or Arrow shards (`data/train-00000-of-00002.parquet`). Rows go
through the same code as Parquet sources (`curation.ingest.tabular`): `text_field` and
`id_field` are configurable, other columns go to `metadata_json`, binary ones (images, audio)
are left out. Nothing is imported from `datasets` and nothing touches the network.

Splits are folders: `include: ["train/**"]` takes one. Without `id_field`, a row's locator is
`<shard>#row=<n>`, so saving the dataset again with another shard count gives new doc ids.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from curation.ingest.folder import walk_folder
from curation.ingest.sources import HF_SUFFIXES, SourceConfig
from curation.ingest.tabular import DataFile, ingest_data_files

if TYPE_CHECKING:
    from curation.ingest.known import SourceKnown
    from curation.ingest.records import IngestBatch

# Written by `datasets` while it works (`Dataset.map` caches), never by save_to_disk.
_CACHE_PREFIX = "cache-"


def ingest_hf_dataset(
    source: SourceConfig, *, run_id: str, batch_size: int, known: SourceKnown | None = None
) -> Iterator[IngestBatch]:
    """Every row of every shard of the dataset folder (or the one shard file)."""
    yield from ingest_data_files(
        source, dataset_files(source), run_id=run_id, batch_size=batch_size, known=known
    )


def dataset_files(source: SourceConfig) -> list[DataFile]:
    """The shards of a dataset folder, sorted by path.

    In a folder with a `state.json` only the shards it lists count: a shard left there by an
    earlier save is not part of the dataset.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> for name in ("data/train-00000-of-00001.parquet", "README.md", "data/cache-1.arrow"):
    ...     (root / name).parent.mkdir(parents=True, exist_ok=True)
    ...     _ = (root / name).write_bytes(b"")
    >>> [f.relative for f in dataset_files(SourceConfig(id="d", path=str(root), type="hf_dataset"))]
    ['data/train-00000-of-00001.parquet']
    """
    root = Path(source.path).resolve()
    if root.is_file():
        return [DataFile.at(root, root.name, _format(root.name))]
    listed = _state_listings(root)
    files = []
    for entry in walk_folder(root, source.include, source.exclude):
        if entry.problem is not None:
            continue
        relative = entry.relative_path
        name = relative.rsplit("/", 1)[-1]
        if not name.lower().endswith(HF_SUFFIXES) or name.startswith(_CACHE_PREFIX):
            continue
        folder = relative.rsplit("/", 1)[0] if "/" in relative else ""
        if folder in listed and name not in listed[folder]:
            continue
        files.append(DataFile(entry.path, relative, _format(name), entry.size, entry.mtime_ns))
    return files


def _format(name: str) -> str:
    return "parquet" if name.lower().endswith(".parquet") else "arrow"


def _state_listings(root: Path) -> dict[str, set[str]]:
    """Folder (relative, POSIX) -> shard names its `state.json` lists, for every such folder."""
    listings: dict[str, set[str]] = {}
    for state in root.rglob("state.json"):
        if not state.is_file() or state.is_symlink():
            continue
        try:
            data = json.loads(state.read_text(encoding="utf-8"))
            names = {str(item["filename"]) for item in data.get("_data_files", [])}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            continue  # not a `datasets` state file: the folder's shards all count
        folder = state.parent.relative_to(root).as_posix()
        listings["" if folder == "." else folder] = names
    return listings
