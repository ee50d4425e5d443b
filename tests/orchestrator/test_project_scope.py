"""State, run history and locks belong to one project (bizops.yml's project_id), and a state to
what its bookmarks are for (tap, target, target schema): issue 10, item 2."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest

from bizops.store import Store
from bizops.store_schema import SCHEMA_VERSION
from tests.orchestrator.conftest import STREAMS, SlowProject, expected_rows

DATA = Path(__file__).resolve().parent.parent / "data"


def rewrite(project: SlowProject, old: str, new: str) -> None:
    path = project.root / "bizops.yml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.fixture
def other_schema(warehouse_url: str) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    conn = psycopg2.connect(warehouse_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    conn.close()


def second_project(first: SlowProject, tmp_path: Path, schema: str) -> SlowProject:
    """Another project (own folder, own project_id, own schema) with the same pipeline name."""
    root = tmp_path / "second"
    root.mkdir()
    second = SlowProject(root, schema, first.warehouse_url)
    second.write_data(first.data())
    second.configure()
    rewrite(second, f"- name: {schema}", f"- name: {first.name}")
    return second


def test_two_projects_with_one_pipeline_name_keep_their_own_bookmarks_runs_and_locks(
    slow_project: SlowProject, tmp_path: Path, other_schema: str
) -> None:
    assert slow_project.bizops("run", slow_project.name).returncode == 0
    second = second_project(slow_project, tmp_path, other_schema)
    with Store(slow_project.warehouse_url, project=slow_project.name) as holder:
        holder.lock(slow_project.name)  # the first project's run holds its lock
        result = second.bizops("run", slow_project.name)
    assert result.returncode == 0, result.stderr
    data = slow_project.data()
    for stream in STREAMS:  # the second project's schema got every row, not 0
        assert second.rows(stream) == expected_rows(data, stream)
    listed = second.bizops("state", "list").stdout.splitlines()
    assert [line.split("\t")[0] for line in listed] == [slow_project.name]
    with Store(second.warehouse_url, project=other_schema) as store:
        assert store.runs(slow_project.name)[0].rows_read == {s: 60 for s in STREAMS}
    first_runs = slow_project.bizops("runs").stdout.splitlines()
    second_runs = second.bizops("runs").stdout.splitlines()
    assert len(first_runs) == len(second_runs) == 2  # header and its own one run
    assert first_runs[1].split("\t")[0] != second_runs[1].split("\t")[0]
    other_id = second_runs[1].split("\t")[0]
    shown = slow_project.bizops("runs", "show", other_id)
    assert shown.returncode == 2
    assert f"no run {other_id}" in shown.stderr


def test_a_changed_target_schema_starts_with_no_bookmark_and_says_so(
    slow_project: SlowProject, other_schema: str
) -> None:
    assert slow_project.bizops("run", slow_project.name).returncode == 0
    rewrite(
        slow_project,
        f"default_target_schema: {slow_project.name}",
        f"default_target_schema: {other_schema}",
    )
    dry = slow_project.bizops("run", slow_project.name, "--dry-run")
    assert json.loads(dry.stdout)["state_in"] is None  # what the run will use, not the stored
    result = slow_project.bizops("run", slow_project.name)
    assert result.returncode == 0, result.stderr
    assert (
        f"pipeline {slow_project.name}: the stored bookmarks are for tap 'slow-tap', target "
        f"'target-postgres', target_schema '{slow_project.name}', this run loads tap "
        f"'slow-tap', target 'target-postgres', target_schema '{other_schema}': it starts with "
        "no bookmark (the old state stays in bizops.state_history)"
    ) in result.stderr
    assert slow_project.runs()[0].rows_read == {s: 60 for s in STREAMS}
    moved = SlowProject(slow_project.root, other_schema, slow_project.warehouse_url)
    data = slow_project.data()
    for stream in STREAMS:
        assert moved.rows(stream) == expected_rows(data, stream)
    again = slow_project.bizops("run", slow_project.name)  # same schema now: incremental
    assert "no bookmark" not in again.stderr
    assert slow_project.runs()[0].rows_read == {}


def test_a_project_without_id_is_warned_and_can_claim_its_state(
    slow_project: SlowProject,
) -> None:
    rewrite(slow_project, f"project_id: {slow_project.name}\n", "")
    first = slow_project.bizops("run", slow_project.name)
    assert first.returncode == 0, first.stderr
    assert "bizops.yml has no project_id: this project's state, run history and locks are " in (
        first.stderr
    )
    rewrite(slow_project, "version: 1\n", f"version: 1\nproject_id: {slow_project.name}\n")
    fresh = slow_project.bizops("state", "show", slow_project.name)
    assert json.loads(fresh.stdout) is None
    claimed = slow_project.bizops("state", "claim", slow_project.name)
    assert claimed.returncode == 0, claimed.stderr
    assert (
        claimed.stdout == f"{slow_project.name}: state and run history now belong to this project\n"
    )
    assert slow_project.state()["bookmarks"] == {s: {"replication_key_value": 59} for s in STREAMS}
    again = slow_project.bizops("run", slow_project.name)
    assert again.returncode == 0, again.stderr
    assert "no project_id" not in again.stderr
    assert [r.rows_read for r in slow_project.runs()] == [{}, {s: 60 for s in STREAMS}]


def test_a_new_project_is_told_of_a_same_named_pipeline_state_without_project(
    slow_project: SlowProject, tmp_path: Path, other_schema: str
) -> None:
    rewrite(slow_project, f"project_id: {slow_project.name}\n", "")
    assert slow_project.bizops("run", slow_project.name).returncode == 0
    second = second_project(slow_project, tmp_path, other_schema)
    result = second.bizops("run", slow_project.name)
    assert result.returncode == 0, result.stderr
    assert f"`bizops state claim {slow_project.name}` takes it over" in result.stderr
    assert second.rows("alpha") == expected_rows(slow_project.data(), "alpha")


def test_tables_of_version_2_are_migrated_without_losing_rows(warehouse_url: str) -> None:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(warehouse_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(warehouse_url)
    url = urlunsplit(parts._replace(path=f"/{name}"))
    try:
        old = psycopg2.connect(url)
        with old, old.cursor() as cur:
            cur.execute((DATA / "bizops_store_v2.sql").read_text())
            cur.execute(
                "INSERT INTO bizops.pipeline_state (pipeline, state) VALUES ('p', %s)",
                (json.dumps({"bookmarks": {"a": {"x": 1}}}),),
            )
            cur.execute(
                "INSERT INTO bizops.state_history (pipeline, state, source) "
                "VALUES ('p', '{}', 'target')"
            )
            cur.execute("INSERT INTO bizops.runs (pipeline, status) VALUES ('p', 'succeeded')")
        old.close()
        with Store(url) as store:  # a project without id sees what was stored before
            assert store.get_state("p") == {"bookmarks": {"a": {"x": 1}}}
            assert [r.status for r in store.runs("p")] == ["succeeded"]
            with store.conn.cursor() as cur:
                cur.execute("SELECT version FROM bizops.schema_version")
                assert cur.fetchall() == [(SCHEMA_VERSION,)]
                cur.execute("SELECT project, pipeline FROM bizops.state_history")
                assert cur.fetchall() == [("", "p")]
        with Store(url, project="other") as store:
            assert store.get_state("p") is None
            assert store.runs("p") == []
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


def test_init_writes_a_project_id_of_its_own(tmp_path: Path) -> None:
    from bizops.ops import init
    from bizops.project import load

    ids = []
    for name in ("one", "two"):
        init(tmp_path / name)
        ids.append(load(tmp_path / name, env={"ZUORA_CLIENT_ID": "i", "ZUORA_CLIENT_SECRET": "s"}))
    assert [len(p.project_id) for p in ids] == [32, 32]
    assert ids[0].project_id != ids[1].project_id
