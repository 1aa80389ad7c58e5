"""Decision fingerprints: a standing license or quality drop is kept only while everything the
decision read besides the document is unchanged, model files included."""

from __future__ import annotations

import textwrap

from curation.pipeline import decision_fingerprints
from curation.spec import load_spec


def spec_with_classifier(tmp_path, model):
    (tmp_path / "docs").mkdir(exist_ok=True)
    path = tmp_path / "spec.yaml"
    path.write_text(
        textwrap.dedent(
            f"""
            name: handbook
            sources:
              - {{id: hb, type: folder, path: docs, license: CC-BY-4.0}}
            quality:
              classifier_model: {model}
              classifier_min_score: 0.5
            """
        )
    )
    return load_spec(path)


def test_replacing_the_classifier_model_changes_the_quality_fingerprint(tmp_path):
    model = tmp_path / "quality-handbook.bin"
    model.write_bytes(b"model trained on the first labels")
    spec = spec_with_classifier(tmp_path, model)
    before = decision_fingerprints(spec)

    model.write_bytes(b"model trained on other labels, same path")
    result = decision_fingerprints(spec)

    assert result["quality"] != before["quality"]
    assert result["license"] == before["license"]


def test_same_model_bytes_keep_the_fingerprint(tmp_path):
    model = tmp_path / "quality-handbook.bin"
    model.write_bytes(b"one model")
    spec = spec_with_classifier(tmp_path, model)
    before = decision_fingerprints(spec)

    model.write_bytes(b"one model")  # rewritten: new mtime, same bytes

    assert decision_fingerprints(spec) == before


def test_a_missing_model_is_a_fingerprint_of_its_own(tmp_path):
    model = tmp_path / "quality-handbook.bin"
    model.write_bytes(b"one model")
    spec = spec_with_classifier(tmp_path, model)
    before = decision_fingerprints(spec)

    model.unlink()

    assert decision_fingerprints(spec)["quality"] != before["quality"]
