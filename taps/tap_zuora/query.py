"""ZOQL export queries and the replication-key windows an incremental stream is exported in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tap_zuora.describe import ZuoraObject


@dataclass(frozen=True)
class Window:
    """A half-open range of the replication key: ``start <(=) key < end``."""

    start: datetime
    end: datetime
    start_inclusive: bool

    def where(self, key: str) -> str:
        """The ZOQL condition selecting this window."""
        op = ">=" if self.start_inclusive else ">"
        return f"{key} {op} '{zoql_instant(self.start)}' and {key} < '{zoql_instant(self.end)}'"


def zoql_instant(value: datetime) -> str:
    """A ZOQL datetime literal in UTC (``2025-01-01T00:00:00Z``, fractions only when needed)."""
    value = value.astimezone(UTC)
    if value.microsecond == 0:
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if value.microsecond % 1000 == 0:
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def plan_windows(
    lower: datetime, upper: datetime, *, lower_inclusive: bool, days: int
) -> list[Window]:
    """Cut ``[lower, upper)`` (or ``(lower, upper)``) into windows of at most ``days`` days.

    Only the first window can exclude its start (a bookmark already synced); every later one
    starts where the previous one stopped, so each instant falls in exactly one window.
    """
    windows = []
    start, inclusive = lower, lower_inclusive
    while start < upper:
        end = min(start + timedelta(days=days), upper)
        windows.append(Window(start, end, inclusive))
        start, inclusive = end, True
    return windows


def export_query(
    obj: ZuoraObject, fields: tuple[str, ...], window: Window | None = None, key: str | None = None
) -> str:
    """The ZOQL of one export of ``obj``: the ``fields`` asked for, optionally one window of
    the replication ``key``."""
    unknown = [name for name in fields if name not in obj.field_names]
    if unknown or not fields:
        raise ValueError(f"{obj.name} has no exportable fields {unknown or '(none asked)'}")
    # Not SQL: names come from describe and the validated `objects` setting, never free text.
    query = f"select {', '.join(fields)} from {obj.name}"  # noqa: S608
    if window is not None:
        if key is None:
            raise ValueError(f"{obj.name}: a window needs a replication key")
        query += f" where {window.where(key)}"
    return query
