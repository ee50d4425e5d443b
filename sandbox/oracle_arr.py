"""Ground-truth oracle: MRR, ARR, customers and the ARR bridge, from Zuora's world records.

The rules (also in the metric catalog, ``oracle_catalog``):

- Only the *current* version of a subscription counts: ``IsLatestVersion`` and status Active or
  Cancelled. Superseded versions read ``Expired`` (an amendment copies their charges into the
  next version) and Draft ones are not contracted; counting them would double the ARR.
- Only ``Recurring`` charges with a non-zero ``MRR`` count: one-time charges (Onboarding) are not
  recurring revenue; the world has no usage charges (they would be left out the same way).
- A charge is active on day D when ``EffectiveStartDate <= D < end``, where ``end`` is the
  earlier of its ``EffectiveEndDate`` and the subscription's ``CancelledDate`` (both exclusive;
  ``None`` = open). The world's cancellations stamp the subscription only, not its charges,
  which is why the cancel date caps the charge. An amendment ends segment 1 of a charge on the
  day segment 2 starts, so the two never overlap.
- MRR at a month end is evaluated on the month's last day; this is GitLab's month rule
  ``start_month <= m < end_month`` exactly (a charge starting and ending in the same month never
  counts). A renewal is a new version whose charges run to the new term end, so a renewed
  subscription's ARR is continuous; a termed subscription that is not renewed keeps its
  charges ending at the term end and churns then.
- Money is in the reporting currency (USD): each charge's MRR times the fixed rate of its
  account's ``Currency`` (``FX_TO_USD``), rounded to the cent half away from zero, then summed.
  ARR = 12 x MRR per charge, so ARR is exact in cents too.
- The customer is the conformed account id: the Zuora account's ``CrmId`` (the Salesforce
  Account Id, 18 characters), or ``zuora:<Account.Id>`` for an account without one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bizops_sandbox.oracle_periods import CENT, Period, month_end, months, periods

Record = dict[str, Any]
Tables = Mapping[str, Iterable[Record]]
ZERO = Decimal("0.00")
# The reporting currency is USD; the world has no exchange rates, so the oracle fixes these.
FX_TO_USD: dict[str, Decimal] = {
    "USD": Decimal("1"),
    "EUR": Decimal("1.10"),
    "GBP": Decimal("1.25"),
}
COUNTED_STATUSES = frozenset({"Active", "Cancelled"})


@dataclass(frozen=True)
class ChargeLine:
    """One recurring charge as ARR sees it: who, from when, until when (exclusive), how much."""

    charge_id: str
    customer_id: str
    subscription_id: str
    start: date
    end: date | None
    mrr_usd: Decimal

    def active_on(self, day: date) -> bool:
        """Whether the charge is billed as recurring revenue on ``day``."""
        return self.start <= day and (self.end is None or day < self.end)


@dataclass(frozen=True)
class ArrMonth:
    """MRR, ARR and customers (conformed accounts with ARR > 0) at one month end."""

    month: Period
    mrr: Decimal
    arr: Decimal
    customers: int


@dataclass(frozen=True)
class ArrBridge:
    """ARR movements over a period, summed from monthly movements per customer.

    ``arr_end == arr_start + new + reactivation + expansion - contraction - churn`` exactly.
    A customer is *new* the first month its ARR goes from 0 to > 0, *reactivated* any later
    month it does; *expansion*/*contraction* are increases/decreases of a customer with ARR > 0
    at both month ends; *churn* is the ARR of a customer whose ARR falls to 0.
    The last period may run past the history (the current quarter or fiscal year): it holds
    the months up to the last one of the history, and ``arr_end`` is that month's end.
    """

    period: Period
    arr_start: Decimal
    new: Decimal
    reactivation: Decimal
    expansion: Decimal
    contraction: Decimal
    churn: Decimal
    arr_end: Decimal
    new_customers: int
    churned_customers: int

    @property
    def net_new(self) -> Decimal:
        """Net new ARR: new + reactivation + expansion - contraction - churn."""
        return self.new + self.reactivation + self.expansion - self.contraction - self.churn


def customer_id(account: Record) -> str:
    """The conformed account id of a Zuora account (its CrmId, else ``zuora:<Id>``)."""
    return account["CrmId"] or f"zuora:{account['Id']}"


def charge_lines(zuora: Tables, fx: Mapping[str, Decimal] = FX_TO_USD) -> list[ChargeLine]:
    """Every charge that counts towards ARR, converted to USD.

    Raises:
        ValueError: an account's currency has no rate in ``fx`` (never silently dropped).
    """
    accounts = {a["Id"]: a for a in zuora["Account"]}
    subscriptions = {
        s["Id"]: s
        for s in zuora["Subscription"]
        if s["IsLatestVersion"] and s["Status"] in COUNTED_STATUSES
    }
    plans = {p["Id"]: p["SubscriptionId"] for p in zuora["RatePlan"]}
    lines = []
    for charge in zuora["RatePlanCharge"]:
        subscription = subscriptions.get(plans.get(charge["RatePlanId"], ""))
        if subscription is None or charge["ChargeType"] != "Recurring" or charge["MRR"] == 0:
            continue
        account = accounts[subscription["AccountId"]]
        if account["Currency"] not in fx:
            raise ValueError(f"no exchange rate for currency {account['Currency']!r}")
        rate = fx[account["Currency"]]
        ends = [d for d in (charge["EffectiveEndDate"], subscription["CancelledDate"]) if d]
        lines.append(ChargeLine(
            charge["Id"], customer_id(account), subscription["Id"], charge["EffectiveStartDate"],
            min(ends) if ends else None, (charge["MRR"] * rate).quantize(CENT, ROUND_HALF_UP),
        ))  # fmt: skip
    return lines


def arr_by_customer(lines: Iterable[ChargeLine], day: date) -> dict[str, Decimal]:
    """ARR (12 x MRR) of every customer with ARR > 0 on ``day``."""
    arr: dict[str, Decimal] = {}
    for line in lines:
        if line.active_on(day):
            arr[line.customer_id] = arr.get(line.customer_id, ZERO) + line.mrr_usd * 12
    return {customer: value for customer, value in arr.items() if value > 0}


def arr_months(lines: list[ChargeLine], first: date, last: date) -> list[ArrMonth]:
    """MRR, ARR and customer count at the end of every month from ``first`` to ``last``."""
    out = []
    for period in periods(first, last, "month"):
        by_customer = arr_by_customer(lines, period.end)
        arr = sum(by_customer.values(), ZERO)
        out.append(ArrMonth(period, arr / 12, arr, len(by_customer)))
    return out


def arr_bridge(
    lines: list[ChargeLine], first: date, last: date, grain: str = "month", fy_start_month: int = 1
) -> list[ArrBridge]:
    """The ARR bridge of every period of ``grain`` from ``first`` to ``last``.

    Movements are computed month by month per customer from the month before the first
    charge starts, so "new" means new to the whole history, then summed into the period.
    """
    starts = [line.start for line in lines]
    origin = min([*starts, first])
    seen: set[str] = set()
    before = arr_by_customer(lines, months_before(origin))
    monthly: list[tuple[date, dict[str, Any]]] = []
    for month in months(origin, last):
        after = arr_by_customer(lines, month_end(month))
        monthly.append((month, _movements(before, after, seen)))
        before = after
    out = []
    for period in periods(first, last, grain, fy_start_month):
        inside = [m for day, m in monthly if period.start <= day <= period.end]
        total = {key: sum((m[key] for m in inside), ZERO) for key in _AMOUNTS}
        counts = {key: sum(m[key] for m in inside) for key in ("new_customers", "churned")}
        start_arr = inside[0]["arr_start"] if inside else ZERO
        end_arr = inside[-1]["arr_end"] if inside else ZERO
        out.append(ArrBridge(period, start_arr, *(total[k] for k in _AMOUNTS), end_arr,
                             counts["new_customers"], counts["churned"]))  # fmt: skip
    return out


_AMOUNTS = ("new", "reactivation", "expansion", "contraction", "churn")


def months_before(day: date) -> date:
    """The last day of the month before ``day``'s month."""
    return day.replace(day=1) - timedelta(days=1)


def _movements(before: dict[str, Decimal], after: dict[str, Decimal], seen: set[str]):
    moves: dict[str, Any] = {key: ZERO for key in _AMOUNTS}
    moves.update(new_customers=0, churned=0)
    for customer in before.keys() | after.keys():
        old, new = before.get(customer, ZERO), after.get(customer, ZERO)
        if old == 0 and new > 0:
            kind = "reactivation" if customer in seen else "new"
            moves[kind] += new
            moves["new_customers"] += kind == "new"
        elif old > 0 and new == 0:
            moves["churn"] += old
            moves["churned"] += 1
        elif new > old:
            moves["expansion"] += new - old
        elif new < old:
            moves["contraction"] += old - new
    seen.update(after)
    moves["arr_start"] = sum(before.values(), ZERO)
    moves["arr_end"] = sum(after.values(), ZERO)
    return moves
