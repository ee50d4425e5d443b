"""Ground-truth oracle: sales-accepted opportunities (SQL = SAO) and their cost, stage-to-stage
conversion, and up-sell deals (Salesforce only).

Rules (also in the metric catalog ``transform/catalog/pipeline.yml``):

- SAO: a live opportunity (every Type) with a ``Sales_Accepted_Date__c``, placed by that date.
  Per channel: the channel (campaign ``Type``, ``(none)`` when empty) of its first touch, as in
  :func:`bizops_sandbox.oracle_crm.opportunity_touches`; one without a touch is in the total
  only. Cost per SAO = spend (``ActualCost`` on ``StartDate``) of the period / its SAOs; per
  channel, the channel's spend / its first-touched SAOs; channels with spend or SAOs listed.
- Stage conversion: the cohort is the live opportunities created in the period (UTC date of
  ``CreatedDate``). An opportunity reached stage k when any of its live ``OpportunityHistory``
  rows is at stage k or a later one of ``STAGE_ORDER`` (skipped stages count as reached; closed
  lost / unqualified rows reach nothing). conversion(k) = reached k+1 / reached k, given for
  every stage but the last with at least one opportunity reaching it; member = stage k.
- Up-sell: the world's plans have tiers (Starter, Enterprise) but no customer changes plan,
  so up-sell is the closed-won ``Upsell`` opportunities closed in the period: their number
  and their IACV (``ARR__c``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bizops_sandbox.oracle_crm import ALL, opportunity_touches
from bizops_sandbox.oracle_periods import Period, Ratio, live, periods, utc_date

Record = dict[str, Any]
Crm = dict[str, Iterable[Record]]
ZERO = Decimal("0.00")
# The world's sales stages in order, the win last (world_salesforce.STAGES + Closed Won).
STAGE_ORDER = ("Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote",
               "Negotiation/Review", "Closed Won")  # fmt: skip


@dataclass(frozen=True)
class SaoPeriod:
    """SAOs, spend and cost per SAO of one channel (``all``: in total) in one period."""

    period: Period
    member: str
    saos: int
    spend: Decimal
    cost_per_sao: Ratio


@dataclass(frozen=True)
class StageConversion:
    """Of the period's new opportunities, how many reached ``stage`` and the next one."""

    period: Period
    stage: str
    reached: int
    advanced: int
    rate: Ratio


@dataclass(frozen=True)
class UpsellPeriod:
    """Closed-won Upsell deals of one period: how many and their IACV."""

    period: Period
    deals: int
    iacv: Decimal


def _channels(crm: Crm) -> dict[str, str]:
    return {c["Id"]: c.get("Type") or "(none)" for c in live(crm["Campaign"])}


def sao(crm: Crm, first: date, last: date, grain: str, fy_start_month: int = 1) -> list[SaoPeriod]:
    """SAOs and cost per SAO per period: in total (every period) and per channel."""
    channels = _channels(crm)
    touches = opportunity_touches(crm)
    accepted = []
    for opp in live(crm["Opportunity"]):
        if opp.get("Sales_Accepted_Date__c") is not None:
            touch = touches.get(opp["Id"])
            accepted.append((opp, channels.get(touch[0]["CampaignId"]) if touch else None))
    out = []
    for period in periods(first, last, grain, fy_start_month):
        spend: dict[str, Decimal] = {}
        for campaign in live(crm["Campaign"]):
            if campaign["ActualCost"] is not None and campaign["StartDate"] in period:
                channel = channels[campaign["Id"]]
                spend[channel] = spend.get(channel, ZERO) + campaign["ActualCost"]
        counts: dict[str, int] = {}
        total = 0
        for opp, channel in accepted:
            if opp["Sales_Accepted_Date__c"] in period:
                total += 1
                if channel is not None:
                    counts[channel] = counts.get(channel, 0) + 1
        money = sum(spend.values(), ZERO)
        out.append(SaoPeriod(period, ALL, total, money, Ratio(money, Decimal(total))))
        for channel in sorted(spend.keys() | counts.keys()):
            money, n = spend.get(channel, ZERO), counts.get(channel, 0)
            out.append(SaoPeriod(period, channel, n, money, Ratio(money, Decimal(n))))
    return out


def stage_conversion(
    crm: Crm, first: date, last: date, grain: str, fy_start_month: int = 1
) -> list[StageConversion]:
    """Stage k -> k+1 conversion of the opportunities created in each period."""
    rank = {stage: number for number, stage in enumerate(STAGE_ORDER)}
    furthest: dict[str, int] = {}
    for row in live(crm["OpportunityHistory"]):
        if row["StageName"] in rank:
            opp = row["OpportunityId"]
            furthest[opp] = max(furthest.get(opp, -1), rank[row["StageName"]])
    opps = live(crm["Opportunity"])
    out = []
    for period in periods(first, last, grain, fy_start_month):
        cohort = [furthest.get(o["Id"], -1) for o in opps if utc_date(o["CreatedDate"]) in period]
        for number, stage in enumerate(STAGE_ORDER[:-1]):
            reached = sum(1 for top in cohort if top >= number)
            advanced = sum(1 for top in cohort if top >= number + 1)
            if reached:
                out.append(StageConversion(
                    period, stage, reached, advanced, Ratio(Decimal(advanced), Decimal(reached))
                ))  # fmt: skip
    return out


def upsells(
    crm: Crm, first: date, last: date, grain: str, fy_start_month: int = 1
) -> list[UpsellPeriod]:
    """Closed-won Upsell opportunities closed in each period: count and IACV."""
    won = [o for o in live(crm["Opportunity"])
           if o["IsClosed"] and o["IsWon"] and o["Type"] == "Upsell"]  # fmt: skip
    out = []
    for period in periods(first, last, grain, fy_start_month):
        closed = [o for o in won if o["CloseDate"] in period]
        iacv = sum((o["ARR__c"] or ZERO for o in closed), ZERO)
        out.append(UpsellPeriod(period, len(closed), iacv))
    return out
