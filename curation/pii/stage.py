"""The PII stage: redact the `text` column, fill `pii_counts`, decide modified/dropped rows.

Pure functions over Arrow tables; `PiiStage` is them as a stage of the contract in
`curation.stage`, whose runner applies the decision and writes the ledger. Details carry counts
per entity type (and the density and threshold of dropped rows) and how names were looked for
(language, NER model, method), never a value. Each row's `lang` picks its rules and NER model
(see `curation.pii.languages`). With `cfg.processes > 1` the batch is split across a process
pool whose workers each build the engine once (spawned, so no model state is shared through
fork). The pool lives as long as the process and serves every batch of the run: spawning
workers and loading spaCy per batch would cost more than the split saves.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import concurrent.futures.process
import logging
import multiprocessing
import threading
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import pyarrow as pa

from curation.config import fingerprint
from curation.ledger import details_json
from curation.pii.config import PiiConfig
from curation.pii.engine import get_redactor
from curation.pii.metadata import merge_counts, redact_metadata
from curation.pii.operators import load_key
from curation.pii.reasons import PiiReason
from curation.pii.routing import Pieces, split_by_language
from curation.schema import COUNTS_TYPE, conform
from curation.stage import Scope, Stage, StageDecision, StageOutput

log = logging.getLogger(__name__)

# Below this many texts a pool costs more (spawn + model load) than it saves.
MIN_TEXTS_PER_PROCESS = 64


def redact_texts(
    texts: Sequence[str],
    cfg: PiiConfig,
    *,
    ner_mask: Sequence[bool] | np.ndarray | None = None,
    langs: Sequence[str | None] | None = None,
) -> tuple[list[str], list[dict[str, int]]]:
    """Redact `texts` with `cfg`'s policy; return the new texts and counts per entity type.

    `langs` (optional, one ISO 639-1 code or None per text) picks each text's rules and NER
    model; without it every text is read as unknown language (English rules and NER).
    `ner_mask` (optional, one bool per text) switches NER off for some texts; patterns run on
    all texts. `redact_texts_with_methods` also says per text how names were looked for.

    Examples
    --------
    >>> texts, counts = redact_texts(["Mail jane.doe@example.com"], PiiConfig(ner=False))
    >>> texts, counts
    (['Mail <EMAIL_ADDRESS>'], [{'EMAIL_ADDRESS': 1}])
    """
    redacted, counts, _, _ = _redact(list(texts), cfg, ner_mask, langs)
    return redacted, counts


def redact_texts_with_methods(
    texts: Sequence[str],
    cfg: PiiConfig,
    *,
    langs: Sequence[str | None] | None = None,
) -> tuple[list[str], list[dict[str, int]], list[dict]]:
    """`redact_texts` plus, per text, its language, NER model (or None) and method.

    Examples
    --------
    >>> _, _, methods = redact_texts_with_methods(["Hallo"], PiiConfig(ner=False), langs=["de"])
    >>> methods[0]["lang"], methods[0]["ner"], methods[0]["method"]
    ('de', None, 'patterns+cues+lexicon')
    """
    redacted, counts, _, methods = _redact(list(texts), cfg, None, langs)
    return redacted, counts, methods


def redact_documents(table: pa.Table, cfg: PiiConfig) -> tuple[pa.Table, StageDecision]:
    """Redact a document batch (DOCUMENT_SCHEMA or any table with `text`).

    Returns the same rows, in order, with `text` redacted, `title`, `author`, `metadata_json`
    and `attribution` passed through the policy (`curation.pii.metadata`), `pii_counts` filled
    (text and metadata together), and the decision: rows whose text or metadata changed are
    modified (`pii.redacted`, details = counts per type),
    rows whose drop-action entities exceed `cfg.max_density` per 1,000 characters are dropped
    (`pii.density_exceeded`). Each row's `lang` picks its NER model (`cfg.ner_model_for`: none
    for languages without a model, English for null); every row, kept ones too, gets details
    with its language, NER model and method.
    """
    column = table.column("text")
    raw = column.to_pylist()
    texts = [t or "" for t in raw]
    langs = table.column("lang").to_pylist() if "lang" in table.column_names else None
    redacted, counts, densities, methods = _redact(texts, cfg, None, langs)

    def redact_values(values: list[str], rows: list[int]):
        row_langs = None if langs is None else [langs[r] for r in rows]
        return redact_texts(values, cfg, langs=row_langs)

    metadata = redact_metadata(table, cfg, redact_values, load_key(cfg))
    table = metadata.table
    counts = merge_counts(counts, metadata.counts)
    n = table.num_rows
    density = np.asarray(densities, float) + _metadata_density(metadata.counts, texts, cfg)
    has_drop_entities = density > 0
    drop = has_drop_entities & (density > cfg.max_density)
    changed = np.array([new != old for new, old in zip(redacted, texts, strict=True)], bool)
    changed |= np.asarray(metadata.changed, bool)
    reasons: list[str | None] = [None] * n
    details: list[str | None] = [None] * n
    for i in range(n):
        if drop[i]:
            reasons[i] = PiiReason.DENSITY_EXCEEDED.value
            details[i] = details_json(
                counts=counts[i],
                density=round(float(density[i]), 3),
                threshold=cfg.max_density,
                **methods[i],
            )
        elif changed[i]:
            reasons[i] = PiiReason.REDACTED.value
            details[i] = details_json(counts=counts[i], **methods[i])
        else:
            details[i] = details_json(counts=counts[i], **methods[i])
    decision = StageDecision.from_masks(
        n, drop=drop, modified=changed, reason=reasons, details=details
    )

    new_text = pa.array(
        [None if old is None else new for new, old in zip(redacted, raw, strict=True)],
        column.type,
    )
    table = table.set_column(table.column_names.index("text"), "text", new_text)
    pii_counts = counts_array(counts)
    if "pii_counts" in table.column_names:
        table = table.set_column(table.column_names.index("pii_counts"), "pii_counts", pii_counts)
    else:
        table = table.append_column(pa.field("pii_counts", COUNTS_TYPE), pii_counts)
    return table, decision


def _metadata_density(
    counts: Sequence[dict[str, int]], texts: Sequence[str], cfg: PiiConfig
) -> np.ndarray:
    """Drop-action entities found in a row's metadata, per 1,000 characters of its text: a
    document whose title or properties hold such an entity counts it like one in the text."""
    drop = [e for e in cfg.all_entities if cfg.action_for(e) == "drop"]
    if not drop:
        return np.zeros(len(texts))
    found = np.array([sum(c.get(e, 0) for e in drop) for c in counts], float)
    lengths = np.maximum(np.fromiter(map(len, texts), float, len(texts)), 1.0)
    return 1000.0 * found / lengths


def counts_array(counts: Sequence[dict[str, int]]) -> pa.Array:
    """Counts per entity type as the schema's named-counts column (list of key/value structs)."""
    return pa.array([[{"key": k, "value": v} for k, v in c.items()] for c in counts], COUNTS_TYPE)


def _redact(
    texts: list[str], cfg: PiiConfig, ner_mask, langs: Sequence[str | None] | None
) -> tuple[list[str], list[dict], list[float], list[dict]]:
    """Redacted texts, counts, drop densities and methods; paragraphs in another language than
    their text's are read with their own language's rules (`curation.pii.routing`)."""
    langs = [None] * len(texts) if langs is None else list(langs)
    pieces = _pieces(texts, cfg, langs)
    if pieces is None:
        return _redact_texts(texts, cfg, ner_mask, langs)
    mask = None if ner_mask is None else np.asarray(ner_mask, bool)[pieces.owner]
    redacted, counts, densities, methods = _redact_texts(pieces.texts, cfg, mask, pieces.langs)
    by_text: list[list[int]] = [[] for _ in texts]
    for k, i in enumerate(pieces.owner):
        by_text[i].append(k)
    out: tuple[list, list, list, list] = ([], [], [], [])
    for i, ks in enumerate(by_text):
        drops = sum(densities[k] * max(len(pieces.texts[k]), 1) for k in ks) / 1000.0
        total: dict[str, int] = {}
        for k in ks:
            for entity, n in counts[k].items():
                total[entity] = total.get(entity, 0) + n
        method = dict(methods[ks[0]], lang=langs[i])
        if len(ks) > 1:
            method["ner_windows"] = sum(methods[k]["ner_windows"] for k in ks)
            method["segments"] = [
                {"lang": pieces.langs[k], "ner": methods[k]["ner"], "chars": len(pieces.texts[k])}
                for k in ks
            ]
        out[0].append("".join(redacted[k] for k in ks))
        out[1].append(dict(sorted(total.items())))
        out[2].append(1000.0 * drops / max(len(texts[i]), 1) if drops else 0.0)
        out[3].append(method)
    return out


def _pieces(texts: list[str], cfg: PiiConfig, langs: list[str | None]) -> Pieces | None:
    """The texts cut where their paragraphs' language changes, or None when none is (or the
    language-id model is not installed: every text is then read in its own language)."""
    if not cfg.paragraph_languages or not texts:
        return None
    from curation.exceptions import WorkspaceError
    from curation.langid import identify

    try:
        pieces = split_by_language(texts, langs, identify)
    except WorkspaceError as error:
        log.debug("paragraph languages not read: %s", error)
        return None
    return pieces if len(pieces.texts) > len(texts) else None


def _redact_texts(
    texts: list[str], cfg: PiiConfig, ner_mask, langs: Sequence[str | None] | None
) -> tuple[list[str], list[dict], list[float], list[dict]]:
    """Redacted texts, counts, drop densities and methods, in one process or across the pool.

    No texts build no engine: the recognizers and NER models load for the first batch that
    has something to read.
    """
    if not texts:
        return [], [], [], []
    processes = min(cfg.processes, max(1, len(texts) // MIN_TEXTS_PER_PROCESS))
    langs = [None] * len(texts) if langs is None else list(langs)
    if processes <= 1:
        return tuple(get_redactor(cfg).redact_batch(texts, ner_mask, langs))
    mask = np.ones(len(texts), bool) if ner_mask is None else np.asarray(ner_mask, bool)
    # Interleaved chunks of ~batch_size keep workers evenly loaded when long texts cluster.
    size = max(1, min(cfg.batch_size * 4, -(-len(texts) // processes)))
    bounds = [(lo, min(lo + size, len(texts))) for lo in range(0, len(texts), size)]
    try:
        parts = _run_chunks(_pool(cfg), cfg, texts, mask, langs, bounds)
    except concurrent.futures.process.BrokenProcessPool:
        # a worker died (killed, out of memory): drop the broken pool and try once more
        shutdown_pools()
        parts = _run_chunks(_pool(cfg), cfg, texts, mask, langs, bounds)
    redacted = [t for part in parts for t in part[0]]
    counts = [c for part in parts for c in part[1]]
    densities = [d for part in parts for d in part[2]]
    methods = [m for part in parts for m in part[3]]
    return redacted, counts, densities, methods


def _run_chunks(
    pool, cfg: PiiConfig, texts: list[str], mask: np.ndarray, langs: list, bounds
) -> list:
    futures = [
        pool.submit(_work, cfg, texts[lo:hi], mask[lo:hi], langs[lo:hi]) for lo, hi in bounds
    ]
    return [f.result() for f in futures]


# One pool per process, for the config it was built for; a new config replaces it.
_POOL: dict[str, concurrent.futures.ProcessPoolExecutor] = {}
_POOL_LOCK = threading.Lock()


def _pool(cfg: PiiConfig) -> concurrent.futures.ProcessPoolExecutor:
    """The process-wide pool of `cfg.processes` workers; each loads the engine once."""
    key = fingerprint(cfg)
    with _POOL_LOCK:  # tasks of a thread runner ask at the same time
        pool = _POOL.get(key)
        if pool is None:
            for stale in _POOL.values():
                stale.shutdown(cancel_futures=True)
            _POOL.clear()
            pool = _POOL[key] = concurrent.futures.ProcessPoolExecutor(
                max_workers=cfg.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(cfg,),
            )
        return pool


def shutdown_pools() -> None:
    """Stop the worker pool (at exit, or when a caller is done with PII for good)."""
    with _POOL_LOCK:
        while _POOL:
            _POOL.popitem()[1].shutdown(cancel_futures=True)


atexit.register(shutdown_pools)


def warm_in_background(cfg: PiiConfig) -> threading.Thread | None:
    """Build this process's redactor for `cfg` and load its English NER model on a daemon
    thread, so that the first PII batch finds both ready.

    They take about half a second to load, much of it reading files. A run starts this while
    it waits for its Prefect server to create the flow run and while it ingests, so a small
    incremental run does not pay that half second on top of its start. None where the stage
    loads nothing in this process: a pool of PII workers loads its own.
    """
    if cfg.processes > 1:
        return None
    thread = threading.Thread(target=_warm, args=(cfg,), name="curate-pii-warm-up", daemon=True)
    thread.start()
    return thread


def _warm(cfg: PiiConfig) -> None:
    from curation.pii.engine import load_ner

    try:
        redactor = get_redactor(cfg)
        model = cfg.ner_model_for("en") if redactor.ner_enabled else None
        if model:
            load_ner(model)
    except Exception as error:  # the stage loads them again and reports the failure itself
        log.debug("PII engine not loaded ahead of the stage: %s", error)


def _init_worker(cfg: PiiConfig) -> None:
    from curation.offline import enforce_offline

    enforce_offline()
    get_redactor(cfg)


def _work(cfg: PiiConfig, texts: list[str], mask: np.ndarray, langs: list):
    return tuple(get_redactor(cfg).redact_batch(texts, mask, langs))


class PiiStage:
    """The PII stage in the contract of `curation.stage`: `redact_documents` under `cfg`.

    Runs last, on the survivors of every other stage: it is the most expensive one.
    """

    name: ClassVar[Stage] = Stage.PII
    scope: ClassVar[Scope] = Scope.BATCH

    def __init__(self, cfg: PiiConfig) -> None:
        self.cfg = cfg

    def process(self, table: pa.Table) -> StageOutput:
        redacted, decision = redact_documents(table, self.cfg)
        return StageOutput(conform(redacted), decision)
