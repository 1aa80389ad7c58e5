"""The `quality` spec section: presets, overrides, key-naming errors."""

from __future__ import annotations

import pytest

from curation.config import build_config, fingerprint
from curation.exceptions import SpecError
from filters.config import PRESETS, RULES, QualityConfig


def test_default_preset_is_enterprise():
    assert QualityConfig().preset == "enterprise"


def test_datatrove_preset_has_the_published_defaults():
    thresholds = QualityConfig(preset="datatrove").thresholds()
    assert thresholds["quality.gopher_short_doc"] == 50
    assert thresholds["quality.gopher_below_alpha_words"] == 0.8
    assert thresholds["quality.gopher_dup_10gram"] == 0.10
    assert thresholds["quality.c4_too_few_sentences"] == 5
    assert thresholds["quality.fineweb_char_dup_ratio"] == 0.01
    assert len(thresholds) == len(RULES)
    assert QualityConfig(preset="datatrove").min_score() == 0.65


def test_spec_overrides_one_threshold_and_keeps_the_rest():
    cfg = build_config(
        QualityConfig,
        {"preset": "datatrove", "gopher_quality": {"min_doc_words": 10}, "languages": ["en"]},
        "quality",
    )
    assert cfg.thresholds()["quality.gopher_short_doc"] == 10
    assert cfg.thresholds()["quality.gopher_long_doc"] == 100_000
    assert cfg.languages == ("en",)


def test_family_flag_and_disable_remove_rules():
    cfg = build_config(
        QualityConfig,
        {"c4": {"enabled": False}, "disable": ["gopher_too_many_hashes"]},
        "quality",
    )
    reasons = cfg.thresholds()
    assert not any(r.startswith("quality.c4_") for r in reasons)
    assert "quality.gopher_too_many_hashes" not in reasons
    assert "quality.gopher_too_many_ellipsis" in reasons


def test_unknown_key_is_named():
    with pytest.raises(SpecError, match=r"quality\.gopher_quality\.min_words"):
        build_config(QualityConfig, {"gopher_quality": {"min_words": 3}}, "quality")


def test_unknown_preset_and_rule_are_rejected():
    with pytest.raises(SpecError, match="preset"):
        build_config(QualityConfig, {"preset": "web"}, "quality")
    with pytest.raises(SpecError, match="unknown rule 'gopher_nope'"):
        build_config(QualityConfig, {"disable": ["gopher_nope"]}, "quality")


def test_min_score_needs_a_model():
    with pytest.raises(SpecError, match="classifier_model"):
        build_config(QualityConfig, {"classifier_min_score": 0.5}, "quality")


def test_fingerprint_changes_with_a_threshold():
    base = QualityConfig()
    changed = build_config(QualityConfig, {"fineweb": {"max_list_ratio": 0.9}}, "quality")
    assert fingerprint(base) != fingerprint(changed)


def test_every_preset_sets_every_rule_setting():
    for name, preset in PRESETS.items():
        for rule in RULES:
            assert rule.setting in preset[rule.family], (name, rule.setting)
