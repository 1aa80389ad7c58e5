"""The engine's Presidio and spaCy come without the parts it never runs (Presidio's registry,
spaCy's command line, the model's tokenizer file when it holds the defaults), and later full
imports hand out the very same classes and behaviour."""

import subprocess
import sys

SCRIPT = """
import sys
from curation.pii.config import PiiConfig
from curation.pii.engine import get_redactor, load_ner

redactor = get_redactor(PiiConfig())
nlp = load_ner(PiiConfig().ner_model_for("en"))
print(redactor.redact(["Call Marlene Okafor at (713) 853-7041."])[0][0])
lean = [m for m in ("presidio_analyzer.recognizer_registry", "weasel", "spacy.cli.download")
        if m in sys.modules]
print("lean" if not lean else "imported " + " ".join(lean))

import presidio_analyzer
import spacy
from presidio_analyzer.predefined_recognizers import IpRecognizer
from spacy.cli.info import info
from curation.pii import lean_imports

assert presidio_analyzer.PatternRecognizer is lean_imports.presidio("PatternRecognizer")
assert presidio_analyzer.RecognizerResult is lean_imports.presidio("RecognizerResult")
assert IpRecognizer is lean_imports.presidio("IpRecognizer")
assert callable(info) and callable(spacy.info)
print("same classes")

full = spacy.load(nlp.path, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer"])
same = full.tokenizer.to_bytes(exclude=["vocab"]) == nlp.tokenizer.to_bytes(exclude=["vocab"])
print("same tokenizer" if same else "other tokenizer")
"""


def test_lean_imports_redact_alike_and_full_imports_share_classes():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "Call <PERSON> at <PHONE_NUMBER>."
    assert lines[1:] == ["lean", "same classes", "same tokenizer"]


def test_a_model_with_its_own_tokenizer_rules_keeps_them(tmp_path):
    script = f"""
from pathlib import Path
import spacy
from curation.pii.config import PiiConfig
from curation.pii import engine

model = PiiConfig().ner_model_for("en")
nlp = spacy.load(model, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer"])
nlp.tokenizer.add_special_case("xyzzy-plugh", [{{"ORTH": "xyzzy"}}, {{"ORTH": "-plugh"}}])
nlp.to_disk({str(tmp_path / "custom")!r})
engine._load_ner.cache_clear()
custom = engine.load_ner({str(tmp_path / "custom")!r})
print([t.text for t in custom.make_doc("a xyzzy-plugh b")])
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "['a', 'xyzzy', '-plugh', 'b']"
