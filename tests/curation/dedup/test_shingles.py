from __future__ import annotations

import re

import numpy as np
import pyarrow as pa

from curation.dedup.shingles import shingle_batch, shingle_hash32, tokenize

TEXTS = [
    "Hello, World! This is the 1st test of the shingles: ünïcode Straße and naïve café.",
    "",
    None,
    "two words",
    "exactly five tokens here now",
    "six tokens are in this one",
    "HELLO world this is the 1st TEST of the shingles ünïcode straße and naïve café",
    "snake_case_names and dashes-split tokens — em dash “quotes” 3.14",
]


def test_tokens_match_python_re(make_prose):
    texts = [*TEXTS, make_prose(1)]
    result = tokenize(pa.array(texts)).to_list()
    expected = [re.findall(r"\w+", (t or "").lower()) for t in texts]
    assert result == expected


def test_batch_hashes_equal_scalar_hash_of_each_shingle(python_shingles):
    batch = shingle_batch(pa.array(TEXTS), 5)
    for i, text in enumerate(TEXTS):
        expected = [shingle_hash32(s) for s in python_shingles(text, 5)]
        result = batch.hashes[batch.offsets[i] : batch.offsets[i + 1]].tolist()
        assert result == expected, text
    assert batch.n_tokens.tolist()[:5] == [15, 0, 0, 2, 5]


def test_other_ngram_sizes(python_shingles):
    for n in (1, 2, 3, 7):
        batch = shingle_batch(pa.array(TEXTS), n)
        for i, text in enumerate(TEXTS):
            expected = [shingle_hash32(s) for s in python_shingles(text, n)]
            assert batch.hashes[batch.offsets[i] : batch.offsets[i + 1]].tolist() == expected


def test_text_key_ignores_case_and_punctuation_only():
    batch = shingle_batch(pa.array(TEXTS), 5)
    keys = [tuple(k) for k in batch.text_key.tolist()]
    assert keys[0] == keys[6]  # same words, other case and punctuation
    assert keys[1] == keys[2]  # empty and null text
    assert len(set(keys)) == len(TEXTS) - 2
    swapped = shingle_batch(pa.array(["alpha beta gamma", "beta alpha gamma"]), 5)
    assert tuple(swapped.text_key[0]) != tuple(swapped.text_key[1])


def test_take_keeps_documents_in_the_given_order():
    batch = shingle_batch(pa.array(TEXTS), 5)
    rows = np.array([6, 0, 3])
    sub = batch.take(rows)
    for j, i in enumerate(rows):
        assert (
            sub.hashes[sub.offsets[j] : sub.offsets[j + 1]].tolist()
            == batch.hashes[batch.offsets[i] : batch.offsets[i + 1]].tolist()
        )
    assert sub.text_key.tolist() == batch.text_key[rows].tolist()
