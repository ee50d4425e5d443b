"""Ground-truth oracle: converted leads, credited by last touch.

Rules (also in the metric catalog, ``converted_leads``):

- A converted lead is a live Salesforce ``Lead`` with ``IsConverted`` and a ``ConvertedDate``;
  it is placed in the period of its ``ConvertedDate``.
- Its last touch is its latest live ``CampaignMember`` (by ``CreatedDate``, then ``Id`` in
  code-point order) whose UTC date is on or before the ``ConvertedDate``: the touch that
  converted it. Its channel is that campaign's ``Type`` (``(none)`` when empty); a lead with
  no such touch, or whose last touch's campaign is deleted, counts in the total only.
- The total of a period is every lead converted in it (0 when none); a channel has a row in a
  period only when it converted a lead there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from bizops_sandbox.oracle_periods import Period, live, periods, utc_date

Record = dict[str, Any]


def last_touch_channels(crm: Mapping[str, Iterable[Record]]) -> dict[str, str | None]:
    """Lead id -> channel of its last touch on or before conversion (None: no live campaign),
    for every converted live lead that has such a touch."""
    converted = {
        lead["Id"]: lead["ConvertedDate"]
        for lead in live(crm["Lead"])
        if lead["IsConverted"] and lead["ConvertedDate"]
    }
    channel = {c["Id"]: c.get("Type") or "(none)" for c in live(crm["Campaign"])}
    last: dict[str, Record] = {}
    for member in live(crm["CampaignMember"]):
        lead = member["LeadId"]
        if lead not in converted or utc_date(member["CreatedDate"]) > converted[lead]:
            continue
        key = (member["CreatedDate"], member["Id"])
        if lead not in last or key > (last[lead]["CreatedDate"], last[lead]["Id"]):
            last[lead] = member
    return {lead: channel.get(member["CampaignId"]) for lead, member in last.items()}


def converted_leads(
    crm: Mapping[str, Iterable[Record]],
    first: date,
    last: date,
    grain: str,
    fy_start_month: int = 1,
) -> list[tuple[Period, str | None, int]]:
    """(period, channel or None for the total, leads converted) for every period of ``grain``."""
    crm = {name: list(records) for name, records in crm.items()}
    channels = last_touch_channels(crm)
    leads = [lead for lead in live(crm["Lead"]) if lead["IsConverted"] and lead["ConvertedDate"]]
    out: list[tuple[Period, str | None, int]] = []
    for period in periods(first, last, grain, fy_start_month):
        inside = [lead for lead in leads if lead["ConvertedDate"] in period]
        out.append((period, None, len(inside)))
        by_channel = Counter(channels.get(lead["Id"]) for lead in inside)
        by_channel.pop(None, None)
        out.extend((period, name, count) for name, count in sorted(by_channel.items()))
    return out
