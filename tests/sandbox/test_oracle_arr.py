"""The ARR side of the world and its oracle: customers who lapse and come back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest

from bizops_sandbox.oracle import sources_of, world_metrics
from bizops_sandbox.oracle_arr import ChargeLine, arr_bridge, arr_by_customer, charge_lines
from bizops_sandbox.oracle_periods import month_end, months
from bizops_sandbox.oracle_retention import retention
from bizops_sandbox.world import World
from bizops_sandbox.world_zuora_returns import MIN_GAP_DAYS


@pytest.fixture(scope="module")
def world() -> World:
    return World.generate(seed=42, size="small")


def _returning(world: World) -> dict[str, list[dict]]:
    """Accounts with a subscription that started after another of theirs had ended."""
    by_account: dict[str, list[dict]] = {}
    for sub in world.records("Subscription"):
        if sub["IsLatestVersion"]:
            by_account.setdefault(sub["AccountId"], []).append(sub)
    return {
        account: subs
        for account, subs in by_account.items()
        if any(
            later["SubscriptionStartDate"] >= earlier["SubscriptionEndDate"]
            for earlier in subs
            if earlier["SubscriptionEndDate"]
            for later in subs
        )
    }


def test_some_lapsed_customers_subscribe_again_after_a_gap(world: World) -> None:
    returning = _returning(world)
    assert len(returning) == 1
    for subs in returning.values():
        ends = [s["SubscriptionEndDate"] for s in subs if s["SubscriptionEndDate"]]
        last = max(s["SubscriptionStartDate"] for s in subs)
        gap = last - max(d for d in ends if d <= last)
        assert gap >= timedelta(MIN_GAP_DAYS)


def test_returning_customers_churn_then_reactivate_in_the_bridge(world: World) -> None:
    metrics = world_metrics(world, "month")
    reactivated = [b.period.label for b in metrics.bridge if b.reactivation > 0]
    assert reactivated == ["2024-06"]
    # the returning customer has two runs of month ends with ARR > 0 (a churn between them);
    # every other customer has one
    lines = charge_lines(sources_of(world)["zuora"])
    runs: dict[str, int] = {}
    for customer in {line.customer_id for line in lines}:
        history = [customer in arr_by_customer(lines, month_end(m))
                   for m in months(metrics.first, metrics.last)]  # fmt: skip
        runs[customer] = sum(1 for before, now in pairwise([False, *history]) if now and not before)
    assert sorted(runs.values()).count(2) == 1
    assert set(runs.values()) == {1, 2}


def test_a_mutate_with_returns_reactivates_lapsed_customers() -> None:
    world = World.generate(seed=42, size="small")
    at = datetime(2025, 1, 10, tzinfo=UTC)
    changes = world.mutate_sources(at, creates=0, updates=0, deletes=0, returns=2)["zuora"]
    new_ids = changes["Subscription"]["created"]
    created = [s for s in world.records("Subscription") if s["Id"] in new_ids]
    assert len(created) == 2
    assert all(s["Version"] == 1 and s["Status"] == "Active" for s in created)
    january = world_metrics(world, "month").bridge[-1]
    assert january.period.label == "2025-01"
    assert january.reactivation > 0 and january.new_customers == 0


def test_a_mutate_without_returns_is_unchanged_by_them() -> None:
    plain, with_returns = World.generate(seed=42), World.generate(seed=42)
    at = datetime(2025, 1, 3, tzinfo=UTC)
    first = plain.mutate_sources(at, creates=2, updates=4)
    second = with_returns.mutate_sources(at, creates=2, updates=4, returns=1)
    assert first["salesforce"] == second["salesforce"]
    for obj, changes in first["zuora"].items():
        assert changes["updated"] == second["zuora"][obj]["updated"], obj
        assert set(changes["created"]) <= set(second["zuora"][obj]["created"]), obj


# -- retention, ARPA and LTV on hand-made charge lines ----------------------------------------


def _line(cid: str, customer: str, mrr: str, start: date, end: date | None = None):
    return ChargeLine(cid, customer, f"S-{customer}", start, end, Decimal(mrr))


def test_retention_arpa_and_ltv_of_hand_made_customers() -> None:
    """X stays (12,000 ARR), Y churns in May (6,000), Z expands in April (2,400 -> 3,600),
    W is new in April (3,600, outside the cohort)."""
    jan, apr = date(2024, 1, 1), date(2024, 4, 10)
    lines = [
        _line("x", "X", "1000.00", jan),
        _line("y", "Y", "500.00", jan, date(2024, 5, 15)),
        _line("z1", "Z", "200.00", jan),
        _line("z2", "Z", "100.00", apr),
        _line("w", "W", "300.00", date(2024, 4, 20)),
    ]
    last = date(2024, 6, 30)
    bridge = arr_bridge(lines, jan, last, "quarter", 1)
    q1, q2 = retention(lines, bridge, last)
    assert (q1.cohort, q1.net_revenue_retention.value(), q1.ltv.value()) == (0, None, None)
    assert q1.arpa.value() == Decimal("6800.0000")  # (12,000 + 6,000 + 2,400) / 3
    assert (q2.cohort, q2.starting_arr, q2.retained_arr, q2.kept_arr) == (
        3, Decimal("20400.00"), Decimal("15600.00"), Decimal("14400.00"),
    )  # fmt: skip
    assert q2.net_revenue_retention.value() == Decimal("0.7647")
    assert q2.gross_revenue_retention.value() == Decimal("0.7059")
    assert q2.arpa.value() == Decimal("6400.0000")  # 19,200 / 3
    # 6,400 x 0.8 / (6,000 / 20,400 x 12 / 3) = 4,352
    assert (q2.churn, q2.months, q2.ltv.value()) == (Decimal("6000.00"), 3, Decimal("4352.0000"))


def test_a_period_in_progress_counts_its_months_inside_the_history() -> None:
    lines = [_line("a", "A", "100.00", date(2023, 1, 1)),
             _line("b", "B", "100.00", date(2023, 1, 1), date(2024, 2, 10))]  # fmt: skip
    last = date(2024, 2, 20)
    bridge = arr_bridge(lines, date(2023, 1, 1), last, "fiscal-year", 1)
    fy2024 = retention(lines, bridge, last, gross_margin=Decimal("0.5"))[-1]
    assert (fy2024.period.label, fy2024.months, fy2024.churn) == ("FY2024", 2, Decimal("1200.00"))
    # ARPA 1,200 x 0.5 / (1,200 / 2,400 x 12 / 2) = 200
    assert fy2024.ltv.value() == Decimal("200.0000")
    assert fy2024.gross_revenue_retention.value() == Decimal("0.5000")
