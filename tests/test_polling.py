"""The poll schedule shared by the taps' export-job waits."""

from __future__ import annotations

from itertools import islice

import pytest

from bizops_core.errors import FatalError, RetriableError
from bizops_core.polling import until_settled, waits


def test_waits_start_short_and_double_up_to_the_interval() -> None:
    assert list(islice(waits(10), 7)) == [0.5, 1.0, 2.0, 4.0, 8.0, 10, 10]


def test_an_interval_below_the_first_wait_is_used_from_the_start() -> None:
    assert list(islice(waits(0.05), 3)) == [0.05, 0.05, 0.05]


def test_until_settled_polls_until_done_and_reports_the_wait() -> None:
    answers = iter([(False, "Pending"), (False, "Processing"), (True, "Completed")])
    calls = []

    def check() -> tuple[bool, str]:
        calls.append(1)
        return next(answers)

    waited = until_settled("job 1", check, interval=0.001, timeout=5)
    assert len(calls) == 3
    assert 0 <= waited < 5


def test_until_settled_gives_up_after_the_timeout_naming_job_and_status() -> None:
    with pytest.raises(RetriableError) as info:
        until_settled("Zuora export 42", lambda: (False, "Processing"), interval=0.001, timeout=0)
    assert str(info.value) == ("Zuora export 42 still Processing after 0 s (job_timeout is 0 s)")


def test_until_settled_lets_the_sources_failure_through() -> None:
    def check() -> tuple[bool, str]:
        raise FatalError("Zuora export 42 failed: bad query")

    with pytest.raises(FatalError, match="bad query"):
        until_settled("Zuora export 42", check, interval=0.001, timeout=5)
