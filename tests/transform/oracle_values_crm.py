"""The CRM oracle's extra metrics (bizops_sandbox.oracle_crm) in the keys of ``metric_values``.

Like :mod:`tests.transform.oracle_values`, this only renames and reshapes the oracle's
numbers; it computes none.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bizops_sandbox import oracle_crm
from bizops_sandbox.oracle import Sources, history
from bizops_sandbox.oracle_periods import GRAINS
from bizops_sandbox.oracle_sales import sales_metrics

Values = dict[tuple[str, str, str, str, str], Decimal | None]

Row = tuple[str, str, tuple[str, str], Any]  # metric, period label, (dimension, member), value


def _dim(kind: str, member: str) -> tuple[str, str]:
    return ("total", "all") if member == oracle_crm.ALL else (kind, member)


def crm_rows(
    sources: Sources, first: date, last: date, grain: str, fy_start_month: int
) -> Iterator[Row]:
    """Every value of the CRM metrics at one grain."""
    crm = sources["salesforce"]
    span = (first, last, grain, fy_start_month)
    for row in oracle_crm.stage_durations(crm, *span):
        yield "time_in_stage", row.period.label, ("stage", row.member), row.days
    for row in oracle_crm.contract_values(crm, *span):
        yield "tcv", row.period.label, ("total", "all"), row.tcv
        yield "acv", row.period.label, ("total", "all"), row.acv
    for row in oracle_crm.campaign_cohorts(crm, *span):
        yield (
            "campaign_cost_per_lead",
            row.period.label,
            ("campaign", row.campaign_id),
            (row.cost_per_lead),
        )
    for row in oracle_crm.funnel(crm, *span):
        dim = _dim("channel", row.member)
        yield "lead_to_opportunity_rate", row.period.label, dim, row.lead_to_opportunity
        yield "opportunity_to_won_rate", row.period.label, dim, row.opportunity_to_won
    for row in oracle_crm.conversion_time(crm, *span):
        yield "median_conversion_days", row.period.label, _dim("channel", row.member), row.days
    for position in ("first", "last"):
        for row in oracle_crm.touch_attribution(crm, position, *span):
            dim = _dim("channel", row.member)
            yield f"{position}_touch_iacv", row.period.label, dim, row.iacv


CRM_METRICS = (
    "time_in_stage", "tcv", "acv", "campaign_cost_per_lead", "lead_to_opportunity_rate",
    "opportunity_to_won_rate", "median_conversion_days", "first_touch_iacv", "last_touch_iacv",
)  # fmt: skip


MEDIANS = ("median_days_to_close", "time_in_stage", "median_conversion_days")


def oracle_sample_sizes(sources: Sources, now: datetime, fy_start_month: int) -> Values:
    """The n behind each CRM median (:data:`MEDIANS`), keyed like ``metric_values``."""
    first, last = history(sources, now)
    crm = sources["salesforce"]
    out: Values = {}
    for grain in GRAINS:
        span = (first, last, grain, fy_start_month)
        for sold in sales_metrics(crm["Opportunity"], *span):
            key = ("median_days_to_close", grain, sold.period.label, "total", "all")
            out[key] = Decimal(sold.closed_won_n)
        for row in oracle_crm.stage_durations(crm, *span):
            out[("time_in_stage", grain, row.period.label, "stage", row.member)] = Decimal(row.n)
        for row in oracle_crm.conversion_time(crm, *span):
            key = ("median_conversion_days", grain, row.period.label, *_dim("channel", row.member))
            out[key] = Decimal(row.n)
    return out
