"""`transform: true` on a pipeline: `bizops run` builds the analytic layer after loading, once,
and a failed build is reported with its own exit code without undoing the load."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from bizops_sandbox.salesforce import create_app as salesforce_app
from bizops_sandbox.server import serve
from bizops_sandbox.world import World
from bizops_sandbox.zuora import create_app as zuora_app
from tests.transform.support import SECRETS, bizops, drop_layers, write_project


@pytest.fixture
def sandbox(warehouse_url: str) -> Iterator[tuple[str, str, str, dict[str, str]]]:
    """Emulators of the small world, a fresh schema prefix, and the env to run bizops in."""
    world = World.generate(seed=7, size="small")
    zuora, salesforce = serve(zuora_app(world)), serve(salesforce_app(world))
    prefix = f"a_{uuid.uuid4().hex[:10]}"
    env = {**os.environ, **SECRETS, "BIZOPS_DATABASE_URL": warehouse_url}
    try:
        yield prefix, zuora.url, salesforce.url, env
    finally:
        zuora.stop()
        salesforce.stop()
        drop_layers(warehouse_url, prefix)


def _one(warehouse_url: str, query: str) -> object:
    with psycopg2.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(query)
        (value,) = cur.fetchone()
    conn.close()
    return value


def _runs(warehouse_url: str, prefix: str) -> list[tuple[str, str]]:
    with psycopg2.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT pipeline, status FROM bizops.runs WHERE project = %s ORDER BY run_id",
            (prefix,),
        )
        rows = cur.fetchall()
    conn.close()
    return rows


def test_a_run_with_transform_true_builds_the_layer_once(
    sandbox, warehouse_url: str, tmp_path: Path
) -> None:
    prefix, zuora_url, salesforce_url, env = sandbox
    write_project(
        tmp_path, prefix, zuora_url, salesforce_url, {"schema": prefix},
        {"zuora": {"transform": True}, "salesforce": {"transform": True}},
    )  # fmt: skip
    result = bizops(env, "run", "--all", "-p", str(tmp_path), "--log-format", "plain")
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    lines = [x for x in result.stderr.decode().splitlines() if x.startswith("bizops: transform: ")]
    assert len(lines) == 1 and lines[0].endswith(" tests passed"), lines
    assert _runs(warehouse_url, prefix) == [
        ("salesforce", "succeeded"), ("zuora", "succeeded"), ("transform", "succeeded"),
    ]  # fmt: skip
    accounts = _one(warehouse_url, f'SELECT count(*) FROM "{prefix}_common".dim_account')
    raw = _one(
        warehouse_url,
        f'SELECT count(*) FROM "{prefix}_sf".account WHERE NOT coalesce(isdeleted, false)',
    )
    assert accounts == raw and raw > 0


def test_without_transform_true_no_layer_is_built(sandbox, warehouse_url: str, tmp_path: Path):
    prefix, zuora_url, salesforce_url, env = sandbox
    write_project(tmp_path, prefix, zuora_url, salesforce_url, {"schema": prefix})
    result = bizops(env, "run", "zuora", "-p", str(tmp_path), "--log-format", "plain")
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    assert "bizops: transform" not in result.stderr.decode()
    assert _runs(warehouse_url, prefix) == [("zuora", "succeeded")]
    assert _one(warehouse_url, f"SELECT to_regnamespace('{prefix}_common') IS NULL") is True


def test_a_failed_transform_exits_7_and_keeps_the_load(
    sandbox, warehouse_url: str, tmp_path: Path
) -> None:
    # Only Zuora is loaded: the Salesforce staging models have no raw tables to read.
    prefix, zuora_url, salesforce_url, env = sandbox
    write_project(
        tmp_path, prefix, zuora_url, salesforce_url, {"schema": prefix},
        {"zuora": {"transform": True}},
    )  # fmt: skip
    result = bizops(env, "run", "zuora", "-p", str(tmp_path), "--log-format", "plain")
    stderr = result.stderr.decode()
    assert result.returncode == 7, stderr[-3000:]
    assert "bizops: [transform] " in stderr and "dbt node(s) failed" in stderr, stderr[-2000:]
    assert _runs(warehouse_url, prefix) == [("zuora", "succeeded"), ("transform", "failed")]
    loaded = _one(warehouse_url, f'SELECT count(*) FROM "{prefix}_zuora".account')
    assert loaded > 0
    assert (
        _one(
            warehouse_url,
            f"SELECT count(*) FROM bizops.pipeline_state WHERE project = '{prefix}'",
        )
        == 1
    )


def test_a_pipeline_named_like_a_command_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bizops.yml").write_text(
        "version: 1\npipelines:\n  - {name: transform, tap: tap-zuora, target: target-postgres}\n",
        encoding="utf-8",
    )
    result = bizops(dict(os.environ), "runs", "-p", str(tmp_path))
    assert result.returncode == 2
    assert (
        result.stderr.decode()
        .strip()
        .endswith(
            "bizops.yml: pipelines.0.name: 'transform' is reserved (run history names "
            "`bizops transform` runs so)"
        )
    )


def test_a_second_transform_while_one_runs_is_refused(
    sandbox, warehouse_url: str, tmp_path: Path
) -> None:
    from bizops.store import lock_key
    from bizops.store_schema import LOCK_NAMESPACE

    prefix, zuora_url, salesforce_url, env = sandbox
    write_project(tmp_path, prefix, zuora_url, salesforce_url, {"schema": prefix})
    holder = psycopg2.connect(warehouse_url)  # stands for the transform already running
    try:
        with holder.cursor() as cur:
            key = lock_key("transform", prefix)
            cur.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_NAMESPACE, key))
        result = bizops(env, "transform", "-p", str(tmp_path))
    finally:
        holder.close()
    assert result.returncode == 5, result.stderr.decode()[-2000:]
    assert (
        result.stderr.decode()
        .strip()
        .endswith("bizops: [locked] pipeline 'transform' is already running")
    )
    assert _runs(warehouse_url, prefix) == []


def _last_line(result: subprocess.CompletedProcess[bytes]) -> str:
    return result.stderr.decode().splitlines()[-1]


def test_a_transform_with_nothing_new_is_skipped_until_something_changes(
    sandbox, warehouse_url: str, tmp_path: Path
) -> None:
    prefix, zuora_url, salesforce_url, env = sandbox
    write_project(tmp_path, prefix, zuora_url, salesforce_url, {"schema": prefix})
    project = ["-p", str(tmp_path)]
    assert bizops(env, "run", "--all", *project).returncode == 0
    built = re.compile(r"bizops transform: \d+ models and \d+ tests passed")
    nothing = "bizops transform: sources and project unchanged since the last build; nothing to do"

    first = bizops(env, "transform", *project)
    assert built.fullmatch(_last_line(first)), first.stderr.decode()[-2000:]
    assert _last_line(bizops(env, "transform", *project)) == nothing
    # a cleared fingerprint (as --full-refresh ignores it) builds again
    assert bizops(env, "state", "clear", "transform", *project).returncode == 0
    assert built.fullmatch(_last_line(bizops(env, "transform", *project)))
    assert _last_line(bizops(env, "transform", *project)) == nothing
    # one new row in a source table: built again
    with psycopg2.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(
            f'INSERT INTO "{prefix}_sf".lead (id, _sdc_batched_at) '
            "VALUES ('00Q000000000XYZAAA', now())"
        )
    conn.close()
    assert built.fullmatch(_last_line(bizops(env, "transform", *project)))
    # a dropped layer is built again whatever the sources say
    with psycopg2.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(f'DROP SCHEMA "{prefix}_metrics" CASCADE')
    conn.close()
    assert built.fullmatch(_last_line(bizops(env, "transform", *project)))
    statuses = [
        status for pipeline, status in _runs(warehouse_url, prefix) if pipeline == "transform"
    ]
    assert statuses == ["succeeded"] * 6


def test_a_source_table_without_batch_times_is_never_skipped(db_schema: str, warehouse_url):
    from bizops.transform import dbt_project_dir
    from bizops.transform_skip import fingerprint

    conn = psycopg2.connect(warehouse_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE TABLE "{db_schema}".lead (id text, _sdc_batched_at timestamptz)')
            cur.execute(f'CREATE TABLE "{db_schema}"._bizops_rejects (reason text)')
        variables = {"salesforce_schema": db_schema}
        one = fingerprint(conn, variables, "x", dbt_project_dir())
        assert one is not None and one == fingerprint(conn, variables, "x", dbt_project_dir())
        assert one != fingerprint(conn, {**variables, "metrics_as_of": "2024-01-01"}, "x",
                                  dbt_project_dir())  # fmt: skip
        with conn.cursor() as cur:
            cur.execute(f'CREATE TABLE "{db_schema}".account (id text)')  # another tool's
        assert fingerprint(conn, variables, "x", dbt_project_dir()) is None
    finally:
        conn.close()
