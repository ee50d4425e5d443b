"""`bizops transform` over a sandbox world loaded by the real taps and target: the staging and
common models hold exactly the world's live records."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bizops.transform import dbt_project_dir
from bizops_sandbox.salesforce import create_app as salesforce_app
from bizops_sandbox.server import serve
from bizops_sandbox.world import World
from bizops_sandbox.zuora import create_app as zuora_app
from tests.transform.support import SECRETS, bizops, drop_layers, write_project


@dataclass(frozen=True)
class Loaded:
    """A world loaded twice (with a mutation between) and transformed once."""

    world: World
    prefix: str  # raw schemas <prefix>_zuora, <prefix>_sf; layers <prefix>_staging, _common
    project_dir: Path
    env: dict[str, str]
    transform: subprocess.CompletedProcess[bytes]


@pytest.fixture(scope="module")
def loaded(warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """The small world through both pipelines, mutated (deletions included) and loaded again,
    then `bizops transform` into schemas of its own."""
    world = World.generate(seed=42, size="small")
    zuora, salesforce = serve(zuora_app(world)), serve(salesforce_app(world))
    prefix = f"t_{uuid.uuid4().hex[:10]}"
    folder = tmp_path_factory.mktemp("transform")
    write_project(folder, prefix, zuora.url, salesforce.url)
    env = {
        **os.environ, **SECRETS, "BIZOPS_DATABASE_URL": warehouse_url,
        "BIZOPS_TRANSFORM_SCHEMA": prefix,
    }  # fmt: skip
    try:
        for step in ("first", "second"):
            run = bizops(env, "run", "--all", "-p", str(folder), "--log-format", "plain")
            assert run.returncode == 0, (step, run.stderr.decode())
            if step == "first":
                world.mutate_sources(deletes=16)  # deletes campaign members and a refund
        transform = bizops(env, "transform", "-p", str(folder))
        yield Loaded(world, prefix, folder, env, transform)
    finally:
        zuora.stop()
        salesforce.stop()
        drop_layers(warehouse_url, prefix)


def _rows(db: Any, query: str) -> list[tuple[Any, ...]]:
    with db.cursor() as cur:
        cur.execute(query)
        return cur.fetchall()


def _live(world: World, obj: str, source: str) -> list[dict[str, Any]]:
    return [r for r in world.records(obj, source) if not r.get("IsDeleted")]


def test_transform_succeeds_with_nothing_on_stdout(loaded: Loaded) -> None:
    assert loaded.transform.returncode == 0, loaded.transform.stderr.decode()
    assert loaded.transform.stdout == b""
    models = len(list((dbt_project_dir() / "models").rglob("*.sql")))
    last = loaded.transform.stderr.decode().splitlines()[-1]
    assert re.fullmatch(rf"bizops transform: {models} models and \d+ tests passed", last), last


# (staging model, world object, source): one staging row per live world record
STAGING = [
    ("stg_zuora__account", "Account", "zuora"),
    ("stg_zuora__contact", "Contact", "zuora"),
    ("stg_zuora__invoice", "Invoice", "zuora"),
    ("stg_zuora__invoice_item", "InvoiceItem", "zuora"),
    ("stg_zuora__invoice_payment", "InvoicePayment", "zuora"),
    ("stg_zuora__payment", "Payment", "zuora"),
    ("stg_zuora__refund", "Refund", "zuora"),
    ("stg_zuora__product", "Product", "zuora"),
    ("stg_zuora__amendment", "Amendment", "zuora"),
    ("stg_salesforce__account", "Account", "salesforce"),
    ("stg_salesforce__contact", "Contact", "salesforce"),
    ("stg_salesforce__lead", "Lead", "salesforce"),
    ("stg_salesforce__opportunity", "Opportunity", "salesforce"),
    ("stg_salesforce__opportunity_history", "OpportunityHistory", "salesforce"),
    ("stg_salesforce__campaign", "Campaign", "salesforce"),
    ("stg_salesforce__campaign_member", "CampaignMember", "salesforce"),
    ("stg_salesforce__user", "User", "salesforce"),
]


@pytest.mark.parametrize(("model", "obj", "source"), STAGING, ids=[m for m, _, _ in STAGING])
def test_staging_holds_exactly_the_live_records(
    loaded: Loaded, db: Any, model: str, obj: str, source: str
) -> None:
    key = model.split("__")[1] + "_id"
    ids = _rows(db, f'SELECT {key} FROM "{loaded.prefix}_staging".{model}')
    assert sorted(i for (i,) in ids) == sorted(r["Id"] for r in _live(loaded.world, obj, source))


def test_soft_deleted_salesforce_rows_are_loaded_raw_but_not_staged(loaded: Loaded, db) -> None:
    deleted = {r["Id"] for r in loaded.world.records("CampaignMember", "salesforce")}
    deleted -= {r["Id"] for r in _live(loaded.world, "CampaignMember", "salesforce")}
    raw = _rows(db, f'SELECT id FROM "{loaded.prefix}_sf".campaignmember WHERE isdeleted')
    staged = _rows(db, f'SELECT campaign_member_id FROM "{loaded.prefix}_staging".'
                       "stg_salesforce__campaign_member")  # fmt: skip
    assert deleted  # the mutation deleted some: the check below can fail
    assert {i for (i,) in raw} == deleted
    assert deleted.isdisjoint(i for (i,) in staged)


def test_deleted_zuora_rows_are_loaded_raw_but_not_staged(loaded: Loaded, db) -> None:
    deleted = {r["Id"] for r in loaded.world.deleted("Refund")}
    raw = _rows(
        db, f'SELECT id FROM "{loaded.prefix}_zuora".refund WHERE _sdc_deleted_at IS NOT NULL'
    )
    staged = _rows(db, f'SELECT refund_id FROM "{loaded.prefix}_staging".stg_zuora__refund')
    assert deleted  # the mutation deleted a refund: the check below can fail
    assert {i for (i,) in raw} == deleted
    assert deleted.isdisjoint(i for (i,) in staged)


def test_subscriptions_keep_only_their_latest_version(loaded: Loaded, db) -> None:
    subscriptions = loaded.world.records("Subscription")
    latest: dict[str, dict[str, Any]] = {}
    for sub in subscriptions:
        if sub["Name"] not in latest or sub["Version"] > latest[sub["Name"]]["Version"]:
            latest[sub["Name"]] = sub
    plans = [p for p in loaded.world.records("RatePlan")
             if p["SubscriptionId"] in {s["Id"] for s in latest.values()}]  # fmt: skip
    charges = [c for c in loaded.world.records("RatePlanCharge")
               if c["RatePlanId"] in {p["Id"] for p in plans}]  # fmt: skip
    staging = f'"{loaded.prefix}_staging"'
    subs = _rows(
        db, f"SELECT subscription_id, name, version FROM {staging}.stg_zuora__subscription"
    )
    assert len(latest) < len(subscriptions)  # amendments made versions: the filter matters
    assert sorted(subs) == sorted((s["Id"], s["Name"], s["Version"]) for s in latest.values())
    plan_ids = _rows(db, f"SELECT rate_plan_id FROM {staging}.stg_zuora__rate_plan")
    assert sorted(i for (i,) in plan_ids) == sorted(p["Id"] for p in plans)
    charge_ids = _rows(db, f"SELECT rate_plan_charge_id FROM {staging}.stg_zuora__rate_plan_charge")
    assert sorted(i for (i,) in charge_ids) == sorted(c["Id"] for c in charges)


def test_dim_account_has_one_row_per_salesforce_account_with_its_parent(loaded: Loaded, db) -> None:
    rows = _rows(db, f'SELECT account_id, account_name, parent_account_id, zuora_account_count '
                     f'FROM "{loaded.prefix}_common".dim_account')  # fmt: skip
    accounts = _live(loaded.world, "Account", "salesforce")
    zuora = loaded.world.records("Account")
    expected = [
        (a["Id"], a["Name"], a.get("ParentId"), sum(z.get("CrmId") == a["Id"] for z in zuora))
        for a in accounts
    ]
    assert sorted(rows) == sorted(expected)
    assert all(len(account_id) == 18 for account_id, *_ in rows)
    assert any(parent for _, _, parent, _ in rows)  # the world has parent accounts


def test_every_zuora_account_maps_to_the_account_its_crm_id_names(loaded: Loaded, db) -> None:
    rows = _rows(db, "SELECT zuora_account_id, crm_id, account_id, crm_status "
                     f'FROM "{loaded.prefix}_common".map_zuora_account')  # fmt: skip
    salesforce = {a["Id"] for a in _live(loaded.world, "Account", "salesforce")}
    expected = []
    for account in loaded.world.records("Account"):
        crm_id = account.get("CrmId")
        status = "no_crm_id" if not crm_id else "resolved" if crm_id in salesforce else "unresolved"
        expected.append((account["Id"], crm_id, crm_id if status == "resolved" else None, status))
    assert sorted(rows, key=str) == sorted(expected, key=str)
    assert {s for *_, s in rows} == {"resolved", "no_crm_id"}


def test_dim_date_places_days_in_fiscal_years_starting_in_february(loaded: Loaded, db) -> None:
    common = f'"{loaded.prefix}_common"'
    rows = _rows(db, "SELECT date_day, fiscal_year, fiscal_quarter, fiscal_month, "
                     f"fiscal_year_start, fiscal_quarter_start, month_end FROM {common}.dim_date "
                     "WHERE date_day IN ('2024-01-31', '2024-02-01', '2024-04-30', '2024-05-01', "
                     "'2024-12-31')  ORDER BY date_day")  # fmt: skip
    assert rows == [
        (date(2024, 1, 31), 2024, 4, 12, date(2023, 2, 1), date(2023, 11, 1), date(2024, 1, 31)),
        (date(2024, 2, 1), 2025, 1, 1, date(2024, 2, 1), date(2024, 2, 1), date(2024, 2, 29)),
        (date(2024, 4, 30), 2025, 1, 3, date(2024, 2, 1), date(2024, 2, 1), date(2024, 4, 30)),
        (date(2024, 5, 1), 2025, 2, 4, date(2024, 2, 1), date(2024, 5, 1), date(2024, 5, 31)),
        (date(2024, 12, 31), 2025, 4, 11, date(2024, 2, 1), date(2024, 11, 1), date(2024, 12, 31)),
    ]
    (count, first, last) = _rows(
        db, f"SELECT count(*), min(date_day), max(date_day) FROM {common}.dim_date"
    )[0]
    assert (count, first, last) == (
        (date(2036, 1, 1) - date(2015, 1, 1)).days,
        date(2015, 1, 1),
        date(2035, 12, 31),
    )


def test_transform_is_recorded_in_run_history(loaded: Loaded, db) -> None:
    rows = _rows(db, "SELECT status, error, stream_counts->>'dim_account' FROM bizops.runs "
                     f"WHERE project = '{loaded.prefix}' AND pipeline = 'transform'")  # fmt: skip
    accounts = len(_live(loaded.world, "Account", "salesforce"))
    assert rows == [("succeeded", None, str(accounts))]
