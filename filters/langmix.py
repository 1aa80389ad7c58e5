"""Language mix of mixed documents: how much of each document is in which language.

Scored once (`language_mix_signals`), filtered on any allowed-language list later
(`allowed_frac`): the signals hold the share of characters per paragraph language
(`lang_frac.<code>`) and in the document's main language (`lang_main_frac`), so changing
`languages` or `min_lang_allowed_frac` in the spec never re-runs language id.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from filters.langid import paragraph_languages

MAIN_FRAC = "lang_main_frac"
ALLOWED_FRAC = "lang_allowed_frac"
LANG_FRAC_PREFIX = "lang_frac."


def language_mix_signals(texts: pl.Series | list[str | None]) -> pl.DataFrame:
    """Long signal entries `row`, `key`, `value` for every document of a batch.

    Every row gets `lang_main_frac`, the share of its main language, the one most of its
    paragraph text is in (null when no paragraph is long enough to identify), and one
    `lang_frac.<code>` per language found among its paragraphs. The main language is taken from
    the paragraphs, not from the whole-document `lang`: lid.176 on a whole mixed document is
    pulled towards the language with the most distinctive character n-grams (an English page
    that is one third German comes out `de` with score 0.49).

    Examples
    --------
    >>> en = "The committee met on Tuesday to review the annual budget for next year."
    >>> de = "Der Ausschuss hat am Dienstag den Haushalt für das nächste Jahr geprüft."
    >>> mix = language_mix_signals([en + "\\n\\n" + de + "!", "short"])
    >>> [(row, key, None if v is None else round(v, 2)) for row, key, v in mix.rows()]
    [(0, 'lang_main_frac', 0.51), (0, 'lang_frac.de', 0.51), (0, 'lang_frac.en', 0.49), (1, 'lang_main_frac', None)]
    """
    n = len(texts)
    shares = paragraph_languages(texts).with_columns(
        (pl.col("chars") / pl.col("chars").sum().over("row")).alias("value")
    )
    main = (
        pl.DataFrame({"row": np.arange(n, dtype=np.int64)})
        .join(shares.group_by("row").agg(pl.col("value").max()), on="row", how="left")
        .select("row", pl.lit(MAIN_FRAC).alias("key"), pl.col("value").cast(pl.Float64))
    )
    per_lang = shares.select(
        "row", (LANG_FRAC_PREFIX + pl.col("lang")).alias("key"), pl.col("value").cast(pl.Float64)
    )
    # main share first, then languages alphabetically (paragraph_languages sorts them)
    return pl.concat([main, per_lang]).sort("row", maintain_order=True)


def allowed_frac(columns: Sequence[str], languages: Sequence[str]) -> pl.Expr:
    """Share of the measured text in an allowed language, from wide signal columns.

    With no allowed languages the document's main language is what is allowed. Null when
    the document had no paragraph long enough to identify (the rule then never fails).
    """
    main = pl.col(MAIN_FRAC)
    if not languages:
        return main.alias(ALLOWED_FRAC)
    present = [
        pl.col(LANG_FRAC_PREFIX + code).fill_null(0.0)
        for code in languages
        if LANG_FRAC_PREFIX + code in columns
    ]
    total = pl.sum_horizontal(present) if present else pl.lit(0.0)
    return pl.when(main.is_not_null()).then(total.clip(upper_bound=1.0)).alias(ALLOWED_FRAC)
