"""Ground-truth oracle: campaign spend, leads, cost per lead (first touch) and blended CAC.

Rules (also in the metric catalog):

- Spend: a campaign's whole ``ActualCost`` is placed on its ``StartDate`` (the cost date; the
  world has no finer cost records). Campaigns without an ActualCost spend nothing; one that
  starts after the clock (the world plans some) spends outside the history.
- Leads: Salesforce ``Lead`` rows (not deleted) placed by the UTC date of ``CreatedDate``.
- First-touch attribution: a lead's campaign is that of its earliest ``CampaignMember`` (not
  deleted, ``LeadId`` = the lead), by ``CreatedDate`` then member ``Id``; a lead with no member
  row is unattributed. Cost per lead = spend / attributed leads (the seeds' "dollar spend /
  number of attributed leads"), per period (both placed by their own dates) and per campaign
  (its ActualCost / the leads first-touched by it, over all time).
- CAC (blended) = spend / new customers of the period (customers whose ARR first became > 0
  in it, from the ARR bridge). Campaign cost is the only sales-and-marketing spend the sources
  hold until a finance source exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bizops_sandbox.oracle_arr import ArrBridge
from bizops_sandbox.oracle_periods import Period, Ratio, live, periods, utc_date

Record = dict[str, Any]
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class MarketingPeriod:
    """Spend, leads, cost per lead and CAC of one period.

    Attributes:
        spend: sum of ActualCost of campaigns starting in it.
        leads: leads created in it; attributed_leads: those with a first touch.
        cost_per_lead: spend / attributed_leads.
        new_customers: from the ARR bridge of the same period.
        cac: spend / new_customers.
    """

    period: Period
    spend: Decimal
    leads: int
    attributed_leads: int
    cost_per_lead: Ratio
    new_customers: int
    cac: Ratio


@dataclass(frozen=True)
class CampaignCost:
    """One campaign's cost and the leads first-touched by it (all time)."""

    campaign_id: str
    spend: Decimal
    leads: int
    cost_per_lead: Ratio


def first_touch(leads: Iterable[Record], members: Iterable[Record]) -> dict[str, str]:
    """Lead id -> campaign id of its first touch, for every live lead that has one."""
    lead_ids = {lead["Id"] for lead in live(leads)}
    first: dict[str, Record] = {}
    for member in live(members):
        lead = member["LeadId"]
        if lead not in lead_ids:
            continue
        key = (member["CreatedDate"], member["Id"])
        if lead not in first or key < (first[lead]["CreatedDate"], first[lead]["Id"]):
            first[lead] = member
    return {lead: member["CampaignId"] for lead, member in first.items()}


def marketing_metrics(
    salesforce: dict[str, Iterable[Record]],
    bridge: list[ArrBridge],
    first: date,
    last: date,
    grain: str,
    fy_start_month: int = 1,
) -> list[MarketingPeriod]:
    """The marketing metrics of every period of ``grain`` from ``first`` to ``last``.

    ``bridge`` must be the ARR bridge of the same periods (it gives the new customers).

    Raises:
        ValueError: ``bridge`` does not cover exactly these periods.
    """
    chosen = periods(first, last, grain, fy_start_month)
    if [b.period for b in bridge] != chosen:
        raise ValueError("the ARR bridge does not cover the same periods")
    campaigns = live(salesforce["Campaign"])
    leads = live(salesforce["Lead"])
    touched = first_touch(leads, salesforce["CampaignMember"])
    out = []
    for period, moves in zip(chosen, bridge, strict=True):
        spend = sum(
            (c["ActualCost"] for c in campaigns if c["ActualCost"] is not None
             and c["StartDate"] in period), ZERO,
        )  # fmt: skip
        created = [lead for lead in leads if utc_date(lead["CreatedDate"]) in period]
        attributed = sum(1 for lead in created if lead["Id"] in touched)
        out.append(MarketingPeriod(
            period, spend, len(created), attributed, Ratio(spend, Decimal(attributed)),
            moves.new_customers, Ratio(spend, Decimal(moves.new_customers)),
        ))  # fmt: skip
    return out


def campaign_costs(salesforce: dict[str, Iterable[Record]]) -> list[CampaignCost]:
    """Every live campaign's ActualCost and first-touch leads, in campaign order."""
    touched = first_touch(salesforce["Lead"], salesforce["CampaignMember"])
    counts: dict[str, int] = {}
    for campaign_id in touched.values():
        counts[campaign_id] = counts.get(campaign_id, 0) + 1
    out = []
    for campaign in live(salesforce["Campaign"]):
        spend = campaign["ActualCost"] if campaign["ActualCost"] is not None else ZERO
        leads = counts.get(campaign["Id"], 0)
        out.append(CampaignCost(campaign["Id"], spend, leads, Ratio(spend, Decimal(leads))))
    return out


@dataclass(frozen=True)
class ChannelPeriod:
    """Spend and first-touch leads of one channel (``Campaign.Type``) in one period."""

    period: Period
    channel: str
    spend: Decimal
    attributed_leads: int
    cost_per_lead: Ratio


def channel_metrics(
    salesforce: dict[str, Iterable[Record]],
    first: date,
    last: date,
    grain: str,
    fy_start_month: int = 1,
) -> list[ChannelPeriod]:
    """Spend and cost per first-touch lead per channel and period, for every channel that has
    spend or leads in the period (a campaign without a Type is channel ``(none)``)."""
    campaigns = {c["Id"]: c for c in live(salesforce["Campaign"])}
    leads = live(salesforce["Lead"])
    touched = first_touch(leads, salesforce["CampaignMember"])
    out = []
    for period in periods(first, last, grain, fy_start_month):
        spend: dict[str, Decimal] = {}
        counts: dict[str, int] = {}
        for campaign in campaigns.values():
            if campaign["ActualCost"] is not None and campaign["StartDate"] in period:
                channel = _channel(campaign)
                spend[channel] = spend.get(channel, ZERO) + campaign["ActualCost"]
        for lead in leads:
            campaign = campaigns.get(touched.get(lead["Id"], ""))
            if campaign is not None and utc_date(lead["CreatedDate"]) in period:
                counts[_channel(campaign)] = counts.get(_channel(campaign), 0) + 1
        for channel in sorted(spend.keys() | counts.keys()):
            money, n = spend.get(channel, ZERO), counts.get(channel, 0)
            out.append(ChannelPeriod(period, channel, money, n, Ratio(money, Decimal(n))))
    return out


def _channel(campaign: Record) -> str:
    return campaign.get("Type") or "(none)"
