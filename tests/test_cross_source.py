"""Both sources of one world into the warehouse: every Zuora CrmId is a Salesforce Account Id."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import yaml

from bizops_sandbox.salesforce import create_app as salesforce_app
from bizops_sandbox.server import RunningServer, serve
from bizops_sandbox.world import World
from bizops_sandbox.zuora import create_app as zuora_app
from tests.taps import salesforce_support, zuora_support

BIZOPS = str(Path(sys.executable).parent / "bizops")


@pytest.fixture
def servers() -> Iterator[tuple[RunningServer, RunningServer]]:
    """Zuora and Salesforce emulators over one and the same small world."""
    world = World.generate(seed=42, size="small")
    zuora, salesforce = serve(zuora_app(world)), serve(salesforce_app(world))
    try:
        yield zuora, salesforce
    finally:
        zuora.stop()
        salesforce.stop()


@pytest.fixture
def second_schema(warehouse_url: str) -> Iterator[str]:
    """One more fresh schema (``db_schema`` gives the first), dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    conn = psycopg2.connect(warehouse_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    conn.close()


def with_secret_reference(config: dict[str, Any], variable: str) -> dict[str, Any]:
    """The tap config as bizops.yml must hold it: the secret as an ``${ENV}`` reference."""
    return {**config, "client_secret": "${" + variable + "}"}


def write_project(folder: Path, zuora_url: str, salesforce_url: str, schemas: tuple[str, str]):
    """A project with both pipelines, each into its own schema."""
    zuora = zuora_support.tap_config(zuora_url, objects=["Account"])
    salesforce = salesforce_support.tap_config(
        salesforce_url, "BULK2", objects=["Account", "Contact"]
    )
    project = {
        "version": 1,
        "taps": {
            "tap-zuora": {"config": with_secret_reference(zuora, "X_ZUORA_SECRET")},
            "tap-salesforce": {"config": with_secret_reference(salesforce, "X_SF_SECRET")},
        },
        "targets": {"target-postgres": {}},
        "pipelines": [
            {"name": f"{schemas[0]}-zuora", "tap": "tap-zuora", "target": "target-postgres",
             "target_config": {"default_target_schema": schemas[0]}},
            {"name": f"{schemas[1]}-sf", "tap": "tap-salesforce", "target": "target-postgres",
             "target_config": {"default_target_schema": schemas[1]}},
        ],
    }  # fmt: skip
    (folder / "bizops.yml").write_text(yaml.safe_dump(project), encoding="utf-8")
    env = {
        **os.environ,
        "X_ZUORA_SECRET": zuora_support.SECRET,
        "X_SF_SECRET": salesforce_support.SECRET,
    }
    return env


def test_every_zuora_crm_id_matches_a_salesforce_account_id(
    servers, warehouse_url: str, db_schema: str, second_schema: str, db, tmp_path: Path
) -> None:
    zuora, salesforce = servers
    env = write_project(tmp_path, zuora.url, salesforce.url, (db_schema, second_schema))
    env["BIZOPS_DATABASE_URL"] = warehouse_url
    run = subprocess.run(
        [BIZOPS, "run", "--all", "--project-dir", str(tmp_path), "--log-format", "plain"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr

    with db.cursor() as cur:
        cur.execute(f'SELECT count(*), count(crmid) FROM "{db_schema}".account')
        accounts, linked = cur.fetchone()
        cur.execute(
            f'SELECT z.crmid FROM "{db_schema}".account z '
            f'LEFT JOIN "{second_schema}".account s ON s.id = z.crmid '
            "WHERE z.crmid IS NOT NULL AND s.id IS NULL"
        )
        unmatched = cur.fetchall()
        cur.execute(f'SELECT count(*) FROM "{second_schema}".account')
        (salesforce_accounts,) = cur.fetchone()
    assert accounts == 30
    assert linked > 20
    assert unmatched == []
    assert salesforce_accounts > accounts  # customers plus prospects
