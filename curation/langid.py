"""Language of short texts (paragraphs) with fastText lid.176, for stages below `filters`; the
one fastText model cache of the process (`filters.langid` uses it too).

The PII stage reads a document's paragraphs in another language with that language's rules; it
cannot import `filters` (dependencies point from `filters` to `curation`), so the model load and
batch predict it needs live here. The model is the one `make setup` installs; nothing is
downloaded.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from curation.resources import lid_model_path

LABEL_PREFIX = "__label__"
# fastText reads one line per input; longer inputs only cost time.
MAX_CHARS = 2_000


@functools.cache
def load_fasttext_model(path: str):
    """Load a fastText model once per process (lid.176, or a quality classifier in `filters`)."""
    import fasttext

    # fastText prints a deprecation warning on stderr for every load_model call
    fasttext.FastText.eprint = lambda *args, **kwargs: None
    return fasttext.load_model(path)


def prepare_lines(texts: list[str | None], max_chars: int) -> list[str]:
    """One line per text, as fastText's predict needs: newlines to spaces, length capped."""
    return [(text or "")[:max_chars].replace("\r", " ").replace("\n", " ") for text in texts]


def identify(texts: Sequence[str]) -> list[tuple[str, float]]:
    """(language code, probability) per text, one batched call; raises `WorkspaceError` when
    the model is not installed.

    Examples
    --------
    >>> identify(["Vielen Dank für Ihre Nachricht, wir melden uns morgen bei Ihnen."])[0][0]
    'de'
    """
    if not texts:
        return []
    lines = prepare_lines(list(texts), MAX_CHARS)
    labels, probs = load_fasttext_model(str(lid_model_path())).predict(lines, k=1)
    return [
        (label[0].removeprefix(LABEL_PREFIX), min(float(prob[0]), 1.0))
        for label, prob in zip(labels, probs, strict=True)
    ]
