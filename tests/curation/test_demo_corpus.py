"""The demo corpus generator: deterministic bytes, real formats, and honest ground truth."""

from __future__ import annotations

import email
import email.policy
import hashlib
import itertools
import json
import os
import re
import shutil
from collections import Counter
from pathlib import Path

import docx
import pypdf
import pytest
import yaml

from curation.demo import (
    DEMO_SOURCES,
    DEMO_SPEC_SECTIONS,
    DemoCorpus,
    DemoCorpusError,
    generate_demo_corpus,
)
from curation.demo.corpus import build_plan
from curation.demo.people import iban_is_valid
from curation.demo.plan import EPOCH_END, EPOCH_START, Plan

SEED = 7


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> DemoCorpus:
    return generate_demo_corpus(tmp_path_factory.mktemp("demo"), seed=SEED)


@pytest.fixture(scope="module")
def other_plan() -> Plan:
    """The in-memory plan for another seed (no disk: cheaper than a second corpus)."""
    return build_plan(SEED + 1)


def extract(path: Path) -> str:
    """Text of one generated file, the way an ingest extractor would read it."""
    suffix = path.suffix
    if suffix == ".pdf":
        return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    if suffix == ".docx":
        parts = []
        for block in docx.Document(str(path)).iter_inner_content():  # body order
            if isinstance(block, docx.table.Table):
                parts += [" ".join(c.text for c in row.cells) for row in block.rows]
            else:
                parts.append(block.text)
        return "\n".join(parts)
    if suffix == ".eml":
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        headers = "\n".join(f"{k}: {message.get(k, '')}" for k in ("From", "To", "Cc", "Subject"))
        return headers + "\n" + message.get_body(("plain",)).get_content()
    if suffix == ".html":
        page = path.read_text(encoding="utf-8")
        main = re.search(r"<main>(.*)</main>", page, re.S)
        return re.sub(r"<[^>]+>", " ", main.group(1) if main else page)
    return path.read_text(encoding="utf-8")


def shingles(text: str) -> set[str]:
    """Word 5-gram shingle set, as ../shared/data/neardup defines it."""
    tokens = re.findall(r"\w+", text.lower())
    return {" ".join(tokens[i : i + 5]) for i in range(len(tokens) - 4)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b)


def readable(corpus: DemoCorpus) -> list[str]:
    broken = set(corpus.corrupt_files) | set(corpus.unsupported_files)
    return [rel for rel in corpus.files if rel not in broken]


def tree_fingerprint(corpus_dir: Path) -> dict[str, tuple[str, int]]:
    return {
        str(p.relative_to(corpus_dir)): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(corpus_dir.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_identical_bytes_and_mtimes(corpus: DemoCorpus, tmp_path: Path) -> None:
    again = generate_demo_corpus(tmp_path / "again", seed=SEED)

    result = tree_fingerprint(again.corpus_dir)

    assert result == tree_fingerprint(corpus.corpus_dir)
    assert again.spec_path.read_bytes() == corpus.spec_path.read_bytes()
    assert again.near_duplicate_groups == corpus.near_duplicate_groups
    assert again.seeded_phones == corpus.seeded_phones


def test_other_seed_gives_other_prose(corpus: DemoCorpus, other_plan: Plan) -> None:
    first = {hashlib.sha256(corpus.path(rel).read_bytes()).digest() for rel in corpus.files}
    other = {hashlib.sha256(f.data).digest() for f in other_plan.files}

    shared = first & other

    assert len(shared) < 0.1 * len(first)


def test_files_on_disk_match_the_listing(corpus: DemoCorpus) -> None:
    on_disk = sorted(
        str(p.relative_to(corpus.corpus_dir)) for p in corpus.corpus_dir.rglob("*") if p.is_file()
    )

    assert on_disk == list(corpus.files)
    assert 250 <= len(corpus.files) <= 400
    assert {rel.split("/", 1)[0] for rel in corpus.files} == {s.id for s in DEMO_SOURCES}


def test_counts_per_format(corpus: DemoCorpus) -> None:
    counts = Counter(Path(rel).suffix for rel in corpus.files)

    assert counts[".eml"] >= 60
    assert counts[".md"] >= 40
    assert counts[".html"] >= 25
    assert counts[".pdf"] >= 15
    assert counts[".docx"] >= 15
    assert counts[".rst"] >= 5
    assert counts[".txt"] >= 10
    assert {".png", ".bin"} <= set(counts)


def test_ground_truth_serializes_to_json(corpus: DemoCorpus) -> None:
    result = json.loads(json.dumps(corpus.as_dict()))

    assert result["spec_path"] == str(corpus.spec_path)
    assert result["counts"]["files"] == len(corpus.files)
    assert sum(result["counts"]["by_source"].values()) == len(corpus.files)
    assert result["near_duplicate_groups"] == [list(g) for g in corpus.near_duplicate_groups]
    assert result["expected_license_by_source"]["engineering"] == "Apache-2.0"


def test_mtimes_are_fixed_dates_and_revisions_are_in_order(corpus: DemoCorpus) -> None:
    mtimes = {rel: corpus.path(rel).stat().st_mtime for rel in corpus.files}

    assert min(mtimes.values()) >= EPOCH_START.timestamp()
    assert max(mtimes.values()) <= EPOCH_END.timestamp()
    assert all(float(m).is_integer() for m in mtimes.values())
    for group in corpus.near_duplicate_groups:
        dates = [mtimes[rel] for rel in group]
        assert dates == sorted(dates), group


def test_spec_names_every_source_with_its_license(corpus: DemoCorpus) -> None:
    text = corpus.spec_path.read_text(encoding="utf-8")
    spec = yaml.safe_load(text)

    assert text.startswith("# Dataset spec")
    assert spec["name"] == DEMO_SPEC_SECTIONS["name"]
    assert spec["output"] == {"table": "curated.acme_demo"}
    for key in ("license", "quality", "dedup", "pii"):
        assert spec[key] == DEMO_SPEC_SECTIONS[key]
    licenses = {}
    for source in spec["sources"]:
        assert source["type"] == "folder"
        assert (corpus.spec_path.parent / source["path"]).is_dir()
        licenses[source["id"]] = source["license"]
    assert licenses == corpus.expected_license_by_source
    assert licenses["policies"] == "LicenseRef-Acme-Internal"
    assert licenses["reports"] == "CC0-1.0"


def test_license_override_is_declared_in_the_file(corpus: DemoCorpus) -> None:
    ((rel, spdx),) = corpus.expected_license_overrides.items()

    assert spdx == "MIT"
    assert f"SPDX-License-Identifier: {spdx}" in corpus.path(rel).read_text(encoding="utf-8")
    assert corpus.expected_license(rel) == "MIT"
    assert corpus.expected_license("engineering/notes/todo.md") == "Apache-2.0"
    assert corpus.locate(rel) == ("engineering", "vendor/retry-backoff/README.md")


def test_seeded_pii_occurs_in_the_files(corpus: DemoCorpus) -> None:
    texts = [extract(corpus.path(rel)) for rel in readable(corpus)]
    raw = b"\n".join(
        corpus.path(rel).read_bytes()
        for rel in corpus.files
        if rel.endswith((".eml", ".md", ".txt", ".html"))
    )

    for value in (
        corpus.seeded_emails + corpus.seeded_phones + corpus.seeded_ibans + corpus.seeded_names
    ):
        assert any(value in text for text in texts), value
    for address in corpus.seeded_emails:
        assert address.encode() in raw
    assert {"+44 20 7946 0958", "+49 30 901820"} <= set(corpus.seeded_phones)
    assert any(re.fullmatch(r"\(\d{3}\) 555-01\d\d", phone) for phone in corpus.seeded_phones)
    assert {"DE89 3704 0044 0532 0130 00", "GB82 WEST 1234 5698 7654 32"} <= set(
        corpus.seeded_ibans
    )
    assert all(iban_is_valid(iban) for iban in corpus.seeded_ibans)
    assert len(corpus.seeded_names) >= 12
    assert len(corpus.seeded_emails) >= 12


def test_seeded_phones_are_valid_numbers(corpus: DemoCorpus) -> None:
    """A recognizer that validates numbers with libphonenumber (as Presidio's does) can find
    every seeded phone; fictional ranges libphonenumber rejects are deliberately not used."""
    import phonenumbers

    for phone in corpus.seeded_phones:
        number = phonenumbers.parse(phone, "US")
        assert phonenumbers.is_valid_number(number), phone


def test_emails_are_parseable_with_headers(corpus: DemoCorpus) -> None:
    mails = [rel for rel in corpus.files if rel.endswith(".eml")]

    for rel in mails:
        message = email.message_from_bytes(
            corpus.path(rel).read_bytes(), policy=email.policy.default
        )
        assert message["From"].addresses[0].addr_spec in corpus.seeded_emails
        assert message["Message-ID"] and message["Date"]
        assert len(message.get_body(("plain",)).get_content().split()) >= 80
    assert sum("Cc" in email.message_from_bytes(corpus.path(r).read_bytes()) for r in mails) >= 10


def test_pdfs_and_docx_are_readable(corpus: DemoCorpus) -> None:
    documents = [rel for rel in readable(corpus) if rel.endswith((".pdf", ".docx"))]

    assert len(documents) >= 30
    for rel in documents:
        text = extract(corpus.path(rel))
        assert len(text.split()) >= 150, rel
    report = next(rel for rel in documents if rel.endswith(".pdf"))
    reader = pypdf.PdfReader(corpus.path(report))
    assert reader.metadata.author in corpus.seeded_names
    assert "Executive summary" in extract(corpus.path(report))


def test_corrupt_files_cannot_be_read(corpus: DemoCorpus) -> None:
    kinds = Counter(Path(rel).suffix for rel in corpus.corrupt_files)

    assert kinds == {".pdf": 1, ".docx": 1, ".html": 1}
    for rel in corpus.corrupt_files:
        path = corpus.path(rel)
        if rel.endswith(".pdf"):
            with pytest.raises(pypdf.errors.PyPdfError):
                [page.extract_text() for page in pypdf.PdfReader(path).pages]
        elif rel.endswith(".docx"):
            with pytest.raises(docx.opc.exceptions.PackageNotFoundError):
                docx.Document(str(path))
        else:
            with pytest.raises(UnicodeDecodeError):
                path.read_bytes().decode("utf-8")


def test_unsupported_files_are_binary(corpus: DemoCorpus) -> None:
    magics = {corpus.path(rel).read_bytes()[:8] for rel in corpus.unsupported_files}

    assert b"\x89PNG\r\n\x1a\n" in magics
    assert all(b"\x00" in corpus.path(rel).read_bytes() for rel in corpus.unsupported_files)


def test_near_duplicate_groups_are_revisions_not_copies(corpus: DemoCorpus) -> None:
    """Every pair is a near-duplicate; each revision is well above the spec's dedup threshold
    from the previous one, so MinHash noise (about 0.03 at 128 permutations) cannot split a
    revision chain."""
    threshold = DEMO_SPEC_SECTIONS["dedup"]["threshold"]
    assert len(corpus.near_duplicate_groups) >= 15
    for group in corpus.near_duplicate_groups:
        sets = [shingles(extract(corpus.path(rel))) for rel in group]
        for a, b in itertools.combinations(range(len(group)), 2):
            assert 0.7 <= jaccard(sets[a], sets[b]) <= 0.99, (group[a], group[b])
        for a in range(len(group) - 1):
            assert jaccard(sets[a], sets[a + 1]) >= threshold + 0.05, (group[a], group[a + 1])


def test_near_duplicate_bounds_hold_for_another_seed(other_plan: Plan) -> None:
    texts = {f.rel: f.text for f in other_plan.files}

    for group in other_plan.near_duplicate_groups:
        for a, b in itertools.combinations(group, 2):
            assert 0.7 <= jaccard(shingles(texts[a]), shingles(texts[b])) <= 0.99, (a, b)


def test_exact_duplicates_are_byte_copies(corpus: DemoCorpus) -> None:
    assert len(corpus.exact_duplicate_groups) >= 4
    sources = set()
    for group in corpus.exact_duplicate_groups:
        digests = {hashlib.sha256(corpus.path(rel).read_bytes()).hexdigest() for rel in group}
        assert len(digests) == 1, group
        sources.update(Path(rel).suffix for rel in group)
    assert {".md", ".pdf", ".html"} <= sources


def test_no_unlabelled_near_duplicates(corpus: DemoCorpus) -> None:
    """Ground truth is complete: files outside a duplicate cluster stay well apart."""
    cluster: dict[str, set[str]] = {}
    for group in corpus.near_duplicate_groups + corpus.exact_duplicate_groups:
        members = set(group).union(*(cluster.get(rel, set()) for rel in group))
        for rel in members:
            cluster[rel] = members
    junk = set(corpus.junk_files)  # lorem ipsum is like every other lorem ipsum; quality drops it
    sets = {rel: shingles(extract(corpus.path(rel))) for rel in readable(corpus) if rel not in junk}
    sets = {rel: s for rel, s in sets.items() if len(s) >= 50}

    worst = max(
        (jaccard(sets[a], sets[b]), a, b)
        for a, b in itertools.combinations(sorted(sets), 2)
        if b not in cluster.get(a, ())
    )

    assert worst[0] < 0.6, worst


def test_non_english_files_are_german_and_french(corpus: DemoCorpus) -> None:
    markers = {
        "de": {"und", "der", "die", "Sie", "den", "zu", "ist"},
        "fr": {"les", "des", "et", "vous", "la", "le", "de"},
    }

    assert set(corpus.languages.values()) == {"de", "fr"}
    assert set(corpus.non_english_files) == set(corpus.languages)
    for rel, lang in corpus.languages.items():
        words = Counter(re.findall(r"\w+", extract(corpus.path(rel))))
        assert sum(words[m] for m in markers[lang]) >= 8, rel
        assert words["the"] == 0, rel


def test_junk_is_junk_and_prose_is_prose(corpus: DemoCorpus) -> None:
    def alpha_share(text: str) -> float:
        tokens = text.split()
        return sum(t.isalpha() for t in tokens) / max(len(tokens), 1)

    junk = set(corpus.junk_files)
    assert len(junk) >= 8
    for rel in junk:
        text = extract(corpus.path(rel))
        assert len(text.split()) < 150 or alpha_share(text) < 0.5 or "Lorem ipsum" in text, rel
    prose = [rel for rel in readable(corpus) if rel not in junk]
    lengths = []
    for rel in prose:
        text = extract(corpus.path(rel))
        lengths.append(len(text.split()))
        assert alpha_share(text) > 0.6, rel
    assert min(lengths) >= 100
    assert sum(150 <= n <= 1500 for n in lengths) / len(lengths) > 0.8


def test_regenerating_replaces_only_the_demo(corpus: DemoCorpus, tmp_path: Path) -> None:
    root = tmp_path / "demo"
    shutil.copytree(corpus.root, root)
    (root / "workspace").mkdir()
    stray = root / "corpus" / "policies" / "stray.md"
    stray.write_text("left over", encoding="utf-8")

    again = generate_demo_corpus(root, seed=SEED)

    assert not stray.exists()
    assert (root / "workspace").is_dir()
    assert tree_fingerprint(again.corpus_dir) == tree_fingerprint(corpus.corpus_dir)


def test_refuses_a_corpus_folder_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "precious.txt").write_text("keep me", encoding="utf-8")

    with pytest.raises(DemoCorpusError, match="choose an empty folder"):
        generate_demo_corpus(tmp_path)
    assert (tmp_path / "corpus" / "precious.txt").exists()
    assert os.listdir(tmp_path) == ["corpus"]


def test_refuses_to_overwrite_a_spec_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "demo.yaml").write_text("name: mine\n", encoding="utf-8")

    with pytest.raises(DemoCorpusError, match="demo.yaml exists"):
        generate_demo_corpus(tmp_path)
    assert (tmp_path / "demo.yaml").read_text(encoding="utf-8") == "name: mine\n"
