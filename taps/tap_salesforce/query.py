"""SOQL of a sync: the selected fields, one replication-key window, ordered by the key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tap_salesforce.describe import SObject


@dataclass(frozen=True)
class Window:
    """A half-open range of the replication key: ``start <(=) key < end``."""

    start: datetime
    end: datetime
    start_inclusive: bool

    def halves(self) -> tuple[Window, Window]:
        """The window cut in two at its middle (whole microseconds); each instant in one half."""
        middle = self.start + (self.end - self.start) / 2
        return Window(self.start, middle, self.start_inclusive), Window(middle, self.end, True)


def soql_instant(value: datetime) -> str:
    """A SOQL datetime literal: unquoted, UTC, six fractional digits (as singer-io writes it)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def build_query(
    obj: SObject, fields: tuple[str, ...], window: Window | None, key: str | None = None
) -> str:
    """``SELECT ... FROM obj [WHERE key >(=) start AND key < end ORDER BY key ASC]``."""
    # Not SQL: names come from describe, never from free text.
    query = f"SELECT {','.join(fields)} FROM {obj.name}"  # noqa: S608
    if window is None:
        return query
    if key is None:
        raise ValueError(f"{obj.name}: a window needs a replication key")
    op = ">=" if window.start_inclusive else ">"
    return (
        f"{query} WHERE {key} {op} {soql_instant(window.start)} AND {key} < "
        f"{soql_instant(window.end)} ORDER BY {key} ASC"
    )
