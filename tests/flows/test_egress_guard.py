"""The egress guard of the end-to-end tests is armed: it refuses and logs, and spares loopback.

Every zero-egress assertion ("the egress log is empty") is only as good as the guard behind it.
The positive control tries each kind of egress the guard covers and sees it refused by the guard
(its message, and a line in the log) rather than by a sandbox without a network; the negative
control shows that loopback traffic, which Prefect's client and server need, still flows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests_support import EGRESS_GUARD, REPO

ATTEMPTS = textwrap.dedent(
    """
    import json, multiprocessing, socket

    def attempt(name, action):
        try:
            action()
        except OSError as error:
            return {"attempt": name, "refused": True, "error": str(error)}
        return {"attempt": name, "refused": False, "error": ""}

    def tcp_connect():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect(("1.1.1.1", 443))

    def udp_sendto():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"\\x00", ("8.8.8.8", 53))

    def udp_connect():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("8.8.4.4", 53))

    def tcp_connect_in_spawned_child(queue):
        queue.put(attempt("spawned tcp connect", tcp_connect))

    if __name__ == "__main__":
        results = [
            attempt("tcp connect", tcp_connect),
            attempt("create_connection", lambda: socket.create_connection(("example.org", 80), 2)),
            attempt("getaddrinfo", lambda: socket.getaddrinfo("example.com", 443)),
            attempt("gethostbyname", lambda: socket.gethostbyname("example.net")),
            attempt("gethostbyname_ex", lambda: socket.gethostbyname_ex("example.edu")),
            attempt("gethostbyaddr", lambda: socket.gethostbyaddr("9.9.9.9")),
            attempt("udp sendto", udp_sendto),
            attempt("udp connect", udp_connect),
        ]
        # Prefect runs a served deployment's flow runs in spawned processes
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        child = context.Process(target=tcp_connect_in_spawned_child, args=(queue,))
        child.start()
        results.append(queue.get(timeout=60))
        child.join(60)
        print(json.dumps(results))
    """
)

LOOPBACK = textwrap.dedent(
    """
    import json, socket, threading

    results = {}
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]

        def echo():
            connection, _ = server.accept()
            with connection:
                connection.sendall(connection.recv(16))

        thread = threading.Thread(target=echo)
        thread.start()
        with socket.create_connection(("localhost", port), timeout=10) as client:
            client.sendall(b"ping")
            results["tcp echo"] = client.recv(16).decode()
        thread.join(10)

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
        receiver.bind(("127.0.0.1", 0))
        receiver.settimeout(10)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(b"pong", receiver.getsockname())
        results["udp"] = receiver.recv(16).decode()
    results["getaddrinfo"] = sorted({a[4][0] for a in socket.getaddrinfo("localhost", 80)})
    results["gethostbyname"] = socket.gethostbyname("127.0.0.1")
    print(json.dumps(results))
    """
)


def run_guarded(tmp_path: Path, script: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run `script` with the egress guard loaded the way `tests_support.run_cli` loads it."""
    log = tmp_path / "egress.log"
    path = tmp_path / "script.py"
    path.write_text(script, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CURATE_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(EGRESS_GUARD), str(REPO)])
    env["CURATE_EGRESS_LOG"] = str(log)
    result = subprocess.run(
        [sys.executable, str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result, log


def test_guard_refuses_and_logs_every_kind_of_egress(tmp_path):
    result, log = run_guarded(tmp_path, ATTEMPTS)
    attempts = json.loads(result.stdout)
    logged = log.read_text(encoding="utf-8").splitlines()

    assert [a["attempt"] for a in attempts if not a["refused"]] == []
    assert all("refused by test guard" in a["error"] for a in attempts), attempts
    expected = [
        "connect ('1.1.1.1', 443)",
        "getaddrinfo 'example.org'",
        "getaddrinfo 'example.com'",
        "gethostbyname 'example.net'",
        "gethostbyname 'example.edu'",
        "gethostbyaddr '9.9.9.9'",
        "sendto ('8.8.8.8', 53)",
        "connect ('8.8.4.4', 53)",
        "connect ('1.1.1.1', 443)",
    ]
    assert [line.split(" ", 1)[1] for line in logged] == expected
    # the last refusal was logged by the spawned child, a process of its own
    pids = [line.split(" ", 1)[0] for line in logged]
    assert pids[-1] != pids[0] and len(set(pids[:-1])) == 1


def test_guard_lets_loopback_through(tmp_path):
    result, log = run_guarded(tmp_path, LOOPBACK)
    loopback = json.loads(result.stdout)

    assert loopback["tcp echo"] == "ping"
    assert loopback["udp"] == "pong"
    assert set(loopback["getaddrinfo"]) <= {"127.0.0.1", "::1"}
    assert loopback["gethostbyname"] == "127.0.0.1"
    assert not log.exists()
