"""The stage contract: `redact_documents` over DOCUMENT_SCHEMA batches, ledger-ready decisions."""

from __future__ import annotations

import json
import socket

import numpy as np
import pyarrow as pa
import pytest

from curation.ledger import Decision
from curation.pii import PiiConfig, PiiReason, build_analyzer, redact_documents, redact_texts
from curation.pii import stage as pii_stage
from curation.schema import DOCUMENT_SCHEMA, conform, make_doc_id
from curation.stage import apply_decision


def documents(texts: list[str | None], langs: list[str | None] | None = None) -> pa.Table:
    n = len(texts)
    return conform(
        pa.table(
            {
                "doc_id": [make_doc_id("hr", f"doc{i}.txt") for i in range(n)],
                "text": pa.array(texts, pa.large_string()),
                "source_id": ["hr"] * n,
                "source_uri": [f"file:///hr/doc{i}.txt" for i in range(n)],
                "lang": langs or ["en"] * n,
            }
        )
    )


def test_redact_documents_fills_text_counts_and_decision(seeded_text, seeded_values):
    table = documents([seeded_text, "Quarterly numbers are attached.", None])

    result, decision = redact_documents(table, PiiConfig())

    assert result.schema == DOCUMENT_SCHEMA
    assert result.column("doc_id").to_pylist() == table.column("doc_id").to_pylist()
    texts = result.column("text").to_pylist()
    assert texts[1:] == ["Quarterly numbers are attached.", None]
    assert not any(value in texts[0] for value in seeded_values)
    counts = [
        {c["key"]: c["value"] for c in row} for row in result.column("pii_counts").to_pylist()
    ]
    assert counts[0]["EMAIL_ADDRESS"] == 2 and counts[1] == {} and counts[2] == {}
    assert decision.decision.to_pylist() == ["modified", "kept", "kept"]
    assert decision.reason.to_pylist() == [PiiReason.REDACTED.value, None, None]
    details = json.loads(decision.details[0].as_py())
    assert details["counts"] == counts[0]
    # Ledger details and counts hold types and numbers, never values.
    blob = decision.details.to_pylist()[0] + json.dumps(counts)
    assert not any(value in blob for value in seeded_values)


def test_density_threshold_drops_documents_and_the_runner_records_it():
    cfg = PiiConfig(actions={"EMAIL_ADDRESS": "drop"}, max_density=5.0)
    dense = "Contacts: a@x.example.com, b@x.example.com, c@x.example.com."
    sparse = "Write to a@x.example.com. " + "Quarterly results were strong. " * 10
    table = documents([dense, sparse, "No personal data here."])

    result, decision = redact_documents(table, cfg)
    stage = apply_decision("pii", result, decision, run_id="run-1")

    assert decision.decision.to_pylist() == ["dropped", "modified", "kept"]
    assert decision.reason[0].as_py() == PiiReason.DENSITY_EXCEEDED.value
    details = json.loads(decision.details[0].as_py())
    assert details["threshold"] == 5.0 and details["density"] > 5.0
    assert details["counts"] == {"EMAIL_ADDRESS": 3}
    # sparse: below the density, its e-mail is still tagged (drop = tag + count toward density)
    assert "<EMAIL_ADDRESS>" in result.column("text")[1].as_py()
    assert stage.table.num_rows == 2
    assert stage.ledger.column("decision").to_pylist() == [
        Decision.DROPPED.value,
        Decision.MODIFIED.value,
        Decision.KEPT.value,
    ]


def test_sparse_drop_entities_are_modified_not_kept():
    cfg = PiiConfig(actions={"EMAIL_ADDRESS": "drop"}, max_density=5.0)
    sparse = "Write to a@x.example.com. " + "Quarterly results were strong. " * 10

    _, decision = redact_documents(documents([sparse]), cfg)

    assert decision.decision.to_pylist() == ["modified"]
    assert decision.reason.to_pylist() == [PiiReason.REDACTED.value]


def test_names_are_only_searched_in_configured_languages():
    text = "Rencontre avec Jean Dupont demain, jean.dupont@example.fr en copie."
    table = documents([text, text], langs=["fr", "en"])

    result, _ = redact_documents(table, PiiConfig())

    french, english = result.column("text").to_pylist()
    assert "<EMAIL_ADDRESS>" in french and "<EMAIL_ADDRESS>" in english
    assert "Jean Dupont" not in english
    # No English NER on French text; names still come from the e-mail's local part.
    assert "Jean Dupont" not in french


def test_process_pool_gives_the_same_result_as_one_process(seeded_text):
    texts = [seeded_text, "Plain text without anything personal."] * 40
    one, counts_one = redact_texts(texts, PiiConfig())

    many, counts_many = redact_texts(texts, PiiConfig(processes=2))
    pool = pii_stage._pool(PiiConfig(processes=2))
    again, _ = redact_texts(texts, PiiConfig(processes=2))

    assert many == one == again and counts_many == counts_one
    # the workers (and their loaded models) serve every batch: one pool, reused
    assert pii_stage._pool(PiiConfig(processes=2)) is pool
    pii_stage.shutdown_pools()
    assert pii_stage._pool(PiiConfig(processes=2)) is not pool
    pii_stage.shutdown_pools()


def test_no_network_connection_is_attempted(monkeypatch, seeded_text):
    attempts: list[object] = []
    real_connect = socket.socket.connect

    def guarded_connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1", "localhost") and not isinstance(address, str | bytes):
            attempts.append(address)
            raise OSError("egress refused by test")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: attempts.append(a) or 1 / 0)
    cfg = PiiConfig(allow_list=("Enron",))

    (result,), _ = redact_texts([seeded_text], cfg)
    found = build_analyzer(cfg).analyze(seeded_text, language="en")

    assert attempts == []
    assert "marlene.okafor@enron.com" not in result
    assert {r.entity_type for r in found} >= {"EMAIL_ADDRESS", "IBAN_CODE", "PERSON"}


def test_build_analyzer_uses_an_explicit_ner_only_pipeline():
    analyzer = build_analyzer(PiiConfig())

    nlp = analyzer.nlp_engine.nlp["en"]
    assert nlp.pipe_names == ["ner"]
    assert set(analyzer.get_supported_entities()) >= {"PERSON", "CREDIT_CARD", "FR_NIR"}


@pytest.mark.parametrize("bad", [{"actions": {"NAME": "tag"}}, {"mask_char": "**"}])
def test_spec_errors_name_their_key(bad):
    from curation.config import build_config
    from curation.exceptions import SpecError

    with pytest.raises(SpecError) as error:
        build_config(PiiConfig, bad, "pii")
    assert error.value.key.startswith("pii.")


def test_custom_recognizer_errors_name_their_index():
    from curation.config import build_config
    from curation.exceptions import SpecError

    with pytest.raises(SpecError, match=r"pii\.recognizers\[0\]"):
        build_config(PiiConfig, {"recognizers": [{"entity": "EMPLOYEE_ID"}]}, "pii")


def test_redaction_is_deterministic_across_calls(seeded_text):
    first, _ = redact_texts([seeded_text], PiiConfig())
    second, _ = redact_texts([seeded_text], PiiConfig())
    assert first == second
    assert np.array_equal(np.array(first), np.array(second))


def test_empty_batch_gives_an_empty_decision():
    result, decision = redact_documents(documents([]), PiiConfig())

    assert result.num_rows == 0 and result.schema == DOCUMENT_SCHEMA
    assert len(decision.decision) == 0


def test_missing_spacy_model_is_a_clear_error_not_a_download():
    from curation.pii.exceptions import PiiError

    with pytest.raises(PiiError, match="pii.spacy_model"):
        redact_texts(["Jane Miller"], PiiConfig(spacy_model="no_such_model_xyz"))


def built_engines(cfg: PiiConfig) -> int:
    """How many engines this process holds for `cfg` (the engine cache, keyed by its
    fingerprint)."""
    from curation.config import fingerprint
    from curation.pii import engine

    return sum(key[0] == fingerprint(cfg) for key in engine._CACHE)


def test_a_batch_without_documents_builds_no_engine():
    from curation.schema import empty_documents

    # a config no other test builds an engine for
    cfg = PiiConfig(ner=False, max_density=123.0)
    assert built_engines(cfg) == 0

    output = pii_stage.PiiStage(cfg).process(empty_documents())

    assert output.table.num_rows == 0 and len(output.decision) == 0
    assert built_engines(cfg) == 0
    pii_stage.PiiStage(cfg).process(documents(["Mail jane.doe@example.com"]))
    assert built_engines(cfg) == 1


def test_threads_that_reach_pii_together_share_one_engine():
    import threading

    cfg = PiiConfig(ner=False, max_density=124.0)
    start = threading.Barrier(4)
    engines = []

    def first_batch() -> None:
        start.wait()
        engines.append(pii_stage.get_redactor(cfg))

    threads = [threading.Thread(target=first_batch) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({id(engine) for engine in engines}) == 1
    assert built_engines(cfg) == 1


def test_warm_up_loads_the_redactor_and_english_model_the_stage_then_uses():
    from curation.pii.engine import _load_ner, get_redactor

    cfg = PiiConfig(score_threshold=0.41)  # a config no other test has built a redactor for

    thread = pii_stage.warm_in_background(cfg)
    assert thread is not None
    thread.join(timeout=120)

    assert not thread.is_alive()
    assert pii_stage.get_redactor(cfg) is get_redactor(cfg)
    loaded = _load_ner.cache_info().currsize
    redacted, _ = redact_texts(["Please call Martina Okonkwo-Berg about the invoice."], cfg)
    assert "Okonkwo-Berg" not in redacted[0]
    assert _load_ner.cache_info().currsize == loaded  # the stage loaded no model again


def test_no_warm_up_where_a_worker_pool_loads_the_engine():
    assert pii_stage.warm_in_background(PiiConfig(processes=2)) is None
