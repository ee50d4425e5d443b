"""Ground-truth oracle: MQLs, program spend and cost per MQL.

Rules (also in the metric catalog, ``transform/catalog/marketing_automation.yml``):

- Program spend: Marketo program period costs (``costs[]``) placed on their ``startDate``;
  per channel: the program channel mapped (oracle_touches.PROGRAM_CHANNEL). Every period has a
  total (0 when nothing); a channel is listed where it has a cost row.
- MQL: a person's MQL moment is the earliest ``hs_lifecyclestage_marketingqualifiedlead_date``
  of the live HubSpot contacts resolved to it (oracle_touches.people); the person counts once,
  in the period of the UTC date of that moment (first MQL per person). Contacts that resolve to
  no person are not counted. The Marketo world holds a lead score but no MQL date and no score
  history (no Change Score activity), so the MQL date comes from HubSpot's lifecycle stage.
- Cost per MQL = program spend of the period / its MQLs (4 decimals; null without MQLs).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from bizops_sandbox.oracle_attribution import channel_spend
from bizops_sandbox.oracle_periods import Period, periods, utc_date
from bizops_sandbox.oracle_touches import Sources, people

MQL_PROPERTY = "hs_lifecyclestage_marketingqualifiedlead_date"


def first_mql(sources: Sources) -> dict[str, datetime]:
    """Person -> the moment of its first MQL, for every person with one."""
    who = people(sources)
    out: dict[str, datetime] = {}
    for contact in sources["hubspot"]["contacts"]:
        person = who.hubspot.get(contact["id"])
        moment = contact["properties"].get(MQL_PROPERTY)
        if contact["archived"] or person is None or moment is None:
            continue
        if person not in out or moment < out[person]:
            out[person] = moment
    return out


def mql_rows(
    sources: Sources, first: date, last: date, grain: str, fy_start_month: int = 1
) -> list[tuple[str, Period, str | None, Decimal | None]]:
    """(metric, period, channel or None for the total, value) of program_spend, mql and
    cost_per_mql."""
    spend = channel_spend(sources["marketo"]["programs"])
    mqls = [utc_date(moment) for moment in first_mql(sources).values()]
    out: list[tuple[str, Period, str | None, Decimal | None]] = []
    for period in periods(first, last, grain, fy_start_month):
        by_channel: dict[str, Decimal] = {}
        for day, channel, cost in spend:
            if day in period:
                by_channel[channel] = by_channel.get(channel, Decimal(0)) + cost
        total = sum(by_channel.values(), Decimal(0))
        count = sum(1 for day in mqls if day in period)
        out.append(("program_spend", period, None, total))
        out.extend(("program_spend", period, c, v) for c, v in sorted(by_channel.items()))
        out.append(("mql", period, None, Decimal(count)))
        cost = None if count == 0 else (total / count).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        out.append(("cost_per_mql", period, None, cost))
    return out


METRICS = ("program_spend", "mql", "cost_per_mql")
