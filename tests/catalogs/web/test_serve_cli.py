"""`curate catalog serve` as a user runs it: a subprocess that prints its sign-in address."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from web_corpus import DATASET

REPO = Path(__file__).resolve().parents[3]
TOKEN = "serve-cli-token-5d1e9a0b"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, headers: dict[str, str] | None = None):
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=20) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.fixture()
def served(catalog_fixture):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CURATE_")}
    env["CURATE_CATALOG_TOKEN"] = TOKEN
    process = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "catalog", "serve", "--port", "0", "-w"]
        + [str(catalog_fixture.workspace)],
        cwd=REPO,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    found = None
    try:
        seen = []
        for line in process.stderr:
            seen.append(line)
            found = re.search(r"http://127\.0\.0\.1:\d+/\?token=\S+", line)
            if found:
                break
        assert found, f"no address in {''.join(seen)!r}"
        yield found.group(0)
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_the_served_catalog_needs_the_token_from_the_printed_address(served):
    base = served.split("?")[0].rstrip("/")

    refused = fetch(base + "/api/datasets")
    status, headers, _ = fetch(served)
    cookie = headers["set-cookie"].split(";")[0]
    allowed = fetch(base + f"/datasets/{DATASET}", {"Cookie": cookie})

    assert served.endswith(f"?token={TOKEN}")
    assert refused[0] == 401
    assert status == 303 and headers["location"] == "/"
    assert allowed[0] == 200 and DATASET in allowed[2]
    assert allowed[1]["content-security-policy"].startswith("default-src 'none'")
    assert "server" not in {k.lower() for k in allowed[1]}
