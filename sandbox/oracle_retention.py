"""Ground-truth oracle: revenue retention, ARPA and LTV, from the ARR charge lines.

The rules (also in the metric catalog, ``transform/catalog/arr.yml``):

- Cohort: the customers with ARR > 0 at the end of the month before the period starts
  (``A`` = that ARR). ``B`` = the same customers' ARR at the period's end (the end of its last
  month inside the history; 0 for those who left); customers who join during the period are
  not in the cohort. ``NRR = sum B / sum A``, ``GRR = sum min(A, B) / sum A``: ratios of
  sums, never averages of per-customer ratios. Undefined (None) when the cohort is empty.
- ARPA = ARR / customers at the period's end (annual revenue per account).
- LTV = ARPA x gross margin / annual ARR churn rate, the churn rate being the period's
  churned ARR (customers whose ARR fell to 0, summed over its months) over the ARR at its
  start, annualised by 12 / the number of the period's months inside the history. Computed as
  one exact ratio, undefined when nothing churned or nothing was there at the start.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bizops_sandbox.oracle_arr import ZERO, ArrBridge, ChargeLine, arr_by_customer, months_before
from bizops_sandbox.oracle_periods import Period, Ratio, month_end, months

GROSS_MARGIN = Decimal("0.8")  # the dbt project's default var gross_margin


@dataclass(frozen=True)
class RetentionPeriod:
    """Retention of the customers present at the start of one period, and its ARPA and LTV."""

    period: Period
    cohort: int
    starting_arr: Decimal  # sum A
    retained_arr: Decimal  # sum B
    kept_arr: Decimal  # sum min(A, B)
    arr_end: Decimal
    customers_end: int
    churn: Decimal
    months: int
    gross_margin: Decimal

    @property
    def net_revenue_retention(self) -> Ratio:
        return Ratio(self.retained_arr, self.starting_arr)

    @property
    def gross_revenue_retention(self) -> Ratio:
        return Ratio(self.kept_arr, self.starting_arr)

    @property
    def arpa(self) -> Ratio:
        return Ratio(self.arr_end, Decimal(self.customers_end))

    @property
    def ltv(self) -> Ratio:
        """ARPA x margin / (churn / starting ARR x 12 / months), as one exact ratio."""
        if self.customers_end == 0 or self.churn == 0 or self.starting_arr == 0:
            return Ratio(ZERO, ZERO)
        return Ratio(
            self.arr_end * self.gross_margin * self.starting_arr * self.months,
            Decimal(self.customers_end) * self.churn * 12,
        )


def retention(
    lines: Iterable[ChargeLine],
    bridge: Iterable[ArrBridge],
    last: date,
    gross_margin: Decimal = GROSS_MARGIN,
) -> list[RetentionPeriod]:
    """One :class:`RetentionPeriod` per period of ``bridge`` (the ARR bridge of the same lines,
    any grain), ``last`` being the history's last day."""
    lines = list(lines)
    out = []
    for moves in bridge:
        period = moves.period
        end_day = month_end(min(period.end, last))
        before = arr_by_customer(lines, months_before(period.start))
        after = arr_by_customer(lines, end_day)
        out.append(RetentionPeriod(
            period, len(before), sum(before.values(), ZERO),
            sum((after.get(c, ZERO) for c in before), ZERO),
            sum((min(a, after.get(c, ZERO)) for c, a in before.items()), ZERO),
            sum(after.values(), ZERO), len(after), moves.churn,
            len(list(months(period.start, end_day))), gross_margin,
        ))  # fmt: skip
    return out
