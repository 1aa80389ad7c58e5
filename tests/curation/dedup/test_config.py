from __future__ import annotations

import pytest

from curation.config import build_config, fingerprint
from curation.dedup.config import DedupConfig, optimal_bands
from curation.exceptions import SpecError


def test_defaults_and_spec_mapping():
    cfg = build_config(DedupConfig, {"threshold": 0.7, "verify": "exact"}, "dedup")
    assert (cfg.threshold, cfg.ngram, cfg.num_perm, cfg.seed, cfg.verify) == (
        0.7,
        5,
        128,
        1,
        "exact",
    )
    assert fingerprint(cfg) != fingerprint(DedupConfig())


@pytest.mark.parametrize(
    ("mapping", "key"),
    [
        ({"treshold": 0.8}, "dedup.treshold"),
        ({"threshold": 1.5}, "dedup.threshold"),
        ({"verify": "maybe"}, "dedup.verify"),
        ({"representative": "random"}, "dedup.representative"),
        ({"bands": 20}, "dedup.bands"),
        ({"bands": 20, "rows": 8}, "dedup.bands"),
        ({"kept_similarity": 0.9}, "dedup.kept_similarity"),
        ({"exact": "yes"}, "dedup.exact"),
    ],
)
def test_spec_errors_name_the_key(mapping, key):
    with pytest.raises(SpecError) as error:
        build_config(DedupConfig, mapping, "dedup")
    assert error.value.key == key


def test_banding_matches_datasketch_optimizer():
    from datasketch.lsh import _optimal_param

    for threshold in (0.5, 0.8, 0.9):
        assert optimal_bands(threshold, 128) == _optimal_param(threshold, 128, 0.1, 0.9)
    assert optimal_bands(0.8, 128, 0.5) == _optimal_param(0.8, 128, 0.5, 0.5)
    assert DedupConfig(bands=16, rows=8).band_params() == (16, 8)
