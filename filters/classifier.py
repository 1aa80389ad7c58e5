"""The customer's own quality classifier: supervised fastText trained on labelled examples.

DCLM showed a fastText classifier separating "good" from "bad" text beats heuristics alone;
what is good is the customer's call, so they label examples (folders of files, JSONL or Parquet
with a text column) and train on premises. The model is saved with a JSON sidecar holding its
sha256, the training data's fingerprint and held-out precision/recall, so a spec that names the
model can prove which model scored a version, and a changed file is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from curation.workspace import resolve_workspace
from filters.exceptions import ClassifierError, TrainingDataError
from filters.langid import load_fasttext_model, prepare_lines

if TYPE_CHECKING:
    from filters.config import QualityConfig

POSITIVE = "hq"
NEGATIVE = "lq"
TEXT_SUFFIXES = {".txt", ".md", ".rst", ".html", ".htm", ".text"}
MIN_EXAMPLES_PER_CLASS = 2


@dataclass(frozen=True)
class TrainParams:
    """fastText hyper-parameters; small-data defaults (no 2M buckets: ARCHITECTURE.md)."""

    epoch: int = 25
    lr: float = 0.5
    word_ngrams: int = 2
    dim: int = 64
    min_count: int = 1
    bucket: int = 200_000
    holdout: float = 0.2
    seed: int = 13
    max_chars: int = 20_000


@dataclass(frozen=True)
class Evaluation:
    """Held-out scores of the positive class at threshold 0.5."""

    n: int
    positives: int
    precision: float
    recall: float
    f1: float
    accuracy: float


@dataclass(frozen=True)
class TrainedModel:
    """What `train_classifier` wrote: the model, its sidecar, and its held-out evaluation."""

    model_path: Path
    sidecar_path: Path
    sha256: str
    evaluation: Evaluation
    metadata: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "model": str(self.model_path),
            "sidecar": str(self.sidecar_path),
            "sha256": self.sha256,
            "heldout": asdict(self.evaluation),
            "metadata": self.metadata,
        }


@dataclass(frozen=True)
class VersionColumn:
    """Examples taken from one column of a committed dataset version (`NAME@VERSION[:COLUMN]`).

    A version is what the customer already curated and reviewed, so "everything in
    curated.handbook@v3" is a natural set of good examples; the version (not "the newest") is
    required so the model's sidecar names exactly what it learned from.
    """

    dataset: str
    version: str
    column: str = "text"

    def __str__(self) -> str:
        return f"{self.dataset}@{self.version}:{self.column}"


VersionReader = Callable[[VersionColumn], list[str]]
_VERSION_REFERENCE = re.compile(
    r"^(?P<dataset>[A-Za-z0-9_][A-Za-z0-9_.-]*)@(?P<version>[A-Za-z0-9][A-Za-z0-9._-]{0,63})"
    r"(?::(?P<column>[A-Za-z_][A-Za-z0-9_]*))?$"
)


def parse_version_column(value: str | os.PathLike[str]) -> VersionColumn | None:
    """`NAME@VERSION[:COLUMN]` -> VersionColumn (column defaults to `text`); None otherwise.

    Examples
    --------
    >>> parse_version_column("curated.acme_demo@v1:title")
    VersionColumn(dataset='curated.acme_demo', version='v1', column='title')
    >>> parse_version_column("curated.acme_demo@v1").column
    'text'
    >>> parse_version_column("good/") is None
    True
    """
    match = _VERSION_REFERENCE.match(str(value))
    if match is None:
        return None
    return VersionColumn(match["dataset"], match["version"], match["column"] or "text")


def default_model_path(name: str, workspace: str | os.PathLike[str] | None = None) -> Path:
    """`<workspace>/models/quality-<name>.bin`."""
    return resolve_workspace(workspace).models / f"quality-{name}.bin"


def resolve_model_path(value: str | os.PathLike[str]) -> Path:
    """A model file, or a bare name (no separator, no suffix) looked up in the workspace."""
    text = str(value)
    if os.sep not in text and "/" not in text and not Path(text).suffix:
        return default_model_path(text)
    return Path(text).expanduser()


def sidecar_path(model_path: Path) -> Path:
    return model_path.with_name(model_path.name + ".json")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_digests(cfg: QualityConfig) -> dict[str, str | None]:
    """The sha256 of each model file a quality decision reads: lid.176 and the classifier the
    spec names (None without one), so a model replaced under the same path or name makes the
    decisions taken with the old one stand no more (`curation.pipeline.decision_fingerprints`).

    A file that is not there gets `missing:<path>`; the stage says what to do once it needs it.
    """
    from curation.exceptions import WorkspaceError
    from curation.resources import lid_model_path

    def digest(path: Path) -> str:
        return file_sha256(path) if path.is_file() else f"missing:{path}"

    try:
        lid = digest(lid_model_path())
    except WorkspaceError as error:  # not installed: identify_languages raises it when used
        lid = f"missing:{error}"
    classifier = cfg.classifier_model
    return {
        "lid": lid,
        "classifier": digest(resolve_model_path(classifier)) if classifier else None,
    }


def read_examples(
    sources: Sequence[str | os.PathLike[str]],
    text_field: str = "text",
    *,
    read_version: VersionReader | None = None,
) -> list[str]:
    """Texts from folders (text files, extracted like ingest does), JSONL or Parquet files, or
    `NAME@VERSION[:COLUMN]` references to a column of a committed version.

    A path that exists is always a path; a version reference is read with `read_version`
    (the CLI passes one that reads the workspace catalog).
    """
    texts: list[str] = []
    for source in sources:
        path = Path(source).expanduser()
        reference = None if path.exists() else parse_version_column(source)
        if reference is not None:
            if read_version is None:
                raise TrainingDataError(
                    f"{source} names a dataset version but no catalog is open: use "
                    "`curate quality train`, or pass read_version"
                )
            texts.extend(t or "" for t in read_version(reference))
        elif path.is_dir():
            texts.extend(_folder_texts(path))
        elif path.is_file() and path.suffix.lower() in {".jsonl", ".ndjson", ".json"}:
            texts.extend(_jsonl_texts(path, text_field))
        elif path.is_file() and path.suffix.lower() == ".parquet":
            texts.extend(_parquet_texts(path, text_field))
        elif path.is_file():
            texts.append(_file_text(path))
        else:
            raise TrainingDataError(
                f"{path} does not exist: pass folders, .jsonl or .parquet files, or a version "
                "column as NAME@VERSION[:COLUMN] (e.g. curated.docs@v1:text)"
            )
    return [t for t in texts if t and t.strip()]


def _file_text(path: Path) -> str:
    try:
        from curation.ingest.extract import extract_file
    except ImportError:  # ingest is optional here: plain text still trains
        return path.read_text(encoding="utf-8", errors="replace")
    try:
        return extract_file(path).text
    except Exception as error:  # an unreadable example must name itself, not stop silently
        raise TrainingDataError(f"cannot read example {path}: {error}") from error


def _folder_texts(folder: Path) -> list[str]:
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink() and p.suffix.lower() in TEXT_SUFFIXES
    )
    return [_file_text(p) for p in files]


def _jsonl_texts(path: Path, text_field: str) -> list[str]:
    texts = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise TrainingDataError(f"{path}:{number}: not JSON ({error.msg})") from error
            if not isinstance(record, dict) or text_field not in record:
                raise TrainingDataError(
                    f"{path}:{number}: no field {text_field!r}: pass --text-field with its name"
                )
            texts.append(str(record[text_field] or ""))
    return texts


def _parquet_texts(path: Path, text_field: str) -> list[str]:
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    if text_field not in schema.names:
        raise TrainingDataError(
            f"{path} has no column {text_field!r} (columns: {', '.join(schema.names)}): "
            "pass --text-field"
        )
    return [t or "" for t in pq.read_table(path, columns=[text_field]).column(0).to_pylist()]


def _normalize(texts: Sequence[str], max_chars: int) -> list[str]:
    return [line.lower() for line in prepare_lines(list(texts), max_chars)]


def _split(n: int, holdout: float, rng: random.Random) -> tuple[list[int], list[int]]:
    order = list(range(n))
    rng.shuffle(order)
    n_test = max(1, round(n * holdout))
    return order[n_test:], order[:n_test]


def _write_training_file(path: Path, texts: Sequence[str], labels: Sequence[str]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for text, label in zip(texts, labels, strict=True):
            handle.write(f"__label__{label} {text}\n")


def evaluate(scores: np.ndarray, truth: np.ndarray, threshold: float = 0.5) -> Evaluation:
    """Precision/recall/F1 of `scores >= threshold` against boolean `truth`."""
    predicted = scores >= threshold
    tp = int(np.sum(predicted & truth))
    fp = int(np.sum(predicted & ~truth))
    fn = int(np.sum(~predicted & truth))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = float(np.mean(predicted == truth)) if len(truth) else 0.0
    return Evaluation(len(truth), int(truth.sum()), precision, recall, f1, accuracy)


def _train_in_fresh_process(train_file: Path, out: Path, params: TrainParams) -> None:
    """Train with fastText in a new process and save the model to `out`.

    fastText's trainer reads memory it has not initialized: in a process whose heap already
    holds freed buffers (a long-lived worker, a test session) the same data and seed end in
    "Encountered NaN". A spawned process starts with a fresh heap, so the model depends on
    the data and the seed only.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        pool.submit(_train_supervised, str(train_file), str(out), params).result()


def _train_supervised(train_file: str, out: str, params: TrainParams) -> None:
    import fasttext

    fasttext.FastText.eprint = lambda *args, **kwargs: None
    model = fasttext.train_supervised(
        input=train_file,
        epoch=params.epoch,
        lr=params.lr,
        wordNgrams=params.word_ngrams,
        dim=params.dim,
        minCount=params.min_count,
        bucket=params.bucket,
        thread=1,  # one thread: the same data and seed give the same model
        seed=params.seed,
        verbose=0,
    )
    model.save_model(out)


def train_classifier(
    positive: Sequence[str],
    negative: Sequence[str],
    out: Path,
    *,
    params: TrainParams | None = None,
    sources: dict | None = None,
) -> TrainedModel:
    """Train on positive/negative texts, evaluate on a stratified hold-out, save model + sidecar.

    The saved model is the one trained on the training split, so the reported precision and
    recall are the saved model's own.
    """
    import fasttext

    params = params or TrainParams()
    if len(positive) < MIN_EXAMPLES_PER_CLASS or len(negative) < MIN_EXAMPLES_PER_CLASS:
        raise TrainingDataError(
            f"need at least {MIN_EXAMPLES_PER_CLASS} positive and {MIN_EXAMPLES_PER_CLASS} "
            f"negative examples, got {len(positive)} and {len(negative)}: label more documents"
        )
    rng = random.Random(params.seed)
    pos_train, pos_test = _split(len(positive), params.holdout, rng)
    neg_train, neg_test = _split(len(negative), params.holdout, rng)
    pos_text = _normalize(positive, params.max_chars)
    neg_text = _normalize(negative, params.max_chars)
    train = [(pos_text[i], POSITIVE) for i in pos_train] + [
        (neg_text[i], NEGATIVE) for i in neg_train
    ]
    rng.shuffle(train)
    test_texts = [pos_text[i] for i in pos_test] + [neg_text[i] for i in neg_test]
    truth = np.array([True] * len(pos_test) + [False] * len(neg_test))

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="curate-quality-") as tmp:
        train_file = Path(tmp) / "train.txt"
        _write_training_file(train_file, [t for t, _ in train], [label for _, label in train])
        tmp_out = out.with_name(out.name + ".tmp")
        _train_in_fresh_process(train_file, tmp_out, params)
    fasttext.FastText.eprint = lambda *args, **kwargs: None
    model = fasttext.load_model(str(tmp_out))  # not the per-path cache: a retrain reuses the path
    evaluation = evaluate(_positive_scores(model, test_texts), truth)
    os.replace(tmp_out, out)
    digest = file_sha256(out)
    metadata = {
        "format": "fasttext-supervised",
        "positive_label": POSITIVE,
        "negative_label": NEGATIVE,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "fasttext": "fasttext-numpy2-wheel 0.9.2",
        "params": asdict(params),
        "examples": {
            "positive": len(positive),
            "negative": len(negative),
            "train": len(train),
            "heldout": len(test_texts),
            "sha256": _examples_digest(positive, negative),
        },
        "sources": sources or {},
    }
    sidecar = sidecar_path(out)
    sidecar.write_text(
        json.dumps(
            {"sha256": digest, "heldout": asdict(evaluation), "metadata": metadata},
            indent=2,
            sort_keys=True,
        )
        + "\n",
        encoding="utf-8",
    )
    load_fasttext_model.cache_clear()
    return TrainedModel(out, sidecar, digest, evaluation, metadata)


def _examples_digest(positive: Sequence[str], negative: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for label, texts in ((POSITIVE, positive), (NEGATIVE, negative)):
        for text in texts:
            digest.update(label.encode())
            digest.update(hashlib.sha256(text.encode()).digest())
    return digest.hexdigest()


def _positive_scores(model, lines: list[str]) -> np.ndarray:
    if not lines:
        return np.zeros(0, np.float32)
    labels, probs = model.predict(lines, k=2)
    target = f"__label__{POSITIVE}"
    scores = np.zeros(len(lines), np.float32)
    for row, (names, values) in enumerate(zip(labels, probs, strict=True)):
        for name, value in zip(names, values, strict=True):
            if name == target:
                scores[row] = min(float(value), 1.0)
    return scores


def verify_model(path: Path) -> str:
    """Check the model against its sidecar's sha256; return the sha256."""
    if not path.is_file():
        raise ClassifierError(
            f"quality model {path} not found: train one with `curate quality train` or fix "
            "quality.classifier_model in the spec"
        )
    digest = file_sha256(path)
    sidecar = sidecar_path(path)
    if sidecar.is_file():
        expected = json.loads(sidecar.read_text(encoding="utf-8")).get("sha256")
        if expected and expected != digest:
            raise ClassifierError(
                f"quality model {path} does not match the sha256 in {sidecar.name} "
                "(the file changed after training): retrain it or restore the original"
            )
    return digest


def score_texts(
    texts: list[str | None] | pa.Array | pa.ChunkedArray, model: str | os.PathLike[str]
) -> pa.Array:
    """Probability of the positive ("high quality") label for each text (float32)."""
    if isinstance(texts, pa.ChunkedArray | pa.Array):
        texts = texts.to_pylist()
    if not texts:  # nothing to score: the model is neither read nor loaded
        return pa.array([], pa.float32())
    path = resolve_model_path(model)
    verify_model(path)
    fitted = load_fasttext_model(str(path))
    if f"__label__{POSITIVE}" not in fitted.get_labels():
        raise ClassifierError(
            f"{path} has labels {fitted.get_labels()}, not __label__{POSITIVE}: it is not a "
            "model from `curate quality train`"
        )
    return pa.array(
        _positive_scores(fitted, _normalize([t or "" for t in texts], TrainParams.max_chars)),
        pa.float32(),
    )
