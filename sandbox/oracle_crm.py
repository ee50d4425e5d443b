"""Ground-truth oracle: stage dwell times, contract values, campaign cohorts, the lead funnel,
conversion time and touch attribution of won IACV (Salesforce only).

Rules (also in the metric catalog ``transform/catalog/{sales,marketing}.yml``):

- Records are live (not soft-deleted) Salesforce rows. A period holds a fact by the date named
  per metric; every ``Id`` tie is broken by plain string order (code points).
- Stage dwell: an opportunity's ``OpportunityHistory`` rows ordered by ``CreatedDate``, then
  ``Id``; a stage's dwell is the UTC date of the next row minus the UTC date of its own, in
  days, placed in the period of that exit date (a stage not yet left has no dwell).
- TCV / ACV: ``Amount`` / ``ARR__c`` of closed-won opportunities of every type, by CloseDate.
- Campaign cohort: a campaign's ``ActualCost`` over the live leads it first-touched (all time
  up to the clock), placed in the period of its ``StartDate``.
- Person: a lead converted into a live contact is that contact, else the lead itself; a
  campaign member belongs to the person of its live lead, else to its contact.
- Funnel (cohort of leads created in the period, UTC date of ``CreatedDate``): a lead reached
  an opportunity when its ``ConvertedOpportunityId`` names a live opportunity, and won when
  that opportunity is closed-won. Channel = the campaign Type of the lead's first touch.
- Touches of an opportunity: the members of the persons of the live leads converted into it,
  created on or before its CloseDate (UTC date). Its first (last) touch is the earliest
  (latest) by ``CreatedDate``, then ``Id``. Conversion time of a closed-won opportunity =
  CloseDate - UTC date of its first touch; first-/last-touch IACV credits its IACV (``ARR__c``
  of New Business / Upsell) to the channel of that touch; both placed by CloseDate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any

from bizops_sandbox.oracle_marketing import first_touch
from bizops_sandbox.oracle_periods import Period, Ratio, live, periods, utc_date
from bizops_sandbox.oracle_sales import INCREMENTAL_TYPES, median

Record = dict[str, Any]
Crm = dict[str, Iterable[Record]]
ZERO = Decimal("0.00")
ALL = "all"


@dataclass(frozen=True)
class Median:
    """A median in days over ``n`` values of one period and breakdown member."""

    period: Period
    member: str
    days: Decimal | None
    n: int


@dataclass(frozen=True)
class ContractPeriod:
    """TCV and ACV of the deals won in one period."""

    period: Period
    tcv: Decimal
    acv: Decimal


@dataclass(frozen=True)
class CampaignCohort:
    """One campaign's cost over the leads it first-touched, in the period it started."""

    period: Period
    campaign_id: str
    spend: Decimal
    leads: int
    cost_per_lead: Ratio


@dataclass(frozen=True)
class FunnelPeriod:
    """The leads created in one period (of one channel, or ``all``) and how far they got."""

    period: Period
    member: str
    leads: int
    opportunities: int
    won: int
    lead_to_opportunity: Ratio
    opportunity_to_won: Ratio


@dataclass(frozen=True)
class Credit:
    """IACV won in one period credited to one channel (``all``: their sum) by one touch."""

    period: Period
    member: str
    iacv: Decimal


def _ordered(records: Iterable[Record]) -> list[Record]:
    return sorted(records, key=lambda r: (r["CreatedDate"], r["Id"]))


def _channels(crm: Crm) -> dict[str, str]:
    return {c["Id"]: c.get("Type") or "(none)" for c in live(crm["Campaign"])}


def stage_durations(
    crm: Crm, first: date, last: date, grain: str, fy_start_month: int = 1
) -> list[Median]:
    """Median days in each stage, per period of the exit and stage (stages with a dwell)."""
    opps = {o["Id"] for o in live(crm["Opportunity"])}
    by_opp: dict[str, list[Record]] = {}
    for row in live(crm["OpportunityHistory"]):
        if row["OpportunityId"] in opps:
            by_opp.setdefault(row["OpportunityId"], []).append(row)
    dwells: list[tuple[date, str, int]] = []
    for rows in by_opp.values():
        ordered = _ordered(rows)
        for entry, exit_ in pairwise(ordered):
            left = utc_date(exit_["CreatedDate"])
            dwells.append((left, entry["StageName"], (left - utc_date(entry["CreatedDate"])).days))
    out = []
    for period in periods(first, last, grain, fy_start_month):
        stages: dict[str, list[int]] = {}
        for left, stage, days in dwells:
            if left in period:
                stages.setdefault(stage, []).append(days)
        for stage in sorted(stages):
            out.append(Median(period, stage, median(stages[stage]), len(stages[stage])))
    return out


def contract_values(
    crm: Crm, first: date, last: date, grain: str, fy_start_month: int = 1
) -> list[ContractPeriod]:
    """TCV (sum of Amount) and ACV (sum of ARR__c) of the deals won in every period."""
    won = [o for o in live(crm["Opportunity"]) if o["IsClosed"] and o["IsWon"]]
    out = []
    for period in periods(first, last, grain, fy_start_month):
        closed = [o for o in won if o["CloseDate"] in period]
        out.append(ContractPeriod(
            period, sum((o["Amount"] or ZERO for o in closed), ZERO),
            sum((o["ARR__c"] or ZERO for o in closed), ZERO),
        ))  # fmt: skip
    return out


def campaign_cohorts(
    crm: Crm, first: date, last: date, grain: str, fy_start_month: int = 1
) -> list[CampaignCohort]:
    """Each live campaign's ActualCost (none: 0) / its first-touch leads, in the period of its
    StartDate (campaigns without one, or starting outside every period, are left out)."""
    counts: dict[str, int] = {}
    for campaign_id in first_touch(crm["Lead"], crm["CampaignMember"]).values():
        counts[campaign_id] = counts.get(campaign_id, 0) + 1
    campaigns = sorted(live(crm["Campaign"]), key=lambda c: c["Id"])
    out = []
    for period in periods(first, last, grain, fy_start_month):
        for campaign in campaigns:
            if campaign["StartDate"] in period:
                spend = campaign["ActualCost"] if campaign["ActualCost"] is not None else ZERO
                leads = counts.get(campaign["Id"], 0)
                out.append(CampaignCohort(
                    period, campaign["Id"], spend, leads, Ratio(spend, Decimal(leads))
                ))  # fmt: skip
    return out


def funnel(crm: Crm, first: date, last: date, grain: str, fy_start_month: int = 1):
    """Lead -> opportunity -> won of the leads created in every period: in total (member
    ``all``) and per first-touch channel (channels with leads in the period)."""
    opps = {o["Id"]: o for o in live(crm["Opportunity"])}
    leads = live(crm["Lead"])
    touched, channels = first_touch(leads, crm["CampaignMember"]), _channels(crm)
    out: list[FunnelPeriod] = []
    for period in periods(first, last, grain, fy_start_month):
        groups: dict[str, list[Record]] = {ALL: []}
        for lead in leads:
            if utc_date(lead["CreatedDate"]) in period:
                groups[ALL].append(lead)
                channel = channels.get(touched.get(lead["Id"], ""))
                if channel is not None:
                    groups.setdefault(channel, []).append(lead)
        for member in sorted(groups, key=lambda m: (m != ALL, m)):
            reached = [opps[lead["ConvertedOpportunityId"]] for lead in groups[member]
                       if lead.get("ConvertedOpportunityId") in opps]  # fmt: skip
            won = sum(1 for o in reached if o["IsClosed"] and o["IsWon"])
            n, m = len(groups[member]), len(reached)
            out.append(FunnelPeriod(
                period, member, n, m, won, Ratio(Decimal(m), Decimal(n)),
                Ratio(Decimal(won), Decimal(m)),
            ))  # fmt: skip
    return out


def opportunity_touches(crm: Crm) -> dict[str, list[Record]]:
    """Live opportunity id -> the touches of the persons converted into it, up to its
    CloseDate, ordered by CreatedDate then Id (opportunities without touches left out)."""
    contacts = {c["Id"] for c in live(crm["Contact"])}
    leads = {lead["Id"]: lead for lead in live(crm["Lead"])}

    def person(lead: Record) -> str:
        contact = lead.get("ConvertedContactId")
        return contact if contact in contacts else lead["Id"]

    by_person: dict[str, list[Record]] = {}
    for member in live(crm["CampaignMember"]):
        lead = leads.get(member["LeadId"] or "")
        who = person(lead) if lead is not None else member.get("ContactId")
        if who is not None:
            by_person.setdefault(who, []).append(member)
    opps = {o["Id"]: o for o in live(crm["Opportunity"])}
    persons: dict[str, set[str]] = {}
    for lead in leads.values():
        if lead.get("ConvertedOpportunityId") in opps:
            persons.setdefault(lead["ConvertedOpportunityId"], set()).add(person(lead))
    out = {}
    for opp_id, who in persons.items():
        close = opps[opp_id]["CloseDate"]
        touches = [
            m for p in who for m in by_person.get(p, []) if utc_date(m["CreatedDate"]) <= close
        ]
        if touches:
            out[opp_id] = _ordered(touches)
    return out


def _won_with_touches(crm: Crm) -> list[tuple[Record, list[Record]]]:
    touches = opportunity_touches(crm)
    return [(o, touches[o["Id"]]) for o in live(crm["Opportunity"])
            if o["IsClosed"] and o["IsWon"] and o["Id"] in touches]  # fmt: skip


def conversion_time(
    crm: Crm, first: date, last: date, grain: str, fy_start_month: int = 1
) -> list[Median]:
    """Median days from first touch to close of the closed-won opportunities (every type)
    closed in each period that have a touch: in total (``all``, every period) and per channel
    of the first touch (channels with such deals)."""
    channels, won = _channels(crm), _won_with_touches(crm)
    out = []
    for period in periods(first, last, grain, fy_start_month):
        groups: dict[str, list[int]] = {ALL: []}
        for opp, touches in won:
            if opp["CloseDate"] in period:
                days = (opp["CloseDate"] - utc_date(touches[0]["CreatedDate"])).days
                groups[ALL].append(days)
                channel = channels.get(touches[0]["CampaignId"])
                if channel is not None:
                    groups.setdefault(channel, []).append(days)
        for member in sorted(groups, key=lambda m: (m != ALL, m)):
            out.append(Median(period, member, median(groups[member]), len(groups[member])))
    return out


def touch_attribution(
    crm: Crm, position: str, first: date, last: date, grain: str, fy_start_month: int = 1
) -> list[Credit]:
    """IACV of the deals booked in each period (closed-won New Business / Upsell) credited to
    the channel of their first (``position="first"``) or last touch; ``all`` = the sum credited
    (every period), channels with credit listed."""
    if position not in ("first", "last"):
        raise ValueError(f"position must be 'first' or 'last', got {position!r}")
    channels = _channels(crm)
    booked = [(o, t) for o, t in _won_with_touches(crm) if o["Type"] in INCREMENTAL_TYPES]
    out = []
    for period in periods(first, last, grain, fy_start_month):
        credit: dict[str, Decimal] = {}
        for opp, touches in booked:
            touch = touches[0] if position == "first" else touches[-1]
            channel = channels.get(touch["CampaignId"])
            if opp["CloseDate"] in period and channel is not None:
                credit[channel] = credit.get(channel, ZERO) + (opp["ARR__c"] or ZERO)
        out.append(Credit(period, ALL, sum(credit.values(), ZERO)))
        out.extend(Credit(period, channel, credit[channel]) for channel in sorted(credit))
    return out
