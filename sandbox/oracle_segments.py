"""Ground-truth oracle: ARR, new ARR, IACV and win rate by customer segment (employee band).

Rules (also in the metric catalog, ``dimensions: [segment]`` of arr, new_arr, iacv and
win_rate_count):

- A customer's segment is the employee band of its live Salesforce ``Account``
  (``NumberOfEmployees``): ``Enterprise`` from 1,000, ``Mid-Market`` from 100, ``SMB`` below;
  ``Unknown`` when the count is empty or the account is not a live Salesforce account (a Zuora
  account without a CrmId, or one naming no account).
- ARR: at the end of the period's last month inside the history; new ARR: the ARR bridge's
  ``new`` of the customers of the segment (:func:`bizops_sandbox.oracle_arr.arr_bridge` over
  their charges only: every customer's movements are its own).
- IACV and win rate: as :mod:`bizops_sandbox.oracle_sales`, over the opportunities whose
  ``AccountId`` is in the segment.
- Every segment has a row in every period (0, or an undefined win rate, when it has nothing).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bizops_sandbox.ids import salesforce_suffix
from bizops_sandbox.oracle_arr import ChargeLine, arr_bridge, arr_by_customer
from bizops_sandbox.oracle_periods import Period, Ratio, live, month_end, periods
from bizops_sandbox.oracle_sales import sales_metrics

Record = dict[str, Any]
SEGMENTS = ("Enterprise", "Mid-Market", "SMB", "Unknown")
# (lowest employee count, segment), largest band first
BANDS = ((1000, "Enterprise"), (100, "Mid-Market"), (0, "SMB"))


@dataclass(frozen=True)
class SegmentPeriod:
    """ARR, new ARR, IACV and win rate of one segment in one period."""

    period: Period
    segment: str
    arr: Decimal
    new_arr: Decimal
    iacv: Decimal
    win_rate_count: Ratio


def segment_of(employees: int | None) -> str:
    """The segment of an account with ``employees`` employees (None or < 0: ``Unknown``)."""
    if employees is None or employees < 0:
        return "Unknown"
    return next(name for floor, name in BANDS if employees >= floor)


def account_segments(accounts: Iterable[Record]) -> dict[str, str]:
    """Live Salesforce account id -> its segment."""
    return {a["Id"]: segment_of(a.get("NumberOfEmployees")) for a in live(accounts)}


def _account_id(customer_id: str) -> str:
    """A conformed customer id in the 18-character form of Salesforce ids."""
    if len(customer_id) == 15 and ":" not in customer_id:
        return customer_id + salesforce_suffix(customer_id)
    return customer_id


def segment_metrics(
    crm: dict[str, Iterable[Record]],
    lines: list[ChargeLine],
    first: date,
    last: date,
    grain: str,
    fy_start_month: int = 1,
) -> list[SegmentPeriod]:
    """Every segment's ARR, new ARR, IACV and win rate in every period of ``grain``."""
    segments = account_segments(crm["Account"])

    def segment(customer: str) -> str:
        return segments.get(_account_id(customer), "Unknown")

    opps = list(crm["Opportunity"])
    chosen = periods(first, last, grain, fy_start_month)
    out = []
    for name in SEGMENTS:
        mine = [line for line in lines if segment(line.customer_id) == name]
        bridge = arr_bridge(mine, first, last, grain, fy_start_month)
        sold = sales_metrics(
            [o for o in opps if segments.get(o.get("AccountId") or "", "Unknown") == name],
            first, last, grain, fy_start_month,
        )  # fmt: skip
        for period, moves, sales in zip(chosen, bridge, sold, strict=True):
            day = month_end(min(period.end, last))
            arr = sum(arr_by_customer(mine, day).values(), Decimal("0.00"))
            out.append(SegmentPeriod(
                period, name, arr, moves.new, sales.iacv, sales.win_rate_count
            ))  # fmt: skip
    return out
