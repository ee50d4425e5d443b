"""Ground-truth oracle: support metrics on the conformed customer id, and their relation to churn.

The rules (also in the metric catalog, ``transform/catalog/support.yml``):

- A ticket counts when it is live (status not ``deleted``) and its organization's
  ``external_id`` names a live Salesforce Account (the conformed ``account_id``); tickets of
  other organizations reach no customer and are left out (``bizops check`` reports them).
- ``tickets_per_customer``: tickets created in the period (UTC date of ``created_at``) / the
  accounts that created them (distinct), 4 places; undefined without tickets.
- ``ticket_first_reply_time``: median of ``reply_time_in_minutes.calendar`` over the tickets
  created in the period that have had a first reply; sample size = their count.
- ``ticket_resolution_time``: median of ``full_resolution_time_in_minutes.calendar`` over the
  tickets whose final resolution (``solved_at``, the ticket solved or closed) falls in the
  period; sample size = their count.
- ``csat``: good / (good + bad) over the live tickets' ratings, placed by the UTC date of the
  rating's ``updated_at`` (when its current score was given), 4 places; undefined without one.
- Relation to churn: each metric again with dimension ``churn`` and members ``churned`` (the
  ticket's account churned, its ARR fell to 0, at one of the ``CHURN_WINDOW_MONTHS`` month ends
  after the month of the date that places the ticket) and ``retained`` (every other ticket).
  Churn months are those of the ARR bridge (``oracle_arr``): a month whose end has no ARR
  after a month end with ARR > 0, from the first charge's month to the history's last month.
  Recent periods are right-censored: a churn after the history's end is not known yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bizops_sandbox.oracle_arr import arr_by_customer, charge_lines
from bizops_sandbox.oracle_periods import Period, Ratio, add_months, month_start, periods, utc_date

Record = dict[str, Any]
Tables = dict[str, list[Record]]
CHURN_WINDOW_MONTHS = 6
MEMBERS = (("total", "all"), ("churn", "churned"), ("churn", "retained"))
METRICS = ("tickets_per_customer", "ticket_first_reply_time", "ticket_resolution_time", "csat")


@dataclass(frozen=True)
class Ticket:
    """One live ticket of a customer, as the support metrics read it."""

    ticket_id: int
    account_id: str
    created: date
    reply_minutes: int | None
    resolved: date | None  # UTC date of the final resolution
    resolution_minutes: int | None
    rating: str | None  # good / bad (current score), else None
    rated: date | None


@dataclass(frozen=True)
class SupportValue:
    """One metric in one period and breakdown member, with its sample size (None for
    non-medians)."""

    metric: str
    period: Period
    dimension: str
    member: str
    value: Decimal | None
    sample_size: int | None


def tickets(zendesk: Tables, salesforce: Tables) -> list[Ticket]:
    """The live tickets whose organization resolves to a live Salesforce Account."""
    accounts = {a["Id"] for a in salesforce["Account"] if not a.get("IsDeleted")}
    org_account = {
        o["id"]: o["external_id"] for o in zendesk["organizations"] if o["external_id"] in accounts
    }
    metrics = {m["ticket_id"]: m for m in zendesk["ticket_metrics"]}
    ratings = {r["ticket_id"]: r for r in zendesk["satisfaction_ratings"]}
    out = []
    for ticket in zendesk["tickets"]:
        account = org_account.get(ticket["organization_id"])
        if ticket["status"] == "deleted" or account is None:
            continue
        metric = metrics.get(ticket["id"], {})
        reply = (metric.get("reply_time_in_minutes") or {}).get("calendar")
        full = (metric.get("full_resolution_time_in_minutes") or {}).get("calendar")
        solved = metric.get("solved_at")
        rating = ratings.get(ticket["id"])
        score = rating["score"] if rating and rating["score"] in ("good", "bad") else None
        out.append(Ticket(
            ticket["id"], account, utc_date(ticket["created_at"]), reply,
            utc_date(solved) if solved is not None and full is not None else None,
            full if solved is not None else None,
            score, utc_date(rating["updated_at"]) if score else None,
        ))  # fmt: skip
    return out


def churn_months(zuora: Tables, last: date) -> dict[str, set[date]]:
    """Per customer, the first days of the months whose end finds its ARR fallen to 0 after a
    month end with ARR > 0 (the ARR bridge's churn), up to ``last``'s month."""
    lines = charge_lines(zuora)
    if not lines:
        return {}
    out: dict[str, set[date]] = {}
    before: set[str] = set()
    for month in periods(min(line.start for line in lines), last, "month"):
        now = set(arr_by_customer(lines, month.end))
        for customer in before - now:
            out.setdefault(customer, set()).add(month.start)
        before = now
    return out


def churned_after(churns: dict[str, set[date]], account: str, day: date) -> bool:
    """Whether ``account`` churned at one of the ``CHURN_WINDOW_MONTHS`` month ends after
    ``day``'s month."""
    start = month_start(day)
    window = {add_months(start, n) for n in range(1, CHURN_WINDOW_MONTHS + 1)}
    return bool(churns.get(account, set()) & window)


def median(values: list[int]) -> Decimal | None:
    """The median (mean of the two middle ones when the count is even); None when empty."""
    if not values:
        return None
    ordered, middle = sorted(values), len(values) // 2
    if len(ordered) % 2:
        return Decimal(ordered[middle])
    return Decimal(ordered[middle - 1] + ordered[middle]) / 2


def support_values(
    sources: dict[str, Tables],
    first: date,
    last: date,
    grain: str,
    fy_start_month: int = 1,
) -> Iterator[SupportValue]:
    """Every support metric in every period of ``grain`` over ``[first, last]`` and in every
    breakdown member (total, churned, retained)."""
    rows = tickets(sources["zendesk"], sources["salesforce"])
    churns = churn_months(sources["zuora"], last)
    for period in periods(first, last, grain, fy_start_month):
        for dimension, member in MEMBERS:
            only = _Selection(period, None if dimension == "total" else member, churns)
            created = only.of(rows, lambda r: r.created)
            ratio = Ratio(Decimal(len(created)), Decimal(len({r.account_id for r in created})))
            yield SupportValue("tickets_per_customer", period, dimension, member, ratio.value(),
                               None)  # fmt: skip
            replies = [r.reply_minutes for r in created if r.reply_minutes is not None]
            yield SupportValue("ticket_first_reply_time", period, dimension, member,
                               median(replies), len(replies))  # fmt: skip
            resolved = _ints(r.resolution_minutes for r in only.of(rows, lambda r: r.resolved))
            yield SupportValue("ticket_resolution_time", period, dimension, member,
                               median(resolved), len(resolved))  # fmt: skip
            rated = [r.rating for r in only.of(rows, lambda r: r.rated)]
            good = Decimal(rated.count("good"))
            yield SupportValue("csat", period, dimension, member,
                               Ratio(good, Decimal(len(rated))).value(), None)  # fmt: skip


@dataclass(frozen=True)
class _Selection:
    """The tickets placed in one period (by a date of each) and, unless ``member`` is None,
    of one churn member."""

    period: Period
    member: str | None
    churns: dict[str, set[date]]

    def of(self, rows: Iterable[Ticket], day_of: Callable[[Ticket], date | None]) -> list[Ticket]:
        out = []
        for row in rows:
            day = day_of(row)
            if day is None or day not in self.period:
                continue
            churned = churned_after(self.churns, row.account_id, day)
            if self.member is None or self.member == ("churned" if churned else "retained"):
                out.append(row)
        return out


def _ints(values: Iterable[int | None]) -> list[int]:
    return [v for v in values if v is not None]
