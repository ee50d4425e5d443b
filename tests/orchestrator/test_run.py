"""End to end: `bizops run` of tap-zuora | target-postgres against the Zuora emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import requests
from psycopg2 import sql

from bizops.store import Store

BIZOPS = str(Path(sys.executable).parent / "bizops")
SECRET = "sandbox-client-secret"
PROJECT = """\
version: 1
project_id: {schema}
taps:
  tap-zuora:
    config:
      base_url: {url}
      client_id: sandbox-client-id
      client_secret: ${{TEST_ZUORA_SECRET}}
      start_date: "2020-01-01T00:00:00Z"
      poll_interval: 0.01
      window_days: 3660
targets:
  target-postgres:
    config:
      default_target_schema: {schema}
pipelines:
  - name: {pipeline}
    tap: tap-zuora
    target: target-postgres
"""


@pytest.fixture
def project(tmp_path: Path, zuora_sandbox, db_schema: str) -> Iterator[Path]:
    text = PROJECT.format(url=zuora_sandbox.url, schema=db_schema, pipeline=db_schema)
    (tmp_path / "bizops.yml").write_text(text, encoding="utf-8")
    yield tmp_path


def bizops(project: Path, warehouse_url: str, *args: str, secret: str = SECRET):
    env = {
        **os.environ,
        "BIZOPS_DATABASE_URL": warehouse_url,
        "TEST_ZUORA_SECRET": secret,
    }
    return subprocess.run(
        [BIZOPS, *args, "--project-dir", str(project)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )


def ids(warehouse_url: str, schema: str, table: str) -> set[str]:
    with psycopg2.connect(warehouse_url) as conn, conn.cursor() as cur:
        query = sql.SQL('SELECT "id" FROM {}.{}').format(
            sql.Identifier(schema), sql.Identifier(table)
        )
        cur.execute(query)
        found = {row[0] for row in cur.fetchall()}
    conn.close()
    return found


def stored_state(warehouse_url: str, pipeline: str):
    store = Store(warehouse_url, project=pipeline)  # (the tests' project id is the pipeline's)
    try:
        return store.get_state(pipeline)
    finally:
        store.close()


def test_second_run_loads_only_the_mutated_records(
    project: Path, zuora_sandbox, warehouse_url: str, db_schema: str
) -> None:
    first = bizops(project, warehouse_url, "run", db_schema)
    assert first.returncode == 0, first.stderr
    state_after_first = stored_state(warehouse_url, db_schema)
    accounts_before = ids(warehouse_url, db_schema, "account")
    assert len(accounts_before) == len(zuora_sandbox.app.world.records("Account"))

    mutation = requests.post(f"{zuora_sandbox.url}/__sandbox/mutate", json={}, timeout=10).json()
    second = bizops(project, warehouse_url, "run", db_schema)
    assert second.returncode == 0, second.stderr

    store = Store(warehouse_url, project=db_schema)
    try:
        first_run, second_run = reversed(store.runs(db_schema)[:2])
    finally:
        store.close()
    expected = {
        obj: len(set(change["created"]) | set(change["updated"]))
        for obj, change in mutation.items()
        if obj in first_run.stream_counts and (change["created"] or change["updated"])
    }
    loaded = {stream: n for stream, n in second_run.stream_counts.items() if n}
    assert loaded == expected
    assert first_run.status == second_run.status == "succeeded"
    created = set(mutation["Account"]["created"])
    assert ids(warehouse_url, db_schema, "account") == accounts_before | created
    state_after_second = stored_state(warehouse_url, db_schema)
    assert state_after_second != state_after_first
    show = bizops(project, warehouse_url, "state", "show", db_schema)
    assert json.loads(show.stdout) == state_after_second


def test_wrong_secret_fails_the_run_with_a_clear_error(
    project: Path, warehouse_url: str, db_schema: str
) -> None:
    result = bizops(project, warehouse_url, "run", db_schema, secret="not-the-secret")
    assert result.returncode == 3
    assert "tap exited with code" in result.stderr
    assert "HTTP 401" in result.stderr
    assert "not-the-secret" not in result.stderr
    log = next((project / ".bizops" / "logs" / db_schema).glob("*.log")).read_text()
    assert "not-the-secret" not in log
    assert stored_state(warehouse_url, db_schema) is None


def test_second_concurrent_run_exits_with_already_running(
    project: Path, warehouse_url: str, db_schema: str
) -> None:
    holder = Store(warehouse_url, project=db_schema)
    try:
        holder.lock(db_schema)
        result = bizops(project, warehouse_url, "run", db_schema)
    finally:
        holder.close()
    assert result.returncode == 5
    assert result.stderr.strip() == f"bizops: [locked] pipeline '{db_schema}' is already running"
