"""Guarantees 6 and 7: secrets never reach logs, history, `config` or `--dry-run`; progress
output on a terminal, in plain lines and as JSON."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess

from tests.orchestrator.conftest import API_KEY, AUTH, BIZOPS, SlowProject


def test_secrets_are_redacted_from_log_files_and_history(slow_project: SlowProject) -> None:
    text = (slow_project.root / "bizops.yml").read_text()
    (slow_project.root / "bizops.yml").write_text(
        text.replace("state_every: 10", "state_every: 10\n      fail_after: 5")
    )
    result = slow_project.bizops("run", slow_project.name)
    assert result.returncode == 3
    logs = list((slow_project.root / ".bizops" / "logs" / slow_project.name).glob("*.log"))
    assert logs
    content = logs[0].read_text()
    assert "slow-tap: auth with key *** / ***" in content
    for secret in (API_KEY, AUTH):
        assert secret not in content
        assert secret not in result.stderr
        assert secret not in (slow_project.runs()[0].error or "")


def test_config_and_dry_run_mask_env_values_and_keys_the_plugin_marks_secret(
    slow_project: SlowProject,
) -> None:
    config = slow_project.bizops("config", slow_project.name)
    assert config.returncode == 0, config.stderr
    shown = json.loads(config.stdout)
    assert shown["tap_config"]["api_key"] == "***"
    assert shown["tap_config"]["auth"] == "***"
    assert shown["tap_config"]["delay"] == 0.0
    dry = slow_project.bizops("run", slow_project.name, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout)
    assert plan["tap"][1:] == ["--config", "tap.json"]
    assert plan["target_config"]["default_target_schema"] == slow_project.name
    for secret in (API_KEY, AUTH):
        assert secret not in config.stdout + dry.stdout
    assert slow_project.runs() == []


def test_plain_progress_is_timestamped_lines(slow_project: SlowProject) -> None:
    result = slow_project.bizops("run", slow_project.name)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00"
    assert re.fullmatch(rf"{stamp} {slow_project.name}: run \d+ started", lines[0])
    assert re.fullmatch(
        rf"{stamp} {slow_project.name}: run \d+ succeeded in [\d.]+s "
        r"\(loaded alpha=60, beta=60, gamma=60\); log: .*\.log",
        lines[-1],
    )


def test_json_progress_is_one_object_per_line(slow_project: SlowProject) -> None:
    result = slow_project.bizops("run", slow_project.name, "--log-format", "json")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert events[0]["event"] == "run_started"
    assert {"counts", "state_stored"} <= {e["event"] for e in events}
    last = events[-1]
    assert last["event"] == "run_finished"
    assert last["status"] == "succeeded"
    assert last["loaded"] == {"alpha": 60, "beta": 60, "gamma": 60}


def test_terminal_progress_redraws_a_live_count_line(slow_project: SlowProject) -> None:
    slow_project.configure(delay=0.005)
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [BIZOPS, "run", slow_project.name, "-p", str(slow_project.root)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=follower,
        env=slow_project.env(),
    ) as run:  # fmt: skip
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the terminal's last writer closed it
                break
            if not chunk:
                break
            chunks.append(chunk)
        run.wait(timeout=60)
    os.close(leader)
    output = b"".join(chunks).decode()
    assert run.returncode == 0
    assert "\r\x1b[K" + slow_project.name + ":" in output
    assert re.search(r"alpha=\d+", output)
    assert "succeeded" in output


def test_history_counts_the_rows_the_target_loaded_and_rejected(slow_project: SlowProject) -> None:
    data = slow_project.data()
    for row in data["alpha"][3:5]:
        row["value"] = 12345  # not a string: target-postgres puts these two in its rejects table
    slow_project.write_data(data)
    result = slow_project.bizops("run", slow_project.name, "--log-format", "json")
    assert result.returncode == 0, result.stderr
    [run] = slow_project.runs()
    assert run.rows_read == {"alpha": 60, "beta": 60, "gamma": 60}
    assert run.stream_counts == {"alpha": 58, "beta": 60, "gamma": 60}
    assert run.rows_rejected == {"alpha": 2}
    assert len(slow_project.rows("alpha")) == 58
    last = json.loads(result.stderr.splitlines()[-1])
    assert last["loaded"] == {"alpha": 58, "beta": 60, "gamma": 60}
