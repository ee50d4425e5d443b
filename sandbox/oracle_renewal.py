"""Ground-truth oracle: renewal rates (logo and dollar) of the subscription terms due in a period.

The rules (also in the metric catalog, ``transform/catalog/arr.yml``: ``renewal_rate`` and
``dollar_renewal_rate``):

- A *term* is a ``(Name, TermEndDate)`` of a TERMED subscription version, any version (a
  renewed term lives on only in the version it was renewed from, which reads ``Expired``).
  ``TermEndDate`` is the day the next term would start; it places the term in a period.
- A term is *due* (available to renew) unless the subscription was cancelled before its end
  (the latest version's ``CancelledDate`` earlier than ``TermEndDate``: that customer left
  mid-term, which the ARR bridge counts as churn, not as a lost renewal); the latest version
  must count towards ARR (status Active or Cancelled).
- ATR (available to renew): the subscription's ARR on the term's last day (``TermEndDate`` - 1),
  summed over its latest version's recurring charges active that day, in USD, exactly as ARR
  (``oracle_arr.charge_lines``).
- *Renewed*: a version of the same subscription has a term starting on or after the due term's
  end and at most ``GRACE_DAYS`` later (a Zuora renewal starts at the old term end; a renewal
  booked late still does, and counts once it is in the data). Renewed ARR: the subscription's
  ARR on that successor term's first day.
- ``renewal_rate = # renewed / # due``; ``dollar_renewal_rate = sum over renewed terms of
  min(renewed ARR, ATR) / sum of ATR`` (uplift does not lift the rate above 1, a cut lowers it);
  both rounded to 4 places, undefined (None) with nothing due.
- A period is *complete* once its grace window is over: its last day + ``GRACE_DAYS`` is on or
  before the history's last day. Until then both rates are None and so is the sample size (a
  renewal may still come); ``sample_size`` is the number of due terms.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from bizops_sandbox.oracle_arr import COUNTED_STATUSES, ZERO, ChargeLine, charge_lines
from bizops_sandbox.oracle_catalog import ALL, ZUORA_ARR, Metric
from bizops_sandbox.oracle_periods import Period, Ratio, periods

Record = dict[str, Any]
GRACE_DAYS = 30


@dataclass(frozen=True)
class DueTerm:
    """One subscription term due for renewal, with what it was worth and what renewed."""

    name: str
    term_end: date
    atr: Decimal
    renewed: bool
    renewed_arr: Decimal


@dataclass(frozen=True)
class RenewalPeriod:
    """The renewal rates of the terms due in one period (None while it is incomplete)."""

    period: Period
    complete: bool
    due: int
    renewed: int
    renewal_rate: Ratio | None
    dollar_renewal_rate: Ratio | None

    @property
    def sample_size(self) -> int | None:
        """The number of terms due, given once the period is complete."""
        return self.due if self.complete else None


def due_terms(zuora: Mapping[str, Iterable[Record]]) -> list[DueTerm]:
    """Every term due for renewal in the Zuora records, with its ATR and renewal."""
    versions = list(zuora["Subscription"])
    latest: dict[str, Record] = {}
    for sub in versions:
        if sub["IsLatestVersion"]:
            latest[sub["Name"]] = sub
    starts: dict[str, set[date]] = {}
    ends: dict[str, set[date]] = {}
    for sub in versions:
        if sub["TermType"] == "TERMED" and sub["TermEndDate"] is not None:
            starts.setdefault(sub["Name"], set()).add(sub["TermStartDate"])
            ends.setdefault(sub["Name"], set()).add(sub["TermEndDate"])
    lines_of: dict[str, list[ChargeLine]] = {}
    for line in charge_lines(zuora):
        lines_of.setdefault(line.subscription_id, []).append(line)
    out = []
    for name, term_ends in ends.items():
        current = latest.get(name)
        if current is None or current["Status"] not in COUNTED_STATUSES:
            continue
        lines = lines_of.get(current["Id"], [])
        for end in sorted(term_ends):
            cancelled = current["CancelledDate"]
            if cancelled is not None and cancelled < end:
                continue
            successors = [s for s in starts[name] if end <= s <= end + timedelta(GRACE_DAYS)]
            start = min(successors, default=None)
            out.append(DueTerm(
                name, end, _arr_on(lines, end - timedelta(days=1)), start is not None,
                _arr_on(lines, start) if start is not None else ZERO,
            ))  # fmt: skip
    return out


def renewal_rates(
    zuora: Mapping[str, Iterable[Record]],
    first: date,
    last: date,
    grain: str,
    fy_start_month: int = 1,
) -> list[RenewalPeriod]:
    """The renewal rates of every period of ``grain`` overlapping ``[first, last]`` (the
    history), each over the terms whose end date falls in it."""
    terms = due_terms(zuora)
    out = []
    for period in periods(first, last, grain, fy_start_month):
        complete = period.end + timedelta(GRACE_DAYS) <= last
        due = [t for t in terms if t.term_end in period]
        renewed = [t for t in due if t.renewed]
        atr = sum((t.atr for t in due), ZERO)
        kept = sum((min(t.renewed_arr, t.atr) for t in renewed), ZERO)
        logo = Ratio(Decimal(len(renewed)), Decimal(len(due))) if complete else None
        dollar = Ratio(kept, atr) if complete else None
        out.append(RenewalPeriod(period, complete, len(due), len(renewed), logo, dollar))
    return out


def _arr_on(lines: list[ChargeLine], day: date) -> Decimal:
    return sum((line.mrr_usd * 12 for line in lines if line.active_on(day)), ZERO)


CATALOG: tuple[Metric, ...] = (
    Metric(
        "renewal_rate",
        "Share of the subscription terms due in the period that renewed",
        f"# renewed / # due; due = (Name, TermEndDate) of TERMED versions, TermEndDate in the "
        f"period, not cancelled before it; renewed = a successor term starting 0-{GRACE_DAYS} "
        "days after the end; None until the period's grace window is over",
        "Subscription.TermEndDate",
        ALL,
        ZUORA_ARR,
        "oracle_renewal.RenewalPeriod.renewal_rate",
    ),
    Metric(
        "dollar_renewal_rate",
        "Share of the ARR due in the period that renewed, uplift not counted",
        "sum of min(renewed ARR, ATR) over renewed terms / sum of ATR over due terms; ATR = ARR "
        "on the term's last day, renewed ARR = ARR on the successor term's first day",
        "Subscription.TermEndDate",
        ALL,
        ZUORA_ARR,
        "oracle_renewal.RenewalPeriod.dollar_renewal_rate",
    ),
)
