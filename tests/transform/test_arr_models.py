"""The ARR domain's conformed models over the small world's Zuora data: the charge fact holds
exactly the oracle's charge lines, and a billing currency without an exchange rate stops the
transform with a message naming it (no ARR is silently dropped)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from bizops_sandbox.oracle_arr import charge_lines
from bizops_sandbox.salesforce import create_app as salesforce_app
from bizops_sandbox.server import serve
from bizops_sandbox.world import World
from bizops_sandbox.zuora import create_app as zuora_app
from tests.transform.support import SECRETS, bizops, drop_layers, write_project

# the Zuora side up to the charge fact, and every model its tests refer to
SELECT = ("path:models/staging/zuora", "+fct_subscription_charge", "dim_product")


@dataclass(frozen=True)
class ZuoraLoaded:
    world: World
    prefix: str
    folder: Path
    urls: tuple[str, str]
    env: dict[str, str]


@pytest.fixture(scope="module")
def zuora_loaded(warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The small world's Zuora pipeline loaded into schemas of its own (no transform yet)."""
    world = World.generate(seed=42, size="small")
    zuora, salesforce = serve(zuora_app(world)), serve(salesforce_app(world))
    prefix = f"a_{uuid.uuid4().hex[:10]}"
    folder = tmp_path_factory.mktemp("arr")
    env = {**os.environ, **SECRETS, "BIZOPS_DATABASE_URL": warehouse_url}
    try:
        write_project(folder, prefix, zuora.url, salesforce.url)
        run = bizops(env, "run", "zuora", "-p", str(folder), "--log-format", "plain")
        assert run.returncode == 0, run.stderr.decode()[-3000:]
        yield ZuoraLoaded(world, prefix, folder, (zuora.url, salesforce.url), env)
    finally:
        zuora.stop()
        salesforce.stop()
        drop_layers(warehouse_url, prefix)


def _transform(loaded: ZuoraLoaded, variables: dict[str, Any]):
    write_project(loaded.folder, loaded.prefix, *loaded.urls,
                  {"schema": loaded.prefix, "vars": variables})  # fmt: skip
    selection = [arg for model in SELECT for arg in ("--select", model)]
    return bizops(loaded.env, "transform", "-p", str(loaded.folder), *selection)


def test_a_currency_without_a_rate_stops_the_transform_naming_it(zuora_loaded) -> None:
    done = _transform(zuora_loaded, {"fx_to_usd": {"USD": "1", "EUR": "1.10"}})
    assert done.returncode != 0
    assert "no exchange rate for currency GBP (var fx_to_usd)" in done.stderr.decode()


def test_a_malformed_rate_is_refused_before_anything_runs(zuora_loaded) -> None:
    done = _transform(zuora_loaded, {"fx_to_usd": {"USD": "1", "EUR": "one"}})
    assert done.returncode != 0
    assert "the rate of EUR must be a positive decimal number, got one" in done.stderr.decode()


def test_the_charge_fact_holds_exactly_the_oracle_charge_lines(zuora_loaded, warehouse_url) -> None:
    done = _transform(zuora_loaded, {})
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    with psycopg2.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT charge_id, customer_id, subscription_id, effective_start_date, active_until,"
            f' mrr_usd FROM "{zuora_loaded.prefix}_common".fct_subscription_charge'
            " WHERE mrr_usd <> 0"
        )
        rows = set(cur.fetchall())
    conn.close()
    lines = charge_lines({name: zuora_loaded.world.records(name) for name in
                          ("Account", "Subscription", "RatePlan", "RatePlanCharge")})  # fmt: skip
    expected = {(c.charge_id, c.customer_id, c.subscription_id, c.start, c.end, c.mrr_usd)
                for c in lines}  # fmt: skip
    assert len(expected) > 100
    assert rows == expected
    assert any(isinstance(row[5], Decimal) and row[5] != row[5].quantize(Decimal(1))
               for row in rows)  # fmt: skip
