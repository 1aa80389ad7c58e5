"""eu-training-content-summary.md: the EU public summary template, filled where the ledger knows.

The template is the Annex to C(2025) 5235 final (24 July 2025), the summary of training content
that Art. 53(1)(d) of the AI Act asks of general-purpose model providers. A bundle describes one
dataset version, not a model, so the provider completes what only it knows (itself, the model,
other training data); each such place says "to be completed by the provider".

Source kinds: the pipeline's connectors read the organization's own storage (folders, Parquet
and JSONL exports), so it never crawls (2.3) or generates data (2.5). Which template category a
source belongs to follows from its documents' license categories: the organization's own
documents (a declared `LicenseRef`, category `internal`) are other sources (2.6), proprietary
licenses point to commercial licensing (2.2.1) and open licenses to publicly available datasets
(2.1); the provider confirms.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalogs.audit.facts import TO_COMPLETE

OPEN_CATEGORIES = ("public_domain", "permissive", "weak_copyleft", "copyleft", "non_commercial")
SECTIONS = (
    "## 1. General information",
    "### 1.1 Provider identification",
    "### 1.2 Model identification",
    "### 1.3 Modalities, overall training data size and other characteristics",
    "## 2. List of data sources",
    "### 2.1 Publicly available datasets",
    "### 2.2 Private non-publicly available datasets obtained from third parties",
    "#### 2.2.1 Datasets commercially licensed by rightsholders or their representatives",
    "#### 2.2.2 Private datasets obtained from other third parties",
    "### 2.3 Data crawled and scraped from online sources",
    "### 2.4 User data",
    "### 2.5 Synthetic data",
    "### 2.6 Other sources of data",
    "## 3. Data processing aspects",
    "### 3.1 Respect of reservation of rights from text and data mining exception or limitation",
    "### 3.2 Removal of illegal content",
    "### 3.3 Other information",
)
PENDING = f"*{TO_COMPLETE}*"


def _md(value: Any) -> str:
    """A value as Markdown text: markup characters escaped (an intraword `_` is plain text).

    Examples
    --------
    >>> print(_md("a|b*c_d"))
    a\\|b\\*c_d
    """
    text = " ".join(str("-" if value is None else value).split())
    for char in "\\`*[]<>|":
        text = text.replace(char, "\\" + char)
    return text


def _code(value: Any) -> str:
    """A value as a Markdown code span (backticks, which would end it, removed).

    Examples
    --------
    >>> _code("license.denied")
    '`license.denied`'
    """
    text = " ".join(str("-" if value is None else value).split()).replace("`", "")
    return f"`{text}`"


def _sources_in(facts: Mapping[str, Any], categories: tuple[str, ...]) -> list[str]:
    """One bullet per source with documents in any of `categories`."""
    lines = []
    for source in facts["sources"]:
        count = sum(n for c, n in source["license_categories"].items() if c in categories)
        if count:
            kind = f", kind {_md(source['kind'])}" if source["kind"] else ""
            licenses = (
                ", ".join(_md(k) for k in source["licenses"] if k != "unknown")
                or "no license resolved"
            )
            lines.append(
                f"- {_code(source['source_id'])}{kind}: {count:,} document(s) "
                f"(licenses: {licenses})"
            )
    return lines


def _general(facts: Mapping[str, Any]) -> list[str]:
    totals = facts["totals"]
    languages = facts["languages"]["by_language"]
    kept = max(totals["documents"], 1)
    shares = ", ".join(f"{_md(k)} {100 * v / kept:.1f}%" for k, v in languages.items()) or "-"
    kinds = sorted({s["kind"] for s in facts["sources"] if s["kind"]})
    models = facts["models"]
    model_lines = [
        f"- {_code(m['model'])} (recorded {_md(m['at'])}, version {_md(m['version'])})"
        for m in models
    ] or [f"- Models trained on this dataset: {PENDING}"]
    return [
        SECTIONS[0],
        "",
        SECTIONS[1],
        "",
        f"- Provider name and contact details: {_md(facts['provider']) if facts['provider'] else PENDING}",
        f"- Authorised representative (where applicable): {PENDING}",
        "",
        SECTIONS[2],
        "",
        "Models recorded in the audit trail as trained on this dataset version:",
        "",
        *model_lines,
        f"- Model version(s) and date of placement on the market: {PENDING}",
        "",
        SECTIONS[3],
        "",
        "- Modality: text.",
        f"- Training data size of this dataset version: {totals['size_band']} "
        f"({totals['tokens']:,} whitespace-separated tokens in {totals['documents']:,} "
        f"documents, {totals['text_bytes']:,} bytes of text).",
        f"- Latest date of data collection: {_md((facts['collection']['collected_at'] or '')[:10])} "
        f"(documents last modified between "
        f"{_md((facts['collection']['first_modified'] or '-')[:10])} and "
        f"{_md((facts['collection']['last_modified'] or '-')[:10])}).",
        f"- Linguistic characteristics: {shares} of documents (fastText lid.176).",
        "- Other characteristics: documents of the organization's own document stores"
        + (f" (source kinds: {', '.join(_md(k) for k in kinds)})" if kinds else "")
        + ", curated on premises; personal data redacted.",
        f"- Other training data of the model, beyond this dataset: {PENDING}",
        "",
    ]


def _sources(facts: Mapping[str, Any]) -> list[str]:
    open_sources = _sources_in(facts, OPEN_CATEGORIES)
    proprietary = _sources_in(facts, ("proprietary",))
    own = _sources_in(facts, ("internal", "unknown"))
    return [
        SECTIONS[4],
        "",
        SECTIONS[5],
        "",
        *(
            [
                "Sources with openly licensed documents (possibly publicly available datasets; "
                "the provider confirms and names the datasets):",
                "",
                *open_sources,
            ]
            if open_sources
            else ["None identified by the pipeline."]
        ),
        f"- Dataset names and links: {PENDING}",
        "",
        SECTIONS[6],
        "",
        SECTIONS[7],
        "",
        *(
            [
                "Sources with documents under proprietary licenses (possibly licensed from "
                "rightsholders; the provider confirms):",
                "",
                *proprietary,
            ]
            if proprietary
            else ["None identified by the pipeline."]
        ),
        "",
        SECTIONS[8],
        "",
        PENDING,
        "",
        SECTIONS[9],
        "",
        "None by this pipeline: it reads only the organization's own storage (folders, Parquet "
        "and JSONL exports) and does not crawl or scrape. Crawled data used otherwise: "
        f"{PENDING}",
        "",
        SECTIONS[10],
        "",
        PENDING,
        "",
        SECTIONS[11],
        "",
        f"None generated by this pipeline. Synthetic data used otherwise: {PENDING}",
        "",
        SECTIONS[12],
        "",
        *(
            [
                "The organization's own documents (an internal license declared in the spec, "
                "or no license found):",
                "",
                *own,
            ]
            if own
            else ["None."]
        ),
        "",
    ]


def _processing(facts: Mapping[str, Any]) -> list[str]:
    licenses = facts["licenses"]
    policy = facts["spec"].get("license_policy")
    evidence = ", ".join(f"{_md(k)} {v:,}" for k, v in licenses["by_evidence"].items()) or "-"
    license_drops = {k: v for k, v in facts["reasons"].items() if k.startswith("license.")}
    other_drops = {k: v for k, v in facts["reasons"].items() if not k.startswith("license.")}
    pii = facts["pii"]
    redacted = ", ".join(
        f"{_md(e['type'])} {e['occurrences']:,}" for e in pii["entities"] if e["occurrences"]
    )
    policy_line = (
        f"- License policy: use {_code(policy.get('use'))}, allowed categories "
        f"{_md(', '.join(policy.get('allow_categories') or []) or '-')}, denied categories "
        f"{_md(', '.join(policy.get('deny_categories') or []) or '-')}, documents of unknown "
        f"license: {_md(policy.get('unknown'))}."
        if policy
        else f"- License policy: fingerprint {_code(facts['spec'].get('fingerprint'))} "
        "(the spec's settings are listed when the bundle is written with `--spec`)."
    )
    erasures = facts["erasures"]
    return [
        SECTIONS[13],
        "",
        SECTIONS[14],
        "",
        "- Every document's license was resolved from its own evidence before any other "
        f"processing (documents per evidence: {evidence}), and documents whose license the "
        "policy does not allow were left out:",
        *(
            [f"  - {_code(k)}: {v:,} document(s)" for k, v in license_drops.items()]
            or ["  - none were left out for their license."]
        ),
        policy_line,
        "- Machine-readable reservations of rights for crawled content (robots.txt, TDM "
        "reservation protocols) do not apply: no content was crawled. License notices that "
        "reserve rights are read as evidence and applied by the policy above.",
        f"- The provider's copyright policy: {PENDING}",
        "",
        SECTIONS[15],
        "",
        "Removed by the pipeline before the version was committed (documents per reason):",
        "",
        *([f"- {_code(k)}: {v:,}" for k, v in other_drops.items()] or ["- nothing."]),
        f"- Personal data redacted (occurrences per type): {redacted or 'none found'}.",
        "",
        "No classifier for illegal content was run by this pipeline. Measures against illegal "
        f"content: {PENDING}",
        "",
        SECTIONS[16],
        "",
        f"- Erasure requests applied to this version: {len(erasures)}"
        + (
            " (" + ", ".join(f"{_code(e['request_id'])} on {_md(e['at'])}" for e in erasures) + ")"
            if erasures
            else ""
        )
        + ".",
        "- Every decision on every input document is recorded in the dataset's ledger; the "
        "audit bundle beside this file lists them per document (documents.csv).",
        f"- Other information: {PENDING}",
        "",
    ]


def render_eu_summary(facts: Mapping[str, Any]) -> str:
    """The template's sections, in order, as Markdown (see the module doc)."""
    lines = [
        f"# Public summary of training content: {_md(facts['dataset'])}, version "
        f"{_md(facts['version'])}",
        "",
        "Following the template for the public summary of training content of general-purpose "
        "AI models (Annex to C(2025) 5235 final, 24 July 2025). Filled from the ledger of "
        f"snapshot {facts['snapshot_id']} (run {_code(facts['run_id'])}); the rest is marked "
        f"*{TO_COMPLETE}*.",
        "",
        *_general(facts),
        *_sources(facts),
        *_processing(facts),
    ]
    return "\n".join(lines)
