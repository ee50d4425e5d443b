"""The acquisition oracle's metrics (bizops_sandbox.oracle_acquisition) in the keys of
``metric_values``. Like :mod:`tests.transform.oracle_values`, it only renames and reshapes the
oracle's numbers; it computes none."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from bizops_sandbox import oracle_acquisition
from bizops_sandbox.oracle import Sources
from tests.transform.oracle_values_crm import Row, _dim


def acquisition_rows(
    sources: Sources, first: date, last: date, grain: str, fy_start_month: int
) -> Iterator[Row]:
    """Every value of the acquisition metrics at one grain."""
    crm = sources["salesforce"]
    span = (first, last, grain, fy_start_month)
    for row in oracle_acquisition.channel_cac(crm, *span):
        yield "channel_cac", row.period.label, _dim("channel", row.member), row.cac
    for row in oracle_acquisition.campaign_returns(crm, *span):
        yield "campaign_roi", row.period.label, ("campaign", row.campaign_id), row.iacv_per_cost
    for row in oracle_acquisition.iacv_at_horizon(crm, *span):
        dim = _dim("channel", row.member)
        yield "iacv_at_median_conversion_time", row.period.label, dim, row.iacv
        yield "estimated_iacv", row.period.label, dim, row.estimated


ACQUISITION_METRICS = (
    "channel_cac", "campaign_roi", "iacv_at_median_conversion_time", "estimated_iacv",
)  # fmt: skip
