"""The poll schedule shared by the taps' export-job waits."""

from __future__ import annotations

from itertools import islice

from bizops_core.polling import waits


def test_waits_start_short_and_double_up_to_the_interval() -> None:
    assert list(islice(waits(10), 7)) == [0.5, 1.0, 2.0, 4.0, 8.0, 10, 10]


def test_an_interval_below_the_first_wait_is_used_from_the_start() -> None:
    assert list(islice(waits(0.05), 3)) == [0.05, 0.05, 0.05]
