"""Every page and its JSON twin, through the real app over a real catalog (Starlette's client)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from web_checks import assert_inert, problems
from web_corpus import (
    BREAKOUT,
    DATASET,
    HOSTILE_ID,
    HOSTILE_ODD_ID,
    HOSTILE_SOURCE,
    HOSTILE_TEXT,
    IMG,
    SCRIPT,
)

from catalogs.web.links import diff_url, document_url, version_url
from catalogs.web.security import CONTENT_SECURITY_POLICY

DATASET_URL = f"/datasets/{DATASET}"
V1 = version_url(DATASET, "v1")


def html_of(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def json_of(client, url: str, status: int = 200):
    response = client.get("/api" + url if url != "/" else "/api/datasets")
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def test_home_lists_datasets_with_latest_version_size_and_run(client):
    html = html_of(client, "/")
    data = json_of(client, "/")

    assert [d["dataset"] for d in data["datasets"]] == [DATASET]
    assert data["datasets"][0]["latest"] == "v3"
    assert data["datasets"][0]["rows"] == 85
    assert data["datasets"][0]["run_id"] == "run-0003"
    assert f'href="{DATASET_URL}"' in html
    assert f'href="{version_url(DATASET, "v3")}"' in html
    assert "run-0003" in html


def test_dataset_page_shows_versions_over_time_with_a_size_chart(client):
    html = html_of(client, DATASET_URL)
    data = json_of(client, DATASET_URL)

    assert [v["version"] for v in data["versions"]] == ["v1", "v2", "v3"]
    assert [v["documents"] for v in data["versions"]] == [80, 80, 85]
    assert [(v["kept"], v["dropped"]) for v in data["versions"]] == [(80, 5), (80, 3), (85, 0)]
    assert data["versions"][1]["spec_fingerprint"] == "spec-run-0002"
    assert "<svg" in html and 'aria-label="Documents per version"' in html
    assert f'href="{diff_url(DATASET, "v1", "v2")}"' in html
    assert_inert(html)


def test_version_page_has_schema_stats_charts_sources_waterfall_and_samples(client):
    html = html_of(client, V1)
    data = json_of(client, V1)

    assert data["version"] == "v1" and data["run_id"] == "run-0001"
    assert "text" in [f["name"] for f in data["schema"]]
    assert data["stats"]["documents"] == 80
    assert [s["stage"] for s in data["stats"]["waterfall"]] == ["ingest", "quality", "pii"]
    assert data["stats"]["waterfall"][1]["reasons"] == {"quality.gopher_short_doc": 5}
    sources = {s["source_id"]: s for s in data["facets"]["sources"]}
    assert sources["hr"]["licenses"] == {"MIT": 26, f"MIT{SCRIPT}": 1}
    assert data["samples"]["total"] == 80
    assert len(data["samples"]["rows"]) == 50 and data["samples"]["pages"] == 2
    for label in ("Length (characters", "Quality score", "by language", "by license", "by source"):
        assert label in html
    assert html.count("<svg") == 5
    assert "quality.gopher_short_doc" in html
    assert_inert(html)


def test_samples_paginate_filter_and_search(client):
    page_two = json_of(client, V1 + "?page=2")["samples"]
    first = json_of(client, V1)["samples"]
    by_source = json_of(client, V1 + "?source=wiki&page=1")["samples"]
    by_both = json_of(client, V1 + "?license=CC-BY-4.0&lang=de")["samples"]
    searched = json_of(client, V1 + "?q=HOSTILE")["samples"]

    ids = [r["doc_id"] for r in first["rows"] + page_two["rows"]]
    assert len(page_two["rows"]) == 30 and len(set(ids)) == 80
    assert by_source["total"] == 26 and {r["source_id"] for r in by_source["rows"]} == {"wiki"}
    assert by_both["total"] == 26
    assert {(r["spdx"], r["lang"]) for r in by_both["rows"]} == {("CC-BY-4.0", "de")}
    assert [r["doc_id"] for r in searched["rows"]] == [HOSTILE_ID]
    assert "hostile" in searched["rows"][0]["snippet"]


def test_search_form_values_are_escaped_and_matches_marked(client):
    html = html_of(client, V1 + "?" + "q=" + quote('hostile"><script>x</script>'))
    assert_inert(html)
    html = html_of(client, V1 + "?q=hostile")
    assert "<mark>hostile</mark>" in html
    assert 'value="hostile"' in html
    assert_inert(html)


def test_odd_search_text_is_data_not_sql(client):
    data = json_of(client, V1 + "?" + "q=" + quote("%' OR 1=1 --"))
    assert data["samples"]["total"] == 0


def test_document_page_shows_text_provenance_and_every_decision(client):
    url = document_url(DATASET, "v1", HOSTILE_ID)
    html = html_of(client, url)
    data = json_of(client, url)

    assert data["content"]["text"] == HOSTILE_TEXT
    assert data["document"]["source_uri"].startswith("javascript:")
    assert data["run"]["run_id"] == "run-0001"
    assert [(d["stage"], d["decision"]) for d in data["decisions"]] == [
        ("ingest", "kept"),
        ("quality", "kept"),
        ("pii", "modified"),
    ]
    assert data["decisions"][2]["details"] == {"entities": 1, "note": SCRIPT}
    assert "&lt;script&gt;window.__pwned=1;alert(1)&lt;/script&gt;" in html
    assert "pii.redacted" in html and "0" * 64 in html and "run-0001" in html
    assert_inert(html)
    # the source URI is shown as text, never as a link
    assert 'href="javascript' not in html.lower()


def test_every_page_showing_hostile_values_is_inert(client):
    urls = [
        "/",
        DATASET_URL,
        V1,
        V1 + "?page=2",
        V1 + "?source=" + quote(HOSTILE_SOURCE),
        document_url(DATASET, "v1", HOSTILE_ID),
        document_url(DATASET, "v1", HOSTILE_ODD_ID),
        diff_url(DATASET, "v1", "v2"),
        version_url(DATASET, "v1") + "/sql?q=" + quote(f"SELECT '{BREAKOUT}' AS x, * FROM docs"),
    ]
    for url in urls:
        html = html_of(client, url)
        assert problems(html) == [], url
        assert SCRIPT not in html and IMG not in html and BREAKOUT not in html, url


def test_a_document_id_with_slash_markup_and_query_characters_round_trips(client):
    url = document_url(DATASET, "v1", HOSTILE_ODD_ID)
    data = json_of(client, url)

    assert "%2F" in url and "%3F" in url and "%23" in url
    assert data["document"]["doc_id"] == HOSTILE_ODD_ID
    assert data["document"]["source_id"] == HOSTILE_SOURCE


def test_diff_page_lists_changes_with_links_to_documents(client):
    url = diff_url(DATASET, "v1", "v2")
    html = html_of(client, url)
    data = json_of(client, url)

    assert data["counts"] == {"added": 1, "removed": 1, "changed": 1, "unchanged": 78}
    assert [d["doc_id"] for d in data["added"]] == ["hr-0090"]
    assert [d["doc_id"] for d in data["removed"]] == ["wiki-0004"]
    assert data["removed_by_why"] == {"deleted_at_source": 1}
    assert f'href="{document_url(DATASET, "v2", "hr-0090")}"' in html
    assert f'href="{document_url(DATASET, "v1", "wiki-0004")}"' in html
    assert f'href="{document_url(DATASET, "v2", "hr-0006")}"' in html
    assert_inert(html)


def test_compare_form_redirects_to_the_diff_address(client):
    response = client.get(DATASET_URL + "/diff?a=v1&b=v3", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == diff_url(DATASET, "v1", "v3")


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/datasets/curated.nope", 404, "no dataset named 'curated.nope'"),
        (f"{DATASET_URL}/versions/v9", 404, "has no version 'v9' (versions: v1, v2, v3)"),
        (document_url(DATASET, "v1", "nope"), 404, "document 'nope' is not in"),
        (document_url(DATASET, "v2", "wiki-0004"), 404, "is not in curated.handbook@v2"),
        (f"{DATASET_URL}/diff/v1...v9", 404, "has no version 'v9'"),
        (f"{DATASET_URL}/diff/v1", 400, "a diff address names two versions"),
        ("/no/such/page", 404, "no page at this address"),
    ],
)
def test_errors_are_pages_with_the_domain_message(client, url, status, message):
    html = html_of(client, url, status)
    assert message.replace("'", "&#39;") in html
    if not url.startswith("/no/"):
        assert message in json_of(client, url, status)["error"]


def test_only_get_and_head_are_answered(client):
    assert client.head(V1).status_code == 200
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = client.request(method, V1)
        assert response.status_code == 405
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_every_response_carries_the_security_headers(client):
    responses = [
        client.get("/"),
        client.get("/api/datasets"),
        client.get(V1),
        client.get("/static/catalog.css"),
        client.get("/static/nope.css"),
        client.get("/datasets/curated.nope"),
        client.get("/api/datasets/curated.nope"),
        client.post("/"),
        client.get(version_url(DATASET, "v1") + "/sql?format=csv&q=SELECT+1"),
    ]
    for response in responses:
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"
    assert "script-src" not in CONTENT_SECURITY_POLICY


def test_the_stylesheet_is_served_by_the_app_and_pages_load_nothing_else(client):
    html = html_of(client, V1)
    css = client.get("/static/catalog.css")

    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "http://" not in html.replace("http://127.0.0.1", "") and "https://" not in html
    assert "url(" not in css.text and "@import" not in css.text


def test_an_unexpected_failure_is_a_500_page_that_leaks_nothing(tmp_path):
    from starlette.testclient import TestClient

    from catalogs.registry import CatalogSettings
    from catalogs.web.app import create_app

    # a folder where the SQLite file should be: the catalog cannot open
    broken = CatalogSettings(uri=f"sqlite:///{tmp_path}", warehouse=tmp_path.as_uri())
    with TestClient(create_app(broken), base_url="http://127.0.0.1") as client:
        page = client.get("/")
        api = client.get("/api/datasets")

    assert page.status_code == 500 and api.status_code == 500
    assert "internal error" in page.text and str(tmp_path) not in page.text
    assert api.json() == {
        "error": "internal error: the server's log has the details",
        "status": 500,
    }
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
