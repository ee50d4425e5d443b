"""The support oracle's metrics (``oracle_support``) in the long shape of ``metric_values``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from bizops_sandbox.oracle import Sources
from bizops_sandbox.oracle_support import METRICS, support_values

SUPPORT_METRICS = METRICS


def support_rows(
    sources: Sources, first: date, last: date, grain: str, fy_start_month: int
) -> Iterator[tuple[str, str, tuple[str, str], Decimal | None, Decimal | None]]:
    """(metric, period label, (dimension, member), value, sample size) of every support
    metric in every period and breakdown member."""
    for row in support_values(sources, first, last, grain, fy_start_month):
        size = None if row.sample_size is None else Decimal(row.sample_size)
        yield row.metric, row.period.label, (row.dimension, row.member), row.value, size
