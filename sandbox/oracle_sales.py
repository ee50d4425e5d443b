"""Ground-truth oracle: bookings (IACV), win rate, deal size, pipeline created, time to close.

Rules (also in the metric catalog): opportunities are Salesforce ``Opportunity`` rows not
soft-deleted. A closed opportunity is placed in a period by its ``CloseDate``; pipeline by the
UTC date of its ``CreatedDate`` (sales acceptance: oracle_pipeline). IACV is the ``ARR__c``
of closed-won *New Business* and *Upsell* opportunities (renewals keep ARR, they add none).
Win rates count won and lost deals only: one closed as unqualified is in neither.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bizops_sandbox.oracle_periods import Period, Ratio, live, periods, utc_date

Record = dict[str, Any]
ZERO = Decimal("0.00")
INCREMENTAL_TYPES = frozenset({"New Business", "Upsell"})
# Closed, not won, and not lost either: disqualified deals stay out of the win rate.
UNQUALIFIED_STAGES = frozenset({"Closed Unqualified"})


@dataclass(frozen=True)
class SalesPeriod:
    """The sales metrics of one period.

    Attributes:
        iacv: sum of ``ARR__c`` of closed-won New Business/Upsell opportunities closed in it.
        bookings: how many such opportunities.
        won, lost: closed-won / closed-lost opportunities (every type) closed in it; a deal
            closed as unqualified (``UNQUALIFIED_STAGES``) is neither.
        win_rate_count: won / (won + lost).
        win_rate_amount: Amount won / Amount of won + lost (a missing Amount counts 0).
        average_deal_size: iacv / bookings.
        pipeline_created: sum of Amount of New Business/Upsell opportunities created in it.
        pipeline_count: how many such opportunities were created in it.
        median_days_to_close: median of (CloseDate - UTC date of CreatedDate) in days over the
            closed-won opportunities (every type) closed in it; ``None`` when there are none;
            a half day when the count is even. ``closed_won_n`` is that count.
    """

    period: Period
    iacv: Decimal
    bookings: int
    won: int
    lost: int
    win_rate_count: Ratio
    win_rate_amount: Ratio
    average_deal_size: Ratio
    pipeline_created: Decimal
    pipeline_count: int
    median_days_to_close: Decimal | None
    closed_won_n: int


def sales_metrics(
    opportunities: Iterable[Record], first: date, last: date, grain: str, fy_start_month: int = 1
) -> list[SalesPeriod]:
    """The sales metrics of every period of ``grain`` from ``first`` to ``last``."""
    opps = live(opportunities)
    return [_one(opps, period) for period in periods(first, last, grain, fy_start_month)]


def median(values: list[int]) -> Decimal | None:
    """The median of ``values`` (mean of the two middle ones when the count is even)."""
    if not values:
        return None
    ordered, middle = sorted(values), len(values) // 2
    if len(ordered) % 2:
        return Decimal(ordered[middle])
    return Decimal(ordered[middle - 1] + ordered[middle]) / 2


def _amount(opp: Record) -> Decimal:
    return opp["Amount"] if opp["Amount"] is not None else ZERO


def _one(opps: list[Record], period: Period) -> SalesPeriod:
    closed = [o for o in opps if o["IsClosed"] and o["CloseDate"] in period]
    won = [o for o in closed if o["IsWon"]]
    lost = [o for o in closed if not o["IsWon"] and o["StageName"] not in UNQUALIFIED_STAGES]
    booked = [o for o in won if o["Type"] in INCREMENTAL_TYPES]
    iacv = sum((o["ARR__c"] or ZERO for o in booked), ZERO)
    created = [
        o for o in opps if utc_date(o["CreatedDate"]) in period and o["Type"] in INCREMENTAL_TYPES
    ]
    won_amount = sum(map(_amount, won), ZERO)
    days = [(o["CloseDate"] - utc_date(o["CreatedDate"])).days for o in won]
    return SalesPeriod(
        period, iacv, len(booked), len(won), len(lost),
        Ratio(Decimal(len(won)), Decimal(len(won) + len(lost))),
        Ratio(won_amount, won_amount + sum(map(_amount, lost), ZERO)),
        Ratio(iacv, Decimal(len(booked))),
        sum(map(_amount, created), ZERO), len(created), median(days), len(won),
    )  # fmt: skip
