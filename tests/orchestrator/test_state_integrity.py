"""State belongs to one project, is exact after failures and kills, and is never destroyed by a
value that is not a state (issue 10, items 2, 4, 5 and 6)."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

import psycopg2
import pytest

from bizops.store import Store
from tests.orchestrator.conftest import SlowProject
from tests.orchestrator.test_guarantees import wait_for_children

ECHO_TARGET = Path(__file__).with_name("echo_target.py")
GOOD = {"alpha": {"replication_key_value": 59}}


def with_tap_settings(project: SlowProject, settings: str) -> None:
    path = project.root / "bizops.yml"
    path.write_text(
        path.read_text().replace("state_every: 10", f"state_every: 10\n      {settings}")
    )


def use_echo_target(project: SlowProject) -> None:
    """Point the pipeline at a foreign target that echoes every state it reads."""
    command = project.root / "echo-target"
    command.write_text(f'#!/bin/sh\nexec {sys.executable} {ECHO_TARGET} "$@"\n')
    command.chmod(0o755)
    path = project.root / "bizops.yml"
    text = path.read_text().replace(
        "targets:\n", f"targets:\n  echo-target:\n    command: {command}\n", 1
    )
    path.write_text(text.replace("target: target-postgres", "target: echo-target"))


@pytest.mark.parametrize("value", ['"not an object"', "[1, 2]", "null"])
def test_target_refuses_a_non_object_state_and_the_stored_state_is_kept(
    slow_project: SlowProject, value: str
) -> None:
    with_tap_settings(slow_project, f"bad_state: {value}")
    result = slow_project.bizops("run", slow_project.name)
    assert result.returncode == 4, result.stderr
    assert "STATE refused: a state must be a JSON object" in result.stderr
    assert slow_project.runs()[0].status == "failed"
    assert slow_project.state() == {"bookmarks": GOOD}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ('"not an object"', 'a state must be a JSON object, not "not an object"'),
        ("[1, 2]", "a state must be a JSON object, not [1, 2]"),
        ("null", "a state must be a JSON object, not null"),
        ("{bookmarks: {alpha: 7}}", "stream 'alpha': a stream's bookmark must be a JSON object"),
    ],
)
def test_a_foreign_target_echoing_a_bad_state_fails_the_run_and_keeps_the_stored_one(
    slow_project: SlowProject, value: str, problem: str
) -> None:
    use_echo_target(slow_project)
    with_tap_settings(slow_project, f"bad_state: {value}")
    result = slow_project.bizops("run", slow_project.name)
    assert result.returncode == 65, result.stderr
    message = f"the target confirmed a state bizops refuses to store: {problem}"
    assert message in result.stderr
    record = slow_project.runs()[0]
    assert record.status == "failed"
    assert message in record.error
    assert slow_project.state() == {"bookmarks": GOOD}


def test_state_set_refuses_a_bookmark_that_is_not_an_object(slow_project: SlowProject) -> None:
    assert slow_project.bizops("run", slow_project.name).returncode == 0
    before = slow_project.state()
    value = json.dumps("2024-01-01T00:00:00Z")
    result = slow_project.bizops(
        "state", "set", slow_project.name, "--stream", "alpha", "--value", value
    )
    assert result.returncode == 2
    assert (
        '--value: a stream\'s bookmark must be a JSON object, not "2024-01-01T00:00:00Z"'
        in result.stderr
    )
    assert slow_project.state() == before
    again = slow_project.bizops("run", slow_project.name)
    assert again.returncode == 0, again.stderr


def test_a_state_committed_after_bizops_copy_but_begun_before_it_is_adopted(
    warehouse_url: str, db_schema: str
) -> None:
    # The race of a SIGKILL: the target's transaction starts (its now()), bizops stores its copy
    # of the previous state, then the target commits the newer state and bizops dies unaware.
    from target_postgres import meta

    pipeline = f"race-{db_schema}"
    older = {"bookmarks": {"alpha": {"replication_key_value": 9}}}
    newer = {"bookmarks": {"alpha": {"replication_key_value": 19}}}
    with Store(warehouse_url) as store:
        target = psycopg2.connect(warehouse_url)
        try:
            with target.cursor() as cur:
                cur.execute("SELECT now()")  # the target's transaction has begun
                time.sleep(0.05)
                store.merge_state(pipeline, older)
                meta.write_state(cur, "bizops", "target_state", pipeline, newer)
            target.commit()
        finally:
            target.close()
        assert store.adopt_target_state(pipeline) is True
        assert store.get_state(pipeline) == newer
        assert store.adopt_target_state(pipeline) is False  # once only: nothing new


def test_state_set_is_never_undone_by_an_older_target_state(
    warehouse_url: str, db_schema: str
) -> None:
    from target_postgres import meta

    pipeline = f"set-{db_schema}"
    committed = {"bookmarks": {"alpha": {"replication_key_value": 59}}}
    with Store(warehouse_url) as store:
        target = psycopg2.connect(warehouse_url)
        with target, target.cursor() as cur:
            meta.write_state(cur, "bizops", "target_state", pipeline, committed)
        target.close()
        store.adopt_target_state(pipeline)
        store.set_state(pipeline, {"bookmarks": {"alpha": {"replication_key_value": 49}}})
        assert store.adopt_target_state(pipeline) is False
        assert store.get_state(pipeline) == {"bookmarks": {"alpha": {"replication_key_value": 49}}}


@pytest.mark.parametrize(
    ("failure", "code"), [("broken_after: 25", 4), ("fail_after: 25", 3), ("sigterm", 6)]
)
def test_a_failed_run_commits_no_keyless_record_past_its_last_state(
    slow_project: SlowProject, failure: str, code: int
) -> None:
    # records 0-19 are covered by the state after record 19; 20-24 follow it, then the run fails
    if failure == "sigterm":
        slow_project.configure(delay=0.01)
    slow_project.tap_settings("keyless: [alpha]")
    if failure == "sigterm":
        run = slow_project.popen("run", slow_project.name)
        wait_for_children(run.pid)
        time.sleep(0.5)
        run.send_signal(signal.SIGTERM)
        run.communicate(timeout=60)
        assert run.returncode == code
    else:
        slow_project.tap_settings(failure)
        result = slow_project.bizops("run", slow_project.name)
        assert result.returncode == code, result.stderr
    mark = slow_project.state()["bookmarks"]["alpha"]["replication_key_value"]
    rows = [row[0] for row in slow_project.versions("alpha")]
    assert rows == list(range(mark + 1))  # exactly what the stored state covers
    if failure != "sigterm":
        assert mark == 19
    slow_project.configure()
    slow_project.tap_settings("keyless: [alpha]")
    rerun = slow_project.bizops("run", slow_project.name)
    assert rerun.returncode == 0, rerun.stderr
    assert [row[0] for row in slow_project.versions("alpha")] == list(range(60))


def test_an_unusable_stored_state_stops_the_run_with_a_hint_and_is_kept(
    slow_project: SlowProject,
) -> None:
    # a state stored by an older bizops, before states were checked
    with Store(slow_project.warehouse_url, project=slow_project.name) as store:
        with store.conn.cursor() as cur:
            cur.execute(
                "INSERT INTO bizops.pipeline_state (project, pipeline, state) VALUES (%s, %s, %s)",
                (slow_project.name, slow_project.name, json.dumps({"bookmarks": {"alpha": "x"}})),
            )
    result = slow_project.bizops("run", slow_project.name)
    assert result.returncode == 2
    assert (
        f"the stored state of pipeline '{slow_project.name}' is unusable (stream 'alpha': a "
        'stream\'s bookmark must be a JSON object, not "x"); see it with `bizops state show'
    ) in result.stderr
    assert slow_project.state() == {"bookmarks": {"alpha": "x"}}
    cleared = slow_project.bizops("state", "clear", slow_project.name, "--stream", "alpha")
    assert cleared.returncode == 0, cleared.stderr
    assert slow_project.bizops("run", slow_project.name).returncode == 0


def test_a_committed_target_state_that_is_not_a_state_is_never_adopted(
    warehouse_url: str, db_schema: str
) -> None:
    from target_postgres import meta

    pipeline = f"bad-{db_schema}"
    good = {"bookmarks": {"alpha": {"replication_key_value": 9}}}
    with Store(warehouse_url) as store:
        store.merge_state(pipeline, good)
        target = psycopg2.connect(warehouse_url)
        with target, target.cursor() as cur:
            meta.write_state(cur, "bizops", "target_state", pipeline, [1, 2])
        target.close()
        assert store.adopt_target_state(pipeline) is False
        assert store.get_state(pipeline) == good
