"""The run's private Prefect server: started before the run's own imports, waited for after."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from flows import run as run_module
from flows.run_server import ServerDidNotStart, StartedServer, connect, server_process


def test_a_configured_server_is_used_instead(monkeypatch):
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")

    with server_process() as server, connect(server) as url:
        assert server is None
        assert url is None


def test_a_server_that_exits_before_answering_fails_the_run():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    server = StartedServer("http://127.0.0.1:9/api", process)

    with pytest.raises(ServerDidNotStart, match="did not start"), connect(server, timeout=60):
        pass


def test_a_private_server_serves_runs_without_heartbeats(tmp_path, monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    from prefect.settings import get_current_settings

    with server_process() as server, connect(server) as url:
        assert url == server.url and server.answers()
        settings = get_current_settings()
        assert settings.api.url == url
        assert settings.flows.heartbeat_frequency is None
    assert server.process.poll() is not None


class _Answers:
    """A server that answers after `after` health checks."""

    def __init__(self, after: int) -> None:
        self.checks, self.after = 0, after

    def answers(self) -> bool:
        self.checks += 1
        return self.checks > self.after


def test_imports_while_starting_stop_once_the_server_answers(monkeypatch):
    imported = []
    monkeypatch.setattr(run_module, "RUN_MODULES", ("json", "csv", "wave"))
    monkeypatch.setattr("importlib.import_module", imported.append)

    run_module.import_while_starting(_Answers(after=2))

    assert imported == ["json", "csv"]


def test_a_private_server_registers_no_block_types(tmp_path, monkeypatch):
    """Block registration would import every Prefect collection (prefect-dask's distributed
    among them) at each run's start; a run's flow uses no block."""
    import json
    import urllib.request

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))

    with server_process() as server, connect(server) as url:
        request = urllib.request.Request(
            f"{url}/block_types/filter", data=b"{}", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
            block_types = json.loads(response.read())
    assert block_types == []


def test_the_first_answer_sends_one_api_request_so_routes_are_built_early():
    import http.server
    import threading

    seen: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"true")

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        process = subprocess.Popen([sys.executable, "-c", "pass"])
        server = StartedServer(f"http://127.0.0.1:{httpd.server_address[1]}/api", process)
        assert server.answers() and server.answers()
        deadline = time.monotonic() + 30
        while "/api/admin/version" not in seen and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        httpd.shutdown()
        process.wait()

    assert sorted(seen) == ["/api/admin/version", "/api/health", "/api/health"]
