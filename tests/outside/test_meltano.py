"""Meltano 4.4 runs our taps and target as custom plugins: the `meltano.yml` of CONTRIBUTING.md,
verbatim, loads every record of the emulators' world, stores our bookmarks as its state, runs
incrementally from it, discovers and obeys `meltano select`, and shows no secret."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import requests
from psycopg2 import sql

from bizops_sandbox.world import World
from tests.outside.meltano_support import Meltano
from tests.taps import salesforce_support, zuora_support

ZUORA_SECRET = zuora_support.SECRET
SALESFORCE_SECRET = "sandbox-client-secret"
# Any password is accepted by the test warehouse (trust); it must still never be shown.
DB_PASSWORD = "pg-pass-never-shown-7731"


def zuora_env(url: str, schema: str, warehouse_url: str) -> dict[str, str]:
    return {
        "TAP_ZUORA_BASE_URL": url,
        "TAP_ZUORA_CLIENT_ID": "sandbox-client-id",
        "TAP_ZUORA_CLIENT_SECRET": ZUORA_SECRET,
        "TAP_ZUORA_POLL_INTERVAL": "0.01",
        "TAP_ZUORA_WINDOW_DAYS": "400",
        "TAP_ZUORA__LOAD_SCHEMA": schema,
        "TARGET_POSTGRES_DATABASE_URL": with_password(warehouse_url),
    }


def salesforce_env(url: str, schema: str, warehouse_url: str, mode: str) -> dict[str, str]:
    return {
        "TAP_SALESFORCE_LOGIN_URL": url,
        "TAP_SALESFORCE_CLIENT_ID": "sandbox-client-id",
        "TAP_SALESFORCE_CLIENT_SECRET": SALESFORCE_SECRET,
        "TAP_SALESFORCE_API_TYPE": mode,
        "TAP_SALESFORCE_POLL_INTERVAL": "0.01",
        "TAP_SALESFORCE_BULK_PAGE_SIZE": "40",
        "TAP_SALESFORCE__LOAD_SCHEMA": schema,
        "TARGET_POSTGRES_DATABASE_URL": with_password(warehouse_url),
    }


def with_password(url: str) -> str:
    """The warehouse URL with a password in it (``postgresql://user:@...`` or ``user@``)."""
    scheme, _, rest = url.partition("://")
    user, at, host = rest.partition("@")
    if not at:
        return url
    return f"{scheme}://{user.split(':')[0]}:{DB_PASSWORD}@{host}"


def table_ids(warehouse_url: str, schema: str, since: Any = None) -> dict[str, set[str]]:
    """Every table's ids (only rows loaded after ``since``, when given); tables without rows
    left out. The target's own tables (``_bizops_*``) are not source tables."""
    out: dict[str, set[str]] = {}
    with psycopg2.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,),
        )
        for (table,) in cur.fetchall():
            if table.startswith("_"):
                continue
            query = sql.SQL('SELECT "id" FROM {}.{}').format(
                sql.Identifier(schema), sql.Identifier(table)
            )
            if since is not None:
                query += sql.SQL(' WHERE "_sdc_batched_at" > %s')
            cur.execute(query, (since,))
            ids = {row[0] for row in cur.fetchall()}
            if ids:
                out[table] = ids
    conn.close()
    return out


def db_now(warehouse_url: str) -> Any:
    with psycopg2.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT clock_timestamp()")
        (now,) = cur.fetchone()
    conn.close()
    return now


def world_ids(world: World, source: str) -> dict[str, set[str]]:
    return {
        name.lower(): {r["Id"] for r in world.records(name, source)}
        for name in world.objects(source)
        if world.records(name, source)
    }


def changed_ids(changes: dict[str, dict[str, list[str]]]) -> dict[str, set[str]]:
    out = {o.lower(): {i for ids in kinds.values() for i in ids} for o, kinds in changes.items()}
    return {obj: ids for obj, ids in out.items() if ids}


def with_deleted(ids: dict[str, set[str]], changes: dict[str, Any]) -> dict[str, set[str]]:
    """``ids`` plus the records the change deleted (they stay in the warehouse, marked)."""
    out = {table: set(found) for table, found in ids.items()}
    for obj, kinds in changes.items():
        if kinds.get("deleted"):
            out.setdefault(obj.lower(), set()).update(kinds["deleted"])
    return out


def assert_no_secret(*outputs: str) -> None:
    for output in outputs:
        for secret in (ZUORA_SECRET, DB_PASSWORD):
            assert secret not in output


@pytest.mark.parametrize("mode", ["AQUA", "REST"])
def test_meltano_run_loads_tap_zuora_then_runs_incrementally_from_its_state(
    mode: str, zuora_sandbox, db_schema: str, warehouse_url: str, tmp_path: Path
) -> None:
    env = {**zuora_env(zuora_sandbox.url, db_schema, warehouse_url), "TAP_ZUORA_API_TYPE": mode}
    meltano = Meltano(tmp_path, env)
    world: World = zuora_sandbox.app.world

    first = meltano.ok("run", "tap-zuora", "target-postgres")
    assert table_ids(warehouse_url, db_schema) == world_ids(world, "zuora")

    state = json.loads(meltano.ok("state", "get", "dev:tap-zuora-to-target-postgres").stdout)
    bookmarks = state["singer_state"]["bookmarks"]
    assert set(bookmarks) == set(world.objects("zuora"))
    for name, mark in bookmarks.items():
        latest = max(r["UpdatedDate"] for r in world.records(name))
        assert mark["replication_key"] == "UpdatedDate"
        assert mark["replication_key_value"].startswith(latest.strftime("%Y-%m-%dT%H:%M:%S")), name

    changes = requests.post(f"{zuora_sandbox.url}/__sandbox/mutate", json={}, timeout=30).json()
    between = db_now(warehouse_url)
    second = meltano.ok("run", "tap-zuora", "target-postgres")
    seen = changes
    if mode == "REST":  # Zuora's REST export cannot see deleted records (the tap's README)
        seen = {o: {**kinds, "deleted": []} for o, kinds in changes.items()}
    assert table_ids(warehouse_url, db_schema, since=between) == changed_ids(seen)
    # a deleted record stays in the warehouse (marked by _sdc_deleted_at in AQuA mode)
    assert table_ids(warehouse_url, db_schema) == with_deleted(world_ids(world, "zuora"), changes)
    # the target says where it connects, with the password masked
    assert re.search(r"connecting to postgres(ql)?://[^:/@\s]+:\*\*\*@", first.stderr)
    after = json.loads(meltano.ok("state", "get", "dev:tap-zuora-to-target-postgres").stdout)
    assert after["singer_state"]["bookmarks"]["Account"] != bookmarks["Account"]
    assert_no_secret(first.stdout + first.stderr, second.stdout + second.stderr)


@pytest.mark.parametrize("mode", ["REST", "BULK2"])
def test_meltano_run_loads_tap_salesforce_then_runs_incrementally_from_its_state(
    mode: str, db_schema: str, warehouse_url: str, tmp_path: Path
) -> None:
    server = salesforce_support.start()
    try:
        env = salesforce_env(server.url, db_schema, warehouse_url, mode)
        meltano = Meltano(tmp_path, env)
        world: World = server.app.world

        first = meltano.ok("run", "tap-salesforce", "target-postgres")
        assert table_ids(warehouse_url, db_schema) == world_ids(world, "salesforce")
        state_id = "dev:tap-salesforce-to-target-postgres"
        bookmarks = json.loads(meltano.ok("state", "get", state_id).stdout)["singer_state"][
            "bookmarks"
        ]
        assert set(bookmarks) == set(world.objects("salesforce"))

        changes = requests.post(
            f"{server.url}/__sandbox/mutate",
            json={"creates": 2, "updates": 6, "deletes": 3},
            timeout=30,
        ).json()
        between = db_now(warehouse_url)
        second = meltano.ok("run", "tap-salesforce", "target-postgres")
        assert table_ids(warehouse_url, db_schema, since=between) == changed_ids(changes)
    finally:
        server.stop()
    assert_no_secret(first.stdout + first.stderr, second.stdout + second.stderr)


def test_meltano_config_test_discover_and_select_leave_a_stream_out(
    zuora_sandbox, db_schema: str, warehouse_url: str, tmp_path: Path
) -> None:
    meltano = Meltano(tmp_path, zuora_env(zuora_sandbox.url, db_schema, warehouse_url))
    tested = meltano.ok("config", "test", "tap-zuora")
    assert tested.stdout.strip().endswith("Plugin configuration is valid")
    discovered = meltano.ok("invoke", "tap-zuora", "--discover")
    catalog = json.loads(discovered.stdout)
    streams = {s["tap_stream_id"] for s in catalog["streams"]}
    assert streams == set(zuora_sandbox.app.world.objects("zuora"))

    # select rules list what is selected: everything, then Refund left out
    meltano.ok("select", "tap-zuora", "*", "*")
    meltano.ok("select", "tap-zuora", "--exclude", "Refund", "*")
    meltano.ok("run", "tap-zuora", "target-postgres")
    expected = world_ids(zuora_sandbox.app.world, "zuora")
    del expected["refund"]
    assert table_ids(warehouse_url, db_schema) == expected
    assert_no_secret(discovered.stdout + discovered.stderr, tested.stdout + tested.stderr)


def test_the_snippet_declares_what_our_commands_declare_in_about(tmp_path: Path) -> None:
    import subprocess

    from tests.outside.meltano_support import BIN, snippet

    plugins = snippet()["plugins"]
    for plugin in (*plugins["extractors"], *plugins["loaders"]):
        about = json.loads(
            subprocess.run(
                [str(BIN / plugin["executable"]), "--about", "--format", "json"],
                capture_output=True, text=True, check=True,
            ).stdout
        )  # fmt: skip
        properties = about["settings"]["properties"]
        ours = {k for k in properties if k not in SDK_SETTINGS}
        assert [s["name"] for s in plugin["settings"]] == [k for k in properties if k in ours]
        secret = {s["name"] for s in plugin["settings"] if s.get("sensitive")}
        assert secret == {k for k in ours if properties[k].get("secret")}
        assert plugin["capabilities"] == about["capabilities"]


SDK_SETTINGS = {
    "stream_maps",
    "stream_map_config",
    "faker_config",
    "flattening_enabled",
    "flattening_max_depth",
    "flattening_max_key_length",
    "flattening_separator",
    "batch_config",
}


def test_meltano_installs_our_wheel_by_pip_url_and_runs_it_from_its_venvs(
    zuora_sandbox, db_schema: str, warehouse_url: str, tmp_path: Path
) -> None:
    from tests.outside.meltano_support import build_wheel

    wheel = build_wheel(tmp_path / "dist")
    project = tmp_path / "project"
    project.mkdir()
    meltano = Meltano(project, zuora_env(zuora_sandbox.url, db_schema, warehouse_url), str(wheel))
    installed = meltano.ok("install")
    assert "Installed extractor 'tap-zuora'" in installed.stderr
    assert "Installed loader 'target-postgres'" in installed.stderr
    for kind, name in (("extractors", "tap-zuora"), ("loaders", "target-postgres")):
        assert (project / ".meltano" / kind / name / "venv" / "bin" / name).is_file()

    run = meltano.ok("run", "tap-zuora", "target-postgres")
    assert table_ids(warehouse_url, db_schema) == world_ids(zuora_sandbox.app.world, "zuora")
    assert_no_secret(run.stdout + run.stderr)
