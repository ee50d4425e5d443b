"""A tap's ``--state`` file: one object, or a target's output of state lines (the last wins);
anything else is refused with exit 2 and a message naming the file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bizops_core.state_file import StateFileError, parse_state
from tests.readme_support import BIN

FIRST = {"bookmarks": {"Account": {"replication_key_value": "2024-01-01T00:00:00Z"}}}
NEWER = {"bookmarks": {"Account": {"replication_key_value": "2024-06-01T00:00:00Z"}}}


def test_one_object_pretty_printed_is_read_whole() -> None:
    assert parse_state(json.dumps(NEWER, indent=2), "s.json") == NEWER


def test_a_targets_output_gives_its_last_line() -> None:
    text = f"{json.dumps(FIRST)}\n{json.dumps(NEWER)}\n\n"
    assert parse_state(text, "s.json") == NEWER


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "s.json is empty: leave out --state on a first run (no bookmark yet)"),
        ("{", "s.json is not valid JSON"),
        ('{"bookmarks": {}}\n{oops', "s.json: line 2 of 2 is not valid JSON (expected one state "
         "object, or one per line as a target prints them)"),
        ("[1, 2]", 's.json must be a JSON object such as {"bookmarks": {...}}, not list'),
        ('"not an object"', 's.json must be a JSON object such as {"bookmarks": {...}}, not str'),
        ('{"bookmarks": {}}\nnull', 's.json: line 2 must be a JSON object such as '
         '{"bookmarks": {...}}, not NoneType'),
        ('{"bookmarks": []}', "s.json: a state's 'bookmarks' must be a JSON object, not []"),
        ('{"bookmarks": {"Account": "2024-01-01"}}', "s.json: stream 'Account': a stream's "
         'bookmark must be a JSON object, not "2024-01-01"'),
    ],
)  # fmt: skip
def test_unusable_state_files_are_refused(text: str, message: str) -> None:
    with pytest.raises(StateFileError) as raised:
        parse_state(text, "s.json")
    assert str(raised.value) == message


def _tap(tap: str, config: dict, state: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    (tmp_path / "config.json").write_text(json.dumps(config))
    return subprocess.run(
        [str(BIN / tap), "--config", "config.json", "--state", str(state)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_tap_zuora_resumes_from_the_last_line_of_a_targets_output(
    zuora_sandbox, tmp_path: Path
) -> None:
    from tests.taps.zuora_support import tap_config

    config = tap_config(zuora_sandbox.url, objects=["Account"])
    newest = max(r["UpdatedDate"] for r in zuora_sandbox.app.world.records("Account"))
    stale, current = (
        {"bookmarks": {"Account": {"replication_key": "UpdatedDate", "replication_key_value": at}}}
        for at in ("2021-01-01T00:00:00+00:00", newest.isoformat())
    )
    state = tmp_path / "new-state.json"
    state.write_text(f"{json.dumps(stale)}\n{json.dumps(current)}\n")
    done = _tap("tap-zuora", config, state, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    types = [json.loads(line)["type"] for line in done.stdout.splitlines()]
    assert "RECORD" not in types  # resumed from the newest bookmark: nothing changed since
    assert f"{str(state)!r} holds 2 states (a target's output): using the last one" in done.stderr


def test_tap_salesforce_refuses_a_state_that_is_not_an_object(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text("[1, 2]\n")
    config = {"client_id": "x", "client_secret": "y", "start_date": "2024-01-01T00:00:00Z"}
    done = _tap("tap-salesforce", config, state, tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert (
        f"Error: Invalid value for '--state': {str(state)!r} must be a JSON object such as "
        '{"bookmarks": {...}}, not list'
    ) in done.stderr


def test_tap_zuora_refuses_a_bookmark_that_is_not_an_object(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text('{"bookmarks": {"Account": "2024-01-01T00:00:00Z"}}\n')
    config = {"client_id": "x", "client_secret": "y", "start_date": "2024-01-01T00:00:00Z"}
    done = _tap("tap-zuora", config, state, tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert (
        f"Error: Invalid value for '--state': {str(state)!r}: stream 'Account': a stream's "
        'bookmark must be a JSON object, not "2024-01-01T00:00:00Z"'
    ) in done.stderr
