"""The ground-truth oracle: hand-checked scenarios, and properties that hold on the world."""

from __future__ import annotations

import subprocess
from collections import Counter
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest

from bizops_sandbox import (
    oracle_arr,
    oracle_efficiency,
    oracle_marketing,
    oracle_retention,
    oracle_sales,
)
from bizops_sandbox.oracle import Metrics, compute, sources_of, world_metrics
from bizops_sandbox.oracle_arr import arr_bridge, arr_months, charge_lines
from bizops_sandbox.oracle_catalog import CATALOG
from bizops_sandbox.oracle_efficiency import efficiency
from bizops_sandbox.oracle_marketing import campaign_costs, first_touch
from bizops_sandbox.oracle_periods import Ratio, period_of, periods
from bizops_sandbox.oracle_sales import sales_metrics
from bizops_sandbox.world import World
from tests.readme_support import BIN, REPO, block

D = Decimal
GRAINS = [("month", 1), ("quarter", 1), ("quarter", 2), ("fiscal-year", 2)]


@pytest.fixture(scope="module")
def world() -> World:
    return World.generate(seed=42, size="small")


@pytest.fixture(scope="module")
def sources(world: World):
    return sources_of(world)


# -- a tiny hand-made Zuora scenario ---------------------------------------------------------


def _charge(cid, plan, mrr, start, end=None, kind="Recurring"):
    return {"Id": cid, "RatePlanId": plan, "ChargeType": kind, "MRR": D(mrr),
            "EffectiveStartDate": start, "EffectiveEndDate": end}  # fmt: skip


def _sub(sid, account, status="Active", latest=True, cancelled=None):
    return {"Id": sid, "AccountId": account, "Status": status, "IsLatestVersion": latest,
            "CancelledDate": cancelled}  # fmt: skip


def tiny_zuora() -> dict[str, list[dict]]:
    """A1 (USD): an amended subscription (v1 Expired, v2 with two seat segments, 100 -> 150
    from 2024-03-05) with a one-time fee, a 30.00 charge from 2024-01-20 until 2024-05-31 (its
    end date is exclusive: May 31 is not billed) and a
    Draft subscription. A2 (EUR, no CrmId): 50.00 from 2024-02-01, cancelled 2024-04-20;
    33.33 from 2024-06-15."""
    d = date
    return {
        "Account": [
            {"Id": "a1", "CrmId": "001A00000000001AAA", "Currency": "USD"},
            {"Id": "a2", "CrmId": None, "Currency": "EUR"},
        ],
        "Subscription": [
            _sub("s1v1", "a1", "Expired", latest=False),
            _sub("s1v2", "a1"),
            _sub("s4", "a1"),
            _sub("draft", "a1", "Draft"),
            _sub("s2", "a2", "Cancelled", cancelled=d(2024, 4, 20)),
            _sub("s3", "a2"),
        ],
        "RatePlan": [
            {"Id": f"p-{s}", "SubscriptionId": s}
            for s in ("s1v1", "s1v2", "s4", "draft", "s2", "s3")
        ],
        "RatePlanCharge": [
            _charge("c1", "p-s1v1", "100.00", d(2024, 1, 10), d(2025, 1, 10)),
            _charge("c2a", "p-s1v2", "100.00", d(2024, 1, 10), d(2024, 3, 5)),
            _charge("c2b", "p-s1v2", "150.00", d(2024, 3, 5), d(2025, 1, 10)),
            # A one-time charge is never recurring revenue, whatever its MRR field holds.
            _charge("fee", "p-s1v2", "2500.00", d(2024, 1, 10), None, kind="OneTime"),
            _charge("c4", "p-s4", "30.00", d(2024, 1, 20), d(2024, 5, 31)),  # end exclusive
            _charge("c9", "p-draft", "999.00", d(2024, 1, 1)),
            _charge("c5", "p-s2", "50.00", d(2024, 2, 1)),
            _charge("c6", "p-s3", "33.33", d(2024, 6, 15)),
        ],
    }


def test_arr_of_the_tiny_scenario_is_the_hand_sum_of_its_active_charges() -> None:
    lines = charge_lines(tiny_zuora())
    got = {m.month.label: (m.arr, m.customers) for m in arr_months(lines, date(2024, 1, 1),
                                                                   date(2024, 7, 31))}  # fmt: skip
    # EUR at 1.10: 50.00 -> 55.00; 33.33 -> 36.663 -> 36.66 (rounded per charge, then x 12).
    assert got == {
        "2024-01": (D("130.00") * 12, 1),  # c2a 100 + c4 30; c1 superseded, draft, fee out
        "2024-02": ((D("130.00") + D("55.00")) * 12, 2),
        "2024-03": ((D("180.00") + D("55.00")) * 12, 2),  # segment 2: 150 from 03-05
        "2024-04": (D("180.00") * 12, 1),  # a2 cancelled 04-20
        "2024-05": (D("150.00") * 12, 1),  # c4 ends 05-31 (exclusive)
        "2024-06": ((D("150.00") + D("36.66")) * 12, 2),
        "2024-07": ((D("150.00") + D("36.66")) * 12, 2),
    }


def test_the_tiny_scenario_bridge_classifies_every_movement() -> None:
    lines = charge_lines(tiny_zuora())
    bridge = arr_bridge(lines, date(2024, 1, 1), date(2024, 6, 30))
    moves = {b.period.label: (b.new, b.reactivation, b.expansion, b.contraction, b.churn)
             for b in bridge}  # fmt: skip
    z = D("0.00")
    assert moves == {
        "2024-01": (D(1560), z, z, z, z),
        "2024-02": (D(660), z, z, z, z),
        "2024-03": (z, z, D(600), z, z),
        "2024-04": (z, z, z, z, D(660)),
        "2024-05": (z, z, z, D(360), z),
        "2024-06": (z, D("439.92"), z, z, z),
    }
    assert [b.new_customers for b in bridge] == [1, 1, 0, 0, 0, 0]
    assert [b.churned_customers for b in bridge] == [0, 0, 0, 1, 0, 0]
    half = arr_bridge(lines, date(2024, 1, 1), date(2024, 6, 30), "quarter")
    assert [(b.period.label, b.arr_start, b.arr_end, b.new, b.churn) for b in half] == [
        ("FY2024-Q1", z, D("2820.00"), D(2220), z),
        ("FY2024-Q2", D("2820.00"), D("2239.92"), z, D(660)),
    ]


def test_a_currency_without_a_rate_is_refused_by_name() -> None:
    zuora = tiny_zuora()
    zuora["Account"][1]["Currency"] = "JPY"
    with pytest.raises(ValueError, match="no exchange rate for currency 'JPY'"):
        charge_lines(zuora)


# -- properties on the generated world -------------------------------------------------------


@pytest.mark.parametrize(("grain", "fy"), GRAINS)
def test_the_arr_bridge_identity_holds_in_every_period(sources, world, grain, fy) -> None:
    metrics = compute(sources, world.now, grain, fy)
    for b in metrics.bridge:
        assert b.arr_end == (
            b.arr_start + b.new + b.reactivation + b.expansion - b.contraction - b.churn
        ), b.period.label
    for before, after in pairwise(metrics.bridge):
        assert after.arr_start == before.arr_end


def test_the_arr_bridge_identity_holds_on_the_medium_world() -> None:
    world = World.generate(seed=42, size="medium")
    metrics = world_metrics(world, "month")
    assert sum(b.new_customers for b in metrics.bridge) > 500
    for b, month in zip(metrics.bridge, metrics.arr, strict=True):
        assert (
            b.arr_end
            == month.arr
            == (b.arr_start + b.new + b.reactivation + b.expansion - b.contraction - b.churn)
        ), b.period.label


@pytest.mark.parametrize(("grain", "fy"), GRAINS[1:])
def test_period_bridges_are_the_sums_of_their_months(sources, world, grain, fy) -> None:
    monthly = compute(sources, world.now, "month").bridge
    arr = {m.month.end: m.arr for m in compute(sources, world.now).arr}
    for b in compute(sources, world.now, grain, fy).bridge:
        inside = [m for m in monthly if m.period.start in b.period]
        assert b.new == sum(m.new for m in inside)
        assert b.churn == sum(m.churn for m in inside)
        assert b.new_customers == sum(m.new_customers for m in inside)
        assert b.arr_end == arr.get(b.period.end, inside[-1].arr_end)


def test_the_world_has_every_bridge_movement(sources, world) -> None:
    totals = compute(sources, world.now, "fiscal-year").bridge
    for name in ("new", "reactivation", "expansion", "contraction", "churn"):
        assert sum(getattr(b, name) for b in totals) > 0, name
    customers = {oracle_arr.customer_id(a) for a in sources["zuora"]["Account"]}
    assert sum(b.new_customers for b in totals) == len(
        {line.customer_id for line in charge_lines(sources["zuora"])}
    )
    assert sum(b.new_customers for b in totals) <= len(customers)


def test_win_rate_is_won_over_closed_counted_independently(sources, world) -> None:
    won: Counter[tuple[int, int]] = Counter()
    closed: Counter[tuple[int, int]] = Counter()
    for opp in sources["salesforce"]["Opportunity"]:
        if opp["StageName"] in ("Closed Won", "Closed Lost") and not opp["IsDeleted"]:
            key = (opp["CloseDate"].year, opp["CloseDate"].month)
            closed[key] += 1
            won[key] += opp["StageName"] == "Closed Won"
    metrics = compute(sources, world.now, "month")
    got = {(s.period.start.year, s.period.start.month): s.win_rate_count for s in metrics.sales}
    assert {k: v for k, v in got.items() if v.denominator} == {
        k: Ratio(D(won[k]), D(closed[k])) for k in closed
    }
    assert sum(s.lost for s in metrics.sales) > 0


@pytest.mark.parametrize(("grain", "fy"), GRAINS)
def test_totals_over_periods_equal_totals_over_all_history(sources, world, grain, fy) -> None:
    metrics = compute(sources, world.now, grain, fy)
    crm = sources["salesforce"]
    booked = [o for o in crm["Opportunity"] if o["StageName"] == "Closed Won"
              and o["Type"] in ("New Business", "Upsell")]  # fmt: skip
    assert sum(s.iacv for s in metrics.sales) == sum(o["ARR__c"] for o in booked)
    assert sum(s.bookings for s in metrics.sales) == len(booked)
    # A campaign starting after the clock (start = creation + 7 days) spends after the history.
    in_history = [c for c in crm["Campaign"] if metrics.first <= c["StartDate"] <= metrics.last]
    assert sum(m.spend for m in metrics.marketing) == sum(c["ActualCost"] for c in in_history)
    assert sum(m.leads for m in metrics.marketing) == len(crm["Lead"])
    assert sum(m.attributed_leads for m in metrics.marketing) == len(
        first_touch(crm["Lead"], crm["CampaignMember"])
    )
    pipeline = [o for o in crm["Opportunity"] if o["Type"] != "Renewal"]
    assert sum(s.pipeline_created for s in metrics.sales) == sum(o["Amount"] for o in pipeline)


def test_periods_tile_the_history_without_gaps(sources, world) -> None:
    for grain, fy in GRAINS:
        metrics = compute(sources, world.now, grain, fy)
        spans = [s.period for s in metrics.sales]
        assert spans[0].start <= metrics.first and spans[-1].end >= metrics.last
        for before, after in pairwise(spans):
            assert after.start == before.end + timedelta(days=1)


def test_the_same_seed_gives_the_same_metrics() -> None:
    assert world_metrics(World.generate(seed=9), "quarter", 2) == world_metrics(
        World.generate(seed=9), "quarter", 2
    )


def test_a_mutate_adds_exactly_its_new_customers_leads_and_pipeline() -> None:
    world = World.generate(seed=5)
    before = world_metrics(world, "fiscal-year")
    changes = world.mutate_sources(datetime(2025, 1, 20, tzinfo=UTC), creates=3, updates=4)
    after = world_metrics(world, "fiscal-year")
    crm, zuora = changes["salesforce"], changes["zuora"]
    assert after.last == date(2025, 1, 19)

    def total(metrics: Metrics, part: str, name: str):
        return sum(getattr(row, name) for row in getattr(metrics, part))

    assert total(after, "bridge", "new_customers") == total(before, "bridge", "new_customers") + 3
    assert len(zuora["Account"]["created"]) == 3
    assert total(after, "marketing", "leads") == total(before, "marketing", "leads") + len(
        crm["Lead"]["created"]
    )
    opportunities = world.records("Opportunity", "salesforce")
    created = {o["Id"]: o for o in opportunities if o["Id"] in crm["Opportunity"]["created"]}
    assert created
    assert total(after, "sales", "pipeline_created") == total(
        before, "sales", "pipeline_created"
    ) + sum(o["Amount"] for o in created.values() if o["Type"] != "Renewal")
    for b in after.bridge:
        assert b.arr_end == b.arr_start + b.new + b.reactivation + b.expansion - (
            b.contraction + b.churn
        )


# -- sales and marketing on hand-made records ------------------------------------------------


def _opp(oid, stage, close, created, amount, kind="New Business", deleted=False):
    won = stage == "Closed Won"
    return {"Id": oid, "StageName": stage, "IsClosed": stage.startswith("Closed"),
            "IsWon": won, "CloseDate": close, "Type": kind, "Amount": D(amount),
            "ARR__c": D(amount) if won else None, "IsDeleted": deleted,
            "CreatedDate": datetime.combine(created, datetime.min.time(), UTC)}  # fmt: skip


def test_sales_metrics_of_hand_made_opportunities() -> None:
    d = date
    opps = [
        _opp("o1", "Closed Won", d(2024, 3, 10), d(2024, 3, 1), "1000.00"),  # 9 days
        _opp("o2", "Closed Won", d(2024, 3, 20), d(2024, 2, 19), "500.00", "Upsell"),  # 30
        _opp("o3", "Closed Won", d(2024, 3, 31), d(2024, 3, 29), "300.00", "Renewal"),  # 2
        _opp("o4", "Closed Won", d(2024, 3, 15), d(2024, 2, 15), "800.00"),  # 29
        _opp("o5", "Closed Lost", d(2024, 3, 5), d(2024, 1, 5), "700.00"),
        _opp("o6", "Closed Lost", d(2024, 3, 6), d(2024, 3, 1), "900.00", deleted=True),
        _opp("o7", "Qualification", d(2024, 5, 1), d(2024, 3, 2), "250.00"),
    ]
    (march,) = sales_metrics(opps, d(2024, 3, 1), d(2024, 3, 31), "month")
    assert (march.iacv, march.bookings, march.won, march.lost) == (D("2300.00"), 3, 4, 1)
    assert march.win_rate_count == Ratio(D(4), D(5))
    assert march.win_rate_amount == Ratio(D("2600.00"), D("3300.00"))
    assert march.win_rate_amount.value() == D("0.7879")
    assert march.average_deal_size.value(2) == D("766.67")
    # Created in March, not Renewal, not deleted: o1 and o7.
    assert (march.pipeline_created, march.pipeline_count) == (D("1250.00"), 2)
    # Days to close of the won deals: 2, 9, 29, 30 -> (9 + 29) / 2.
    assert (march.median_days_to_close, march.closed_won_n) == (D(19), 4)


def tiny_crm() -> dict[str, list[dict]]:
    """Campaigns cA (Webinar, 900 on 2024-02-01), cB (Email, 400 on 2024-03-01), cC deleted;
    leads l0..l3 created 2024-02-01..04 with their campaign members."""
    t = datetime(2024, 2, 1, tzinfo=UTC)
    return {
        "Campaign": [
            {
                "Id": "cA",
                "Type": "Webinar",
                "ActualCost": D(900),
                "StartDate": date(2024, 2, 1),
                "IsDeleted": False,
            },
            {
                "Id": "cB",
                "Type": "Email",
                "ActualCost": D(400),
                "StartDate": date(2024, 3, 1),
                "IsDeleted": False,
            },
            {
                "Id": "cC",
                "Type": "Webinar",
                "ActualCost": D(100),
                "StartDate": date(2024, 2, 9),
                "IsDeleted": True,
            },
        ],
        "Lead": [
            {"Id": f"l{i}", "CreatedDate": t + timedelta(days=i), "IsDeleted": False}
            for i in range(4)
        ],
        "CampaignMember": [
            {"Id": "m1", "LeadId": "l0", "CampaignId": "cB", "CreatedDate": t, "IsDeleted": False},
            {
                "Id": "m2",
                "LeadId": "l0",
                "CampaignId": "cA",
                "CreatedDate": t + timedelta(1),
                "IsDeleted": False,
            },
            {"Id": "m3", "LeadId": "l1", "CampaignId": "cA", "CreatedDate": t, "IsDeleted": False},
            {"Id": "m0", "LeadId": "l2", "CampaignId": "cB", "CreatedDate": t, "IsDeleted": True},
            {"Id": "m4", "LeadId": "l3", "CampaignId": "cA", "CreatedDate": t, "IsDeleted": False},
        ],
    }


def test_first_touch_cost_per_lead_of_hand_made_campaigns() -> None:
    crm = tiny_crm()
    assert first_touch(crm["Lead"], crm["CampaignMember"]) == {"l0": "cB", "l1": "cA", "l3": "cA"}
    costs = {c.campaign_id: (c.leads, c.cost_per_lead) for c in campaign_costs(crm)}
    assert costs == {"cA": (2, Ratio(D(900), D(2))), "cB": (1, Ratio(D(400), D(1)))}
    lines = charge_lines(tiny_zuora())
    bridge = arr_bridge(lines, date(2024, 2, 1), date(2024, 3, 31))
    feb, mar = oracle_marketing.marketing_metrics(
        crm, bridge, date(2024, 2, 1), date(2024, 3, 31), "month"
    )
    assert (feb.spend, feb.leads, feb.attributed_leads, feb.new_customers) == (D(900), 4, 3, 1)
    assert (feb.cost_per_lead, feb.cac) == (Ratio(D(900), D(3)), Ratio(D(900), D(1)))
    assert (mar.spend, mar.leads, mar.cost_per_lead.value(), mar.cac.value()) == (
        D(400), 0, None, None,
    )  # fmt: skip
    by_channel = oracle_marketing.channel_metrics(crm, date(2024, 2, 1), date(2024, 3, 31), "month")
    assert [(c.period.label, c.channel, c.spend, c.attributed_leads) for c in by_channel] == [
        ("2024-02", "Email", D(0), 1),  # l0, first touched by cB (which spends in March)
        ("2024-02", "Webinar", D(900), 2),  # l1, l3; cC is deleted
        ("2024-03", "Email", D(400), 0),
    ]
    assert by_channel[1].cost_per_lead == Ratio(D(900), D(2))


def test_magic_number_and_sales_efficiency_of_the_tiny_scenario() -> None:
    first, last = date(2024, 1, 1), date(2024, 6, 30)
    bridge = arr_bridge(charge_lines(tiny_zuora()), first, last, "quarter")
    opps = [_opp("o1", "Closed Won", date(2024, 3, 10), date(2024, 3, 1), "1000.00")]
    sales = sales_metrics(opps, first, last, "quarter")
    marketing = oracle_marketing.marketing_metrics(tiny_crm(), bridge, first, last, "quarter")
    q1, q2 = efficiency(bridge, sales, marketing)
    # Q1: ARR 0 -> 2820.00; spend 900 (cA) + 400 (cB). Q2: ARR 2820.00 -> 2239.92, no spend.
    assert (q1.net_new_arr, q1.magic_number, q1.sales_efficiency) == (
        D("2820.00"), None, Ratio(D("1000.00"), D(1300)),
    )  # fmt: skip
    assert (q2.net_new_arr, q2.magic_number) == (D("-580.08"), Ratio(D("-580.08"), D(1300)))
    assert q2.sales_efficiency.value() is None
    with pytest.raises(ValueError, match="same quarters"):
        efficiency(bridge, sales_metrics(opps, first, last, "month"), marketing)


def test_magic_number_on_the_world_is_net_new_arr_over_prior_spend(sources, world) -> None:
    metrics = compute(sources, world.now, "quarter", 2)
    arr_at = {m.month.end: m.arr for m in compute(sources, world.now).arr}
    rows = metrics.efficiency
    assert rows == efficiency(metrics.bridge, metrics.sales, metrics.marketing)
    assert rows[0].magic_number is None
    for index in range(1, len(rows)):
        start = arr_at[rows[index - 1].period.end]
        end = arr_at.get(rows[index].period.end, metrics.bridge[-1].arr_end)
        prior_spend = metrics.marketing[index - 1].spend
        assert rows[index].magic_number == Ratio(end - start, prior_spend), index


# -- periods and catalog --------------------------------------------------------------------


def test_fiscal_periods_are_named_by_the_year_they_end_in() -> None:
    year = period_of(date(2024, 2, 1), "fiscal-year", 2)
    assert (year.label, year.start, year.end) == ("FY2025", date(2024, 2, 1), date(2025, 1, 31))
    quarter = period_of(date(2025, 1, 31), "quarter", 2)
    assert (quarter.label, quarter.start, quarter.end) == (
        "FY2025-Q4", date(2024, 11, 1), date(2025, 1, 31),
    )  # fmt: skip
    assert [p.label for p in periods(date(2023, 12, 31), date(2024, 1, 1), "quarter")] == [
        "FY2023-Q4", "FY2024-Q1",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="unknown grain 'week'"):
        period_of(date(2024, 1, 1), "week")
    with pytest.raises(ValueError, match=r"fy_start_month must be 1\.\.12, got 13"):
        period_of(date(2024, 1, 1), "month", 13)


def test_every_catalog_entry_names_an_oracle_field_that_exists() -> None:
    modules = {"oracle_arr": oracle_arr, "oracle_sales": oracle_sales,
               "oracle_marketing": oracle_marketing,
               "oracle_efficiency": oracle_efficiency,
               "oracle_retention": oracle_retention}  # fmt: skip
    names = [m.name for m in CATALOG]
    assert len(names) == len(set(names))
    for metric in CATALOG:
        module, cls, attribute = metric.oracle.split(".")
        kind = getattr(modules[module], cls)
        assert attribute in {f.name for f in fields(kind)} | set(vars(kind)), metric.name


def test_a_mutate_books_created_and_newly_won_deals_at_their_close_date() -> None:
    world = World.generate(seed=11)
    before = {s.period.label: s.iacv for s in world_metrics(world, "month").sales}
    old = {o["Id"]: o for o in world.records("Opportunity", "salesforce")}
    changes = world.mutate_sources(datetime(2025, 1, 15, tzinfo=UTC), creates=2, updates=12)
    changed = set(changes["salesforce"]["Opportunity"]["created"])
    changed |= set(changes["salesforce"]["Opportunity"]["updated"])
    expected = dict.fromkeys(
        (p.label for p in periods(date(2021, 1, 1), date(2025, 1, 14), "month")), D("0.00")
    )
    expected.update(before)
    for opp in world.records("Opportunity", "salesforce"):
        was_booked = opp["Id"] in old and old[opp["Id"]]["IsWon"]
        if opp["Id"] in changed and opp["IsWon"] and not was_booked and opp["Type"] != "Renewal":
            expected[f"{opp['CloseDate']:%Y-%m}"] += opp["ARR__c"]
    after = {s.period.label: s.iacv for s in world_metrics(world, "month").sales}
    assert after == {label: expected[label] for label in after}
    assert after != {label: before.get(label, D("0.00")) for label in after}


def test_the_readme_example_runs_as_written() -> None:
    code = block(REPO / "sandbox" / "README.md", "oracle-python")
    done = subprocess.run([str(BIN / "python"), "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
