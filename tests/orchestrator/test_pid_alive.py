"""pid_alive: the one liveness test behind the warehouse's and Superset's stop and status."""

from __future__ import annotations

import subprocess
import sys
import time

from bizops.process import pid_alive


def test_a_running_child_is_alive_and_an_exited_unreaped_child_is_not():
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        assert pid_alive(child.pid) is True
        child.stdin.close()  # it exits; not reaped yet, so it is a zombie
        deadline = time.monotonic() + 10
        while pid_alive(child.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert pid_alive(child.pid) is False
        assert child.returncode is None  # still unreaped: the zombie itself was judged gone
    finally:
        child.wait()
    assert pid_alive(child.pid) is False  # reaped: no such process


def test_a_process_of_another_user_counts_as_alive():
    assert pid_alive(1) is True  # init: kill(1, 0) answers EPERM or succeeds, never ESRCH
