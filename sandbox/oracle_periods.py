"""Ground-truth oracle: reporting periods (months, fiscal quarters, fiscal years) and ratios."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

GRAINS = ("month", "quarter", "fiscal-year")
CENT = Decimal("0.01")


@dataclass(frozen=True, order=True)
class Period:
    """A closed range of days ``[start, end]`` at one grain.

    Attributes:
        grain: ``month``, ``quarter`` (fiscal quarter) or ``fiscal-year``.
        start: its first day; end: its last day.
        label: ``2024-03``, ``FY2025-Q1`` or ``FY2025``. A fiscal year is named after the
            calendar year in which it ends (GitLab's convention: with a February start,
            FY2025 runs 2024-02-01 .. 2025-01-31); with a January start FYn = calendar year n.
    """

    start: date
    end: date
    grain: str
    label: str

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


@dataclass(frozen=True)
class Ratio:
    """An exact ratio, kept as its two sums so nothing is lost to division.

    ``value`` is ``None`` when the denominator is zero (the metric is undefined, not 0).
    """

    numerator: Decimal
    denominator: Decimal

    def value(self, places: int = 4) -> Decimal | None:
        """numerator / denominator rounded half away from zero (PostgreSQL's ``round``)."""
        if self.denominator == 0:
            return None
        quantum = Decimal(1).scaleb(-places)
        return (self.numerator / self.denominator).quantize(quantum, rounding=ROUND_HALF_UP)


def month_start(day: date) -> date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    return add_months(day, 1) - timedelta(days=1)


def fiscal_year_of(day: date, fy_start_month: int) -> int:
    """The fiscal year ``day`` falls in (named by the calendar year it ends in)."""
    return day.year + 1 if fy_start_month > 1 and day.month >= fy_start_month else day.year


def period_of(day: date, grain: str, fy_start_month: int = 1) -> Period:
    """The period of ``grain`` that contains ``day``.

    Raises:
        ValueError: unknown grain or a fiscal-year start month outside 1..12.
    """
    if not 1 <= fy_start_month <= 12:
        raise ValueError(f"fy_start_month must be 1..12, got {fy_start_month!r}")
    if grain == "month":
        return Period(month_start(day), month_end(day), grain, f"{day:%Y-%m}")
    fiscal_year = fiscal_year_of(day, fy_start_month)
    offset = (day.month - fy_start_month) % 12
    if grain == "quarter":
        first = add_months(month_start(day), -(offset % 3))
        label = f"FY{fiscal_year}-Q{offset // 3 + 1}"
        return Period(first, add_months(first, 3) - timedelta(days=1), grain, label)
    if grain == "fiscal-year":
        first = add_months(month_start(day), -offset)
        return Period(first, add_months(first, 12) - timedelta(days=1), grain, f"FY{fiscal_year}")
    raise ValueError(f"unknown grain {grain!r}; expected one of {GRAINS}")


def periods(first: date, last: date, grain: str, fy_start_month: int = 1) -> list[Period]:
    """Every period of ``grain`` that overlaps ``[first, last]``, in order."""
    out: list[Period] = []
    day = first
    while day <= last:
        period = period_of(day, grain, fy_start_month)
        out.append(period)
        day = period.end + timedelta(days=1)
    return out


def months(first: date, last: date) -> Iterator[date]:
    """The first day of every month from ``first``'s month to ``last``'s month."""
    day = month_start(first)
    while day <= last:
        yield day
        day = add_months(day, 1)


def utc_date(moment: datetime | date) -> date:
    """The UTC calendar date of a datetime (dates pass through): what places it in a period."""
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).date()
    return moment


def history_days(dates: Iterable[date], now: datetime) -> tuple[date, date]:
    """The world's history: from the earliest of ``dates`` to the day of the last instant
    before the clock ``now`` (records exist at or before ``now``; ``now`` itself is the
    first instant of a day nothing has happened in yet when it is midnight)."""
    last = utc_date(now - timedelta(seconds=1))
    return min(dates, default=last), last


def live(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records that are not soft-deleted (Salesforce ``IsDeleted``)."""
    return [r for r in records if not r.get("IsDeleted")]
