"""Ground-truth oracle: every metric of the world, per period, computed in plain Python.

It reads the world's records (or hand-made tables of the same shape) and shares no code or
SQL with the dbt project in ``transform/``: the warehouse's numbers are checked against it.
Definitions and choices are in :mod:`bizops_sandbox.oracle_catalog`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from bizops_sandbox.oracle_arr import (
    FX_TO_USD,
    ArrBridge,
    ArrMonth,
    Record,
    arr_bridge,
    arr_months,
    charge_lines,
)
from bizops_sandbox.oracle_efficiency import EfficiencyQuarter, efficiency
from bizops_sandbox.oracle_marketing import MarketingPeriod, marketing_metrics
from bizops_sandbox.oracle_periods import history_days, live, utc_date
from bizops_sandbox.oracle_sales import SalesPeriod, sales_metrics
from bizops_sandbox.world import World
from bizops_sandbox.world_marketo import activity_record
from bizops_sandbox.world_zendesk import views as zendesk_views

ZUORA_OBJECTS = (
    "Account", "Subscription", "RatePlan", "RatePlanCharge",
    "Invoice", "InvoiceItem", "InvoicePayment", "Payment", "Refund",
)  # fmt: skip
SALESFORCE_OBJECTS = (
    "Account", "Opportunity", "OpportunityHistory", "Lead", "Contact", "Campaign",
    "CampaignMember",
)  # fmt: skip
HUBSPOT_OBJECTS = ("contacts", "form_submissions", "deals")
Sources = dict[str, dict[str, list[Record]]]


@dataclass(frozen=True)
class Metrics:
    """Every oracle metric for the periods of one grain over ``[first, last]``."""

    grain: str
    fy_start_month: int
    first: date
    last: date
    arr: list[ArrMonth]
    bridge: list[ArrBridge]
    sales: list[SalesPeriod]
    marketing: list[MarketingPeriod]
    efficiency: list[EfficiencyQuarter]


def sources_of(world: World) -> Sources:
    """Copies of the records the oracle reads, ``{"zuora": {...}, "salesforce": {...},
    "zendesk": {...}, "hubspot": {...}, "marketo": {...}}`` (Zendesk: every stream as of the
    world clock; Marketo: leads, programs and activities as the API shows them; deleted leads are
    not in ``leads``)."""
    return {
        "zuora": {name: world.records(name, "zuora") for name in ZUORA_OBJECTS},
        "salesforce": {name: world.records(name, "salesforce") for name in SALESFORCE_OBJECTS},
        "zendesk": {name: list(rows) for name, rows in zendesk_views(world).items()},
        # deep copies: a HubSpot record's properties are a dict a later mutate changes in place
        "hubspot": {
            name: copy.deepcopy(world.records(name, "hubspot")) for name in HUBSPOT_OBJECTS
        },
        "marketo": marketo_records(world),
    }


def marketo_records(world: World) -> dict[str, list[Record]]:
    """Copies of the world's Marketo leads, programs and activities."""
    state = world.marketo
    return {
        "leads": [copy.deepcopy(lead) for lead in state.leads.values()],
        "programs": [copy.deepcopy(program) for program in state.programs.values()],
        "activities": [activity_record(activity) for activity in state.activities],
    }


def history(sources: Sources, now: datetime) -> tuple[date, date]:
    """The first and last day of the world's history: from the earliest charge start, live
    (not deleted) opportunity or lead creation or campaign start to the last day before the
    clock."""
    zuora, crm = sources["zuora"], sources["salesforce"]
    days = [c["EffectiveStartDate"] for c in zuora["RatePlanCharge"]]
    days += [utc_date(r["CreatedDate"]) for r in live((*crm["Opportunity"], *crm["Lead"]))]
    days += [c["StartDate"] for c in live(crm["Campaign"]) if c["StartDate"]]
    return history_days(days, now)


def compute(
    sources: Sources,
    now: datetime,
    grain: str = "month",
    fy_start_month: int = 1,
    fx: Mapping[str, Decimal] = FX_TO_USD,
) -> Metrics:
    """Every metric for every period of ``grain`` in the history of ``sources`` up to ``now``.

    ARR is always given per month end (``arr``); the other lists have one row per period of
    ``grain`` (``month``, ``quarter`` or ``fiscal-year``, the fiscal year starting in month
    ``fy_start_month``); ``efficiency`` (magic number, sales efficiency) only at quarter grain.
    """
    first, last = history(sources, now)
    lines = charge_lines(sources["zuora"], fx)
    bridge = arr_bridge(lines, first, last, grain, fy_start_month)
    crm = sources["salesforce"]
    sales = sales_metrics(crm["Opportunity"], first, last, grain, fy_start_month)
    marketing = marketing_metrics(crm, bridge, first, last, grain, fy_start_month)
    quarterly = efficiency(bridge, sales, marketing) if grain == "quarter" else []
    return Metrics(
        grain, fy_start_month, first, last, arr_months(lines, first, last), bridge, sales,
        marketing, quarterly,
    )  # fmt: skip


def world_metrics(world: World, grain: str = "month", fy_start_month: int = 1) -> Metrics:
    """:func:`compute` over a world's current records and clock."""
    return compute(sources_of(world), world.now, grain, fy_start_month)
