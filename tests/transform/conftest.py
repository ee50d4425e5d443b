"""Fixtures of the transform tests: sandbox worlds loaded, transformed, and compared."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from pathlib import Path

import psycopg2
import pytest

from bizops_sandbox.hubspot import create_app as hubspot_app
from bizops_sandbox.marketo import MarketoEmulator
from bizops_sandbox.oracle import Sources, sources_of
from bizops_sandbox.salesforce import create_app as salesforce_app
from bizops_sandbox.server import serve
from bizops_sandbox.world import World
from bizops_sandbox.zendesk import create_app as zendesk_app
from bizops_sandbox.zuora import create_app as zuora_app
from tests.transform.oracle_values import Values, oracle_values
from tests.transform.support import SECRETS, bizops, drop_layers, marketing_taps, write_project

FY_START_MONTH = 2  # the dbt project's default, set explicitly in the test projects


@dataclass(frozen=True)
class Stage:
    """One moment of a world in the warehouse: the sources the oracle reads, its clock, and
    the warehouse's ``metric_values`` as loaded and transformed at that moment."""

    size: str
    name: str  # "initial" (first load) or "mutated" (after a mutate and an incremental run)
    sources: Sources
    now: datetime
    warehouse: Values
    sample_sizes: Values = field(default_factory=dict)  # the n behind each median
    prefix: str = ""  # the project's schemas: <prefix>_common, <prefix>_metrics, ...

    @cached_property
    def oracle(self) -> Values:
        """The oracle's values of this moment of the world."""
        return oracle_values(self.sources, self.now, FY_START_MONTH)


def _metric_values(warehouse_url: str, prefix: str) -> Values:
    with psycopg2.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT metric, grain, period_label, dimension, member, value"
            f' FROM "{prefix}_metrics".metric_values'
        )
        rows = cur.fetchall()
    conn.close()
    out: Values = {}
    for metric, grain, label, dimension, member, value in rows:
        key = (metric, grain, label, dimension, member)
        assert key not in out, f"metric_values has {key} twice"
        out[key] = None if value is None else Decimal(value)
    return out


def _sample_sizes(warehouse_url: str, prefix: str) -> Values:
    with psycopg2.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT metric, grain, period_label, dimension, member, sample_size"
            f' FROM "{prefix}_metrics".metric_values WHERE sample_size IS NOT NULL'
        )
        rows = cur.fetchall()
    conn.close()
    return {tuple(row[:5]): Decimal(row[5]) for row in rows}


def _load_and_transform(warehouse_url: str, folder: Path, size: str) -> Iterator[tuple[str, Stage]]:
    world = World.generate(seed=42, size=size)
    zuora, salesforce = serve(zuora_app(world)), serve(salesforce_app(world))
    zendesk = serve(zendesk_app(world))
    # HubSpot and Marketo with their rate limits lifted (the limits have tests of their own)
    hubspot = serve(hubspot_app(world, per_ten_seconds=100_000, search_per_second=10_000))
    marketo = serve(MarketoEmulator(world, daily_quota=10_000_000, rate_calls=100_000))
    prefix = f"m_{size[:1]}{uuid.uuid4().hex[:8]}"
    env = {**os.environ, **SECRETS, "BIZOPS_DATABASE_URL": warehouse_url}
    try:
        for name in ("initial", "mutated"):
            if name == "mutated":
                world.mutate_sources(creates=5, updates=8, deletes=16, returns=3)
            write_project(
                folder, prefix, zuora.url, salesforce.url,
                {"schema": prefix, "vars": {
                    "fiscal_year_start_month": FY_START_MONTH,
                    "metrics_as_of": world.now.isoformat(),
                }}, zendesk_url=zendesk.url,
                marketing=marketing_taps(hubspot.url, marketo.url),
            )  # fmt: skip
            run = bizops(env, "run", "--all", "-p", str(folder), "--log-format", "plain")
            assert run.returncode == 0, (size, name, run.stderr.decode()[-3000:])
            done = bizops(env, "transform", "-p", str(folder))
            assert done.returncode == 0, (size, name, done.stderr.decode()[-3000:])
            values = _metric_values(warehouse_url, prefix)
            sizes = _sample_sizes(warehouse_url, prefix)
            sources = sources_of(world)
            yield prefix, Stage(size, name, sources, world.now, values, sizes, prefix)
    finally:
        zuora.stop()
        salesforce.stop()
        zendesk.stop()
        hubspot.stop()
        marketo.stop()


@pytest.fixture(scope="session")
def world_stage(
    warehouse_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str, str], Stage]]:
    """``world_stage(size, name)``: the small or medium world (seed 42) loaded by both
    pipelines into the warehouse and transformed (stage ``initial``), then mutated (creates,
    updates, deletes), loaded incrementally and transformed again (stage ``mutated``). Each
    size is built once per session, on first use; its schemas are dropped at the end."""
    stages: dict[tuple[str, str], Stage] = {}
    prefixes: list[str] = []

    def get(size: str, name: str) -> Stage:
        if (size, name) not in stages:
            folder = tmp_path_factory.mktemp(f"metrics-{size}")
            for prefix, stage in _load_and_transform(warehouse_url, folder, size):
                if prefix not in prefixes:
                    prefixes.append(prefix)
                stages[(size, stage.name)] = stage
        return stages[(size, name)]

    yield get
    drop_layers(warehouse_url, *prefixes)
