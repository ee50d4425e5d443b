"""The acquisition oracle's metrics (bizops_sandbox.oracle_acquisition) in the keys of
``metric_values``. Like :mod:`tests.transform.oracle_values`, it only renames and reshapes the
oracle's numbers; it computes none."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from bizops_sandbox import oracle_acquisition, oracle_pipeline
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


def pipeline_rows(
    sources: Sources, first: date, last: date, grain: str, fy_start_month: int
) -> Iterator[Row]:
    """Every value of the SAO, stage conversion and up-sell metrics at one grain."""
    crm = sources["salesforce"]
    span = (first, last, grain, fy_start_month)
    for row in oracle_pipeline.sao(crm, *span):
        dim = _dim("channel", row.member)
        yield "sao", row.period.label, dim, row.saos
        yield "cost_per_sao", row.period.label, dim, row.cost_per_sao
    for row in oracle_pipeline.stage_conversion(crm, *span):
        yield "stage_conversion", row.period.label, ("stage", row.stage), row.rate
    for row in oracle_pipeline.upsells(crm, *span):
        yield "upsells", row.period.label, ("total", "all"), row.deals
        yield "upsell_iacv", row.period.label, ("total", "all"), row.iacv


PIPELINE_METRICS = ("sao", "cost_per_sao", "stage_conversion", "upsells", "upsell_iacv")
