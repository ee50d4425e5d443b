"""Wait schedule for polling asynchronous export jobs: quick at first, then every interval."""

from __future__ import annotations

from collections.abc import Iterator

FIRST_WAIT = 0.5


def waits(interval: float, first: float = FIRST_WAIT) -> Iterator[float]:
    """Seconds to sleep before each successive poll: ``first``, doubling, capped at ``interval``.

    Small incremental exports usually finish within a second or two; polling only every
    ``interval`` (10 s by default) would idle most of each run on a source with many objects,
    while a long export still settles to one poll per ``interval``.
    """
    wait = min(first, interval)
    while True:
        yield wait
        wait = min(wait * 2, interval)
