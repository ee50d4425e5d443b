"""Ground-truth oracle: magic number and sales efficiency per fiscal quarter.

Both divide by sales and marketing spend, which is campaign cost (``Campaign.ActualCost``)
until a finance source exists: the sandbox's ratios are therefore far above what a real
company's full S&M cost would give (say so next to them).

- Magic number (Cummings) = change in quarterly recurring revenue x 4 / *prior* quarter's S&M
  spend = net new ARR of the quarter / spend of the quarter before (a quarter's recurring
  revenue is ARR / 4). Seed target: above 0.7.
- Sales efficiency (Tunguz, GitLab's "above 0.8") = IACV of the quarter / S&M spend of the same
  quarter (annual value, no x 4).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from bizops_sandbox.oracle_arr import ArrBridge
from bizops_sandbox.oracle_marketing import MarketingPeriod
from bizops_sandbox.oracle_periods import Period, Ratio
from bizops_sandbox.oracle_sales import SalesPeriod

ZERO = Decimal(0)


@dataclass(frozen=True)
class EfficiencyQuarter:
    """Magic number and sales efficiency of one fiscal quarter.

    ``magic_number`` is ``None`` for the first quarter of the history (no prior quarter).
    """

    period: Period
    net_new_arr: Decimal
    magic_number: Ratio | None
    sales_efficiency: Ratio


def efficiency(
    bridge: list[ArrBridge], sales: list[SalesPeriod], marketing: list[MarketingPeriod]
) -> list[EfficiencyQuarter]:
    """Magic number and sales efficiency of every quarter of the three lists (quarter grain).

    Raises:
        ValueError: the lists are not of the same quarters.
    """
    quarters = [b.period for b in bridge]
    if any(p.grain != "quarter" for p in quarters) or not (
        quarters == [s.period for s in sales] == [m.period for m in marketing]
    ):
        raise ValueError("efficiency needs the bridge, sales and marketing of the same quarters")
    out = []
    for index, (moves, sold, spent) in enumerate(zip(bridge, sales, marketing, strict=True)):
        prior = marketing[index - 1].spend if index else None
        magic = None if prior is None else Ratio(moves.net_new, prior)
        out.append(EfficiencyQuarter(
            moves.period, moves.net_new, magic, Ratio(sold.iacv, spent.spend)
        ))  # fmt: skip
    return out


def ltv_to_cac(
    ltv: Iterable[tuple[Period, Ratio]], marketing: Iterable[MarketingPeriod]
) -> list[tuple[Period, Ratio]]:
    """LTV:CAC (the seeds' "ROI") of every period given in ``ltv`` (period, LTV): the LTV and
    the blended CAC of the same period as reported (each rounded to 4 places), divided.
    Undefined (a zero ratio) where either is undefined or CAC is 0."""
    cac = {m.period: m.cac.value() for m in marketing}
    out = []
    for period, value in ltv:
        lifetime, cost = value.value(), cac.get(period)
        if lifetime is None or cost is None:
            out.append((period, Ratio(ZERO, ZERO)))
        else:
            out.append((period, Ratio(lifetime, cost)))
    return out
