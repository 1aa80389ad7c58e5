"""summary.html: the audit bundle's report for a reader who is not an engineer.

One self-contained page: inline CSS and SVG, no script, no font, image or link outside the file
(a Content-Security-Policy says so to the browser), so it opens from a USB stick or an archive
years later and prints to PDF as it looks (A4, print CSS that keeps headings with their
tables). Every value is escaped: ids, reasons and license expressions are text, never markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from catalogs.audit.facts import TO_COMPLETE
from catalogs.audit.svg import bar_chart, waterfall_chart

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
OUTCOMES = ("kept", "modified", "dropped", "quarantined")
DECISION_WORDS = {
    "kept": "passed the stage unchanged",
    "modified": "passed the stage after changes (personal data redacted)",
    "dropped": "left out by a rule of the stage (the reason names the rule)",
    "quarantined": "could not be processed (unreadable, corrupt, unsupported) and was set aside",
}

STYLE = """
:root { --ink: #1d2733; --muted: #5b6675; --line: #d5dbe3; --band: #f3f5f8; --accent: #29456b; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; background: #e9edf2; color: var(--ink);
  font: 14px/1.5 "Helvetica Neue", Arial, "Liberation Sans", sans-serif; }
.report { max-width: 920px; margin: 24px auto; background: #fff; padding: 40px 48px 32px;
  box-shadow: 0 1px 4px rgba(0,0,0,.12); }
header.cover { border-bottom: 3px solid var(--accent); padding-bottom: 18px; margin-bottom: 22px; }
.eyebrow { text-transform: uppercase; letter-spacing: .12em; font-size: 11px; color: var(--accent);
  font-weight: 700; }
h1 { font-size: 28px; margin: 6px 0 4px; line-height: 1.2; }
h1 .version { color: var(--muted); font-weight: 400; }
h2 { font-size: 18px; margin: 30px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line);
  color: var(--accent); break-after: avoid; page-break-after: avoid; }
h3 { font-size: 14px; margin: 18px 0 6px; break-after: avoid; page-break-after: avoid; }
p { margin: 6px 0 10px; }
.lead { font-size: 15px; }
dl.meta { display: grid; grid-template-columns: 1fr 1fr; gap: 3px 28px; margin: 14px 0 0;
  font-size: 13px; }
dl.meta > div { display: grid; grid-template-columns: 150px 1fr; gap: 12px;
  border-bottom: 1px dotted var(--line); padding: 2px 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
.figures { display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px; margin: 16px 0 6px; }
.figure { background: var(--band); border-left: 4px solid var(--accent); padding: 10px 12px;
  break-inside: avoid; }
.figure .value { font-size: 22px; font-weight: 700; line-height: 1.2; }
.figure .label { font-size: 12px; color: var(--muted); }
.figure.warn { border-left-color: #c9892b; }
.figure.bad { border-left-color: #9e2a2b; }
.figure.good { border-left-color: #2f6f5e; }
table { width: 100%; border-collapse: collapse; margin: 6px 0 12px; font-size: 12.5px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { background: var(--band); font-weight: 600; color: #333; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr { break-inside: avoid; page-break-inside: avoid; }
thead { display: table-header-group; }
code, .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 11.5px; }
.hash { overflow-wrap: anywhere; word-break: break-all; }
.chart { margin: 6px 0 14px; break-inside: avoid; page-break-inside: avoid; }
.note { color: var(--muted); font-size: 12.5px; }
.pending { color: #8a5a00; font-style: italic; }
.callout { background: var(--band); border: 1px solid var(--line); padding: 10px 14px; margin: 10px 0;
  break-inside: avoid; }
.ok { color: #2f6f5e; font-weight: 600; }
.fail { color: #9e2a2b; font-weight: 600; }
ul.plain { margin: 4px 0 10px; padding-left: 20px; }
ul.checks { list-style: none; padding: 0; margin: 6px 0 12px; }
ul.checks li { padding: 3px 0 3px 26px; position: relative; }
ul.checks .mark { position: absolute; left: 4px; font-weight: 700; }
ul.checks li.pass .mark { color: #2f6f5e; }
ul.checks li.failed { color: #9e2a2b; font-weight: 600; }
footer { margin-top: 28px; padding-top: 10px; border-top: 1px solid var(--line); color: var(--muted);
  font-size: 11.5px; }
@page { size: A4; margin: 16mm 14mm 18mm 14mm; }
@media print {
  body { background: #fff; font-size: 11.5px; }
  .report { box-shadow: none; margin: 0; padding: 0; max-width: none; }
  h2 { margin-top: 20px; }
  .lead { font-size: 13px; }
  .figures { grid-template-columns: repeat(4, 1fr); }
  section.keep { break-inside: avoid; page-break-inside: avoid; }
}
"""


def _e(value: Any) -> str:
    return escape("-" if value is None else str(value))


def _when(value: str | None, *, date_only: bool = False) -> str:
    """An ISO 8601 time as a reader writes it: `2026-12-07 06:32 UTC` (or the date alone).

    Examples
    --------
    >>> _when("2026-12-07T06:32:12.612000+00:00"), _when("2026-03-01T00:00:00+00:00", date_only=True)
    ('2026-12-07 06:32 UTC', '2026-03-01')
    """
    if not value:
        return "-"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return _e(value)
    if date_only:
        return moment.date().isoformat()
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M") + (" UTC" if moment.tzinfo is not None else "")


def _css_text(value: str) -> str:
    """`value` reduced to characters that are safe inside a CSS string.

    Examples
    --------
    >>> _css_text('curated.x@v1"} body {')
    'curated.x@v1 body '
    """
    return re.sub(r"[^A-Za-z0-9_.@ -]", "", value)


def _num(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else _e(value)


def _pending(value: Any) -> str:
    return _e(value) if value else f'<span class="pending">{TO_COMPLETE}</span>'


def _table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], *, numeric: Iterable[int] = ()
) -> str:
    numeric = set(numeric)
    head = "".join(
        f'<th class="num">{_e(h)}</th>' if i in numeric else f"<th>{_e(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{_num(v)}</td>' if i in numeric else f"<td>{v}</td>"
            for i, v in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(headers)}" class="note">None.</td></tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _mix(counts: Mapping[str, int]) -> str:
    return _e(", ".join(f"{k} ({v:,})" for k, v in counts.items()) or "-")


def _figure(value: Any, label: str, tone: str = "") -> str:
    return (
        f'<div class="figure {tone}"><div class="value">{_num(value)}</div>'
        f'<div class="label">{_e(label)}</div></div>'
    )


def _lead(facts: Mapping[str, Any]) -> str:
    totals = facts["totals"]
    sources = facts["sources"]
    pii = facts["pii"]
    redacted = sum(e["occurrences"] for e in pii["entities"])
    period = facts["collection"]
    parts = [
        f"Version <b>{_e(facts['version'])}</b> of <b>{_e(facts['dataset'])}</b> holds "
        f"<b>{totals['documents']:,}</b> documents from {len(sources)} source(s), selected on the "
        f"organization's premises from <b>{totals['inputs']:,}</b> input documents by the run "
        f"<code>{_e(facts['run_id'])}</code> (committed {_when(facts['committed_at'])}).",
        f"{totals['dropped']:,} were left out by a rule (license, language or quality, "
        f"duplicates, personal-data density) and {totals['quarantined']:,} could not be read; "
        "every decision is recorded with its reason.",
    ]
    if totals["carried"]:
        parts.append(
            f"{totals['carried']:,} documents were unchanged since the previous version and "
            "carried over without being processed again."
        )
    if redacted:
        parts.append(
            f"Personal data was found and redacted before the version was committed: "
            f"{redacted:,} occurrence(s) in {pii['documents_with_pii']:,} document(s)."
        )
    if totals["erased"] or facts["erasures"]:
        parts.append(
            f"{len(facts['erasures'])} erasure request(s) were applied to this version, "
            f"removing {totals['erased']:,} document(s)."
        )
    if period.get("first_modified"):
        parts.append(
            f"The documents were last modified between "
            f"{_when(period['first_modified'], date_only=True)} and "
            f"{_when(period.get('last_modified'), date_only=True)}."
        )
    return f'<p class="lead">{" ".join(parts)}</p>'


def _cover(facts: Mapping[str, Any]) -> str:
    spec = facts["spec"]
    meta = [
        ("Dataset", _e(facts["dataset"])),
        ("Version", _e(facts["version"])),
        ("Snapshot", f'<span class="mono">{_e(facts["snapshot_id"])}</span>'),
        ("Committed", _when(facts["committed_at"])),
        ("Run", f'<span class="mono">{_e(facts["run_id"])}</span>'),
        ("Software", f"sovereign-curate {_e(facts['code_version'])}"),
        ("Spec fingerprint", f'<span class="mono">{_e(spec.get("fingerprint"))}</span>'),
        (
            "PII policy fingerprint",
            f'<span class="mono">{_e(spec.get("pii_policy_fingerprint"))}</span>',
        ),
        ("Provider", _pending(facts.get("provider"))),
    ]
    items = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in meta)
    return (
        '<header class="cover"><div class="eyebrow">Training data audit report</div>'
        f'<h1>{_e(facts["dataset"])} <span class="version">version {_e(facts["version"])}</span>'
        f'</h1><dl class="meta">{items}</dl></header>'
    )


def _figures(facts: Mapping[str, Any]) -> str:
    totals = facts["totals"]
    redacted = sum(e["occurrences"] for e in facts["pii"]["entities"])
    cells = [
        _figure(totals["inputs"], "input documents"),
        _figure(totals["documents"], "documents in this version", "good"),
        _figure(totals["dropped"], "dropped by a rule", "warn"),
        _figure(totals["quarantined"], "quarantined (unreadable)", "bad"),
        _figure(totals["carried"], "carried unchanged from the previous version"),
        _figure(redacted, "personal data occurrences redacted"),
        _figure(totals["erased"], "erased on request", "bad" if totals["erased"] else ""),
        _figure(totals["tokens"], f"tokens ({totals['size_band']})"),
    ]
    return f'<section class="figures">{"".join(cells)}</section>'


def _sources_section(facts: Mapping[str, Any]) -> str:
    spec = facts["spec"]
    rows = [
        (
            f"<b>{_e(s['source_id'])}</b>",
            _e(s["kind"]) if s["kind"] else '<span class="note">not recorded</span>',
            _e(s["declared_license"]) if s["declared_license"] else '<span class="note">-</span>',
            _pending(s["owner"]),
            s["inputs"],
            s["documents"],
            _mix(s["licenses"]),
        )
        for s in facts["sources"]
    ]
    licenses = facts["licenses"]
    spec_note = (
        "Kinds and declared licenses come from the dataset spec, checked against the version's "
        "spec fingerprint."
        if spec.get("checked_against_spec_file")
        else "Kinds and declared licenses are shown when the bundle is written with the spec "
        "the version was made with (<code>--spec</code>)."
    )
    return (
        "<section><h2>1. Sources and licenses</h2>"
        "<p>Where the documents came from, and under which license each was used. The license "
        "of every document was resolved from its own evidence (an SPDX tag, a license notice, "
        "file metadata, a license manifest, or the source's declared default).</p>"
        + _table(
            ("source", "kind", "declared license", "owner", "inputs", "in version", "licenses"),
            rows,
            numeric=(4, 5),
        )
        + f'<p class="note">{spec_note}</p>'
        + '<h3>License categories of the documents in this version</h3><div class="chart">'
        + bar_chart("License categories", licenses["by_category"])
        + "</div><h3>Evidence for each document's license</h3>"
        + _table(
            ("evidence", "documents"),
            ((_e(k), v) for k, v in licenses["by_evidence"].items()),
            numeric=(1,),
        )
        + "</section>"
    )


def _stages_section(facts: Mapping[str, Any]) -> str:
    stages = facts["stages"]
    rows = [
        (
            f"<b>{_e(s['stage'])}</b>",
            _e(s.get("note") or ""),
            s["inputs"],
            s["kept"],
            s["modified"],
            s["dropped"],
            s["quarantined"],
        )
        for s in stages
    ]
    reasons = [(f"<code>{_e(k)}</code>", v) for k, v in facts["reasons"].items()]
    words = "".join(f"<li><b>{k}</b>: {_e(v)}</li>" for k, v in DECISION_WORDS.items())
    return (
        "<section><h2>2. How each document was decided</h2>"
        "<p>Every input document passed the stages in this order until one left it out. Each "
        "bar is as long as the documents a stage received; the label shows how many it received "
        "and how many it passed on.</p>"
        f'<div class="chart">{waterfall_chart("Documents per stage", stages)}</div>'
        + _table(
            ("stage", "what it does", "inputs", "kept", "modified", "dropped", "quarantined"),
            rows,
            numeric=(2, 3, 4, 5, 6),
        )
        + f'<ul class="plain note">{words}</ul>'
        "<h3>Why documents were left out</h3>"
        + _table(("reason", "documents"), reasons, numeric=(1,))
        + '<p class="note">The decision and reason of every stage for every input document are '
        "in <code>documents.csv</code> / <code>documents.parquet</code>.</p></section>"
    )


def _pii_section(facts: Mapping[str, Any]) -> str:
    pii = facts["pii"]
    entities = [
        (
            f"<code>{_e(e['type'])}</code>",
            e["occurrences"],
            e["documents"],
            _e(e["action"]) if e["action"] else '<span class="note">see policy fingerprint</span>',
        )
        for e in pii["entities"]
    ]
    methods = [
        (
            f"<code>{_e(m['type'])}</code>",
            _e(m["lang"]),
            _e(m["method"]),
            m["documents"],
            m["occurrences"],
        )
        for m in pii["methods"]
    ]
    examined = [
        (_e(x["lang"]), _e(x["method"]), _e(x["ner_model"] or "none"), x["documents"])
        for x in pii["examined"]
    ]
    chart = bar_chart(
        "Personal data occurrences by type",
        {e["type"]: e["occurrences"] for e in pii["entities"] if e["occurrences"]},
        colour="#6b4a8a",
    )
    carried = (
        f'<p class="note">{pii["carried_documents"]:,} document(s) of this version were carried '
        "from an earlier version and were examined by the run that first processed them (same "
        "PII policy and detection rules, which the policy fingerprint guarantees).</p>"
        if pii["carried_documents"]
        else ""
    )
    return (
        "<section><h2>3. Personal data</h2><p>Personal data was detected automatically and "
        "replaced before the version was committed. Only the type of each finding and how "
        "often it occurred are kept: the values are gone from the version and appear nowhere "
        "in this bundle.</p>"
        + _table(("type", "occurrences", "documents", "action"), entities, numeric=(1, 2))
        + f'<div class="chart">{chart}</div>'
        + "<h3>Detection method per type and language</h3>"
        + _table(
            ("type", "language", "method", "documents", "occurrences"), methods, numeric=(3, 4)
        )
        + "<h3>Documents examined by this run, by language and method</h3>"
        + _table(("language", "method", "NER model", "documents"), examined, numeric=(3,))
        + carried
        + '<p class="note">Automatic detection does not find every occurrence: residual personal '
        "data can remain in the text.</p></section>"
    )


def _languages_section(facts: Mapping[str, Any]) -> str:
    period = facts["collection"]
    return (
        '<section class="keep"><h2>4. Languages and collection period</h2>'
        f'<div class="chart">{bar_chart("Documents by language", facts["languages"]["by_language"])}'
        "</div>"
        + _table(
            ("event", "when"),
            (
                ("Earliest modification of a document", _when(period.get("first_modified"))),
                ("Latest modification of a document", _when(period.get("last_modified"))),
                (
                    "Documents collected (the run that read them started)",
                    _when(period.get("collected_at")),
                ),
            ),
        )
        + "</section>"
    )


def _erasures_section(facts: Mapping[str, Any]) -> str:
    rows = [
        (
            _e(e["request_id"]),
            _when(e["at"]),
            _e(
                ", ".join(
                    f"{v['old'] or 'untagged'} → {v['new'] or 'untagged'}"
                    for v in e["versions_affected"]
                )
            ),
            e["files_deleted"],
            '<span class="ok">verified</span>'
            if e["verified"]
            else '<span class="fail">not verified</span>',
        )
        for e in facts["erasures"]
    ]
    return (
        '<section class="keep"><h2>5. Erasures applied to this version</h2>'
        "<p>Requests to erase a person's data (GDPR Art. 17) that removed documents from this "
        "version. The person is identified in the audit trail only by a salted hash.</p>"
        + _table(
            ("request", "carried out", "versions", "files deleted", "verification"),
            rows,
            numeric=(3,),
        )
        + "</section>"
    )


def _models_section(facts: Mapping[str, Any]) -> str:
    rows = [
        (f"<code>{_e(m['model'])}</code>", _e(m["version"]), _when(m["at"]))
        for m in facts["models"]
    ]
    return (
        '<section class="keep"><h2>6. Models trained on this version</h2>'
        "<p>As recorded with <code>curate catalog record-model</code> (including models trained "
        "on this version before an erasure changed it).</p>"
        + _table(("model", "version", "recorded"), rows)
        + "</section>"
    )


def checks(facts: Mapping[str, Any], files: Sequence[Mapping[str, Any]]) -> list[tuple[bool, str]]:
    """What the bundle verified before the report was written, each with its outcome."""
    totals = facts["totals"]
    trail = facts["audit_trail"]
    accounted = sum(
        totals[k] for k in ("kept", "dropped", "quarantined", "erased", "not_committed")
    )
    names = {f["path"] for f in files}
    return [
        (
            accounted == totals["inputs"] and not totals["not_committed"],
            f"Every input document is accounted for: {totals['inputs']:,} inputs = "
            f"{totals['kept']:,} kept + {totals['dropped']:,} dropped + "
            f"{totals['quarantined']:,} quarantined + {totals['erased']:,} erased"
            + (
                f" ({totals['not_committed']:,} without an outcome)"
                if totals["not_committed"]
                else ""
            ),
        ),
        (
            "documents.csv" in names,
            f"documents.csv and documents.parquet hold one row per input ({totals['inputs']:,}).",
        ),
        (
            "croissant.json" in names,
            "croissant.json validated offline with mlcroissant (structure, types, checksums) "
            "and its RAI values checked.",
        ),
        (
            "dataset.spdx3.json" in names,
            "dataset.spdx3.json read back with spdx-python-model; every property of the SPDX "
            "3.0.1 Dataset profile is present.",
        ),
        (
            trail["ok"],
            f"Audit trail hash chain: {trail['entries']:,} entries, "
            + ("intact." if trail["ok"] else "BROKEN: " + "; ".join(trail["problems"])),
        ),
    ]


def _bundle_section(facts: Mapping[str, Any], files: Sequence[Mapping[str, Any]]) -> str:
    trail = facts["audit_trail"]
    rows = [
        (
            f"<code>{_e(f['path'])}</code>",
            _e(f.get("description", "")),
            f["bytes"],
            f'<span class="mono hash">{_e(f["sha256"])}</span>',
        )
        for f in files
    ]
    items = "".join(
        f'<li class="{"pass" if ok else "failed"}"><span class="mark">{"✓" if ok else "✗"}</span>'
        f"{_e(text)}</li>"
        for ok, text in checks(facts, files)
    )
    return (
        "<section><h2>7. About this bundle</h2>"
        f'<div class="callout"><b>Privacy.</b> {_e(facts["privacy"])}</div>'
        f'<h3>Checks</h3><ul class="checks">{items}</ul>'
        "<h3>Files</h3>"
        + _table(("file", "what it holds", "bytes", "sha256"), rows, numeric=(2,))
        + "<p><code>summary.json</code> holds every figure of this report as data, with the "
        "time of export. <code>SHA256SUMS</code> lists the sha256 of every file: check a copy "
        "with <code>sha256sum -c SHA256SUMS</code>. The head of the audit trail when this "
        "bundle was written was "
        f'<span class="mono hash">{_e(trail["head_sha256"] or "(empty trail)")}</span>: a later '
        "trail must still contain that line unchanged.</p></section>"
    )


def _page_boxes(facts: Mapping[str, Any]) -> str:
    """Running footer of printed pages: what the report is about, and the page number."""
    label = _css_text(f"Audit report {facts['dataset']}@{facts['version']}")
    return (
        '@page { @bottom-left { content: "' + label + '"; font-size: 9px; color: #5b6675; } '
        '@bottom-right { content: "Page " counter(page) " of " counter(pages); '
        "font-size: 9px; color: #5b6675; } }"
    )


def render_report(facts: Mapping[str, Any], files: Sequence[Mapping[str, Any]]) -> str:
    """The report for `facts` (summary.json's body) describing the bundle's `files`."""
    title = f"Audit report: {facts['dataset']}@{facts['version']}"
    body = "".join(
        [
            _cover(facts),
            _lead(facts),
            _figures(facts),
            _sources_section(facts),
            _stages_section(facts),
            _pii_section(facts),
            _languages_section(facts),
            _erasures_section(facts),
            _models_section(facts),
            _bundle_section(facts, files),
        ]
    )
    footer = (
        f"<footer>Generated by sovereign-curate {_e(facts['code_version'])} from snapshot "
        f"{_e(facts['snapshot_id'])} of {_e(facts['dataset'])}. The same version always gives "
        "the same report.</footer>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{STYLE}{_page_boxes(facts)}</style></head>"
        f'<body><main class="report">{body}{footer}</main></body></html>\n'
    )
