"""`reports/`: PDF and DOCX reports with KPI tables, draft (DOCX) and final (PDF) revisions,
a board-pack copy, number-only tables (junk), a truncated PDF and a .docx that is not a zip.
Declared license: CC0-1.0.
"""

from __future__ import annotations

import random

from curation.demo.people import STAFF
from curation.demo.phrases_other import REPORT_RECOMMENDATIONS, REPORT_SENTENCES, REPORT_TITLES
from curation.demo.plan import KEEP_TOGETHER, Plan, later, random_date
from curation.demo.prose import Deck, Doc, plain_text, revise, sentences
from curation.demo.slots import Filler
from curation.demo.writers import docx_bytes, pdf_bytes, pdf_lines

_AUTHORS = tuple(
    p
    for p in STAFF
    if p.department in ("Finance", "Information Security", "IT Operations", "Facilities")
)

_REPORT_EDITS: tuple[tuple[str, str], ...] = (
    ("increase", "rise"),
    ("fell", "decreased"),
    ("improved", "increased"),
    ("main", "principal"),
    ("We recommend", "The report recommends"),
    ("remain", "are still"),
    ("because of", "due to"),
    ("mainly", "largely"),
)

PUBLIC_DOMAIN_NOTE = (
    "To the extent possible under law, Acme Industries has waived all copyright and related rights "
    "to this report (CC0 1.0), and it is placed in the public domain."
)


# (measure, low, high, decimals): the ranges a small company's KPI pack would show.
_KPIS: tuple[tuple[str, float, float, int], ...] = (
    ("Revenue (GBP m)", 2, 20, 1),
    ("Operating margin (%)", 5, 25, 1),
    ("Headcount", 40, 220, 0),
    ("Availability (%)", 99.0, 99.99, 2),
    ("Open tickets", 10, 400, 0),
    ("Energy (MWh)", 100, 900, 0),
    ("Net promoter score", -10, 60, 0),
    ("Cloud spend (GBP k)", 50, 400, 1),
)


def _kpi_rows(rng: random.Random) -> list[list[str]]:
    rows = [["Measure", "This period", "Last period", "Target"]]
    for name, low, high, decimals in rng.sample(_KPIS, 4):
        values = (rng.uniform(low, high), rng.uniform(low, high), (low + high) / 2)
        rows.append([name] + [f"{v:.{decimals}f}" for v in values])
    return rows


def report_doc(rng: random.Random, title: str, period: str) -> Doc:
    """A report: author, CC0 notice, summary, KPI table, findings, recommendations."""
    author = rng.choice(_AUTHORS)
    filler = Filler(rng)
    deck = Deck(rng, REPORT_SENTENCES)

    def draw(n: int) -> list[str]:
        return [deck.draw().format_map(filler) for _ in range(n)]

    doc = Doc(f"{title} {period}", author=author.name)
    doc.paragraph([f"Prepared by {author.name}, {author.title}.", PUBLIC_DOMAIN_NOTE])
    doc.heading("Executive summary")
    doc.paragraph(draw(3))
    doc.heading("Key figures")
    doc.table(_kpi_rows(rng))
    doc.heading("Findings")
    doc.paragraph(draw(4))
    doc.paragraph(draw(3))
    doc.heading("Recommendations")
    doc.bullets(sentences(Deck(rng, REPORT_RECOMMENDATIONS), filler, 3))
    return doc


def build_reports(plan: Plan, seed: int) -> None:
    """Yearly PDF reports (two with DOCX drafts), quarterly DOCX, number dumps, corrupt files."""
    rng = random.Random(f"{seed}:reports")
    pdf_periods = ("2023", "2024")
    for index, (title, slug) in enumerate(REPORT_TITLES):
        for year in pdf_periods:
            doc = report_doc(rng, title, year)
            moment = random_date(rng)
            rel = f"reports/{year}/{slug}-{year}.pdf"
            if index < 2 and year == "2024":  # draft circulated as Word, final published as PDF
                draft_rel = plan.add(
                    f"reports/{year}/drafts/{slug}-{year}-draft.docx",
                    docx_bytes(doc, author=doc.author, created=moment, modified=moment),
                    moment,
                    plain_text(doc),
                )
                doc = revise(doc, rng, substitutions=_REPORT_EDITS, additions=(), edits=3)
                moment = later(rng, moment, 5, 30)
                plan.near_duplicate_groups.append((draft_rel, rel))
            data = pdf_bytes(
                pdf_lines(doc, KEEP_TOGETHER), title=doc.title, author=doc.author, created=moment
            )
            plan.add(rel, data, moment, plain_text(doc))
            if index == 2 and year == "2024":
                plan.copy(rel, f"reports/board-pack/{slug}-{year}.pdf", later(rng, moment, 2, 20))
    for quarter in ("Q1", "Q2", "Q3", "Q4"):
        for title, slug in rng.sample(REPORT_TITLES, 3):
            doc = report_doc(rng, title, f"{quarter} 2024")
            moment = random_date(rng)
            data = docx_bytes(doc, author=doc.author, created=moment, modified=moment)
            plan.add(
                f"reports/quarterly/{slug}-2024-{quarter.lower()}.docx",
                data,
                moment,
                plain_text(doc),
            )
    junk = []
    for name in ("kpi-export-2024-03", "kpi-export-2024-06", "regional-sales-raw"):
        rows = ["\t".join(["id", "region", "units", "revenue", "margin"])]
        rows += [
            "\t".join(
                [
                    str(1000 + i),
                    str(rng.randrange(1, 9)),
                    str(rng.randrange(10, 5000)),
                    f"{rng.uniform(1e3, 9e5):.2f}",
                    f"{rng.uniform(0, 0.4):.3f}",
                ]
            )
            for i in range(120)
        ]
        junk.append(plan.add(f"reports/data/{name}.txt", "\n".join(rows) + "\n", random_date(rng)))
    plan.junk.extend(junk)
    source = plan.find("reports/2024/sustainability-2024.pdf")
    # Cut inside the page content: no xref, no trailer, no catalog reachable.
    plan.corrupt.append(
        plan.add(
            "reports/2024/energy-audit-2024.pdf",
            source.data[: len(source.data) // 3],
            random_date(rng),
        )
    )
    not_a_zip = (
        "<html><body><h1>Session expired</h1><p>Please sign in to SharePoint again to download "
        "this file.</p></body></html>\n"
    )
    plan.corrupt.append(
        plan.add(
            "reports/quarterly/board-summary-2024-q4.docx", not_a_zip.encode(), random_date(rng)
        )
    )
