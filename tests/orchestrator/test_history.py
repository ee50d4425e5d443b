"""Run history and progress tell what is known: loaded counts only from the target, the whole
run's duration (plugin installs included), and a dry run that starts nothing."""

from __future__ import annotations

import sys

from bizops.store import Store
from tests.orchestrator.conftest import SlowProject


def use_quiet_target(project: SlowProject) -> None:
    from pathlib import Path

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
    with Store(slow_project.warehouse_url) as store:
        (run,) = store.runs(slow_project.name)
    assert run.stream_counts == {"alpha": 60, "beta": 60, "gamma": 60}
