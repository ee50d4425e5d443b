"""The README followed literally: its marked shell and config blocks run as written against the
emulators (started with the README's own command) and the test PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql

from bizops.project import load
from bizops.warehouse import ENV_VAR
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


def test_readme_project_file_runs_as_written(
    tmp_path: Path, warehouse_url: str, db_schema: str, zuora_sandbox
) -> None:
    text = block(README, "project-yaml")
    text = replace_exactly(
        text, "base_url: https://rest.zuora.com", f"base_url: {zuora_sandbox.url}"
    )
    text = replace_exactly(
        text, "default_target_schema: zuora", f"default_target_schema: {db_schema}"
    )
    # A pipeline name of its own, so no other test's bookmarks in the shared warehouse apply.
    text = replace_exactly(text, "name: zuora-to-postgres", f"name: {db_schema}")
    # Emulator speed (as the README's shell example says): no real wait between job checks, one
    # export window, and one object rather than all fourteen.
    start = 'start_date: "2024-01-01T00:00:00Z"\n'
    fast = "poll_interval: 0.01\n      window_days: 3660\n      objects: [Account]\n"
    text = replace_exactly(text, start, f"{start}      {fast}")
    (tmp_path / "bizops.yml").write_text(text)
    env = {
        **os.environ,
        "BIZOPS_DATABASE_URL": warehouse_url,
        "ZUORA_CLIENT_ID": "sandbox-client-id",
        "ZUORA_CLIENT_SECRET": "sandbox-client-secret",
    }
    done = subprocess.run(
        [str(BIN / "bizops"), "run", db_schema, "--project-dir", str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    since = datetime(2024, 1, 1, tzinfo=UTC)
    world = zuora_sandbox.app.world
    expected = {r["Id"] for r in world.records("Account") if r["UpdatedDate"] >= since}
    assert {i for (i,) in _table(warehouse_url, db_schema, "account", "id")} == expected


def test_readme_commented_warehouse_line_works_once_uncommented(tmp_path: Path) -> None:
    text = block(README, "project-yaml")
    text = replace_exactly(text, "# warehouse:", "warehouse:")
    text = replace_exactly(text, "#   database_url:", "  database_url:")
    (tmp_path / "bizops.yml").write_text(text)
    env = {"ZUORA_CLIENT_ID": "id", "ZUORA_CLIENT_SECRET": "s", "WAREHOUSE_PASSWORD": "pw-1"}
    project = load(tmp_path, env)
    assert project.database_url == "postgresql://bizops:pw-1@db.example.com:5432/analytics"
    assert project.redactor("pw-1") == "***"


WAREHOUSE_VARIABLE = re.compile(r"\bBIZOPS_\w*(?:URL|WAREHOUSE)\w*")


def test_one_name_for_the_warehouse_variable_everywhere(tmp_path: Path) -> None:
    init = subprocess.run(
        [str(BIN / "bizops"), "init", "--project-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    texts = {"bizops init's bizops.yml": (tmp_path / "bizops.yml").read_text()}
    for path in [*REPO.glob("**/*.md"), *(REPO / "orchestrator").glob("**/*.py")]:
        if ".venv" not in path.parts and ".bizops" not in path.parts:
            texts[str(path.relative_to(REPO))] = path.read_text("utf-8")
    names = {
        name: where for where, text in texts.items() for name in WAREHOUSE_VARIABLE.findall(text)
    }
    # BIZOPS_TEST_DATABASE_URL is another thing: the test suite's own server (README "Tests").
    assert set(names) - {"BIZOPS_TEST_DATABASE_URL"} == {ENV_VAR}, names
    assert ENV_VAR == "BIZOPS_DATABASE_URL"
    assert ENV_VAR in texts["bizops init's bizops.yml"]
