"""Meltano 4.4 runs tap-hubspot, tap-marketo and tap-zendesk as CONTRIBUTING.md's meltano.yml
declares them: `meltano run tap-X target-postgres` against each emulator loads every record of
the small world, and no secret of the tap or the warehouse shows in Meltano's output."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from psycopg2 import sql

from bizops_sandbox import hubspot, marketo, zendesk
from bizops_sandbox.server import serve
from bizops_sandbox.world import World
from bizops_sandbox.world_zendesk import views
from tests.outside.meltano_support import Meltano
from tests.outside.test_meltano import DB_PASSWORD, with_password


def hubspot_case(world: World) -> tuple[Any, dict[str, str], dict[str, int]]:
    """The emulator, the tap's settings and the rows each table must hold."""
    app = hubspot.create_app(world)
    # a fractional setting from the environment reaches the tap as text (no `kind`)
    env = {"TAP_HUBSPOT_ACCESS_TOKEN": hubspot.PRIVATE_APP_TOKEN,
           "TAP_HUBSPOT_REQUEST_TIMEOUT": "120.5"}  # fmt: skip
    expected = {name: len(world.records(name, source="hubspot"))
                for name in ("companies", "contacts", "deals", "form_submissions")}  # fmt: skip
    # engagements are read as HubSpot's own objects: calls, emails, meetings, notes
    kinds = Counter(r["properties"]["hs_engagement_type"]
                    for r in world.records("engagements", source="hubspot"))  # fmt: skip
    expected.update({f"{kind.lower()}s": n for kind, n in kinds.items()})
    return app, env, expected


def marketo_case(world: World) -> tuple[Any, dict[str, str], dict[str, int]]:
    # Marketo's 100 calls per 20 s lifted: a sync of 31-day windows since 2021 needs more.
    app = marketo.MarketoEmulator(world, rate_calls=100_000)
    env = {"TAP_MARKETO_CLIENT_ID": marketo.CLIENT_ID,
           "TAP_MARKETO_CLIENT_SECRET": marketo.CLIENT_SECRET,
           "TAP_MARKETO_START_DATE": "2021-01-01T00:00:00Z",
           "TAP_MARKETO_POLL_INTERVAL": "0.01"}  # fmt: skip
    state = world.marketo
    expected = {"leads": len(state.leads), "programs": len(state.programs),
                "activities": len(state.activities), "activity_types": 4}  # fmt: skip
    return app, env, expected


def zendesk_case(world: World) -> tuple[Any, dict[str, str], dict[str, int]]:
    app = zendesk.create_app(world)
    env = {"TAP_ZENDESK_EMAIL": zendesk.EMAIL, "TAP_ZENDESK_API_TOKEN": zendesk.API_TOKEN,
           "TAP_ZENDESK_REQUEST_TIMEOUT": "120.5"}  # fmt: skip
    return app, env, {name: len(rows) for name, rows in views(world).items()}


CASES: dict[str, Callable[[World], tuple[Any, dict[str, str], dict[str, int]]]] = {
    "hubspot": hubspot_case, "marketo": marketo_case, "zendesk": zendesk_case,
}  # fmt: skip
SECRETS = {
    "hubspot": hubspot.PRIVATE_APP_TOKEN, "marketo": marketo.CLIENT_SECRET,
    "zendesk": zendesk.API_TOKEN,
}  # fmt: skip


def table_counts(warehouse_url: str, schema: str) -> dict[str, int]:
    """Rows of every table of ``schema`` that holds any; the target's own (``_*``) left out."""
    out: dict[str, int] = {}
    with psycopg2.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                    (schema,))  # fmt: skip
        for (table,) in cur.fetchall():
            if table.startswith("_"):
                continue
            cur.execute(sql.SQL("SELECT count(*) FROM {}.{}").format(
                sql.Identifier(schema), sql.Identifier(table)))  # fmt: skip
            (count,) = cur.fetchone()
            if count:
                out[table] = count
    conn.close()
    return out


@pytest.mark.parametrize("source", sorted(CASES))
def test_meltano_run_loads_every_record_of_the_new_sources(
    source: str, db_schema: str, warehouse_url: str, tmp_path: Path
) -> None:
    app, settings, expected = CASES[source](World.generate(seed=42, size="small"))
    server = serve(app)
    try:
        prefix = f"TAP_{source.upper()}"
        env = {**settings, f"{prefix}_BASE_URL": server.url, f"{prefix}__LOAD_SCHEMA": db_schema,
               "TARGET_POSTGRES_DATABASE_URL": with_password(warehouse_url)}  # fmt: skip
        done = Meltano(tmp_path, env).ok("run", f"tap-{source}", "target-postgres")
    finally:
        server.stop()
    assert table_counts(warehouse_url, db_schema) == expected
    output = done.stdout + done.stderr
    assert SECRETS[source] not in output
    assert DB_PASSWORD not in output
