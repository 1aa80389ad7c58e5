"""Per-paragraph language id for mixed documents: shares scored once, filtered on any policy."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from curation.config import build_config
from curation.ledger import Decision
from curation.offline import enforce_offline
from curation.schema import conform
from filters.config import QualityConfig
from filters.exceptions import SignalsMissingError
from filters.langid import paragraph_languages
from filters.signals import SIGNALS
from filters.stage import filter_quality, score_quality

enforce_offline()

ENGLISH = [
    "The works council met on Tuesday to review the annual budget and the hiring plans for next "
    "year. Members asked that the report be shared with every department before the vote.",
    "After a long discussion, the chair agreed to publish the figures in the spring, together "
    "with a summary of the changes to the travel policy and the training budget.",
    "The finance team will answer the questions that were raised during the session, and a "
    "second meeting has been planned for the first week of May in the main hall.",
    "The minutes of the meeting will be stored in the shared drive, and every employee can "
    "read them after the summer holidays.",
]
GERMAN = [
    "Der Betriebsrat hat am Dienstag den Haushalt geprüft und die Pläne für die Einstellungen im "
    "nächsten Jahr besprochen. Die Mitglieder baten darum, den Bericht vor der Abstimmung allen "
    "Abteilungen zu schicken, und der Vorsitzende stimmte zu, die Zahlen im Frühjahr zu "
    "veröffentlichen.",
]
# an English page that quotes a German minute: 31% of its text is German
MIXED = "\n\n".join([ENGLISH[0], GERMAN[0], *ENGLISH[1:]])
# a third German: whole-document lid.176 names it German (score 0.49), its paragraphs do not
THIRD = "\n\n".join([ENGLISH[0], GERMAN[0], *ENGLISH[1:3]])
PLAIN = "\n\n".join(ENGLISH)


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


def config(**values) -> QualityConfig:
    return build_config(QualityConfig, {"lang_per_paragraph": True, **values}, "quality")


def signals(table: pa.Table, row: int) -> dict[str, float | None]:
    return {e["key"]: e["value"] for e in table.column("quality_signals")[row].as_py()}


@pytest.fixture(scope="module")
def scored() -> pa.Table:
    return score_quality(documents([PLAIN, MIXED, "Short line.", THIRD]), config())


def test_paragraph_languages_of_a_mixed_document():
    mix = paragraph_languages([MIXED, PLAIN, None])
    chars = {(row, lang): count for row, lang, count in mix.rows()}
    assert set(chars) == {(0, "en"), (0, "de"), (1, "en")}
    german = len(GERMAN[0])
    assert chars[(0, "de")] == german
    assert chars[(0, "en")] == sum(len(p) for p in ENGLISH) == chars[(1, "en")]


def test_scored_shares_per_language(scored):
    assert scored.column("lang").to_pylist()[:2] == ["en", "en"]
    plain, mixed, short = signals(scored, 0), signals(scored, 1), signals(scored, 2)
    assert plain["lang_main_frac"] == 1.0 and plain["lang_frac.en"] == 1.0
    assert "lang_frac.de" not in plain
    german = len(GERMAN[0]) / (len(GERMAN[0]) + sum(len(p) for p in ENGLISH))
    assert mixed["lang_frac.de"] == pytest.approx(german)
    assert mixed["lang_main_frac"] == pytest.approx(1 - german)
    assert 0.25 < german < 0.35
    # the main language is the paragraphs' majority, whatever the whole-document label says
    third = signals(scored, 3)
    assert scored.column("lang")[3].as_py() == "de"
    assert third["lang_main_frac"] == third["lang_frac.en"] > 0.6
    # too short to identify per paragraph: recorded as unknown, never a drop
    assert short["lang_main_frac"] is None
    assert set(SIGNALS) <= set(short)


def test_mixed_document_dropped_with_details(scored):
    decision = filter_quality(scored, config(languages=["en"]))
    assert decision.decision.to_pylist()[:2] == [Decision.KEPT, Decision.DROPPED]
    assert decision.reason[1].as_py() == "quality.lang_mixed"
    failed = json.loads(decision.details[1].as_py())["failed"][0]
    assert failed["rule"] == "quality.lang_mixed" and failed["threshold"] == 0.8
    assert 0.65 < failed["value"] < 0.75
    # the German-labelled third-German page fails both language rules, details name both
    rules = [f["rule"] for f in json.loads(decision.details[3].as_py())["failed"]]
    assert rules[:3] == ["quality.lang_not_allowed", "quality.lang_low_score", "quality.lang_mixed"]


def test_policy_changes_do_not_rescore(scored):
    # German allowed too: all of the text is in an allowed language
    assert filter_quality(scored, config(languages=["en", "de-DE"])).reason[1].as_py() is None
    # no language list: the document's own main language is what must dominate
    assert filter_quality(scored, config()).reason[1].as_py() == "quality.lang_mixed"
    assert filter_quality(scored, config(min_lang_allowed_frac=0.5)).reason[1].as_py() is None
    # per-paragraph off: the whole-document language (English) decides, the mix is ignored
    off = build_config(QualityConfig, {"languages": ["en"]}, "quality")
    assert filter_quality(scored, off).reason[1].as_py() is None


def test_off_by_default_adds_no_signals_and_refuses_unscored_mix():
    cfg = QualityConfig()
    assert cfg.lang_per_paragraph is False
    table = score_quality(documents([MIXED]), cfg)
    assert set(signals(table, 0)) == set(SIGNALS)
    assert filter_quality(table, cfg).reason[0].as_py() is None
    with pytest.raises(SignalsMissingError, match="lang_per_paragraph"):
        filter_quality(table, config(languages=["en"]))


def test_threshold_must_be_a_share():
    from curation.exceptions import SpecError

    with pytest.raises(SpecError, match="min_lang_allowed_frac"):
        config(min_lang_allowed_frac=80)
