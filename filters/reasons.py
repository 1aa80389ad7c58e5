"""Quality reason codes: why the quality stage dropped a document.

Declared once so the ledger, the `quality score` report, tests and docs agree on the spelling.
Each heuristic code names the published rule it implements (Gopher, C4, FineWeb); the order of
declaration is the order in which rules are checked, so a dropped row's `reason` is the first
failing rule in this order (FineWeb's pipeline order: language, Gopher repetition, Gopher
quality, C4, FineWeb, then the customer's classifier).
"""

from __future__ import annotations

from enum import StrEnum


class QualityReason(StrEnum):
    """Drop reasons of the quality stage (ledger `reason` column)."""

    EMPTY_TEXT = "quality.empty_text"
    LANG_NOT_ALLOWED = "quality.lang_not_allowed"
    LANG_LOW_SCORE = "quality.lang_low_score"
    # only with lang_per_paragraph: too little of the text in an allowed language
    LANG_MIXED = "quality.lang_mixed"
    # Gopher repetition (Rae et al. 2021, table A1)
    GOPHER_DUP_PARA_FRAC = "quality.gopher_dup_para_frac"
    GOPHER_DUP_PARA_CHAR_FRAC = "quality.gopher_dup_para_char_frac"
    GOPHER_DUP_LINE_FRAC = "quality.gopher_dup_line_frac"
    GOPHER_DUP_LINE_CHAR_FRAC = "quality.gopher_dup_line_char_frac"
    GOPHER_TOP_2GRAM = "quality.gopher_top_2gram"
    GOPHER_TOP_3GRAM = "quality.gopher_top_3gram"
    GOPHER_TOP_4GRAM = "quality.gopher_top_4gram"
    GOPHER_DUP_5GRAM = "quality.gopher_dup_5gram"
    GOPHER_DUP_6GRAM = "quality.gopher_dup_6gram"
    GOPHER_DUP_7GRAM = "quality.gopher_dup_7gram"
    GOPHER_DUP_8GRAM = "quality.gopher_dup_8gram"
    GOPHER_DUP_9GRAM = "quality.gopher_dup_9gram"
    GOPHER_DUP_10GRAM = "quality.gopher_dup_10gram"
    # Gopher quality
    GOPHER_SHORT_DOC = "quality.gopher_short_doc"
    GOPHER_LONG_DOC = "quality.gopher_long_doc"
    GOPHER_BELOW_AVG_WORD_LENGTH = "quality.gopher_below_avg_word_length"
    GOPHER_ABOVE_AVG_WORD_LENGTH = "quality.gopher_above_avg_word_length"
    GOPHER_TOO_MANY_HASHES = "quality.gopher_too_many_hashes"
    GOPHER_TOO_MANY_ELLIPSIS = "quality.gopher_too_many_ellipsis"
    GOPHER_TOO_MANY_BULLETS = "quality.gopher_too_many_bullets"
    GOPHER_TOO_MANY_END_ELLIPSIS = "quality.gopher_too_many_end_ellipsis"
    GOPHER_BELOW_ALPHA_WORDS = "quality.gopher_below_alpha_words"
    GOPHER_FEW_STOP_WORDS = "quality.gopher_few_stop_words"
    # C4 (Raffel et al. 2020, as implemented by datatrove's C4QualityFilter)
    C4_LOREM_IPSUM = "quality.c4_lorem_ipsum"
    C4_CURLY_BRACKET = "quality.c4_curly_bracket"
    C4_TOO_FEW_SENTENCES = "quality.c4_too_few_sentences"
    # FineWeb (Penedo et al. 2024)
    FINEWEB_LINE_PUNCT_RATIO = "quality.fineweb_line_punct_ratio"
    FINEWEB_SHORT_LINE_RATIO = "quality.fineweb_short_line_ratio"
    FINEWEB_CHAR_DUP_RATIO = "quality.fineweb_char_dup_ratio"
    FINEWEB_LIST_RATIO = "quality.fineweb_list_ratio"
    # the customer's fastText quality classifier
    CLASSIFIER_LOW_SCORE = "quality.classifier_low_score"

    @property
    def rule(self) -> str:
        """The rule name without the stage prefix, as used in `disable` and reports."""
        return self.value.removeprefix("quality.")
