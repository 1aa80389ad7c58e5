"""A per-document reference of the published rules (datatrove 0.10.1's logic, English).

Test oracle only: it re-states datatrove's filter code line by line (spaCy words, Counter,
sets), so the column-wise signals can be checked against it without installing datatrove.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

from filters.published import (
    C4_CITATION_PATTERN,
    C4_END_PUNCTUATION,
    C4_POLICY_SUBSTRINGS,
    PUNCTUATION_SET,
    STOP_WORDS,
    TERMINAL_PUNCTUATION,
)


@cache
def _nlp():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def words(text: str) -> list[str]:
    return [t.text.strip() for t in _nlp().tokenizer(text) if t.text.strip()]


def sentences(text: str) -> int:
    return len(list(_nlp()(text).sents))


def _find_duplicates(items):
    seen, dup_n, dup_chars = set(), 0, 0
    for item in items:
        if item in seen:
            dup_n += 1
            dup_chars += len(item)
        else:
            seen.add(item)
    return dup_n, dup_chars


def _all_duplicate(ws, n):
    unique, repeated, idx = set(), 0, 0
    while idx < len(ws) - n + 1:
        gram = "".join(ws[idx : idx + n])
        if gram in unique:
            repeated += len(gram)
            idx += n
        else:
            unique.add(gram)
            idx += 1
    return repeated


def signals(text: str) -> dict[str, float]:
    ws = words(text)
    non_symbol = [w for w in ws if any(c not in PUNCTUATION_SET for c in w)]
    lines = text.splitlines()
    out: dict[str, float] = {
        "word_count": len(non_symbol),
        "token_count": len(ws),
        "stop_words_count": len(set(STOP_WORDS) & set(ws)),
    }
    if non_symbol:
        out["mean_word_length"] = sum(len(w) for w in non_symbol) / len(non_symbol)
    if ws:
        out["hash_word_ratio"] = text.count("#") / len(ws)
        out["ellipsis_word_ratio"] = (text.count("...") + text.count("…")) / len(ws)
        out["alpha_words_frac"] = sum(any(c.isalpha() for c in w) for w in ws) / len(ws)
        out["list_ratio"] = text.count("\n") / len(ws)
    if lines:
        out["bullet_lines_frac"] = sum(
            s.lstrip().startswith("•") or s.lstrip().startswith("-") for s in lines
        ) / len(lines)
        out["ellipsis_lines_frac"] = sum(
            s.rstrip().endswith("...") or s.rstrip().endswith("…") for s in lines
        ) / len(lines)
    if text:
        paragraphs = re.split(r"\n{2,}", text.strip())
        n, chars = _find_duplicates(paragraphs)
        out["dup_para_frac"] = n / len(paragraphs)
        out["dup_para_char_frac"] = chars / len(text)
        split_lines = re.split("\n+", text)
        n, chars = _find_duplicates(split_lines)
        out["dup_line_frac"] = n / len(split_lines)
        out["dup_line_char_frac"] = chars / len(text)
        for n in (2, 3, 4):
            grams = [" ".join(ws[i : i + n]) for i in range(len(ws) - n + 1)]
            if grams:
                gram, count = Counter(grams).most_common(1)[0]
                out[f"top_{n}gram_char_frac"] = len(gram) * count / len(text)
            else:
                out[f"top_{n}gram_char_frac"] = 0.0
        for n in range(5, 11):
            out[f"dup_{n}gram_char_frac"] = _all_duplicate(ws, n) / len(text)
    fw_lines = [line for line in text.split("\n") if line.strip() != ""]
    if fw_lines:
        out["line_punct_ratio"] = sum(
            1 for line in fw_lines if line.endswith(tuple(TERMINAL_PUNCTUATION))
        ) / len(fw_lines)
        out["short_line_ratio"] = sum(1 for line in fw_lines if len(line) <= 30) / len(fw_lines)
        out["char_dup_ratio"] = _find_duplicates(fw_lines)[1] / len(text.replace("\n", ""))
    out.update(c4(text))
    return out


def c4(text: str) -> dict[str, float]:
    citation = re.compile(C4_CITATION_PATTERN)
    n_sentences = lorem = curly = 0
    for line in text.splitlines():
        line = line.strip()
        line_words = line.split()
        if any(len(w) > 1000 for w in line_words):
            continue
        line = citation.sub("", line)
        if not line.endswith(C4_END_PUNCTUATION) or line.endswith("..."):
            continue
        if len(line_words) < 3:
            continue
        lower = line.lower()
        if "lorem ipsum" in lower:
            lorem += 1
            continue
        if "javascript" in lower:
            continue
        if "{" in line:
            curly += 1
            continue
        if any(p in lower for p in C4_POLICY_SUBSTRINGS):
            continue
        n_sentences += sentences(line)
    return {
        "c4_sentence_count": n_sentences,
        "c4_lorem_ipsum_lines": lorem,
        "c4_curly_bracket_lines": curly,
    }
