"""Zendesk in the warehouse and one customer id across sources: the small world loaded by
tap-zuora, tap-salesforce, tap-zendesk, tap-hubspot and tap-marketo and transformed; the Zendesk
staging models hold the world's live records (deleted tickets out), map_source_account resolves
every Zuora account, Zendesk organization and HubSpot company to its Salesforce account, and
`bizops check` counts a Zendesk organization whose external_id names no loaded account and a
Marketo lead that resolves to no person."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bizops_sandbox.hubspot import create_app as hubspot_app
from bizops_sandbox.marketo import MarketoEmulator
from bizops_sandbox.salesforce import create_app as salesforce_app
from bizops_sandbox.server import serve
from bizops_sandbox.world import World
from bizops_sandbox.world_zendesk import views
from bizops_sandbox.zendesk import create_app as zendesk_app
from bizops_sandbox.zuora import create_app as zuora_app
from tests.transform.support import SECRETS, bizops, drop_layers, marketing_taps, write_project


@dataclass(frozen=True)
class Loaded:
    """The small world loaded once (with Zendesk, HubSpot and Marketo) and transformed."""

    world: World
    prefix: str
    project_dir: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def loaded(warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    world = World.generate(seed=42, size="small")
    # HubSpot and Marketo with their rate limits lifted (the limits have tests of their own)
    servers = [
        serve(zuora_app(world)), serve(salesforce_app(world)), serve(zendesk_app(world)),
        serve(hubspot_app(world, per_ten_seconds=100_000, search_per_second=10_000)),
        serve(MarketoEmulator(world, daily_quota=10_000_000, rate_calls=100_000)),
    ]  # fmt: skip
    prefix = f"z_{uuid.uuid4().hex[:10]}"
    folder = tmp_path_factory.mktemp("support")
    write_project(folder, prefix, servers[0].url, servers[1].url, {"schema": prefix, "vars": {
        "fiscal_year_start_month": 2, "metrics_as_of": world.now.isoformat(),
    }}, zendesk_url=servers[2].url,
        marketing=marketing_taps(servers[3].url, servers[4].url))  # fmt: skip
    env = {**os.environ, **SECRETS, "BIZOPS_DATABASE_URL": warehouse_url}
    try:
        run = bizops(env, "run", "--all", "-p", str(folder), "--log-format", "plain")
        assert run.returncode == 0, run.stderr.decode()[-3000:]
        transform = bizops(env, "transform", "-p", str(folder))
        assert transform.returncode == 0, transform.stderr.decode()[-3000:]
        yield Loaded(world, prefix, folder, env)
    finally:
        for server in servers:
            server.stop()
        drop_layers(warehouse_url, prefix)


def _rows(db: Any, query: str) -> list[tuple[Any, ...]]:
    with db.cursor() as cur:
        cur.execute(query)
        return cur.fetchall()


def test_zendesk_staging_holds_the_live_tickets_their_metrics_and_ratings(
    loaded: Loaded, db
) -> None:
    zendesk = views(loaded.world)
    live = {t["id"] for t in zendesk["tickets"] if t["status"] != "deleted"}
    deleted = len(zendesk["tickets"]) - len(live)
    staged = f'"{loaded.prefix}_staging"'
    tickets = _rows(db, f"SELECT ticket_id, status, created_at FROM {staged}.stg_zendesk__tickets")
    assert sorted(tickets) == sorted(
        (str(t["id"]), t["status"], t["created_at"])
        for t in zendesk["tickets"] if t["id"] in live
    )  # fmt: skip
    raw_deleted = (
        f"SELECT count(*) FROM \"{loaded.prefix}_zendesk\".tickets WHERE status = 'deleted'"
    )
    assert deleted > 0
    assert _rows(db, raw_deleted) == [(deleted,)]
    metrics = _rows(db, (
        "SELECT ticket_id, reply_time_calendar_minutes, full_resolution_time_calendar_minutes"
        f" FROM {staged}.stg_zendesk__ticket_metrics"
    ))  # fmt: skip
    assert sorted(metrics) == sorted(
        (str(m["ticket_id"]), m["reply_time_in_minutes"]["calendar"],
         m["full_resolution_time_in_minutes"]["calendar"])
        for m in zendesk["ticket_metrics"]
    )  # fmt: skip
    ratings = _rows(db, f"SELECT ticket_id, score FROM {staged}.stg_zendesk__satisfaction_ratings")
    expected = [(str(r["ticket_id"]), r["score"]) for r in zendesk["satisfaction_ratings"]]
    assert sorted(ratings) == sorted(expected)
    organizations = f"SELECT count(*) FROM {staged}.stg_zendesk__organizations"
    assert _rows(db, organizations) == [(len(zendesk["organizations"]),)]


def test_every_zuora_account_zendesk_organization_and_hubspot_company_maps_to_its_account(
    loaded: Loaded, db
) -> None:
    accounts = {
        a["Id"] for a in loaded.world.records("Account", "salesforce") if not a["IsDeleted"]
    }
    expected = {
        ("zendesk", str(o["id"]), o["external_id"], "crm_id", "resolved")
        for o in views(loaded.world)["organizations"]
    }
    for company in loaded.world.records("companies", "hubspot"):
        if company["archived"]:
            continue
        crm = company["properties"]["salesforceaccountid"]
        status = "resolved" if crm in accounts else "unresolved"
        expected.add(("hubspot", company["id"], crm if status == "resolved" else None, "crm_id",
                      status))  # fmt: skip
    for account in loaded.world.records("Account", "zuora"):
        crm = account["CrmId"]
        status = "no_crm_id" if not crm else "resolved" if crm in accounts else "unresolved"
        expected.add(("zuora", account["Id"], crm if status == "resolved" else None,
                      "crm_id" if crm else None, status))  # fmt: skip
    rows = _rows(db, (
        "SELECT source, source_account_id, account_id, match_method, status"
        f' FROM "{loaded.prefix}_common".map_source_account'
    ))  # fmt: skip
    assert len(rows) == len(expected)
    assert set(rows) == expected
    assert {r[0] for r in rows if r[4] == "resolved"} == {"zuora", "zendesk", "hubspot"}


def test_an_unresolved_zendesk_organization_is_counted_by_the_check(loaded: Loaded, db) -> None:
    raw = f'"{loaded.prefix}_zendesk"'
    organization = views(loaded.world)["organizations"][0]
    other = views(loaded.world)["organizations"][1]
    edits = [(
        f"UPDATE {raw}.organizations SET external_id = '001000000000000AAA'"
        f" WHERE id IN ({organization['id']}, {other['id']})"
    )]  # fmt: skip
    undo = [
        f"UPDATE {raw}.organizations SET external_id = '{o['external_id']}' WHERE id = {o['id']}"
        for o in (organization, other)
    ]
    with db.cursor() as cur:
        for statement in edits:
            cur.execute(statement)
    try:
        done = bizops(loaded.env, "check", "-p", str(loaded.project_dir))
    finally:
        with db.cursor() as cur:
            for statement in undo:
                cur.execute(statement)
    assert done.returncode == 8, done.stderr.decode()[-3000:]
    lines = done.stdout.decode().splitlines()
    assert lines[0] == (
        "FAIL test zendesk_account_unresolved_is_empty: 2 row(s): Got 2 results, configured "
        "to fail if != 0"
    )
    last = done.stderr.decode().splitlines()[-1]
    summary = r"\d+ checks: 1 failed, 0 warned: zendesk_account_unresolved_is_empty \(2\)"
    assert re.fullmatch(rf"bizops: \[check\] {summary}", last), last


def test_a_marketo_lead_that_names_no_person_is_counted_by_the_check(loaded: Loaded, db) -> None:
    raw = f'"{loaded.prefix}_marketo"'
    lead = next(iter(loaded.world.marketo.leads.values()))
    with db.cursor() as cur:
        cur.execute(f"SELECT sfdcleadid, sfdccontactid, email FROM {raw}.leads WHERE id = %s",
                    (lead["id"],))  # fmt: skip
        before = cur.fetchone()
        cur.execute(
            f"UPDATE {raw}.leads SET sfdcleadid = NULL, sfdccontactid = NULL,"
            " email = 'nobody@unknown.example' WHERE id = %s", (lead["id"],),
        )  # fmt: skip
    try:
        done = bizops(loaded.env, "check", "-p", str(loaded.project_dir))
    finally:
        with db.cursor() as cur:
            cur.execute(
                f"UPDATE {raw}.leads SET sfdcleadid = %s, sfdccontactid = %s, email = %s"
                " WHERE id = %s", (*before, lead["id"]),
            )  # fmt: skip
    assert done.returncode == 8, done.stderr.decode()[-3000:]
    lines = done.stdout.decode().splitlines()
    assert lines[0] == (
        "FAIL test marketo_person_unresolved_is_empty: 1 row(s): Got 1 result, configured "
        "to fail if != 0"
    )
    last = done.stderr.decode().splitlines()[-1]
    summary = r"\d+ checks: 1 failed, 0 warned: marketo_person_unresolved_is_empty \(1\)"
    assert re.fullmatch(rf"bizops: \[check\] {summary}", last), last


def _a_deletion_day(world: World) -> int:
    """The first whole day after the clock at whose end a ticket that was live the day before
    is deleted (Zendesk deletes spam tickets within two days; only the clock moves, so a probe
    world finds the day the test world will see)."""
    probe, start = World.generate(seed=world.seed, size="small"), world.now
    before = {t["id"]: t["status"] for t in views(probe)["tickets"]}
    for day in range(1, 400):
        probe.mutate_sources(start + timedelta(days=day), creates=0, updates=0, deletes=0)
        after = {t["id"]: t["status"] for t in views(probe)["tickets"]}
        if any(s == "deleted" and before.get(i) not in (None, "deleted") for i, s in after.items()):
            return day
        before = after
    raise AssertionError("no ticket of the small world is deleted within 400 days")


def test_a_ticket_deleted_after_it_was_loaded_leaves_staging_with_its_metrics(
    warehouse_url: str, tmp_path: Path, db
) -> None:
    world = World.generate(seed=42, size="small")
    day, start = _a_deletion_day(world), world.now
    world.mutate_sources(start + timedelta(days=day - 1), creates=0, updates=0, deletes=0)
    live = {t["id"] for t in views(world)["tickets"] if t["status"] != "deleted"}
    servers = [serve(zuora_app(world)), serve(salesforce_app(world)), serve(zendesk_app(world))]
    prefix = f"z_{uuid.uuid4().hex[:10]}"
    write_project(tmp_path, prefix, servers[0].url, servers[1].url, {"schema": prefix},
                  zendesk_url=servers[2].url)  # fmt: skip
    env = {**os.environ, **SECRETS, "BIZOPS_DATABASE_URL": warehouse_url}
    try:
        first = bizops(env, "run", "zendesk", "-p", str(tmp_path), "--log-format", "plain")
        assert first.returncode == 0, first.stderr.decode()[-3000:]
        world.mutate_sources(start + timedelta(days=day), creates=0, updates=0, deletes=0)
        deleted = {t["id"] for t in views(world)["tickets"] if t["status"] == "deleted"} & live
        run = bizops(env, "run", "--all", "-p", str(tmp_path), "--log-format", "plain")
        assert run.returncode == 0, run.stderr.decode()[-3000:]
        done = bizops(env, "transform", "-p", str(tmp_path))
        assert done.returncode == 0, done.stderr.decode()[-3000:]
    finally:
        for server in servers:
            server.stop()
    try:
        ids = ", ".join(str(i) for i in sorted(deleted))
        raw = f'"{prefix}_zendesk"'
        staged = f'"{prefix}_staging"'
        assert deleted
        # the raw tables keep the ticket (now 'deleted') and the metric set loaded before
        assert _rows(db, f"SELECT id, status FROM {raw}.tickets WHERE id IN ({ids})") == [
            (i, "deleted") for i in sorted(deleted)
        ]
        kept = f"SELECT count(*) FROM {raw}.ticket_metrics WHERE ticket_id IN ({ids})"
        assert _rows(db, kept) == [(len(deleted),)]
        for model in ("tickets", "ticket_metrics", "satisfaction_ratings"):
            query = f"SELECT ticket_id FROM {staged}.stg_zendesk__{model} WHERE ticket_id IN "
            assert _rows(db, query + "(" + ", ".join(f"'{i}'" for i in deleted) + ")") == []
        zendesk = views(world)
        metrics = f"SELECT count(*) FROM {staged}.stg_zendesk__ticket_metrics"
        assert _rows(db, metrics) == [(len(zendesk["ticket_metrics"]),)]
    finally:
        drop_layers(warehouse_url, prefix)
