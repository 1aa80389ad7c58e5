"""PII in the columns beside `text`: title, author, metadata_json and attribution."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from curation.pii import PiiConfig
from curation.pii.stage import redact_documents


def _table(**columns) -> pa.Table:
    n = len(next(iter(columns.values())))
    base = {
        "doc_id": [f"d{i}" for i in range(n)],
        "text": ["Budget notes."] * n,
        "lang": ["en"] * n,
    }
    return pa.table({**base, **columns})


def _counts(table: pa.Table) -> list[dict[str, int]]:
    return [{c["key"]: c["value"] for c in cell} for cell in table.column("pii_counts").to_pylist()]


def test_author_metadata_is_dropped_by_default_and_counted():
    meta = {
        "author": "Thomas Keller",
        "last_modified_by": "Priya Raman",
        "headers": {"From": "Priya Raman <priya@acme.example>"},
        "pages": 3,
    }
    table, decision = redact_documents(
        _table(author=["Thomas Keller"], metadata_json=[json.dumps(meta)]), PiiConfig(ner=False)
    )
    row = table.to_pylist()[0]

    assert row["author"] is None
    assert json.loads(row["metadata_json"]) == {"headers": {}, "pages": 3}
    assert _counts(table)[0]["PERSON"] == 4
    assert decision.decision.to_pylist() == ["modified"]


def test_redact_mode_replaces_author_values_with_the_person_action():
    meta = {"author": "Thomas Keller", "creator": ["Ann Lee", ""]}
    table, _ = redact_documents(
        _table(author=["Thomas Keller"], metadata_json=[json.dumps(meta)]),
        PiiConfig(ner=False, metadata="redact"),
    )
    row = table.to_pylist()[0]

    assert row["author"] == "<PERSON>"
    assert json.loads(row["metadata_json"]) == {"author": "<PERSON>", "creator": ["<PERSON>"]}


@pytest.mark.parametrize("value", ["", None])
def test_empty_author_keys_do_not_break_either_mode(value):
    for mode in ("drop", "redact"):
        table, _ = redact_documents(
            _table(metadata_json=[json.dumps({"author": value})]),
            PiiConfig(ner=False, metadata=mode),
        )
        assert table.column("metadata_json")[0].as_py() is None


def test_free_text_and_nested_metadata_values_are_scanned():
    meta = {
        "subject": "Call Thomas Keller on +49 30 901820",
        "recipients": [{"name": "x", "email": "priya.raman@acme.example"}],
        "phone": 4155550123,
        "invoice": 12,
    }
    table, _ = redact_documents(
        _table(title=["Budget review by Thomas Keller"], metadata_json=[json.dumps(meta)]),
        PiiConfig(),
    )
    row = table.to_pylist()[0]
    stored = json.loads(row["metadata_json"])

    assert "Keller" not in row["title"] and "Keller" not in stored["subject"]
    assert stored["recipients"][0]["email"] == "<EMAIL_ADDRESS>"
    assert stored["phone"] == "<PHONE_NUMBER>" and stored["invoice"] == 12


def test_metadata_that_is_not_json_is_scanned_as_text():
    table, _ = redact_documents(
        _table(metadata_json=["legacy: priya.raman@acme.example"]), PiiConfig(ner=False)
    )

    assert table.column("metadata_json")[0].as_py() == "legacy: <EMAIL_ADDRESS>"


def test_attribution_keeps_a_credited_name_only_where_the_license_requires_it():
    credited = {
        "license": "CC-BY-4.0",
        "requires_attribution": True,
        "author": "Thomas Keller",
        "copyright": "Copyright 2024 Thomas Keller",
        "path": "people/thomas_keller.md",
        "source_uri": "file:///share/people/thomas_keller.md",
    }
    free = {**credited, "license": "CC0-1.0", "requires_attribution": False}
    table, _ = redact_documents(
        _table(attribution=[json.dumps(credited), json.dumps(free)]), PiiConfig()
    )
    kept, dropped = (json.loads(v) for v in table.column("attribution").to_pylist())

    assert kept["author"] == "Thomas Keller" and kept["credit"].startswith("kept: CC-BY-4.0")
    assert dropped["author"] is None and "Keller" not in dropped["copyright"]
    assert dropped["credit"].startswith("none kept")
    for facts in (kept, dropped):
        assert "path" not in facts and "source_uri" not in facts


def test_unknown_metadata_policy_names_the_key():
    from curation.config import build_config
    from curation.exceptions import SpecError

    with pytest.raises(SpecError, match="pii.metadata"):
        build_config(PiiConfig, {"metadata": "keep"}, "pii")


def test_names_joined_into_file_names_are_redacted_in_metadata():
    meta = {"file": "Lebenslauf_Klaus_Zimmermann.pdf", "note": "budget_q3_final.xlsx"}
    table, _ = redact_documents(
        _table(title=["Microsoft Word - jane_doe_cv.docx"], metadata_json=[json.dumps(meta)]),
        PiiConfig(),
    )
    row = table.to_pylist()[0]

    assert row["title"] == "Microsoft Word - <PERSON>_cv.docx"
    assert json.loads(row["metadata_json"]) == {
        "file": "Lebenslauf_<PERSON>.pdf",
        "note": "budget_q3_final.xlsx",
    }
    assert _counts(table)[0]["PERSON"] == 2


def test_drop_action_entities_in_metadata_count_toward_the_density_rule():
    cfg = PiiConfig(ner=False, actions={"EMAIL_ADDRESS": "drop"})
    table, decision = redact_documents(
        _table(title=["Contact priya.raman@acme.example", "Plan"]), cfg
    )

    assert decision.decision.to_pylist() == ["dropped", "kept"]
    assert decision.reason.to_pylist()[0] == "pii.density_exceeded"
