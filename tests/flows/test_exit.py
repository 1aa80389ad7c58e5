"""`flows.exit.exit_now`: what an exit must do still happens without the interpreter's teardown.

Each case runs in its own interpreter, since `exit_now` ends the process that calls it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_status_output_and_exit_handlers_survive(tmp_path: Path) -> None:
    marker = tmp_path / "atexit.txt"
    done = run_python(
        f"""
        import atexit, sys
        from flows.exit import exit_now
        atexit.register(lambda: open({str(marker)!r}, "w").write("ran"))
        sys.stdout.write("unterminated output")  # still in the buffer when exit_now is called
        sys.stderr.write("a warning")
        exit_now(3)
        """
    )
    assert done.returncode == 3
    assert done.stdout == "unterminated output"
    assert done.stderr == "a warning"
    assert marker.read_text() == "ran"


def test_a_message_is_printed_and_exits_1() -> None:
    done = run_python("from flows.exit import exit_now; exit_now('no spec given: pass one')")
    assert done.returncode == 1
    assert done.stderr.strip() == "no spec given: pass one"


def test_threads_that_are_not_daemons_finish_their_work(tmp_path: Path) -> None:
    marker = tmp_path / "thread.txt"
    pool_marker = tmp_path / "pool.txt"
    done = run_python(
        f"""
        import threading, time
        from concurrent.futures import ThreadPoolExecutor
        from flows.exit import exit_now
        def slow_write():
            time.sleep(0.3)
            open({str(marker)!r}, "w").write("finished")
        threading.Thread(target=slow_write).start()
        pool = ThreadPoolExecutor(2)  # never shut down, as libraries leave theirs
        pool.submit(lambda: (time.sleep(0.3), open({str(pool_marker)!r}, "w").write("done")))
        exit_now(0)
        """
    )
    assert done.returncode == 0, done.stderr
    assert marker.read_text() == "finished"
    assert pool_marker.read_text() == "done"


def test_temporary_folders_left_open_are_removed(tmp_path: Path) -> None:
    done = run_python(
        f"""
        import tempfile
        from flows.exit import exit_now
        kept = tempfile.TemporaryDirectory(dir={str(tmp_path)!r})
        open(kept.name + "/part.parquet", "w").write("x")
        print(kept.name)
        exit_now()
        """
    )
    assert done.returncode == 0, done.stderr
    folder = Path(done.stdout.strip())
    assert folder.parent == tmp_path
    assert not folder.exists()


def test_the_cli_exits_with_the_commands_status(tmp_path: Path) -> None:
    missing = tmp_path / "absent.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", str(missing), "-w", str(tmp_path / "ws")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "absent.yaml" in done.stderr
    help_text = subprocess.run(
        [sys.executable, "-m", "flows.cli", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert help_text.returncode == 0
    assert "Usage" in help_text.stdout
