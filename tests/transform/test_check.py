"""`bizops check` and the finance model over a sandbox world loaded by the real taps and
target: fct_invoice_payment holds the world's invoices and payments, a clean world passes
every check, and a broken reconciliation, an orphan CrmId and a stale source fail it."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from bizops_sandbox.oracle import history, sources_of
from bizops_sandbox.oracle_arr import FX_TO_USD
from bizops_sandbox.oracle_finance import finance_metrics
from bizops_sandbox.oracle_periods import GRAINS
from bizops_sandbox.salesforce import create_app as salesforce_app
from bizops_sandbox.server import serve
from bizops_sandbox.world import World
from bizops_sandbox.zuora import create_app as zuora_app
from tests.transform.support import SECRETS, bizops, drop_layers, write_project

CENT = Decimal("0.01")
FY_START_MONTH = 2


@dataclass(frozen=True)
class Loaded:
    """The small world loaded once and transformed."""

    world: World
    prefix: str
    project_dir: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def loaded(warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    world = World.generate(seed=42, size="small")
    zuora, salesforce = serve(zuora_app(world)), serve(salesforce_app(world))
    prefix = f"c_{uuid.uuid4().hex[:10]}"
    folder = tmp_path_factory.mktemp("check")
    write_project(folder, prefix, zuora.url, salesforce.url, {"schema": prefix, "vars": {
        "fiscal_year_start_month": FY_START_MONTH, "metrics_as_of": world.now.isoformat(),
    }})  # fmt: skip
    env = {**os.environ, **SECRETS, "BIZOPS_DATABASE_URL": warehouse_url}
    try:
        run = bizops(env, "run", "--all", "-p", str(folder), "--log-format", "plain")
        assert run.returncode == 0, run.stderr.decode()
        transform = bizops(env, "transform", "-p", str(folder))
        assert transform.returncode == 0, transform.stderr.decode()[-3000:]
        yield Loaded(world, prefix, folder, env)
    finally:
        zuora.stop()
        salesforce.stop()
        drop_layers(warehouse_url, prefix)


def _rows(db: Any, query: str) -> list[tuple[Any, ...]]:
    with db.cursor() as cur:
        cur.execute(query)
        return cur.fetchall()


def test_fct_invoice_payment_holds_every_invoice_with_its_payments(loaded: Loaded, db) -> None:
    world = loaded.world
    accounts = {a["Id"]: a for a in world.records("Account")}
    payments = {p["Id"]: p for p in world.records("Payment")}
    applied: dict[str, list[dict]] = {}
    for application in world.records("InvoicePayment"):
        applied.setdefault(application["InvoiceId"], []).append(application)
    expected = set()
    for invoice in world.records("Invoice"):
        account = accounts[invoice["AccountId"]]
        rate = FX_TO_USD[account["Currency"]]
        usd = (invoice["Amount"] * rate).quantize(CENT, ROUND_HALF_UP)
        customer = account["CrmId"] or f"zuora:{account['Id']}"
        for application in applied.get(invoice["Id"], [None]):
            payment = payments[application["PaymentId"]] if application else None
            expected.add((
                invoice["Id"], customer, invoice["InvoiceDate"], invoice["DueDate"], usd,
                payment and payment["Id"], payment and payment["EffectiveDate"],
                application and (application["Amount"] * rate).quantize(CENT, ROUND_HALF_UP),
                payment and payment["EffectiveDate"] > invoice["DueDate"],
            ))  # fmt: skip
    rows = _rows(db, (
        "SELECT invoice_id, customer_id, invoice_date, due_date, amount_usd, payment_id,"
        " payment_effective_date, applied_amount_usd, is_paid_late"
        f' FROM "{loaded.prefix}_common".fct_invoice_payment'
    ))  # fmt: skip
    assert len(rows) == len(expected)
    assert set(rows) == expected
    assert sum(1 for row in rows if row[-1]) == 29  # the world's late payments


def test_order_to_cash_sample_size_is_the_oracles_count(loaded: Loaded, db) -> None:
    sources = sources_of(loaded.world)
    first, last = history(sources, loaded.world.now)
    expected = {
        (grain, row.period.label): row.order_to_cash_n
        for grain in GRAINS
        for row in finance_metrics(sources["zuora"], first, last, grain, FY_START_MONTH)
    }
    rows = _rows(db, (
        "SELECT grain, period_label, sample_size"
        f' FROM "{loaded.prefix}_metrics".metric_values WHERE metric = \'order_to_cash_days\''
    ))  # fmt: skip
    assert {(grain, label): n for grain, label, n in rows} == expected
    assert sum(n for (grain, _), n in expected.items() if grain == "month") == 43


def test_a_clean_world_passes_every_check(loaded: Loaded, db) -> None:
    done = bizops(loaded.env, "check", "-p", str(loaded.project_dir))
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    assert done.stdout == b""
    last = done.stderr.decode().splitlines()[-1]
    assert re.fullmatch(r"bizops check: \d+ checks: 0 failed, 0 warned", last), last
    orphans = f'SELECT count(*) FROM "{loaded.prefix}_common".zuora_account_orphan'
    assert _rows(db, orphans) == [(0,)]


def test_a_broken_reconciliation_an_orphan_and_a_stale_source_fail_the_check(
    loaded: Loaded, db
) -> None:
    raw = f'"{loaded.prefix}_zuora"'
    first = sorted(loaded.world.records("Invoice"), key=lambda i: i["InvoiceNumber"])[0]
    account = sorted(
        (a for a in loaded.world.records("Account") if a["CrmId"]), key=lambda a: a["Id"]
    )[0]
    edits = [
        f"UPDATE {raw}.invoice SET amount = amount + 1 WHERE id = '{first['Id']}'",
        f"UPDATE {raw}.account SET crmid = '001000000000000AAA' WHERE id = '{account['Id']}'",
        f"UPDATE {raw}.refund SET _sdc_batched_at = _sdc_batched_at - interval '100 hours'",
    ]
    undo = [
        f"UPDATE {raw}.invoice SET amount = amount - 1 WHERE id = '{first['Id']}'",
        f"UPDATE {raw}.account SET crmid = '{account['CrmId']}' WHERE id = '{account['Id']}'",
        f"UPDATE {raw}.refund SET _sdc_batched_at = _sdc_batched_at + interval '100 hours'",
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
    amount = first["Amount"]
    lines = done.stdout.decode().splitlines()
    assert lines[:4] == [
        "FAIL freshness zuora.refund: newest load 100.0 hours old (_sdc_batched_at)",
        "FAIL test zuora_crm_ids_resolve_or_are_orphans: 1 row(s): Got 1 result, configured "
        "to fail if != 0",
        f"    zuora_account_id={account['Id']}, crm_id=001000000000000AAA",
        "FAIL test zuora_invoices_reconcile_with_fct_invoice_payment: 1 row(s): Got 1 result, "
        "configured to fail if != 0",
    ]
    assert lines[4:] == [
        f"    invoice_id={first['Id']}, raw_amount={amount + 1}, modelled_amount={amount}, "
        "raw_status=Posted, modelled_status=Posted"
    ]
    last = done.stderr.decode().splitlines()[-1]
    summary = (
        r"\d+ checks: 3 failed, 0 warned: zuora\.refund \(error\), "
        r"zuora_crm_ids_resolve_or_are_orphans \(1\), "
        r"zuora_invoices_reconcile_with_fct_invoice_payment \(1\)"
    )
    assert re.fullmatch(rf"bizops: \[check\] {summary}", last), last
    runs = bizops(loaded.env, "runs", "-p", str(loaded.project_dir))
    newest = runs.stdout.decode().splitlines()[1].split("\t")
    assert (newest[1], newest[2], newest[5]) == (
        "check", "failed",
        "zuora_crm_ids_resolve_or_are_orphans=1, "
        "zuora_invoices_reconcile_with_fct_invoice_payment=1",
    )  # fmt: skip
    shown = bizops(loaded.env, "runs", "show", newest[0], "-p", str(loaded.project_dir))
    error = shown.stdout.decode().splitlines()[-1]
    assert re.fullmatch(rf"error     {summary}", error), error


def test_a_source_without_rows_warns_that_its_freshness_is_unknown(loaded: Loaded, db) -> None:
    raw = f'"{loaded.prefix}_zuora"'
    with db.cursor() as cur:
        cur.execute(f"CREATE TABLE {raw}.refund_kept AS SELECT * FROM {raw}.refund")
        cur.execute(f"DELETE FROM {raw}.refund")
    try:
        done = bizops(loaded.env, "check", "-p", str(loaded.project_dir))
    finally:
        with db.cursor() as cur:
            cur.execute(f"INSERT INTO {raw}.refund SELECT * FROM {raw}.refund_kept")
            cur.execute(f"DROP TABLE {raw}.refund_kept")
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    assert done.stdout.decode().splitlines() == [
        "WARN freshness zuora.refund: no rows loaded: freshness unknown"
    ]
    last = done.stderr.decode().splitlines()[-1]
    assert re.fullmatch(r"bizops check: \d+ checks: 0 failed, 1 warned", last), last
