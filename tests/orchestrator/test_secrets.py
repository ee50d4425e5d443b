"""Secrets at rest: plugin configs never stranded in a shared place, never literal in bizops.yml;
settings, selections and state changes that name something unknown are caught."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

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


def set_tap_config(project: SlowProject, line: str) -> None:
    """Add ``line`` (``key: value``) to the slow tap's config in bizops.yml."""
    text = (project.root / "bizops.yml").read_text()
    anchor = "      state_every: 10\n"
    (project.root / "bizops.yml").write_text(text.replace(anchor, f"{anchor}      {line}\n"))


@pytest.mark.parametrize("value", ["123456789", "12.5", "true"])
def test_a_numeric_or_boolean_literal_secret_is_refused(
    slow_project: SlowProject, value: str
) -> None:
    set_tap_config(slow_project, f"client_secret: {value}")
    for args in (("run", slow_project.name), ("config", slow_project.name)):
        result = slow_project.bizops(*args)
        assert result.returncode == 2
        assert result.stderr.splitlines() == [
            "bizops: [config] bizops.yml: taps.slow-tap.config.client_secret looks like a "
            "secret; write it as an ${ENV_VAR} reference, never as a literal value"
        ]
        assert value not in result.stderr


def test_a_literal_value_under_a_key_the_plugin_marks_secret_is_refused(
    slow_project: SlowProject,
) -> None:
    text = (slow_project.root / "bizops.yml").read_text()
    (slow_project.root / "bizops.yml").write_text(
        text.replace("auth: ${TEST_SLOW_AUTH}", "auth: 987654321")
    )
    result = slow_project.bizops("run", slow_project.name)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "bizops: [config] bizops.yml: taps.slow-tap.config.auth is a secret setting of "
        "slow-tap; write it as an ${ENV_VAR} reference, never as a literal value"
    ]
    assert slow_project.runs() == []
    # In a pipeline's override too, named where it is.
    (slow_project.root / "bizops.yml").write_text(text + "    config:\n      auth: plain\n")
    result = slow_project.bizops("run", "--dry-run", slow_project.name)
    assert result.returncode == 2
    assert "bizops.yml: pipelines.0.config.auth is a secret setting of slow-tap" in result.stderr


def test_a_password_written_in_a_warehouse_url_is_refused(slow_project: SlowProject) -> None:
    text = (slow_project.root / "bizops.yml").read_text()
    url = "postgresql://u:pw-in-the-file@db.example.com/wh"
    (slow_project.root / "bizops.yml").write_text(f"warehouse:\n  database_url: {url}\n" + text)
    result = slow_project.bizops("state", "list")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "bizops: [config] bizops.yml: warehouse.database_url holds a password in a connection "
        "URL; write the URL (or its password) as an ${ENV_VAR} reference"
    ]


def test_an_unknown_tap_setting_is_warned_about_by_name(slow_project: SlowProject) -> None:
    set_tap_config(slow_project, "delai: 5")
    result = slow_project.bizops("run", slow_project.name, "--log-format", "json")
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if " WARNING " in line]
    assert [w.split(" WARNING ", 1)[1] for w in warnings] == [
        "bizops.plugins: slow-tap: unknown setting 'delai' (not among the settings its --about "
        "declares); ignored by the plugin, or a typo?"
    ]


def test_select_of_a_stream_or_field_not_in_the_catalog_is_refused(
    slow_project: SlowProject,
) -> None:
    before = (slow_project.root / "bizops.yml").read_text()
    for args, pattern in ((("alfa",), "alfa.*"), (("alpha", "valu"), "alpha.valu")):
        result = slow_project.bizops("select", slow_project.name, *args)
        assert result.returncode == 2
        assert result.stderr.splitlines() == [
            f"bizops: [config] select: {pattern!r} match(es) no stream or field of the slow-tap "
            "catalog (streams: alpha, beta, gamma); fix the name, or refresh the catalog with "
            "`bizops discover slow-tap --write`"
        ]
        assert (slow_project.root / "bizops.yml").read_text() == before
    ok = slow_project.bizops("select", slow_project.name, "alpha", "value")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout == f'{slow_project.name}: select ["alpha.value"]\n'


def test_a_pipeline_selection_naming_no_stream_fails_the_run_before_it_starts(
    slow_project: SlowProject,
) -> None:
    slow_project.configure(extra="    select: [alpha, Beta]\n")
    result = slow_project.bizops("run", slow_project.name)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].startswith(
        "bizops: [config] select: 'Beta' match(es) no stream or field of the slow-tap catalog"
    )
    assert slow_project.runs() == []


def test_state_set_and_clear_of_a_stream_never_seen_are_refused(
    slow_project: SlowProject,
) -> None:
    assert slow_project.bizops("run", slow_project.name).returncode == 0
    state = slow_project.state()
    assert slow_project.bizops("discover", "slow-tap", "--write").returncode == 0
    value = '{"replication_key_value": 3}'
    set_typo = slow_project.bizops(
        "state", "set", slow_project.name, "--stream", "alhpa", "--value", value
    )
    assert set_typo.returncode == 2
    assert set_typo.stderr.splitlines() == [
        f"bizops: [config] {slow_project.name}: no stream 'alhpa' in the stored state or the "
        "slow-tap catalog (streams: alpha, beta, gamma)"
    ]
    clear_typo = slow_project.bizops("state", "clear", slow_project.name, "--stream", "gama")
    assert clear_typo.returncode == 2
    assert "no stream 'gama' in the stored state or the slow-tap catalog" in clear_typo.stderr
    assert slow_project.state() == state
    fine = slow_project.bizops(
        "state", "set", slow_project.name, "--stream", "alpha", "--value", value
    )
    assert fine.returncode == 0, fine.stderr
    assert slow_project.state()["bookmarks"]["alpha"] == {"replication_key_value": 3}


def test_full_refresh_streams_naming_a_stream_not_in_the_catalog_fails_the_run(
    slow_project: SlowProject,
) -> None:
    assert slow_project.bizops("discover", "slow-tap", "--write").returncode == 0
    slow_project.configure(extra="    full_refresh_streams: [alpha, gamm]\n")
    result = slow_project.bizops("run", slow_project.name)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "bizops: [config] full_refresh_streams: unknown stream(s) 'gamm' "
        "(streams: alpha, beta, gamma)"
    ]
    assert slow_project.runs() == []
