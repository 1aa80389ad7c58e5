from __future__ import annotations

import numpy as np
import pyarrow as pa
from datasketch import LeanMinHash, MinHash, MinHashLSH

from curation.dedup.candidates import band_frame, candidate_pairs
from curation.dedup.minhash import (
    band_hashes,
    datasketch_lsh,
    lean_minhash,
    permutations,
    signatures,
)
from curation.dedup.shingles import shingle_batch, shingle_hash32


def _corpus(make_prose, make_edit) -> list[str]:
    base = [make_prose(seed, 200 + 40 * seed) for seed in range(6)]
    edits = [make_edit(text, 0.03, seed + 100) for seed, text in enumerate(base)]
    return [*base, *edits, "too short", "", "Five words make one shingle"]


def test_permutations_are_datasketch_affine32_parameters():
    for num_perm, seed in ((128, 1), (256, 42), (16, 0)):
        a, b = MinHash(num_perm=num_perm, seed=seed).permutations
        ours_a, ours_b = permutations(num_perm, seed)
        assert ours_a.dtype == np.uint32
        np.testing.assert_array_equal(ours_a, a)
        np.testing.assert_array_equal(ours_b, b)


def test_signatures_equal_datasketch_minhash_hashvalues(make_prose, make_edit, python_shingles):
    texts = _corpus(make_prose, make_edit)
    for num_perm, seed in ((128, 1), (64, 7)):
        sig = signatures(shingle_batch(pa.array(texts), 5), num_perm, seed)
        assert sig.shape == (len(texts), num_perm) and sig.dtype == np.uint32
        for i, text in enumerate(texts):
            expected = MinHash(num_perm=num_perm, seed=seed, hashfunc=shingle_hash32)
            expected.update_batch([s.encode() for s in python_shingles(text, 5)])
            np.testing.assert_array_equal(sig[i], expected.hashvalues)


def test_lean_minhash_round_trip_and_jaccard(make_prose, make_edit):
    texts = _corpus(make_prose, make_edit)
    sig = signatures(shingle_batch(pa.array(texts), 5), 128, 1)
    lean = lean_minhash(sig[0], 1)
    assert isinstance(lean, LeanMinHash)
    buffer = bytearray(lean.bytesize())
    lean.serialize(buffer)
    restored = LeanMinHash.deserialize(buffer)
    np.testing.assert_array_equal(restored.hashvalues, sig[0])
    assert lean.jaccard(lean_minhash(sig[6], 1)) > 0.7  # 3% of words edited
    assert lean.jaccard(lean_minhash(sig[1], 1)) < 0.2


def test_candidates_equal_datasketch_minhashlsh_query(make_prose, make_edit):
    texts = _corpus(make_prose, make_edit)
    batch = shingle_batch(pa.array(texts), 5)
    sig = signatures(batch, 128, 1)
    nonempty = np.flatnonzero(batch.counts() > 0)
    for bands, rows in ((14, 9), (32, 4)):
        pairs = candidate_pairs(band_frame(nonempty, band_hashes(sig[nonempty], bands, rows)))
        ours = set(zip(pairs["left"].to_list(), pairs["right"].to_list(), strict=True))
        lsh = datasketch_lsh(nonempty.tolist(), sig[nonempty], bands=bands, rows=rows, seed=1)
        assert isinstance(lsh, MinHashLSH)
        theirs = {
            (min(i, j), max(i, j))
            for i in nonempty.tolist()
            for j in lsh.query(lean_minhash(sig[i], 1))
            if i != j
        }
        assert ours == theirs
        assert {(0, 6), (1, 7)} <= ours
