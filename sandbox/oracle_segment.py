"""Ground-truth oracle: ARR and sales metrics by sales segment.

Rules (also in the metric catalog):

- A Salesforce account's segment is set by ``NumberOfEmployees``: SMB under 100, Mid-Market
  from 100 to 1,999, Large from 2,000; Unknown when the count is missing.
- A customer (the conformed id of a Zuora account) takes the segment of the live Salesforce
  account of that id; a customer without one (no CrmId, or an account that is deleted or not
  in Salesforce) is Unknown. An opportunity takes its account's segment the same way.
- Each segment's metrics are the total metrics computed over that segment's customers or
  opportunities alone: customers never move between the ARR of two segments, so the
  segments add up to the totals.
- Every period has every segment (:data:`SEGMENTS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bizops_sandbox.oracle_arr import FX_TO_USD, arr_bridge, arr_months, charge_lines
from bizops_sandbox.oracle_periods import Period, Ratio, live, period_of
from bizops_sandbox.oracle_sales import sales_metrics

Record = dict[str, Any]
SEGMENTS = ("SMB", "Mid-Market", "Large", "Unknown")


@dataclass(frozen=True)
class SegmentPeriod:
    """The metrics of one segment in one period.

    Attributes:
        arr, customers: at the end of the period's last month inside the history.
        new_arr, net_new_arr: the ARR bridge's movements of the segment's customers.
        iacv, bookings, win_rate_count: the segment's closed deals, as the sales oracle.
    """

    period: Period
    segment: str
    arr: Decimal
    customers: int
    new_arr: Decimal
    net_new_arr: Decimal
    iacv: Decimal
    bookings: int
    win_rate_count: Ratio


def segment_of(employees: int | None) -> str:
    """The sales segment of an employee count."""
    if employees is None:
        return "Unknown"
    if employees < 100:
        return "SMB"
    if employees < 2000:
        return "Mid-Market"
    return "Large"


def account_segments(accounts: Iterable[Record]) -> dict[str, str]:
    """The segment of every live Salesforce account, by its Id."""
    return {a["Id"]: segment_of(a["NumberOfEmployees"]) for a in live(accounts)}


def segment_metrics(
    sources: Mapping[str, Mapping[str, list[Record]]],
    first: date,
    last: date,
    grain: str,
    fy_start_month: int = 1,
    fx: Mapping[str, Decimal] = FX_TO_USD,
) -> list[SegmentPeriod]:
    """Every segment's metrics in every period of ``grain`` from ``first`` to ``last``."""
    crm = sources["salesforce"]
    segments = account_segments(crm["Account"])
    lines = charge_lines(sources["zuora"], fx)
    out = []
    for segment in SEGMENTS:
        mine = [line for line in lines if segments.get(line.customer_id, "Unknown") == segment]
        opps = [o for o in crm["Opportunity"] if segments.get(o["AccountId"], "Unknown") == segment]
        by_month = {row.month.label: row for row in arr_months(mine, first, last)}
        bridge = arr_bridge(mine, first, last, grain, fy_start_month)
        sales = sales_metrics(opps, first, last, grain, fy_start_month)
        for moves, sold in zip(bridge, sales, strict=True):
            end = by_month[period_of(min(moves.period.end, last), "month").label]
            out.append(SegmentPeriod(
                moves.period, segment, end.arr, end.customers, moves.new, moves.net_new,
                sold.iacv, sold.bookings, sold.win_rate_count,
            ))  # fmt: skip
    return out
