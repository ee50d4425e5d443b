"""Run history and progress tell what is known: loaded counts only from the target, the whole
run's duration (plugin installs included), and a dry run that starts nothing."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import yaml

from bizops.store import Store
from tests.orchestrator.conftest import BIZOPS, SlowProject
from tests.orchestrator.test_pip_plugins import build_wheel


def use_quiet_target(project: SlowProject) -> None:
    script = Path(__file__).with_name("quiet_target.py")
    command = project.root / "quiet-target"
    command.write_text(f'#!/bin/sh\nexec {sys.executable} {script} "$@"\n')
    command.chmod(0o755)
    text = (project.root / "bizops.yml").read_text()
    text = text.replace("targets:\n", f"targets:\n  quiet-target:\n    command: {command}\n")
    text = text.replace("    target: target-postgres\n", "    target: quiet-target\n")
    (project.root / "bizops.yml").write_text(text)


def test_a_target_that_reports_no_counts_has_unknown_loaded_counts(
    slow_project: SlowProject,
) -> None:
    use_quiet_target(slow_project)
    result = slow_project.bizops("run", slow_project.name, "--log-format", "plain")
    assert result.returncode == 0, result.stderr
    summary = result.stderr.splitlines()[-1]
    assert " succeeded in " in summary
    assert "(loaded ?); log: " in summary
    (run,) = slow_project.runs()
    assert run.stream_counts is None
    assert run.rows_read == {"alpha": 60, "beta": 60, "gamma": 60}
    listed = slow_project.bizops("runs", slow_project.name).stdout.splitlines()
    assert listed[1].split("\t")[-1] == "?"
    shown = dict(
        line.split(None, 1)
        for line in slow_project.bizops("runs", "show", str(run.run_id)).stdout.splitlines()
    )
    assert shown["loaded"] == "?"
    assert shown["read"] == "alpha=60, beta=60, gamma=60"


def test_json_progress_gives_null_loaded_for_a_target_without_counts(
    slow_project: SlowProject,
) -> None:
    import json

    use_quiet_target(slow_project)
    result = slow_project.bizops("run", slow_project.name, "--log-format", "json")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stderr.splitlines()]
    finished = events[-1]
    assert finished["event"] == "run_finished"
    assert finished["loaded"] is None
    assert finished["read"] == {"alpha": 60, "beta": 60, "gamma": 60}
    assert all(e["loaded"] is None for e in events if e["event"] == "counts")


def test_target_postgres_counts_stay_known(slow_project: SlowProject) -> None:
    assert slow_project.bizops("run", slow_project.name).returncode == 0
    (run,) = slow_project.runs()
    assert run.stream_counts == {"alpha": 60, "beta": 60, "gamma": 60}


def pip_project(root: Path, schema: str) -> Path:
    wheel = build_wheel(root)
    project = {
        "version": 1,
        "project_id": schema,
        "taps": {"tiny-tap": {"pip_url": str(wheel)}},
        "targets": {"target-postgres": {"config": {"default_target_schema": schema}}},
        "pipelines": [{"name": schema, "tap": "tiny-tap", "target": "target-postgres"}],
    }
    (root / "bizops.yml").write_text(yaml.safe_dump(project), encoding="utf-8")
    return wheel


def test_dry_run_and_config_install_nothing_and_start_no_warehouse(
    tmp_path: Path, db_schema: str
) -> None:
    wheel = pip_project(tmp_path, db_schema)
    env = {k: v for k, v in os.environ.items() if k != "BIZOPS_DATABASE_URL"}
    for args in (("run", "--dry-run", db_schema), ("config", db_schema)):
        started = time.monotonic()
        done = subprocess.run(
            [BIZOPS, *args, "-p", str(tmp_path)], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert time.monotonic() - started < 10
        assert not (tmp_path / ".bizops" / "venvs").exists()
        assert not (tmp_path / ".bizops" / "pg").exists()
    plan = json.loads(
        subprocess.run(
            [BIZOPS, "run", "--dry-run", db_schema, "-p", str(tmp_path)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert plan["state_in"] == "unknown: the embedded warehouse is not running (not started)"
    assert plan["tap_install"] == (
        "tiny-tap is installed from its pip_url into .bizops/venvs/tiny-tap first "
        "(its settings are unknown until then)"
    )
    assert plan["tap"][0] == str(tmp_path.resolve() / ".bizops/venvs/tiny-tap/bin/tiny-tap")
    assert str(wheel) not in json.dumps(plan["target_config"])


def test_a_first_run_logs_its_plugin_install_and_counts_it_in_its_duration(
    tmp_path: Path, db_schema: str, warehouse_url: str
) -> None:
    wheel = pip_project(tmp_path, db_schema)
    env = {**os.environ, "BIZOPS_DATABASE_URL": warehouse_url}
    command = [BIZOPS, "run", db_schema, "-p", str(tmp_path), "--log-format", "plain"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    lines = first.stderr.splitlines()
    assert lines[0].endswith(f"{db_schema}: installing tiny-tap from {wheel} (first use)")
    (log,) = (tmp_path / ".bizops" / "logs" / db_schema).glob("*.log")
    installed = re.search(r"bizops \| installed tiny-tap \(.*\) in ([0-9.]+)s", log.read_text())
    assert installed, log.read_text()
    install_seconds = float(installed.group(1))
    assert install_seconds >= 1.0  # a venv and a pip install
    with Store(warehouse_url, project=db_schema) as store:
        (run,) = store.runs(db_schema)
    assert run.seconds is not None and run.seconds >= install_seconds
    summary = re.search(r"run \d+ succeeded in ([0-9.]+)s", lines[-1])
    assert summary and float(summary.group(1)) >= install_seconds
    assert abs(float(summary.group(1)) - run.seconds) < 1.0
    marker = tmp_path / ".bizops" / "venvs" / "tiny-tap" / "bizops-pip-url"
    assert stat.S_IMODE(marker.stat().st_mode) == 0o600  # pip_url may carry index credentials
