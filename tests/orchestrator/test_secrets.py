"""Secrets at rest: plugin configs never stranded in a shared place, never literal in bizops.yml;
settings, selections and state changes that name something unknown are caught."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

from tests.orchestrator.conftest import API_KEY, BIZOPS, SlowProject
from tests.orchestrator.test_guarantees import wait_for_children


def private_tmp(project: SlowProject) -> Path:
    folder = project.root / "system-tmp"
    folder.mkdir(exist_ok=True)
    return folder


def test_sigkill_leaves_no_plugin_config_in_the_system_temp_dir_and_the_next_start_removes_it(
    slow_project: SlowProject,
) -> None:
    tmp = private_tmp(slow_project)
    slow_project.configure(delay=0.01)
    env = {**slow_project.env(), "TMPDIR": str(tmp)}
    run = subprocess.Popen(
        [BIZOPS, "run", slow_project.name, "--project-dir", str(slow_project.root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    wait_for_children(run.pid)
    run.kill()
    run.communicate(timeout=30)
    assert [p for p in tmp.rglob("*")] == []  # nothing of the run in the system temp dir
    runs = slow_project.root / ".bizops" / "run"
    assert stat.S_IMODE(runs.stat().st_mode) == 0o700
    (left,) = [p for p in runs.iterdir() if p.is_dir()]
    assert stat.S_IMODE(left.stat().st_mode) == 0o700
    tap_json = left / "tap.json"
    assert stat.S_IMODE(tap_json.stat().st_mode) == 0o600
    assert json.loads(tap_json.read_text())["api_key"] == API_KEY
    # The next bizops that runs a plugin removes what the killed one left.
    discover = slow_project.bizops("discover", "slow-tap")
    assert discover.returncode == 0, discover.stderr
    assert list(runs.iterdir()) == []
    assert [p for p in tmp.rglob("*")] == []


def test_a_finished_run_and_a_discovery_leave_no_files_behind(slow_project: SlowProject) -> None:
    tmp = private_tmp(slow_project)
    env = {**slow_project.env(), "TMPDIR": str(tmp)}
    for args in (("run", slow_project.name), ("discover", "slow-tap")):
        done = subprocess.run(
            [BIZOPS, *args, "--project-dir", str(slow_project.root)],
            capture_output=True,
            env=env,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert list((slow_project.root / ".bizops" / "run").iterdir()) == []
        assert [p for p in tmp.rglob("*")] == []


def test_run_log_files_are_private(slow_project: SlowProject) -> None:
    assert slow_project.bizops("run", slow_project.name).returncode == 0
    (log,) = (slow_project.root / ".bizops" / "logs" / slow_project.name).glob("*.log")
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert os.access(log, os.R_OK)
