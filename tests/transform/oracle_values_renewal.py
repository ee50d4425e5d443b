"""The renewal oracle's rates (``oracle_renewal``) in the long shape of ``metric_values``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from bizops_sandbox.oracle import Sources
from bizops_sandbox.oracle_renewal import renewal_rates

RENEWAL_METRICS = ("renewal_rate", "dollar_renewal_rate")


def renewal_rows(
    sources: Sources, first: date, last: date, grain: str, fy_start_month: int
) -> Iterator[tuple[str, str, Decimal | None, Decimal | None]]:
    """(metric, period label, value, sample size) of both renewal rates in every period."""
    for row in renewal_rates(sources["zuora"], first, last, grain, fy_start_month):
        size = None if row.sample_size is None else Decimal(row.sample_size)
        for metric in RENEWAL_METRICS:
            ratio = getattr(row, metric)
            yield metric, row.period.label, None if ratio is None else ratio.value(), size
