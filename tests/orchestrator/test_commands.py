"""Schedules, `bizops cron`, `init`, `discover`, `plugins`, `test` and `runs`."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import yaml

from bizops.project import load
from bizops.schedule import is_due
from tests.orchestrator.conftest import BIZOPS, SlowProject


def test_schedule_is_due_once_its_next_fire_time_has_passed() -> None:
    last = datetime(2026, 1, 1, 10, 0, 30, tzinfo=UTC)
    assert not is_due("0 * * * *", last, datetime(2026, 1, 1, 10, 59, tzinfo=UTC))
    assert is_due("0 * * * *", last, datetime(2026, 1, 1, 11, 0, tzinfo=UTC))
    assert is_due("0 * * * *", None, datetime(2026, 1, 1, 10, 59, tzinfo=UTC))


def test_cron_runs_a_due_pipeline_once_then_nothing_is_due(slow_project: SlowProject) -> None:
    first = slow_project.bizops("cron")
    assert first.returncode == 0, first.stderr
    assert [r.trigger for r in slow_project.runs()] == ["cron"]
    second = slow_project.bizops("cron")
    assert second.returncode == 0, second.stderr
    assert f"bizops: {slow_project.name}: skipped (not due)" in second.stderr
    assert len(slow_project.runs()) == 1


def test_crontab_is_one_line_calling_bizops_cron(slow_project: SlowProject) -> None:
    result = slow_project.bizops("schedule", "crontab")
    lines = result.stdout.splitlines()
    assert f"#   0 0 1 1 *        {slow_project.name}" in lines
    assert [line for line in lines if not line.startswith("#")] == [
        f"* * * * * cd {slow_project.root} && {BIZOPS} cron >> .bizops/logs/cron.log 2>&1"
    ]


def test_gitlab_ci_has_one_scheduled_job_per_pipeline(slow_project: SlowProject) -> None:
    doc = yaml.safe_load(slow_project.bizops("schedule", "gitlab-ci").stdout)
    job = doc[f"bizops:{slow_project.name}"]
    assert job["extends"] == ".bizops"
    assert job["script"] == [f"bizops run {slow_project.name} --log-format plain"]
    assert "schedule" in job["rules"][0]["if"]


def test_schedule_list_shows_never_run_pipelines_as_due(slow_project: SlowProject) -> None:
    lines = slow_project.bizops("schedule", "list").stdout.splitlines()
    assert lines[1] == f"{slow_project.name}\t0 0 1 1 *\tnever\tnow"


def test_runs_lists_history_and_shows_one_run(slow_project: SlowProject) -> None:
    assert slow_project.bizops("run", slow_project.name).returncode == 0
    listed = slow_project.bizops("runs", slow_project.name).stdout.splitlines()
    run_id = listed[1].split("\t")[0]
    assert listed[1].split("\t")[2] == "succeeded"
    shown = dict(
        line.split(None, 1)
        for line in slow_project.bizops("runs", "show", run_id).stdout.splitlines()
    )
    assert shown["status"] == "succeeded"
    assert shown["loaded"] == "alpha=60, beta=60, gamma=60"
    assert shown["read"] == "alpha=60, beta=60, gamma=60"
    assert shown["log"].endswith(".log")


def test_init_writes_a_starter_file_that_loads(tmp_path: Path) -> None:

    from tests.orchestrator.conftest import BIZOPS

    done = subprocess.run([BIZOPS, "init", "-p", str(tmp_path)], capture_output=True, check=False)
    assert done.returncode == 0
    env = {"ZUORA_CLIENT_ID": "id", "ZUORA_CLIENT_SECRET": "s3cret"}
    project = load(tmp_path, env=env)
    assert project.pipeline("zuora-to-postgres").schedule == "0 * * * *"
    again = subprocess.run([BIZOPS, "init", "-p", str(tmp_path)], capture_output=True, check=False)
    assert again.returncode == 2


def test_discover_writes_the_catalog(slow_project: SlowProject) -> None:
    result = slow_project.bizops("discover", "slow-tap", "--write")
    assert result.returncode == 0, result.stderr
    catalog = json.loads((slow_project.root / "catalogs" / "slow-tap.json").read_text())
    assert [s["tap_stream_id"] for s in catalog["streams"]] == ["alpha", "beta", "gamma"]


def test_plugins_lists_entry_points_and_configured_commands(slow_project: SlowProject) -> None:
    rows = [line.split("\t") for line in slow_project.bizops("plugins").stdout.splitlines()]
    by_name = {row[1]: row for row in rows}
    assert by_name["slow-tap"][2] == "command"
    assert by_name["target-postgres"][:3] == ["target", "target-postgres", "entry point"]
    assert by_name["tap-zuora"][0] == "tap"


def test_test_command_checks_tap_target_and_warehouse(slow_project: SlowProject) -> None:
    result = slow_project.bizops("test", slow_project.name)
    assert result.returncode == 0, result.stdout
    assert [line.split()[:2] for line in result.stdout.splitlines()] == [
        ["ok", "warehouse"], ["ok", "tap"], ["ok", "target"],
    ]  # fmt: skip
