"""Both sources of one world into the warehouse: every Zuora CrmId is a Salesforce Account Id."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from bizops_sandbox.salesforce import create_app as salesforce_app
from bizops_sandbox.server import RunningServer, serve
from bizops_sandbox.world import World
from bizops_sandbox.zuora import create_app as zuora_app
from tests.taps import salesforce_support, zuora_support

TARGET = str(Path(salesforce_support.TAP).with_name("target-postgres"))


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


def load(tmp: Path, tap: str, tap_config: dict[str, Any], url: str, schema: str) -> None:
    """Run ``tap | target-postgres`` over an OS pipe into ``schema``; both must exit 0."""
    (tmp / f"{schema}-tap.json").write_text(json.dumps(tap_config), encoding="utf-8")
    target_config = {"database_url": url, "default_target_schema": schema}
    (tmp / f"{schema}-target.json").write_text(json.dumps(target_config), encoding="utf-8")
    producer = subprocess.Popen([tap, "--config", str(tmp / f"{schema}-tap.json")],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    consumer = subprocess.run([TARGET, "--config", str(tmp / f"{schema}-target.json")],
                              stdin=producer.stdout, capture_output=True, timeout=300)  # fmt: skip
    assert producer.stdout is not None
    producer.stdout.close()
    _, tap_err = producer.communicate(timeout=300)
    assert producer.returncode == 0, tap_err.decode()
    assert consumer.returncode == 0, consumer.stderr.decode()


def test_every_zuora_crm_id_matches_a_salesforce_account_id(
    servers, warehouse_url: str, db_schema: str, second_schema: str, db, tmp_path: Path
) -> None:
    zuora, salesforce = servers
    load(tmp_path, salesforce_support.TAP, salesforce_support.tap_config(salesforce.url,
         "BULK2", objects=["Account", "Contact"]), warehouse_url, second_schema)  # fmt: skip
    load(tmp_path, zuora_support.TAP_ZUORA, zuora_support.tap_config(zuora.url,
         objects=["Account"]), warehouse_url, db_schema)  # fmt: skip

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
