"""End to end in headless Chromium against a real uvicorn server on a free loopback port.

The walk a data steward takes: all datasets -> one dataset -> a version -> a search typed into
the form -> a document -> a diff chosen in the compare form -> the SQL console. Every page that
shows the hostile documents is checked for a dialog, a console message, or `window.__pwned`
(which each payload would set if it ran). With CURATE_SCREENSHOTS=1 the version and document
pages are also saved to docs/screenshots/ for the README.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from web_corpus import DATASET, HOSTILE_ID, SCRIPT

from catalogs.web.server import address, build_server, listen

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (Playwright cannot download browsers here)",
)


@pytest.fixture(scope="module")
def base_url(catalog_fixture):
    sock = listen("127.0.0.1", 0)
    server = build_server(catalog_fixture.settings, token=None)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            pytest.fail("the catalog server did not start")
        time.sleep(0.02)
    yield address("127.0.0.1", sock.getsockname()[1]).rstrip("/")
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def test_a_steward_walks_the_catalog_and_nothing_hostile_runs(browser, base_url, tmp_path):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1360, "height": 1000})
    dialogs: list[str] = []
    console: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    publish = os.environ.get("CURATE_SCREENSHOTS") == "1"

    def shot(name: str, *, docs_name: str | None = None) -> None:
        page.screenshot(path=tmp_path / f"{name}.png", full_page=True)
        if publish and docs_name:
            DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=DOCS_SCREENSHOTS / docs_name, full_page=False)

    def assert_nothing_ran() -> None:
        assert page.evaluate("() => window.__pwned") is None
        assert dialogs == [] and console == []

    page.goto(base_url + "/")
    expect(page.locator("h1")).to_have_text("Datasets")
    shot("home")

    page.get_by_role("link", name=DATASET, exact=True).first.click()
    expect(page.locator("h1")).to_have_text(DATASET)
    expect(page.locator("table.data tbody tr")).to_have_count(3)
    shot("dataset")

    page.get_by_role("link", name="v1", exact=True).first.click()
    expect(page.locator("h1")).to_contain_text("@v1")
    expect(page.get_by_text("How the run got here")).to_be_visible()
    expect(page.locator("figure.chart svg")).to_have_count(5)
    expect(page.locator("table.samples tbody tr")).to_have_count(50)
    assert_nothing_ran()
    shot("version")

    page.get_by_role("link", name="next ›").click()
    expect(page.locator("table.samples tbody tr")).to_have_count(30)
    assert_nothing_ran()

    page.get_by_role("searchbox", name="search text").fill("hostile report")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("1 matching document")).to_be_visible()
    expect(page.locator("table.samples mark")).to_have_text("hostile report")
    assert_nothing_ran()
    shot("search")

    page.locator("table.samples td.doc a").first.click()
    expect(page.locator("h1")).to_contain_text(SCRIPT)
    expect(page.locator("pre.doc-text")).to_contain_text("</textarea><script>")
    expect(page.get_by_text("pii.redacted")).to_be_visible()
    expect(page.locator(".uri")).to_contain_text("javascript:")
    assert page.locator(".uri a").count() == 0
    assert HOSTILE_ID in page.url
    assert_nothing_ran()
    shot("document-hostile")

    page.goto(f"{base_url}/datasets/{DATASET}")
    page.get_by_label("from").select_option("v1")
    page.get_by_label("to").select_option("v2")
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("h1")).to_contain_text("v1 → v2")
    expect(page.get_by_text("Added in v2")).to_be_visible()
    assert_nothing_ran()
    shot("diff")
    page.get_by_role("link", name="Safety handbook, part 90").click()
    expect(page.locator("h1")).to_have_text("Safety handbook, part 90")
    expect(page.get_by_text("file:///shares/hr/doc-0090.md")).to_be_visible()
    shot("document", docs_name="catalog-document.png")

    page.get_by_role("link", name="curated.handbook@v2").click()
    shot("version-v2", docs_name="catalog-version.png")
    page.get_by_role("link", name="SQL console").click()
    page.get_by_label("SQL query").fill(
        "SELECT lang, count(*) AS documents FROM docs GROUP BY lang ORDER BY lang"
    )
    page.get_by_role("button", name="Run query").click()
    expect(page.locator("table.results tbody tr")).to_have_count(4)
    expect(page.locator("table.results")).to_contain_text("documents")
    page.get_by_label("SQL query").fill("SELECT * FROM read_csv('/etc/passwd')")
    page.get_by_role("button", name="Run query").click()
    expect(page.get_by_role("alert")).to_contain_text("file system operations are disabled")
    # the refusal is a 400 page, which Chromium reports as a failed load, not a script
    assert all("status of 400" in line for line in console)
    console.clear()
    page.get_by_label("SQL query").fill(
        "SELECT title, text FROM docs WHERE doc_id = 'hr-hostile-0001'"
    )
    page.get_by_role("button", name="Run query").click()
    expect(page.locator("table.results tbody tr")).to_have_count(1)
    assert_nothing_ran()
    shot("sql")
    page.close()
