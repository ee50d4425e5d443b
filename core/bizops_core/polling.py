"""Polling asynchronous export jobs: quick at first, then every interval, up to a timeout."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

from bizops_core.errors import RetriableError

LOGGER = logging.getLogger("bizops_core.polling")

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


def until_settled(
    label: str, check: Callable[[], tuple[bool, str]], *, interval: float, timeout: float
) -> float:
    """Call ``check`` on the :func:`waits` schedule until it reports the job done.

    ``check`` returns ``(done, status)`` and raises the source's own error for a failed job.
    Returns the seconds waited.

    Raises:
        RetriableError: still not done after ``timeout`` seconds (names ``label`` and status).
    """
    started, delays = time.monotonic(), waits(interval)
    while True:
        done, status = check()
        waited = time.monotonic() - started
        if done:
            return waited
        if waited >= timeout:
            raise RetriableError(
                f"{label} still {status} after {waited:.0f} s (job_timeout is {timeout:g} s)"
            )
        LOGGER.debug("%s is %s", label, status)
        time.sleep(next(delays))
