"""The sandbox oracle's metrics in the long shape of the warehouse's ``metric_values``.

Key: ``(metric, grain, period_label, dimension, member)``; value: a Decimal, or None where the
metric is undefined (a ratio over zero). Totals have dimension ``total`` and member ``all``.
This adapter only renames and reshapes the oracle's numbers; it computes none.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from bizops_sandbox.oracle import Metrics, Sources, compute
from bizops_sandbox.oracle_arr import charge_lines
from bizops_sandbox.oracle_efficiency import ltv_to_cac
from bizops_sandbox.oracle_finance import finance_metrics
from bizops_sandbox.oracle_lead_touch import converted_leads
from bizops_sandbox.oracle_marketing import channel_metrics
from bizops_sandbox.oracle_periods import GRAINS, Ratio, period_of
from bizops_sandbox.oracle_retention import retention
from bizops_sandbox.oracle_segment import segment_metrics
from tests.transform.oracle_values_acquisition import (
    ACQUISITION_METRICS,
    PIPELINE_METRICS,
    acquisition_rows,
    pipeline_rows,
)
from tests.transform.oracle_values_attribution import ATTRIBUTION_METRICS, attribution_rows
from tests.transform.oracle_values_crm import CRM_METRICS, crm_rows
from tests.transform.oracle_values_renewal import RENEWAL_METRICS, renewal_rows
from tests.transform.oracle_values_support import SUPPORT_METRICS, support_rows

Key = tuple[str, str, str, str, str]
Values = dict[Key, Decimal | None]
TOTAL = ("total", "all")


def _number(value: Any) -> Decimal | None:
    if isinstance(value, Ratio):
        return value.value()
    if value is None:
        return None
    return Decimal(value)


def _arr_at_period_ends(metrics: Metrics) -> Iterator[tuple[str, str, Any]]:
    """MRR, ARR and customers at the end of each period (its last month in the history)."""
    by_month = {row.month.label: row for row in metrics.arr}
    for moves in metrics.bridge:
        last_day = min(moves.period.end, metrics.last)
        row = by_month[period_of(last_day, "month").label]
        for name in ("mrr", "arr", "customers"):
            yield name, moves.period.label, getattr(row, name)


BRIDGE = {
    "new_arr": "new", "reactivation_arr": "reactivation", "expansion_arr": "expansion",
    "contraction_arr": "contraction", "churn_arr": "churn", "net_new_arr": "net_new",
    "new_customers": "new_customers", "churned_customers": "churned_customers",
}  # fmt: skip
SALES = (
    "iacv", "bookings", "win_rate_count", "win_rate_amount", "average_deal_size",
    "pipeline_created", "median_days_to_close",
)  # fmt: skip
MARKETING = {
    "campaign_spend": "spend", "leads": "leads", "attributed_leads": "attributed_leads",
    "cost_per_lead": "cost_per_lead", "cac": "cac",
}  # fmt: skip
CHANNEL = {"campaign_spend": "spend", "attributed_leads": "attributed_leads",
           "cost_per_lead": "cost_per_lead"}  # fmt: skip
EFFICIENCY = ("magic_number", "sales_efficiency")
# metric: the grains it is given at (oracle_retention.RetentionPeriod has a field of its name)
RETENTION = {
    "net_revenue_retention": ("quarter", "fiscal-year"),
    "gross_revenue_retention": ("quarter", "fiscal-year"),
    "arpa": GRAINS,
    "ltv": ("quarter", "fiscal-year"),
}
FINANCE = ("billings", "collections", "dso", "order_to_cash_days")
# metrics also given by sales segment (oracle_segment.SegmentPeriod has a field of each name)
SEGMENT = ("arr", "customers", "new_arr", "net_new_arr", "iacv", "bookings", "win_rate_count")


def oracle_values(sources: Sources, now: datetime, fy_start_month: int) -> Values:
    """Every oracle metric at every grain, keyed like ``metric_values``."""
    out: Values = {}
    for grain in GRAINS:
        metrics = compute(sources, now, grain, fy_start_month)

        def put(
            metric: str, label: str, value: Any, dim: tuple[str, str] = TOTAL, grain: str = grain
        ) -> None:
            key = (metric, grain, label, *dim)
            assert key not in out, key
            out[key] = _number(value)

        for metric, label, value in _arr_at_period_ends(metrics):
            put(metric, label, value)
        for moves in metrics.bridge:
            for metric, field in BRIDGE.items():
                put(metric, moves.period.label, getattr(moves, field))
        for sold in metrics.sales:
            for metric in SALES:
                put(metric, sold.period.label, getattr(sold, metric))
        for spent in metrics.marketing:
            for metric, field in MARKETING.items():
                put(metric, spent.period.label, getattr(spent, field))
        channels = channel_metrics(
            sources["salesforce"], metrics.first, metrics.last, grain, fy_start_month
        )
        for row in channels:
            for metric, field in CHANNEL.items():
                put(metric, row.period.label, getattr(row, field), ("channel", row.channel))
        for rows in (crm_rows, acquisition_rows, pipeline_rows, attribution_rows):
            for metric, label, dim, value in rows(
                sources, metrics.first, metrics.last, grain, fy_start_month
            ):
                put(metric, label, value, dim)
        for quarter in metrics.efficiency:
            for metric in EFFICIENCY:
                put(metric, quarter.period.label, getattr(quarter, metric))
        lines = charge_lines(sources["zuora"])
        kept_periods = retention(lines, metrics.bridge, metrics.last)
        for kept in kept_periods:
            for metric, grains in RETENTION.items():
                if grain in grains:
                    put(metric, kept.period.label, getattr(kept, metric))
        if grain in RETENTION["ltv"]:
            pairs = [(kept.period, kept.ltv) for kept in kept_periods]
            for period, value in ltv_to_cac(pairs, metrics.marketing):
                put("ltv_to_cac", period.label, value)
        for period, channel, count in converted_leads(
            sources["salesforce"], metrics.first, metrics.last, grain, fy_start_month
        ):
            dim = TOTAL if channel is None else ("channel", channel)
            put("converted_leads", period.label, count, dim)
        for row in segment_metrics(sources, metrics.first, metrics.last, grain, fy_start_month):
            for metric in SEGMENT:
                put(metric, row.period.label, getattr(row, metric), ("segment", row.segment))
        for metric, label, value, _ in renewal_rows(
            sources, metrics.first, metrics.last, grain, fy_start_month
        ):
            put(metric, label, value)
        for metric, label, dim, value, _ in support_rows(
            sources, metrics.first, metrics.last, grain, fy_start_month
        ):
            put(metric, label, value, dim)
        zuora = sources["zuora"]
        for row in finance_metrics(zuora, metrics.first, metrics.last, grain, fy_start_month):
            for metric in FINANCE:
                put(metric, row.period.label, getattr(row, metric))
    return out


def only(values: Values, metric: str) -> Values:
    """The entries of one metric."""
    return {key: value for key, value in values.items() if key[0] == metric}


METRICS: tuple[str, ...] = (
    "mrr", "arr", "customers", *BRIDGE, *SALES, *MARKETING, *EFFICIENCY, *RETENTION,
    *CRM_METRICS, *FINANCE, "ltv_to_cac", "converted_leads", *ACQUISITION_METRICS,
    *PIPELINE_METRICS, *RENEWAL_METRICS, *SUPPORT_METRICS, *ATTRIBUTION_METRICS,
)  # fmt: skip
