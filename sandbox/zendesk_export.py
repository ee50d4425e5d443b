"""Zendesk's incremental exports over the world's Zendesk views: cursor-based (tickets, users)
and time-based (organizations, ticket metric events), plus the list endpoints' cursor pages
and the incremental-export rate limit.

Semantics (Zendesk Support API docs, "Incremental exports"): ``start_time`` is epoch seconds,
inclusive, a float accepted; items changed within the minute before the request are left out;
an item appears once, in its current state; up to 1,000 items per page.
"""

from __future__ import annotations

import base64
import bisect
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bizops_sandbox.world_zendesk import epoch

Record = dict[str, Any]
EXPORT_PAGE = 1000
HIDDEN_SECONDS = 60  # the API leaves out items changed in the last minute


class BadParameter(ValueError):
    """A query parameter Zendesk refuses (answered 400 ``InvalidValue`` with this text)."""


@dataclass(frozen=True)
class Index:
    """The records of one export sorted by (time, id), with their sort keys for bisection."""

    keys: list[tuple[int, int]]
    records: list[Record]

    @classmethod
    def of(cls, records: Sequence[Record], moment: Callable[[Record], datetime]) -> Index:
        """``records`` ordered by ``(epoch(moment(record)), record["id"])``."""
        pairs = sorted(((epoch(moment(r)), r["id"]), r) for r in records)
        return cls([k for k, _ in pairs], [r for _, r in pairs])

    def window(self, after: tuple[int, int] | None, start: float, now: datetime) -> tuple[int, int]:
        """Positions [lo, hi) of the records at or after ``start`` (or after the cursor
        position ``after``) and changed at least a minute before ``now``."""
        visible = epoch(now) - HIDDEN_SECONDS
        hi = bisect.bisect_right(self.keys, (visible, 2**63))
        if after is not None:
            lo = bisect.bisect_right(self.keys, after)
        else:
            lo = bisect.bisect_left(self.keys, (_ceil(start), -1))
        return lo, max(lo, hi)


def _ceil(value: float) -> int:
    whole = int(value)
    return whole if whole == value else whole + 1


def start_time(value: str | None, now: datetime) -> float:
    """The ``start_time`` parameter: epoch seconds (a float accepted), at least a minute old.

    Raises:
        BadParameter: missing, not a number, negative or too recent.
    """
    if value is None:
        raise BadParameter("start_time is required")
    try:
        number = float(value)
    except ValueError:
        raise BadParameter(f"start_time is not a Unix epoch time: {value!r}") from None
    if number != number or number < 0:  # NaN or negative
        raise BadParameter(f"start_time is not a Unix epoch time: {value!r}")
    if number > epoch(now) - HIDDEN_SECONDS:
        raise BadParameter("Too recent start_time. Use a start_time older than 1 minute")
    return number


def encode_cursor(position: tuple[int, int]) -> str:
    """An opaque cursor for the position after ``(time, id)``."""
    return base64.urlsafe_b64encode(json.dumps(list(position)).encode()).decode()


def decode_cursor(value: str) -> tuple[int, int]:
    """The position of a cursor this API gave.

    Raises:
        BadParameter: not such a cursor.
    """
    try:
        moment, key = json.loads(base64.urlsafe_b64decode(value.encode()))
        return int(moment), int(key)
    except (ValueError, TypeError):
        raise BadParameter("cursor is invalid") from None


def cursor_page(
    index: Index, *, start: float, cursor: str | None, size: int, now: datetime
) -> tuple[list[Record], str, bool]:
    """One page of a cursor-based export: its records, the ``after_cursor`` (the position
    after the page's last record, or the cursor given when the page is empty) and
    ``end_of_stream``."""
    after = decode_cursor(cursor) if cursor else None
    lo, hi = index.window(after, start, now)
    page = index.records[lo : min(hi, lo + size)]
    if page:
        position = index.keys[lo + len(page) - 1]
    else:
        position = after if after is not None else (_ceil(start) - 1, 2**62)
    return page, encode_cursor(position), lo + len(page) >= hi


def time_page(index: Index, *, start: float, now: datetime) -> tuple[list[Record], int, bool]:
    """One page of a time-based export: up to 1,000 records, plus every other record of the
    last one's second (the next page starts at that second again, inclusive, so a second is
    never split), its ``end_time`` and ``end_of_stream``."""
    lo, hi = index.window(None, start, now)
    end = min(hi, lo + EXPORT_PAGE)
    if end < hi:
        last_second = index.keys[end - 1][0]
        end = bisect.bisect_right(index.keys, (last_second, 2**63), lo, hi)
    page = index.records[lo:end]
    end_time = index.keys[end - 1][0] if page else int(start)
    return page, end_time, end - lo < EXPORT_PAGE


def page_size(value: str | None, *, default: int, maximum: int, name: str) -> int:
    """A page size parameter.

    Raises:
        BadParameter: not a whole number from 1 to ``maximum``.
    """
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= maximum:
        raise BadParameter(f"{name} must be a whole number from 1 to {maximum}")
    return int(value)


class RateLimit:
    """At most ``per_minute`` requests in any 60 s of real time (Zendesk: 10 a minute on the
    incremental export endpoints). ``check`` answers the seconds to wait, or 0 to go on."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def check(self) -> int:
        """Count this request if it is allowed (0), else the whole seconds until it will be."""
        with self._lock:
            now = self._clock()
            while self._times and self._times[0] <= now - 60:
                self._times.popleft()
            if len(self._times) < self.per_minute:
                self._times.append(now)
                return 0
            return max(1, _ceil(self._times[0] + 60 - now))


def wire(record: Record) -> Record:
    """A record as JSON text shows it: instants ``2024-01-31T12:00:00Z``, nested too."""
    return {key: _wire_value(value) for key, value in record.items()}


def _wire_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return wire(value)
    return value
