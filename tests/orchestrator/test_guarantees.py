"""Guarantees 1, 2, 4 and 5: no overlapping runs, state never ahead of the data under SIGKILL,
clean shutdown on SIGTERM/SIGINT, legible failures with distinct exit codes."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.orchestrator.conftest import STREAMS, SlowProject, expected_rows, make_data, mutate

KILL_TRIALS = 15  # five per victim: the orchestrator, the tap, the target
KEYLESS = "alpha"  # appended, never merged: a record sent twice is a duplicate row


def children(pid: int) -> dict[str, int]:
    """The tap and target pids of a bizops process, by their command lines."""
    found: dict[str, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            kids = (task / "children").read_text().split()
        except OSError:  # the thread ended meanwhile
            continue
        for child in kids:
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:  # a short-lived helper (e.g. a plugin's --about) already exited
                continue
            if b"--about" in cmdline:
                continue
            if b"slow_tap" in cmdline:
                found["tap"] = int(child)
            elif b"target-postgres" in cmdline:
                found["target"] = int(child)
    return found


def wait_for_children(pid: int, timeout: float = 10) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = children(pid)
        if len(found) == 2:
            return found
        time.sleep(0.01)
    raise AssertionError("bizops did not start its tap and target")


def assert_exactly_once(project: SlowProject) -> None:
    data = project.data()
    for stream in STREAMS:
        assert project.rows(stream) == expected_rows(data, stream), stream


@pytest.mark.parametrize("trial", range(KILL_TRIALS))
def test_sigkill_at_a_random_point_then_rerun_loads_every_record_exactly_once(
    slow_project: SlowProject, trial: int
) -> None:
    rng = random.Random(trial)  # noqa: S311 - test data
    victim = ("orchestrator", "tap", "target")[trial % 3]
    slow_project.write_data(make_data(seed=trial))
    slow_project.configure(delay=0.004)
    slow_project.tap_settings(f"keyless: [{KEYLESS}]")
    run = slow_project.popen("run", slow_project.name, "--log-format", "plain")
    pids = wait_for_children(run.pid)
    time.sleep(rng.uniform(0.05, 0.6))
    pid = run.pid if victim == "orchestrator" else pids[victim]
    with contextlib.suppress(ProcessLookupError):  # it may have finished already
        os.kill(pid, signal.SIGKILL)
    run.communicate(timeout=60)
    # What the killed run committed of the keyless stream: a prefix of its rows, each once,
    # up to the bookmark of the last state committed with them.
    sent = sorted((r["id"], r["updated"], r["value"]) for r in slow_project.data()[KEYLESS])
    committed = slow_project.versions(KEYLESS) if any(slow_project.rows(KEYLESS)) else []
    mark = max((updated for _, updated, _ in committed), default=-1)
    assert committed == [row for row in sent if row[1] <= mark]
    data = slow_project.data()
    mutate(data, seed=trial)
    slow_project.write_data(data)
    rerun = slow_project.bizops("run", slow_project.name)
    assert rerun.returncode == 0, rerun.stderr
    for stream in STREAMS:
        if stream != KEYLESS:
            assert slow_project.rows(stream) == expected_rows(data, stream), stream
    # the rerun resumed exactly from the committed bookmark: nothing re-sent, nothing skipped
    resent = [(r["id"], r["updated"], r["value"]) for r in data[KEYLESS] if r["updated"] > mark]
    assert slow_project.versions(KEYLESS) == sorted(committed + resent)
    killed = slow_project.runs()[1]
    assert killed.status in ({"abandoned"} if victim == "orchestrator" else {"failed", "succeeded"})


def test_second_run_of_a_running_pipeline_exits_at_once_with_code_5(
    slow_project: SlowProject,
) -> None:
    slow_project.configure(delay=0.01)
    first = slow_project.popen("run", slow_project.name)
    wait_for_children(first.pid)
    started = time.monotonic()
    second = slow_project.bizops("run", slow_project.name)
    assert time.monotonic() - started < 5
    assert second.returncode == 5
    assert second.stderr.strip() == (
        f"bizops: [locked] pipeline '{slow_project.name}' is already running"
    )
    first.send_signal(signal.SIGTERM)
    first.communicate(timeout=60)


def test_orchestrator_killed_with_sigkill_does_not_block_the_next_run(
    slow_project: SlowProject,
) -> None:
    slow_project.configure(delay=0.01)
    first = slow_project.popen("run", slow_project.name)
    pids = wait_for_children(first.pid)
    first.kill()
    first.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{p}").exists() for p in pids.values()) and time.monotonic() < deadline:
        time.sleep(0.02)  # the children die with their parent (PDEATHSIG)
    slow_project.configure()
    again = slow_project.bizops("run", slow_project.name)
    assert again.returncode == 0, again.stderr
    assert [r.status for r in slow_project.runs()] == ["succeeded", "abandoned"]
    assert_exactly_once(slow_project)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_lets_the_target_commit_and_records_interrupted(
    slow_project: SlowProject, signum: int
) -> None:
    slow_project.configure(delay=0.01)
    run = slow_project.popen("run", slow_project.name, "--log-format", "plain")
    wait_for_children(run.pid)
    deadline = time.monotonic() + 30
    while slow_project.state() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # a first state committed (on a busy machine, later than 0.5 s)
    run.send_signal(signum)
    _, stderr = run.communicate(timeout=30)
    assert run.returncode == 6, stderr
    assert "interrupted by signal" in stderr
    record = slow_project.runs()[0]
    assert record.status == "interrupted"
    state = slow_project.state()
    loaded = sum(len(slow_project.rows(s)) for s in STREAMS)
    assert 0 < loaded < 180
    for stream, mark in state["bookmarks"].items():  # never ahead of the data
        assert {i for i, _ in slow_project.rows(stream)} >= set(
            range(mark["replication_key_value"] + 1)
        )
    slow_project.configure()
    assert slow_project.bizops("run", slow_project.name).returncode == 0
    assert_exactly_once(slow_project)


def test_second_signal_kills_a_tap_that_ignores_the_first(slow_project: SlowProject) -> None:
    slow_project.configure(delay=0.01)
    text = (slow_project.root / "bizops.yml").read_text()
    (slow_project.root / "bizops.yml").write_text(
        text.replace("state_every: 10", "state_every: 10\n      ignore_sigterm: true")
    )
    run = slow_project.popen("run", slow_project.name)
    wait_for_children(run.pid)
    time.sleep(0.5)  # let the tap start and ignore SIGTERM
    run.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert run.poll() is None  # still draining politely
    run.send_signal(signal.SIGTERM)
    _, stderr = run.communicate(timeout=10)
    assert run.returncode == 6
    assert "killed after a second signal" in stderr
    assert slow_project.runs()[0].status == "interrupted"


def test_tap_failure_is_exit_3_with_its_last_lines_in_history(slow_project: SlowProject) -> None:
    text = (slow_project.root / "bizops.yml").read_text()
    (slow_project.root / "bizops.yml").write_text(
        text.replace("state_every: 10", "state_every: 10\n      fail_after: 35")
    )
    result = slow_project.bizops("run", slow_project.name)
    assert result.returncode == 3
    assert "tap exited with code 1" in result.stderr
    assert "the source refused the request (HTTP 500)" in result.stderr
    record = slow_project.runs()[0]
    assert record.status == "failed"
    assert "the source refused the request (HTTP 500)" in record.error
    assert slow_project.state()["bookmarks"] == {"alpha": {"replication_key_value": 29}}


def test_target_failure_is_exit_4_with_its_last_lines(slow_project: SlowProject) -> None:
    text = (slow_project.root / "bizops.yml").read_text()
    (slow_project.root / "bizops.yml").write_text(
        text.replace("batch_size_rows: 25", "batch_size_rows: 0")
    )
    result = slow_project.bizops("run", slow_project.name)
    assert result.returncode == 4
    assert "target exited with code" in result.stderr
    assert "batch_size_rows: must be at least 1" in result.stderr
    assert "batch_size_rows: must be at least 1" in slow_project.runs()[0].error


def test_missing_environment_variable_is_exit_2_naming_it(slow_project: SlowProject) -> None:
    env = slow_project.env()
    del env["TEST_SLOW_API_KEY"]
    from tests.orchestrator.conftest import BIZOPS

    result = subprocess.run(
        [BIZOPS, "run", slow_project.name, "-p", str(slow_project.root)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "needs the environment variable TEST_SLOW_API_KEY" in result.stderr


def test_history_and_state_need_no_tap_secret(slow_project: SlowProject) -> None:
    env = slow_project.env()
    del env["TEST_SLOW_API_KEY"]
    from tests.orchestrator.conftest import BIZOPS

    for command in (["runs"], ["state", "list"], ["runs", slow_project.name]):
        result = subprocess.run(
            [BIZOPS, *command, "-p", str(slow_project.root)],
            capture_output=True, text=True, env=env, check=False,
        )  # fmt: skip
        assert result.returncode == 0, (command, result.stderr)
        assert "TEST_SLOW_API_KEY" not in result.stderr


def test_a_tap_that_cannot_start_fails_the_run_with_exit_3(slow_project: SlowProject) -> None:
    tap = slow_project.root / "slow-tap"
    tap.write_text("#!/nonexistent/interpreter\n")  # executable, but exec fails
    result = slow_project.bizops("run", slow_project.name)
    assert result.returncode == 3, result.stderr
    assert f"cannot start tap {str(tap)!r}" in result.stderr
    record = slow_project.runs()[0]
    assert record.status == "failed"
    assert "cannot start tap" in record.error
    assert all(slow_project.rows(stream) == [] for stream in STREAMS)
