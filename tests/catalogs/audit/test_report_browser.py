"""summary.html in headless Chromium: readable from a file, inert, self-contained, printable.

With CURATE_SCREENSHOTS=1 the report's first screen is saved to docs/screenshots/ for the README.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from audit_corpus import DATASET

from catalogs.audit import record_model, write_bundle

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DOCS_SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "screenshots" / "audit-summary.png"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (Playwright cannot download browsers here)",
)


@pytest.fixture()
def report(corpus, tmp_path) -> Path:
    record_model(corpus.catalog, corpus.workspace, f"{DATASET}@v1", model="acme-assistant-1.0")
    out = tmp_path / "bundle"
    write_bundle(
        corpus.catalog,
        f"{DATASET}@v1",
        out,
        workspace=corpus.workspace,
        spec=corpus.spec_path,
        provider="ACME GmbH",
    )
    return out / "summary.html"


def test_the_report_reads_and_prints_from_a_file_with_nothing_fetched_or_run(report, tmp_path):
    from playwright.sync_api import expect, sync_playwright
    from pypdf import PdfReader

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 1500})
            requests: list[str] = []
            console: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            page.on("console", lambda message: console.append(message.text))
            page.goto(report.as_uri())

            expect(page.locator("h1")).to_contain_text(DATASET)
            expect(page.locator("h1")).to_contain_text("version v1")
            for heading in (
                "1. Sources and licenses",
                "2. How each document was decided",
                "3. Personal data",
                "5. Erasures applied to this version",
                "6. Models trained on this version",
                "7. About this bundle",
            ):
                expect(page.get_by_role("heading", name=heading)).to_be_visible()
            figures = page.locator(".figure")
            expect(figures.nth(0)).to_contain_text("10")
            expect(figures.nth(0)).to_contain_text("input documents")
            expect(figures.nth(2)).to_contain_text("dropped by a rule")
            expect(page.locator("svg").first).to_be_visible()
            expect(page.get_by_role("cell", name="license.denied")).to_be_visible()
            expect(page.get_by_role("cell", name="acme-assistant-1.0")).to_be_visible()
            expect(page.locator("ul.checks li.pass")).to_have_count(5)
            assert page.locator("script, link, img, iframe").count() == 0
            assert requests == [report.as_uri()] and console == []

            page.screenshot(path=tmp_path / "audit-summary.png", full_page=True)
            if os.environ.get("CURATE_SCREENSHOTS") == "1":
                DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=DOCS_SCREENSHOT, full_page=False)
            pdf = page.pdf(format="A4", print_background=True)
        finally:
            browser.close()

    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    pages = PdfReader(io.BytesIO(pdf)).pages
    text = "\n".join(p.extract_text() for p in pages)
    assert len(pages) >= 2
    assert "Training data audit report".upper() in text.upper()
    assert f"Page 1 of {len(pages)}" in text
    assert "Every input document is accounted for: 10 inputs" in " ".join(text.split())
