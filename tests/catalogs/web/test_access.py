"""Who may read the catalog: the token (header, one-time sign-in cookie), Host names, binding."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner
from web_corpus import DATASET

from catalogs.web.app import create_app
from catalogs.web.exceptions import InsecureBinding, WebCatalogError
from catalogs.web.security import CONTENT_SECURITY_POLICY, COOKIE_NAME
from catalogs.web.server import check_binding, listen

TOKEN = "tok-4f9c2b7e81d3a6c5e0f7"


@pytest.fixture(scope="module")
def guarded(catalog_fixture):
    from starlette.testclient import TestClient

    app = create_app(catalog_fixture.settings, token=TOKEN)
    with TestClient(app, base_url="http://catalog.internal:8765") as test_client:
        yield test_client


def fresh(client):
    client.cookies.clear()
    return client


def test_without_the_token_every_request_is_refused(guarded):
    for url in ("/", f"/datasets/{DATASET}", "/api/datasets", "/static/catalog.css", "/nope"):
        response = fresh(guarded).get(url)
        assert response.status_code == 401, url
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "access token" in response.text
        assert DATASET not in response.text


def test_a_bearer_token_is_accepted_and_a_wrong_one_is_not(guarded):
    ok = fresh(guarded).get("/api/datasets", headers={"Authorization": f"Bearer {TOKEN}"})
    wrong = fresh(guarded).get("/api/datasets", headers={"Authorization": f"Bearer {TOKEN}x"})
    basic = fresh(guarded).get("/api/datasets", headers={"Authorization": f"Basic {TOKEN}"})

    assert ok.status_code == 200 and ok.json()["datasets"][0]["dataset"] == DATASET
    assert wrong.status_code == 401 and basic.status_code == 401


def test_the_sign_in_address_sets_a_strict_cookie_and_drops_the_token_from_the_url(guarded):
    client = fresh(guarded)
    signed_in = client.get(f"/?token={TOKEN}", follow_redirects=False)

    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/"
    cookie = signed_in.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert TOKEN not in cookie
    assert signed_in.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    page = client.get(f"/datasets/{DATASET}")
    assert page.status_code == 200 and DATASET in page.text


def test_a_wrong_sign_in_token_or_a_forged_cookie_is_refused(guarded):
    assert fresh(guarded).get("/?token=guess", follow_redirects=False).status_code == 401
    forged = fresh(guarded)
    forged.cookies.set(COOKIE_NAME, TOKEN)
    assert forged.get("/").status_code == 401
    forged.cookies.clear()


def test_sign_in_keeps_other_parameters_and_never_redirects_off_site(guarded):
    kept = fresh(guarded).get(
        f"/datasets/{DATASET}/versions/v1?q=leave&token={TOKEN}", follow_redirects=False
    )
    off_site = fresh(guarded).get(
        f"http://catalog.internal:8765//evil.example/?token={TOKEN}", follow_redirects=False
    )

    assert kept.headers["location"] == f"/datasets/{DATASET}/versions/v1?q=leave"
    assert off_site.headers["location"].startswith("/evil.example")
    fresh(guarded)


def test_without_a_token_only_loopback_host_names_are_answered(catalog_fixture):
    from starlette.testclient import TestClient

    app = create_app(catalog_fixture.settings)
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        assert client.get("/").status_code == 200
        assert client.get("/", headers={"host": "localhost:8765"}).status_code == 200
        assert client.get("/", headers={"host": "[::1]:8765"}).status_code == 200
        rebound = client.get("/", headers={"host": "attacker.example"})
    assert rebound.status_code == 400
    assert rebound.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert DATASET not in rebound.text


def test_the_cli_refuses_a_public_host_without_a_token(tmp_path):
    from flows.cli import app

    workspace = tmp_path / "ws"
    result = CliRunner().invoke(
        app, ["catalog", "serve", "--host", "0.0.0.0", "--workspace", str(workspace)]
    )

    assert result.exit_code == 2
    output = result.output.strip()
    assert "refusing to serve the catalog on 0.0.0.0 without --token" in output
    assert len(output.splitlines()) == 1
    assert not workspace.exists()


def test_the_cli_refuses_a_short_token(tmp_path):
    from flows.cli import app

    result = CliRunner().invoke(
        app, ["catalog", "serve", "--token", "short", "--workspace", str(tmp_path / "ws")]
    )
    assert result.exit_code == 2
    assert "at least 16 characters" in result.output


def test_binding_rules():
    check_binding("127.0.0.1", None)
    check_binding("localhost", None)
    check_binding("::1", None)
    check_binding("0.0.0.0", TOKEN)
    for host in ("0.0.0.0", "::", "10.0.0.5", "catalog.internal"):
        with pytest.raises(InsecureBinding, match="without --token"):
            check_binding(host, None)


def test_a_port_in_use_is_a_one_line_error():
    taken = listen("127.0.0.1", 0)
    try:
        with pytest.raises(WebCatalogError, match="cannot listen on 127.0.0.1"):
            listen("127.0.0.1", taken.getsockname()[1])
    finally:
        taken.close()
