"""The README followed literally: its marked shell and config blocks run as written against the
emulators (started with the README's own command) and the test PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql

from bizops_sandbox.world import World
from tests.readme_support import BIN, REPO, block, replace_exactly, sandbox_process

README = REPO / "README.md"


def _table(url: str, schema: str, table: str, columns: str) -> list[tuple[Any, ...]]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        query = sql.SQL("SELECT {} FROM {}.{}").format(
            sql.SQL(columns), sql.Identifier(schema), sql.Identifier(table)
        )
        cur.execute(query)
        rows = cur.fetchall()
    conn.close()
    return rows


def _run_shell(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # pipefail: a tap failing inside a pipe must fail the test, not hide behind the target's 0.
    return subprocess.run(
        ["/bin/bash", "-euo", "pipefail", "-c", script],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def _user_folder(tmp_path: Path) -> Path:
    """A folder like the project checkout: ``.venv`` is the venv these tests run in."""
    (tmp_path / ".venv").symlink_to(BIN.parent)
    return tmp_path


def test_readme_shell_cycle_loads_everything_then_only_the_changes(
    tmp_path: Path, warehouse_url: str, db_schema: str
) -> None:
    script = block(README, "zuora-pipe")
    folder = _user_folder(tmp_path)
    env = {**os.environ, "BIZOPS_DATABASE_URL": warehouse_url, "PATH": "/usr/bin:/bin"}
    with sandbox_process("zuora") as url:
        script = replace_exactly(script, "http://127.0.0.1:8081", url)
        schema = '"default_target_schema": '
        script = replace_exactly(script, schema + '"zuora"', f'{schema}"{db_schema}"')
        done = _run_shell(script, folder, env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "holds" not in done.stderr  # tail -1 gave the tap one state, not the whole output
    world = World.generate(seed=42, size="small")
    changes = world.mutate_sources()["zuora"]
    assert json.loads((folder / "changes.json").read_text()) == json.loads(json.dumps(changes))
    for name in world.objects("zuora"):
        live = {r["Id"]: r["UpdatedDate"] for r in world.records(name)}
        gone = {r["Id"] for r in world.deleted(name)}
        loaded = dict(_table(warehouse_url, db_schema, name.lower(), "id, updateddate"))
        assert set(loaded) == set(live) | gone, name
        assert {i: loaded[i] for i in live} == live, name
    states = (folder / "new-state.json").read_text().splitlines()
    used = json.loads((folder / "state.json").read_text())
    first_run = [json.loads(line) for line in states].index(used)
    assert first_run < len(states) - 1  # the second run appended newer states
    last = json.loads(states[-1])["bookmarks"]["Account"]["replication_key_value"]
    newest = max(r["UpdatedDate"] for r in world.records("Account"))
    assert last == newest.isoformat(timespec="microseconds")


def test_readme_salesforce_sandbox_config_logs_in_and_loads(
    tmp_path: Path, warehouse_url: str, db_schema: str
) -> None:
    config = json.loads(block(README, "salesforce-config"))
    with sandbox_process("salesforce") as url:
        assert config["login_url"] == "http://127.0.0.1:8082"  # the README's port
        (tmp_path / "salesforce.json").write_text(json.dumps({**config, "login_url": url}))
        target = {"database_url": warehouse_url, "default_target_schema": db_schema}
        (tmp_path / "target.json").write_text(json.dumps(target))
        done = _run_shell(
            f"{BIN}/tap-salesforce --config salesforce.json"
            f" | {BIN}/target-postgres --config target.json > state.jsonl",
            tmp_path,
            dict(os.environ),
        )
    assert done.returncode == 0, done.stderr[-3000:]
    world = World.generate(seed=42, size="small")
    accounts = {r["Id"] for r in world.records("Account", "salesforce")}
    assert {i for (i,) in _table(warehouse_url, db_schema, "account", "id")} == accounts
