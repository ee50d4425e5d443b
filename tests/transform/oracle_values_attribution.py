"""The attribution and MQL oracles' metrics (bizops_sandbox.oracle_attribution, oracle_mql)
in the keys of ``metric_values``; it only reshapes the oracle's numbers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from bizops_sandbox import oracle_attribution, oracle_mql
from bizops_sandbox.oracle import Sources
from tests.transform.oracle_values_crm import Row


def attribution_rows(
    sources: Sources, first: date, last: date, grain: str, fy_start_month: int
) -> Iterator[Row]:
    """Every value of the attribution metrics at one grain."""
    span = (sources, first, last, grain, fy_start_month)
    for rows in (oracle_attribution.attribution_rows(*span), oracle_mql.mql_rows(*span)):
        for metric, period, member, value in rows:
            dim = ("total", "all") if member is None else ("channel", member)
            yield metric, period.label, dim, value


ATTRIBUTION_METRICS = (*oracle_attribution.METRICS, *oracle_mql.METRICS)
