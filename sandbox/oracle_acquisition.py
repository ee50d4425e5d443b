"""Ground-truth oracle: CAC per channel, campaign return, and IACV at a fixed conversion horizon.

Rules (also in the metric catalog ``transform/catalog/acquisition.yml``):

- Touches of a closed-won opportunity and its first touch are those of
  :func:`bizops_sandbox.oracle_crm.opportunity_touches` (the members of the persons converted
  into it, up to its CloseDate, earliest by ``CreatedDate`` then ``Id``); its channel is the
  ``Type`` of that touch's campaign (``(none)`` when empty).
- New customer: a live closed-won *New Business* opportunity (the world's first orders), placed
  by its ``CloseDate`` and credited in full to the channel of its first touch; one without a
  touch is unattributed. CAC per channel = the channel's spend (``ActualCost`` on
  ``StartDate``) in the period / its new customers in the period; the total = all spend / all
  attributed new customers. Channels listed: those with spend or new customers in the period.
- Campaign return: a live campaign's first-touch IACV (``ARR__c`` of closed-won New Business /
  Upsell deals whose first touch is a member of it, all time up to the clock) / its
  ``ActualCost`` (none: 0), in the period of its ``StartDate``.
- IACV at the horizon T (``HORIZON_DAYS``): cohort = the bookings (closed-won New Business /
  Upsell) whose first touch falls in the period (UTC date); IACV_T = their IACV where
  ``CloseDate - first touch <= T`` days; given only when the cohort has matured
  (``last day of the history - period end >= T``), else undefined. Estimated IACV = 2 x IACV_T
  (the seeds' heuristic: by the median conversion time half the conversions have happened).
  Total in every period; channels (of the first touch) with cohort bookings in matured periods.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bizops_sandbox.oracle_crm import ALL, opportunity_touches
from bizops_sandbox.oracle_periods import Period, Ratio, live, periods, utc_date
from bizops_sandbox.oracle_sales import INCREMENTAL_TYPES

Record = dict[str, Any]
Crm = dict[str, Iterable[Record]]
ZERO = Decimal("0.00")
# About the world's measured median conversion time (touch to won, 32 to 43 days a year).
HORIZON_DAYS = 45


@dataclass(frozen=True)
class ChannelCac:
    """Spend, new customers and their ratio of one channel (``all``: every channel)."""

    period: Period
    member: str
    spend: Decimal
    new_customers: int
    cac: Ratio


@dataclass(frozen=True)
class CampaignReturn:
    """One campaign's first-touch IACV per dollar of its cost, in the period it started."""

    period: Period
    campaign_id: str
    spend: Decimal
    iacv: Decimal
    iacv_per_cost: Ratio


@dataclass(frozen=True)
class HorizonIacv:
    """IACV of one touch cohort converted within the horizon; None while immature."""

    period: Period
    member: str
    iacv: Decimal | None

    @property
    def estimated(self) -> Decimal | None:
        """2 x IACV_T, or None while the cohort is immature."""
        return None if self.iacv is None else 2 * self.iacv


def _channels(crm: Crm) -> dict[str, str]:
    return {c["Id"]: c.get("Type") or "(none)" for c in live(crm["Campaign"])}


def _won_first_touch(crm: Crm, types: frozenset[str]) -> list[tuple[Record, Record]]:
    """(opportunity, first touch) of the live closed-won opportunities of ``types`` that have
    a touch."""
    touches = opportunity_touches(crm)
    return [(o, touches[o["Id"]][0]) for o in live(crm["Opportunity"])
            if o["IsClosed"] and o["IsWon"] and o["Type"] in types
            and o["Id"] in touches]  # fmt: skip


def channel_cac(
    crm: Crm, first: date, last: date, grain: str, fy_start_month: int = 1
) -> list[ChannelCac]:
    """CAC per first-touch channel and in total, every period of ``grain``."""
    campaigns = live(crm["Campaign"])
    channels = _channels(crm)
    won = _won_first_touch(crm, frozenset({"New Business"}))
    out = []
    for period in periods(first, last, grain, fy_start_month):
        spend: dict[str, Decimal] = {}
        for campaign in campaigns:
            if campaign["ActualCost"] is not None and campaign["StartDate"] in period:
                channel = channels[campaign["Id"]]
                spend[channel] = spend.get(channel, ZERO) + campaign["ActualCost"]
        customers: dict[str, int] = {}
        for opp, touch in won:
            channel = channels.get(touch["CampaignId"])
            if opp["CloseDate"] in period and channel is not None:
                customers[channel] = customers.get(channel, 0) + 1
        total_spend, total_customers = sum(spend.values(), ZERO), sum(customers.values())
        out.append(ChannelCac(period, ALL, total_spend, total_customers,
                              Ratio(total_spend, Decimal(total_customers))))  # fmt: skip
        for channel in sorted(spend.keys() | customers.keys()):
            money, n = spend.get(channel, ZERO), customers.get(channel, 0)
            out.append(ChannelCac(period, channel, money, n, Ratio(money, Decimal(n))))
    return out


def campaign_returns(
    crm: Crm, first: date, last: date, grain: str, fy_start_month: int = 1
) -> list[CampaignReturn]:
    """First-touch IACV / ActualCost of every live campaign, in the period of its StartDate
    (campaigns without one, or starting outside every period, are left out)."""
    credit: dict[str, Decimal] = {}
    for opp, touch in _won_first_touch(crm, INCREMENTAL_TYPES):
        campaign = touch["CampaignId"]
        credit[campaign] = credit.get(campaign, ZERO) + (opp["ARR__c"] or ZERO)
    campaigns = sorted(live(crm["Campaign"]), key=lambda c: c["Id"])
    out = []
    for period in periods(first, last, grain, fy_start_month):
        for campaign in campaigns:
            if campaign["StartDate"] in period:
                spend = campaign["ActualCost"] if campaign["ActualCost"] is not None else ZERO
                iacv = credit.get(campaign["Id"], ZERO)
                out.append(CampaignReturn(period, campaign["Id"], spend, iacv, Ratio(iacv, spend)))
    return out


def iacv_at_horizon(
    crm: Crm,
    first: date,
    last: date,
    grain: str,
    fy_start_month: int = 1,
    horizon_days: int = HORIZON_DAYS,
) -> list[HorizonIacv]:
    """IACV of each first-touch cohort won within ``horizon_days`` of the touch: in total
    (``all``, every period; None while immature) and per channel (matured periods only)."""
    channels = _channels(crm)
    booked = _won_first_touch(crm, INCREMENTAL_TYPES)
    out = []
    for period in periods(first, last, grain, fy_start_month):
        if (last - period.end).days < horizon_days:
            out.append(HorizonIacv(period, ALL, None))
            continue
        credit: dict[str, Decimal] = {}
        total = ZERO
        for opp, touch in booked:
            touched = utc_date(touch["CreatedDate"])
            if touched not in period:
                continue
            iacv = (opp["ARR__c"] or ZERO) if (opp["CloseDate"] - touched).days <= horizon_days \
                else ZERO  # fmt: skip
            total += iacv
            channel = channels.get(touch["CampaignId"])
            if channel is not None:
                credit[channel] = credit.get(channel, ZERO) + iacv
        out.append(HorizonIacv(period, ALL, total))
        out.extend(HorizonIacv(period, channel, credit[channel]) for channel in sorted(credit))
    return out
