"""Language identification with fastText lid.176, one model load per process, batch predict.

The model file is installed by `make setup` (never downloaded at run time); see
`curation.resources.lid_model_path`. fastText's `predict` takes a list of strings, one line
each, so newlines are replaced by spaces first; it returns labels like `__label__en`.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pyarrow as pa

from curation.resources import lid_model_path

LABEL_PREFIX = "__label__"
# fastText reads its input up to a newline; long inputs only cost time, not accuracy.
MAX_CHARS = 20_000


@functools.cache
def load_fasttext_model(path: str):
    """Load a fastText model once per process (lid.176 or a quality classifier)."""
    import fasttext

    # fastText prints a deprecation warning on stderr for every load_model call
    fasttext.FastText.eprint = lambda *args, **kwargs: None
    return fasttext.load_model(path)


def prepare_lines(texts: list[str | None], max_chars: int = MAX_CHARS) -> list[str]:
    """One line per text, as fastText's predict needs: newlines to spaces, length capped."""
    return [(text or "")[:max_chars].replace("\r", " ").replace("\n", " ") for text in texts]


def identify_languages(
    texts: list[str | None] | pa.Array | pa.ChunkedArray, model: Path | None = None
) -> tuple[pa.Array, pa.Array]:
    """Language code and score of each text; null language and 0 score for blank text.

    Examples
    --------
    >>> lang, score = identify_languages(["The quick brown fox jumps over the lazy dog.", ""])
    >>> lang.to_pylist()
    ['en', None]
    >>> score[0].as_py() > 0.5
    True
    """
    if isinstance(texts, pa.ChunkedArray | pa.Array):
        texts = texts.to_pylist()
    model_path = str(model or lid_model_path())
    lines = prepare_lines(texts)
    blank = np.fromiter((not line.strip() for line in lines), bool, len(lines))
    langs: list[str | None] = [None] * len(lines)
    scores = np.zeros(len(lines), np.float32)
    todo = np.flatnonzero(~blank)
    if len(todo):
        labels, probs = load_fasttext_model(model_path).predict([lines[i] for i in todo], k=1)
        for row, label, prob in zip(todo.tolist(), labels, probs, strict=True):
            langs[row] = label[0].removeprefix(LABEL_PREFIX)
            scores[row] = min(float(prob[0]), 1.0)
    return pa.array(langs, pa.string()), pa.array(scores, pa.float32())
