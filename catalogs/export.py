"""Export a version as a Hugging Face dataset folder: Parquet shards, card, Croissant, attribution.

For consumers without an Iceberg reader (a training job, `datasets.load_dataset(folder)`, the
Hub, a Croissant loader), one version becomes:

    README.md          dataset card; its YAML header is the Hub's (configs, features, license)
    ATTRIBUTION.md     credit for the licenses that require it
    croissant.json     Croissant 1.1 + RAI: files with sha256, record fields, RAI facts
    manifest.json      every file's size and sha256, the columns left out, when it was exported
    data/train-00000-of-0000N.parquet   zstd shards, rows sorted by doc_id

Shards are bounded by the bytes of their text (uncompressed) and by rows, so a reader streams a
shard at a time however large the version is. The export is deterministic: the same version
gives the same bytes in every file except `exported_at` in manifest.json.

Provenance identifiers (`PROVENANCE_IDENTIFIERS`: the source URI and the path inside the source)
stay in the version, where audit, lineage and erasure need them, but are left out of what feeds
training unless asked for: a file named `jane_doe_cv.txt` names a person in its path. The card
says which columns were left out and why.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from catalogs.card import CardFacts, language_codes, license_ids, render_card
from catalogs.croissant import (
    DatasetFacts,
    FileEntry,
    InvalidCroissant,
    build_croissant,
    validate_croissant,
    write_croissant,
)
from catalogs.exceptions import CatalogError
from catalogs.query import parse_reference
from catalogs.versions import VersionInfo, get_version, load_dataset_table, snapshot_property
from curation.schema import DOCUMENT_SCHEMA
from licensing.attribution import license_summary, render_attribution

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

# A shard holds at most this much text (UTF-8 bytes of its string columns, uncompressed): the
# size the Hub's own Parquet conversion aims at, small enough to stream one shard at a time.
MAX_SHARD_BYTES = 256 * 2**20
MAX_SHARD_ROWS = 50_000
# Row groups are bounded the same way: a reader holds one row group in memory at a time.
ROW_GROUP_BYTES = 32 * 2**20
SPLIT = "train"
SHARDS_GLOB = f"data/{SPLIT}-*.parquet"
# Columns that locate a document at its source: kept in the version, left out of training data.
PROVENANCE_IDENTIFIERS = ("source_uri", "relative_path")
PROVENANCE_REASON = (
    "they locate each document at its source (file share paths, object keys), which can name "
    "people (a CV saved under its owner's name); they stay in the catalog for audit, lineage and erasure"
)

COLUMN_DESCRIPTIONS: dict[str, str] = {
    "doc_id": "stable document id: source id plus a hash of the document's place in the source",
    "text": "extracted plain text, PII redacted",
    "source_id": "the source the document was read from, as named in the dataset spec",
    "source_uri": "where the document lives in its source (provenance)",
    "relative_path": "the document's path inside its source (provenance)",
    "content_sha256": "sha256 of the original bytes",
    "size_bytes": "size of the original file in bytes",
    "modified_at": "last modification time of the original",
    "mime_type": "media type of the original",
    "extractor": "the text extractor used",
    "extractor_version": "version of the text extractor",
    "title": "document title from its metadata, PII redacted",
    "author": "author metadata, dropped or redacted by the PII policy",
    "metadata_json": "format metadata as JSON, PII redacted",
    "spdx": "SPDX license expression of the document",
    "license_evidence": "what the license was read from: tag, notice, metadata, manifest or default",
    "license_confidence": "confidence in the license evidence, 0 to 1",
    "license_category": "license category used by the license policy",
    "attribution": "JSON of the credit a license requires (title, copyright line)",
    "lang": "ISO 639 language code from fastText lid.176",
    "lang_score": "lid.176 probability of `lang`",
    "quality_signals": "heuristic quality signals, name and value",
    "quality_score": "quality classifier score, when a classifier was configured",
    "dedup_cluster": "near-duplicate cluster id (the kept document represents the cluster)",
    "pii_counts": "PII entity type and how many were redacted; never the values",
    "run_id": "the run that committed the document",
}

STAGE_NOTES: dict[str, str] = {
    "ingest": "text extracted with a format-specific extractor; unreadable files quarantined "
    "with their error",
    "incremental": "documents unchanged since the previous version carried over without "
    "re-running the stages",
    "license": "license resolved per document from tags, notices, manifests, metadata or the "
    "source default; documents outside the license policy dropped",
    "quality": "language identified (fastText lid.176), heuristic quality signals and an "
    "optional classifier; documents below the spec's thresholds dropped",
    "dedup": "exact and near-duplicate documents (MinHash LSH) dropped, one kept per cluster",
    "pii": "personal data detected and redacted in every content-derived column",
}


def training_columns(schema: pa.Schema, *, include_provenance: bool = False) -> list[str]:
    """The columns of a version that go to a training consumer.

    Examples
    --------
    >>> schema = pa.schema([("doc_id", pa.string()), ("text", pa.string()),
    ...                     ("source_uri", pa.string()), ("relative_path", pa.string())])
    >>> training_columns(schema)
    ['doc_id', 'text']
    >>> training_columns(schema, include_provenance=True)
    ['doc_id', 'text', 'source_uri', 'relative_path']
    """
    if include_provenance:
        return list(schema.names)
    return [name for name in schema.names if name not in PROVENANCE_IDENTIFIERS]


def read_training_table(
    catalog: Catalog, reference: str, *, include_provenance: bool = False
) -> pa.Table:
    """A version's rows as a training job should get them (sorted by `doc_id`)."""
    name, version_name = parse_reference(reference)
    version = get_version(catalog, name, version_name)
    table = load_dataset_table(catalog, name).scan(snapshot_id=version.snapshot_id).to_arrow()
    columns = training_columns(table.schema, include_provenance=include_provenance)
    return table.select(columns).sort_by("doc_id")


def document_types(table: pa.Table) -> pa.Table:
    """`table` with the document schema's type for every column the schema defines.

    pyiceberg reads a version without data files with large string and list types, and a
    version with files with plain ones (`text` aside); the export's files, features and
    Croissant fields must not depend on which.
    """
    fields = [
        DOCUMENT_SCHEMA.field(name) if name in DOCUMENT_SCHEMA.names else table.schema.field(name)
        for name in table.column_names
    ]
    return table.cast(pa.schema(fields))


def row_text_bytes(table: pa.Table) -> np.ndarray:
    """UTF-8 bytes of every string column, per row: what a shard's size bound counts.

    Examples
    --------
    >>> row_text_bytes(pa.table({"a": ["ab", None], "b": ["é", "xyz"], "n": [1, 2]})).tolist()
    [4, 3]
    """
    sizes = np.zeros(table.num_rows, dtype=np.int64)
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            lengths = pc.fill_null(pc.binary_length(column), 0)
            sizes += lengths.to_numpy().astype(np.int64)
    return sizes


def plan_shards(sizes: np.ndarray, *, max_bytes: int, max_rows: int) -> list[tuple[int, int]]:
    """`(start, stop)` row ranges, in order, each within `max_bytes` and `max_rows`.

    Greedy: a shard takes rows until the next would pass a bound. A row larger than `max_bytes`
    gets a shard of its own. No rows still give one (empty) shard, so a split always has a file.

    Examples
    --------
    >>> plan_shards(np.array([4, 4, 4, 9, 1]), max_bytes=8, max_rows=10)
    [(0, 2), (2, 3), (3, 4), (4, 5)]
    >>> plan_shards(np.array([1, 1, 1]), max_bytes=100, max_rows=2)
    [(0, 2), (2, 3)]
    >>> plan_shards(np.array([], dtype=np.int64), max_bytes=8, max_rows=2)
    [(0, 0)]
    """
    if max_bytes < 1 or max_rows < 1:
        raise ValueError("max_bytes and max_rows must be at least 1")
    total = len(sizes)
    ends = np.cumsum(sizes, dtype=np.int64)
    bounds: list[tuple[int, int]] = []
    start = 0
    while start < total:
        before = int(ends[start - 1]) if start else 0
        stop = int(np.searchsorted(ends, before + max_bytes, side="right"))
        stop = min(max(stop, start + 1), start + max_rows, total)
        bounds.append((start, stop))
        start = stop
    return bounds or [(0, 0)]


def shard_name(number: int, count: int) -> str:
    """The Hub's shard file name.

    Examples
    --------
    >>> shard_name(0, 3)
    'train-00000-of-00003.parquet'
    """
    return f"{SPLIT}-{number:05d}-of-{count:05d}.parquet"


def write_shards(
    table: pa.Table, data_dir: Path, *, max_shard_bytes: int, max_shard_rows: int
) -> list[Path]:
    """Write `table` (already sorted) as zstd Parquet shards, each within both bounds."""
    sizes = row_text_bytes(table)
    shards = plan_shards(sizes, max_bytes=max_shard_bytes, max_rows=max_shard_rows)
    paths = []
    for number, (start, stop) in enumerate(shards):
        path = data_dir / shard_name(number, len(shards))
        groups = plan_shards(sizes[start:stop], max_bytes=ROW_GROUP_BYTES, max_rows=max_shard_rows)
        with pq.ParquetWriter(path, table.schema, compression="zstd") as writer:
            for group_start, group_stop in groups:
                # an empty version gets a file with its schema and no row group (readers such
                # as `datasets` refuse a row group of zero rows)
                if group_stop > group_start:
                    part = table.slice(start + group_start, group_stop - group_start)
                    writer.write_table(part, row_group_size=part.num_rows)
        paths.append(path)
    return paths


def _grouped_counts(table: pa.Table, column: str) -> list[tuple[Any, int]]:
    """(value, rows) of one column, most rows first, then by value; nulls last."""
    if column not in table.column_names:
        return []
    frame = pl.from_arrow(table.select([column]))
    assert isinstance(frame, pl.DataFrame)
    counted = (
        frame.group_by(column)
        .len()
        .sort([pl.col(column).is_null(), "len", column], descending=[False, True, False])
    )
    return [(value, int(n)) for value, n in counted.iter_rows()]


def _pii_counts(table: pa.Table) -> list[tuple[str, int, int]]:
    """(entity type, occurrences, documents) from `pii_counts`, most occurrences first."""
    if "pii_counts" not in table.column_names or not table.num_rows:
        return []
    frame = pl.from_arrow(table.select(["doc_id", "pii_counts"]))
    assert isinstance(frame, pl.DataFrame)
    counts = (
        frame.explode("pii_counts")
        .drop_nulls("pii_counts")
        .unnest("pii_counts")
        .filter(pl.col("value") > 0)
        .group_by("key")
        .agg(pl.col("value").sum().alias("count"), pl.col("doc_id").n_unique().alias("docs"))
        .sort(["count", "key"], descending=[True, False])
    )
    return [(key, int(count), int(docs)) for key, count, docs in counts.iter_rows()]


def _timeframe(table: pa.Table) -> tuple[str, str] | None:
    """ISO 8601 first and last `modified_at` of the documents, when any is known."""
    if "modified_at" not in table.column_names:
        return None
    bounds = pc.min_max(table.column("modified_at"))
    low, high = bounds["min"].as_py(), bounds["max"].as_py()
    if low is None or high is None:
        return None
    return low.isoformat(), high.isoformat()


def _ordered_license_ids(table: pa.Table) -> list[str]:
    """Every license id the documents' expressions name, most documents first (NOASSERTION
    for a version without documents: it still needs a license value)."""
    weights: dict[str, int] = {}
    for expression, documents in _grouped_counts(table, "spdx"):
        for license_id in license_ids(expression or "NOASSERTION"):
            weights[license_id] = weights.get(license_id, 0) + documents
    return sorted(weights, key=lambda i: (-weights[i], i)) or ["NOASSERTION"]


def _rai(
    version: VersionInfo,
    *,
    rows: int,
    sources: list[tuple[Any, int]],
    languages: list[str],
    pii: list[tuple[str, int, int]],
    timeframe: tuple[str, str] | None,
    pii_fingerprint: str | None,
) -> dict[str, Any]:
    """The RAI 1.0 properties the version and its ledger summary can fill truthfully."""
    summary = version.summary
    listed = ", ".join(f"{source} ({count})" for source, count in sources)
    rai: dict[str, Any] = {
        "rai:dataCollection": (
            f"{rows} documents read from the organization's own document stores "
            f"({len(sources)} source(s): {listed}) on premises by sovereign-curate. Text was "
            "extracted per format, recording the extractor and its version; each document keeps "
            "its provenance (source, sha256 of the original bytes) and the evidence for its "
            "license."
        ),
        "rai:dataCollectionType": ["Document analysis", "Software Collection"],
    }
    if timeframe:
        rai["rai:dataCollectionTimeframe"] = list(timeframe)
    totals = {
        "inputs": "input documents",
        "kept": "kept",
        "dropped": "dropped",
        "quarantined": "quarantined",
    }
    counted = ", ".join(f"{summary[k]} {label}" for k, label in totals.items() if k in summary)
    steps = [
        f"Run {version.run_id}: {counted or f'{rows} documents kept'}; every decision is in "
        "the run's ledger."
    ]
    for stage, counts in summary.get("by_stage", {}).items():
        outcome = ", ".join(
            f"{counts[k]} {k}"
            for k in ("kept", "modified", "dropped", "quarantined")
            if counts.get(k)
        )
        note = STAGE_NOTES.get(stage, "")
        steps.append(
            f"{stage}: {note} ({outcome or 'no documents'})." if note else f"{stage}: {outcome}."
        )
    rai["rai:dataPreprocessingProtocol"] = steps
    redacted = summary.get("by_stage", {}).get("pii", {}).get("modified")
    rai["rai:dataManipulationProtocol"] = (
        "Personal data was detected (Presidio with a spaCy NER model where one exists for the "
        "document's language, patterns, context cues, name lexicons and deny lists) and "
        "redacted in every content-derived column (text, title, metadata_json, attribution) "
        "before the version was committed; author metadata is dropped or redacted. "
        + (f"{redacted} documents were modified by redaction. " if redacted else "")
        + "Only entity types and counts are kept (pii_counts), never the values."
        + (f" PII policy fingerprint: {pii_fingerprint}." if pii_fingerprint else "")
    )
    rai["rai:personalSensitiveInformation"] = [
        f"{kind}: {count} occurrence(s) redacted in {docs} document(s)" for kind, count, docs in pii
    ] or ["No personal data was detected in the exported documents by the PII stage."]
    rai["rai:dataLimitations"] = [
        "The documents come only from the organization's sources listed under data collection; "
        "their topics, languages"
        + (f" ({', '.join(languages)})" if languages else "")
        + " and time span reflect those stores, not general text.",
        "PII detection is automatic and its recall is below 100%: residual personal data can "
        "remain in the text. Names of credited authors are kept where a license requires "
        "attribution.",
        "Quality filtering and near-duplicate removal are heuristic: some valid documents were "
        "dropped and some low-quality or near-duplicate ones remain.",
    ]
    rai["rai:dataUseCases"] = [
        "Pre-training or fine-tuning small domain-specific language models (text generation) "
        "inside the organization.",
        "Only uses that every document's license permits: see `license` and ATTRIBUTION.md.",
    ]
    rai["rai:dataReleaseMaintenancePlan"] = (
        f"Maintained as a versioned Iceberg table in the organization's catalog: each curation "
        f"run commits a new tagged version. This export is a fixed copy of "
        f"{version.dataset}@{version.name} (snapshot {version.snapshot_id}); export again to "
        "follow later versions."
    )
    return rai


def _prepare_out_dir(out_dir: Path, *, overwrite: bool) -> Path:
    """An empty folder, or with `overwrite` one whose old shards are gone (a stale shard would
    match the data_files pattern and join the dataset)."""
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise CatalogError(f"{out_dir} is not empty: choose an empty folder or pass --overwrite")
    data_dir = out_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    for stale in data_dir.glob("*.parquet"):
        stale.unlink()
    return data_dir


def export_version(
    catalog: Catalog,
    reference: str,
    out_dir: Path,
    *,
    overwrite: bool = False,
    include_provenance: bool = False,
    max_shard_bytes: int = MAX_SHARD_BYTES,
    max_shard_rows: int = MAX_SHARD_ROWS,
) -> dict[str, Any]:
    """Write one version to `out_dir` as a Hugging Face dataset folder (see the module doc).

    `include_provenance` keeps `source_uri` and `relative_path` in the Parquet files (for an
    export that stays on the premises, e.g. to an audit tool). The Croissant file is validated
    with mlcroissant before this returns; an invalid one raises InvalidCroissant.
    """
    name, version_name = parse_reference(reference)
    version = get_version(catalog, name, version_name)
    out_dir = Path(out_dir)
    data_dir = _prepare_out_dir(out_dir, overwrite=overwrite)
    table = load_dataset_table(catalog, name).scan(snapshot_id=version.snapshot_id).to_arrow()
    left_out = (
        [] if include_provenance else [c for c in PROVENANCE_IDENTIFIERS if c in table.schema.names]
    )
    table = table.select(training_columns(table.schema, include_provenance=include_provenance))
    table = document_types(table).sort_by("doc_id")
    shards = write_shards(
        table, data_dir, max_shard_bytes=max_shard_bytes, max_shard_rows=max_shard_rows
    )
    files = [FileEntry.of(p, out_dir) for p in shards]

    pii_fingerprint = snapshot_property(catalog, name, version.snapshot_id, "pii_fingerprint")
    languages = _grouped_counts(table, "lang")
    ids = _ordered_license_ids(table)
    pii = _pii_counts(table)
    timeframe = _timeframe(table)
    codes = language_codes(languages)

    (out_dir / "ATTRIBUTION.md").write_text(
        render_attribution(table, title=f"Attributions for {version.dataset}@{version.name}"),
        encoding="utf-8",
    )
    card = CardFacts(
        dataset=version.dataset,
        version=version.name,
        run_id=version.run_id,
        spec_fingerprint=version.spec_fingerprint,
        code_version=version.code_version,
        committed_at=version.created_at,
        pii_fingerprint=pii_fingerprint,
        rows=table.num_rows,
        num_bytes=table.nbytes,
        download_size=sum(f.bytes for f in files),
        shard_count=len(files),
        schema=table.schema,
        summary=version.summary,
        licenses=license_summary(table).to_pylist(),
        license_ids=ids,
        languages=languages,
        pii=pii,
        timeframe=timeframe,
        left_out=left_out,
        left_out_reason=PROVENANCE_REASON,
        descriptions=COLUMN_DESCRIPTIONS,
        stage_notes=STAGE_NOTES,
        shards_glob=SHARDS_GLOB,
    )
    (out_dir / "README.md").write_text(render_card(card), encoding="utf-8")

    facts = DatasetFacts(
        name=version.dataset,
        description=(
            f"{version.dataset} version {version.name}: {table.num_rows} documents curated on "
            f"premises by sovereign-curate (run {version.run_id}), as zstd Parquet shards "
            "sorted by doc_id. Provenance, license and PII handling are described in README.md."
        ),
        version=version.name,
        date_published=version.created_at,
        licenses=ids,
        languages=codes,
        keywords=["text-generation", "sovereign-curate"],
        cite_as=(
            f"{version.dataset}, version {version.name} (snapshot {version.snapshot_id}, "
            f"run {version.run_id}), curated with sovereign-curate {version.code_version}"
        ),
        rai=_rai(
            version,
            rows=table.num_rows,
            sources=_grouped_counts(table, "source_id"),
            languages=codes,
            pii=pii,
            timeframe=timeframe,
            pii_fingerprint=pii_fingerprint,
        ),
    )
    croissant_path = write_croissant(
        build_croissant(
            facts, files, table.schema, shards_glob=SHARDS_GLOB, descriptions=COLUMN_DESCRIPTIONS
        ),
        out_dir / "croissant.json",
    )
    problems = validate_croissant(croissant_path)
    if problems:
        raise InvalidCroissant(f"{croissant_path} does not validate: " + "; ".join(problems))

    manifest = {
        "dataset": version.dataset,
        "version": version.name,
        "snapshot_id": version.snapshot_id,
        "run_id": version.run_id,
        "rows": table.num_rows,
        "columns_left_out": left_out,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "shard_bounds": {"max_bytes": max_shard_bytes, "max_rows": max_shard_rows},
        "files": [{"path": f.path, "bytes": f.bytes, "sha256": f.sha256} for f in files],
        "metadata_files": [
            {"path": f.path, "bytes": f.bytes, "sha256": f.sha256}
            for f in (
                FileEntry.of(out_dir / n, out_dir)
                for n in ("README.md", "ATTRIBUTION.md", "croissant.json")
            )
        ],
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return {**manifest, "out_dir": str(out_dir)}
