"""score_quality then filter_quality: columns, reasons, details, ledger."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from curation.config import build_config
from curation.ledger import Decision
from curation.schema import DOCUMENT_SCHEMA, conform
from curation.stage import apply_decision
from filters.config import QualityConfig
from filters.exceptions import SignalsMissingError
from filters.signals import SIGNALS
from filters.stage import filter_quality, score_quality

PROSE = (
    "The committee met on Tuesday to review the annual budget and the plans for next year.\n"
    "Members asked that the report be shared with every department before the vote.\n"
    "After a long discussion, the chair agreed to publish the figures in the spring.\n"
    "The staff will prepare a summary of the changes to the travel and hiring policy.\n"
    "The finance team will answer the questions that were raised during the session.\n"
    "A second meeting has been planned for the first week of May, in the main hall.\n"
)
GERMAN = (
    "Der Ausschuss hat am Dienstag den Haushalt geprüft und die Pläne für das nächste Jahr "
    "besprochen. Die Mitglieder baten darum, den Bericht vor der Abstimmung allen Abteilungen "
    "zu schicken, und der Vorsitzende stimmte zu, die Zahlen zu veröffentlichen."
)


def documents(texts: list[str]) -> pa.Table:
    n = len(texts)
    return conform(
        pa.table(
            {
                "doc_id": [f"d{i}" for i in range(n)],
                "source_id": ["s"] * n,
                "source_uri": [f"file:///d{i}" for i in range(n)],
                "text": texts,
            }
        )
    )


@pytest.fixture(scope="module")
def scored() -> pa.Table:
    texts = [PROSE, "Too short.", "", "menu\n" * 80, GERMAN * 3]
    return score_quality(documents(texts), QualityConfig())


def test_score_fills_the_quality_columns(scored):
    assert scored.schema == DOCUMENT_SCHEMA
    langs = scored.column("lang").to_pylist()
    assert (langs[0], langs[2], langs[4]) == ("en", None, "de")
    assert scored.column("lang_score")[0].as_py() > 0.8
    signals = {e["key"]: e["value"] for e in scored.column("quality_signals")[0].as_py()}
    assert set(signals) == set(SIGNALS)
    assert signals["word_count"] > 70
    assert scored.column("quality_score").null_count == scored.num_rows


def test_filter_reasons_are_the_first_failing_rule(scored):
    cfg = build_config(QualityConfig, {"languages": ["en"]}, "quality")
    decision = filter_quality(scored, cfg)
    assert decision.decision.to_pylist() == [
        Decision.KEPT,
        Decision.DROPPED,
        Decision.DROPPED,
        Decision.DROPPED,
        Decision.DROPPED,
    ]
    reasons = decision.reason.to_pylist()
    assert reasons[0] is None
    assert reasons[2] == "quality.empty_text"
    # language rules come first; the repetition rule is in the details too
    assert reasons[3] == "quality.lang_low_score"
    assert "quality.gopher_dup_line_frac" in decision.details[3].as_py()
    assert reasons[4] == "quality.lang_not_allowed"


def test_details_list_every_failing_rule_with_value_and_threshold(scored):
    cfg = QualityConfig(preset="datatrove", min_lang_score=0.0)
    decision = filter_quality(scored, cfg)
    details = json.loads(decision.details[1].as_py())
    rules = {item["rule"]: item for item in details["failed"]}
    assert decision.reason[1].as_py() == details["failed"][0]["rule"]
    short = rules["quality.gopher_short_doc"]
    assert short == {
        "bound": "min",
        "rule": "quality.gopher_short_doc",
        "threshold": 50.0,
        "value": 2.0,
    }
    assert "quality.c4_too_few_sentences" in rules
    assert "Too short" not in decision.details[1].as_py()
    assert decision.details[0].as_py() is None


def test_changing_a_threshold_does_not_rescore(scored):
    strict = build_config(QualityConfig, {"gopher_quality": {"min_doc_words": 500}}, "quality")
    loose = build_config(QualityConfig, {"gopher_quality": {"min_doc_words": 1}}, "quality")
    assert filter_quality(scored, strict).reason[0].as_py() == "quality.gopher_short_doc"
    assert filter_quality(scored, loose).reason[0].as_py() is None


def test_disabled_rule_and_family_do_not_drop(scored):
    cfg = build_config(
        QualityConfig,
        {
            "preset": "datatrove",
            "min_lang_score": 0.0,
            "disable": ["gopher_short_doc", "gopher_few_stop_words"],
            "c4": {"enabled": False},
            "fineweb": {"enabled": False},
        },
        "quality",
    )
    reason = filter_quality(scored, cfg).reason[1].as_py()
    assert reason not in {
        "quality.gopher_short_doc",
        "quality.gopher_few_stop_words",
        "quality.c4_too_few_sentences",
    }


def test_apply_decision_accounts_for_every_row(scored):
    decision = filter_quality(scored, QualityConfig())
    result = apply_decision("quality", scored, decision, "run-1")
    assert result.ledger.num_rows == scored.num_rows
    kept = result.table.num_rows
    dropped = sum(d == Decision.DROPPED for d in result.ledger.column("decision").to_pylist())
    assert kept + dropped == scored.num_rows
    assert set(result.ledger.column("stage").to_pylist()) == {"quality"}


def test_filter_without_scores_says_what_to_do():
    with pytest.raises(SignalsMissingError, match="score_quality"):
        filter_quality(documents(["text"]), QualityConfig())


def test_empty_batch():
    table = score_quality(documents([]), QualityConfig())
    assert table.num_rows == 0
    assert len(filter_quality(table, QualityConfig()).decision) == 0


def test_language_policy_matches_base_language_codes(scored):
    cfg = build_config(
        QualityConfig, {"languages": ["en-US", "DE"], "min_lang_score": 0.0}, "quality"
    )
    reasons = filter_quality(scored, cfg).reason.to_pylist()
    assert reasons[0] is None
    assert reasons[4] != "quality.lang_not_allowed"
