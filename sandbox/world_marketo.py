"""The Marketo side of the world: leads, programs, program members and activities.

Built from the Salesforce org (Marketo syncs with it): one lead per Salesforce lead (converted
ones carry the contact they became) and one per contact that never was a lead, with the same
emails and ``sfdcLeadId``/``sfdcContactId``/``sfdcAccountId``; one program per campaign
(``sfdcId``, a channel from the campaign type, its actual cost spread over period costs);
one program member per campaign member. Activities (web visits, form fills, email opens and
clicks) are drawn per lead from an RNG of their own, so the Zuora and Salesforce sides stay as
they were. Activities are the big table; they are stored as compact tuples.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

Record = dict[str, Any]
# (marketoGUID, leadId, activityDate, activityTypeId, campaignId, primaryAttributeValueId,
#  primaryAttributeValue, attributes as ((name, value), ...))
Activity = tuple[int, int, datetime, int, int | None, int, str, tuple[tuple[str, Any], ...]]

VISIT, FORM, OPEN, CLICK = 1, 2, 10, 11
# id, name, description, primary attribute (name, dataType), other attributes
ACTIVITY_TYPES: tuple[tuple[int, str, str, tuple[str, str], tuple[tuple[str, str], ...]], ...] = (
    (
        VISIT,
        "Visit Webpage",
        "User visits a web page",
        ("Webpage ID", "integer"),
        (
            ("Client IP Address", "string"),
            ("Query Parameters", "string"),
            ("Referrer URL", "string"),
            ("Webpage URL", "string"),
        ),
    ),
    (
        FORM,
        "Fill Out Form",
        "User fills out and submits a form on a web page",
        ("Webform ID", "integer"),
        (("Form Fields", "text"), ("Webpage ID", "integer")),
    ),
    (
        OPEN,
        "Open Email",
        "User opens a Marketo email",
        ("Mailing ID", "integer"),
        (("Campaign Run ID", "integer"), ("Device", "string"), ("Is Mobile Device", "boolean")),
    ),
    (
        CLICK,
        "Click Email",
        "User clicks on a link in a Marketo email",
        ("Mailing ID", "integer"),
        (("Campaign Run ID", "integer"), ("Link", "string"), ("Device", "string")),
    ),
)
PAGES = (
    (1001, "/"),
    (1002, "/pricing"),
    (1003, "/product"),
    (1004, "/blog"),
    (1005, "/customers"),
    (1006, "/docs"),
)
FORMS = ((2001, "Contact Us"), (2002, "Demo Request"), (2003, "Webinar Registration"))
# Salesforce campaign Type -> (Marketo program type, channel, status when sent, when responded)
CHANNELS: dict[str | None, tuple[str, str, str, str]] = {
    "Webinar": ("Event", "Webinar", "Invited", "Attended"),
    "Conference": ("Event", "Tradeshow", "Invited", "Visited Booth"),
    "Email": ("Email", "Email Send", "Sent", "Clicked"),
    "Advertisement": ("Default", "Online Advertising", "Member", "Engaged"),
    None: ("Default", "Operational", "Member", "Member"),
}
FIRST_PROGRAM_ID = 1001


@dataclass
class MarketoState:
    """The Marketo instance: records by id, activities sorted by (activityDate, marketoGUID)."""

    leads: dict[int, Record] = field(default_factory=dict)
    programs: dict[int, Record] = field(default_factory=dict)
    members: dict[tuple[int, int], Record] = field(default_factory=dict)
    activities: list[Activity] = field(default_factory=list)
    activity_dates: list[datetime] = field(default_factory=list)
    deleted_leads: dict[int, Record] = field(default_factory=dict)
    lead_of_sfdc: dict[str, int] = field(default_factory=dict)
    program_of_campaign: dict[str, int] = field(default_factory=dict)
    next_guid: int = 1
    next_lead: int = 1

    def count(self) -> int:
        """How many records it holds (activity types included)."""
        parts = (self.leads, self.programs, self.members, self.activities, ACTIVITY_TYPES)
        return sum(len(part) for part in parts)

    def activities_between(self, start: datetime, end: datetime) -> list[Activity]:
        """Activities with ``start <= activityDate < end`` (the bulk filter's bounds)."""
        low = bisect_left(self.activity_dates, start)
        return self.activities[low : bisect_left(self.activity_dates, end, lo=low)]

    def add_activities(self, batch: list[Activity]) -> None:
        """Add activities (guids assigned here, in date order); all must be after the last."""
        batch.sort(key=lambda a: (a[2], a[1], a[3]))
        if batch and self.activity_dates and batch[0][2] < self.activity_dates[-1]:
            raise ValueError("activities are added in time order")
        for activity in batch:
            self.activities.append((self.next_guid, *activity[1:]))
            self.activity_dates.append(activity[2])
            self.next_guid += 1


def lead_fields(tables: dict[str, dict[str, Record]], sf_id: str) -> Record:
    """The synced fields of the Marketo lead mirroring Salesforce lead or contact ``sf_id``."""
    if sf_id in tables["Lead"]:
        lead = tables["Lead"][sf_id]
        contact = tables["Contact"].get(lead["ConvertedContactId"] or "")
        source = contact or lead
        return {
            "email": source["Email"],
            "firstName": source["FirstName"],
            "lastName": source["LastName"],
            "company": lead["Company"],
            "title": source["Title"],
            "leadSource": lead["LeadSource"],
            "leadStatus": lead["Status"],
            "sfdcType": "Contact" if contact else "Lead",
            "sfdcLeadId": sf_id,
            "sfdcContactId": lead["ConvertedContactId"],
            "sfdcAccountId": lead["ConvertedAccountId"],
            "unsubscribed": bool(contact and contact["HasOptedOutOfEmail"]),
        }
    contact = tables["Contact"][sf_id]
    account = tables["Account"].get(contact["AccountId"]) or {}
    return {
        "email": contact["Email"],
        "firstName": contact["FirstName"],
        "lastName": contact["LastName"],
        "company": account.get("Name"),
        "title": contact["Title"],
        "leadSource": contact["LeadSource"],
        "leadStatus": None,
        "sfdcType": "Contact",
        "sfdcLeadId": None,
        "sfdcContactId": sf_id,
        "sfdcAccountId": contact["AccountId"],
        "unsubscribed": contact["HasOptedOutOfEmail"],
    }


def sf_modified(tables: dict[str, dict[str, Record]], sf_id: str) -> datetime:
    """When the Salesforce side of a lead last changed (the lead and the contact it became)."""
    record = tables["Lead"].get(sf_id) or tables["Contact"][sf_id]
    contact = tables["Contact"].get(record.get("ConvertedContactId") or "")
    return max(
        record["LastModifiedDate"],
        contact["LastModifiedDate"] if contact else record["LastModifiedDate"],
    )


def program_record(program_id: int, campaign: Record) -> Record:
    """The program mirroring Salesforce ``campaign``, its actual cost in monthly period costs."""
    kind, channel, _, _ = CHANNELS.get(campaign["Type"], CHANNELS[None])
    return {
        "id": program_id,
        "name": campaign["Name"],
        "description": "",
        "type": kind,
        "channel": channel,
        "status": "on" if campaign["IsActive"] else "locked",
        "workspace": "Default",
        "sfdcId": campaign["Id"],
        "sfdcName": campaign["Name"],
        "costs": period_costs(campaign["StartDate"], campaign["EndDate"], campaign["ActualCost"]),
        "createdAt": campaign["CreatedDate"],
        "updatedAt": campaign["LastModifiedDate"],
    }


def period_costs(start: date, end: date, total: Decimal | None) -> list[Record]:
    """``total`` spread in whole units over the months from ``start`` to ``end``: the parts
    sum to ``total`` exactly (the remainder goes to the first month)."""
    months = [date(start.year, start.month, 1)]
    while (months[-1].year, months[-1].month) < (end.year, end.month):
        last = months[-1]
        months.append(date(last.year + last.month // 12, last.month % 12 + 1, 1))
    whole = int(total or 0)
    share, rest = divmod(whole, len(months))
    return [
        {"startDate": m, "cost": share + (rest if i == 0 else 0), "note": ""}
        for i, m in enumerate(months)
    ]


def member_record(program: Record, lead_id: int, member: Record) -> Record:
    """The program member of ``lead_id`` mirroring Salesforce campaign member ``member``."""
    _, _, sent, responded = CHANNELS.get(_type_of(program), CHANNELS[None])
    return {
        "programId": program["id"],
        "leadId": lead_id,
        "progressionStatus": responded if member["HasResponded"] else sent,
        "reachedSuccess": bool(member["HasResponded"]),
        "membershipDate": member["CreatedDate"],
        "sfdcCampaignMemberId": member["Id"],
        "updatedAt": member["LastModifiedDate"],
    }


def _type_of(program: Record) -> str | None:
    return next((t for t, spec in CHANNELS.items() if spec[1] == program["channel"]), None)


def person_activities(
    rng: random.Random, lead_id: int, created: datetime, until: datetime
) -> list[Activity]:
    """A new lead's form fill at its creation and its web visits up to ``until``."""
    form_id, form = rng.choice(FORMS)
    page_id, _ = rng.choice(PAGES)
    made: list[Activity] = [
        (
            0,
            lead_id,
            created,
            FORM,
            None,
            form_id,
            form,
            (("Form Fields", f'{{"Email":"lead{lead_id}"}}'), ("Webpage ID", page_id)),
        )
    ]
    span = max(int((until - created).total_seconds()), 0)
    for _ in range(rng.randint(2, 14)):
        page_id, _ = rng.choice(PAGES)
        made.append(visit(rng, lead_id, created + timedelta(seconds=rng.randint(0, span)), page_id))
    return made


def visit(rng: random.Random, lead_id: int, at: datetime, page_id: int) -> Activity:
    """A Visit Webpage activity."""
    page = dict(PAGES)[page_id]
    return (
        0,
        lead_id,
        at,
        VISIT,
        None,
        page_id,
        f"bizops.example{page}",
        (
            ("Client IP Address", f"198.51.100.{rng.randint(1, 254)}"),
            ("Query Parameters", rng.choice(("", "utm_source=google", "utm_medium=email"))),
            ("Referrer URL", rng.choice(("", "https://www.google.com/"))),
            ("Webpage URL", page),
        ),
    )


def email_activities(rng: random.Random, member: Record, until: datetime) -> list[Activity]:
    """For a member of an email program: an open some hours after it joined, and a click when
    it responded (or now and then without)."""
    opened = member["membershipDate"] + timedelta(seconds=rng.randint(60, 86_400))
    if opened > until:
        return []
    mailing, run = 3000 + member["programId"], rng.randint(1, 5)
    made: list[Activity] = [
        (
            0,
            member["leadId"],
            opened,
            OPEN,
            None,
            mailing,
            f"Mailing {mailing}",
            (("Campaign Run ID", run), ("Device", "Desktop"), ("Is Mobile Device", False)),
        )
    ]
    if member["reachedSuccess"] or rng.random() < 0.2:
        clicked = min(opened + timedelta(seconds=rng.randint(5, 600)), until)
        made.append(
            (
                0,
                member["leadId"],
                clicked,
                CLICK,
                None,
                mailing,
                f"Mailing {mailing}",
                (
                    ("Campaign Run ID", run),
                    ("Link", "https://bizops.example/pricing"),
                    ("Device", "Desktop"),
                ),
            )
        )
    return made


def build_marketo(seed: int, tables: dict[str, dict[str, Record]], until: datetime) -> MarketoState:
    """The Marketo instance mirroring the Salesforce ``tables`` as they are at ``until``."""
    state = MarketoState()
    rng = random.Random(f"{seed}:marketo")  # noqa: S311 - fake data, not cryptography
    batch: list[Activity] = []
    for campaign in tables["Campaign"].values():
        add_program(state, campaign)
    for sf_id in sync_order(tables):
        batch.extend(add_lead(state, rng, tables, sf_id, until))
    for member in tables["CampaignMember"].values():
        batch.extend(add_member(state, rng, member, until))
    state.add_activities(batch)
    return state


def sync_order(tables: dict[str, dict[str, Record]], ids: list[str] | None = None) -> list[str]:
    """Salesforce leads, then contacts that were never a lead (a converted lead's contact is
    that lead's Marketo lead), live ones only, in creation order."""
    converted = {r["ConvertedContactId"] for r in tables["Lead"].values()}
    chosen = [
        *(i for i, r in tables["Lead"].items() if not r["IsDeleted"]),
        *(i for i, r in tables["Contact"].items() if not r["IsDeleted"] and i not in converted),
    ]
    return chosen if ids is None else [i for i in chosen if i in set(ids)]


def add_program(state: MarketoState, campaign: Record) -> int:
    """A program for a new Salesforce campaign; its id."""
    program_id = FIRST_PROGRAM_ID + len(state.program_of_campaign)
    state.program_of_campaign[campaign["Id"]] = program_id
    state.programs[program_id] = program_record(program_id, campaign)
    return program_id


def add_lead(state: MarketoState, rng: random.Random, tables, sf_id: str, until) -> list[Activity]:
    """A lead for a Salesforce lead or contact new to Marketo; its first activities."""
    lead_id, state.next_lead = state.next_lead, state.next_lead + 1
    record = tables["Lead"].get(sf_id) or tables["Contact"][sf_id]
    created = record["CreatedDate"]
    state.leads[lead_id] = {
        "id": lead_id,
        **lead_fields(tables, sf_id),
        "leadScore": rng.randint(0, 100),
        "createdAt": created,
        "updatedAt": sf_modified(tables, sf_id),
    }
    for key in (sf_id, record.get("ConvertedContactId")):
        if key:
            state.lead_of_sfdc[key] = lead_id
    return person_activities(rng, lead_id, created, until)


def add_member(state: MarketoState, rng: random.Random, member: Record, until) -> list[Activity]:
    """The program member for a Salesforce campaign member (none for a deleted one, one whose
    person is not a Marketo lead, or a second one of a lead in the same program)."""
    lead_id = state.lead_of_sfdc.get(member["LeadId"] or member["ContactId"] or "")
    program_id = state.program_of_campaign.get(member["CampaignId"])
    if member["IsDeleted"] or lead_id not in state.leads or program_id is None:
        return []
    if (program_id, lead_id) in state.members:
        return []
    program = state.programs[program_id]
    made = member_record(program, lead_id, member)
    state.members[(program_id, lead_id)] = made
    return email_activities(rng, made, until) if program["channel"] == "Email Send" else []


def activity_record(activity: Activity) -> Record:
    """An activity as the bulk extract and REST API show it."""
    guid, lead, at, kind, campaign, value_id, value, attributes = activity
    return {
        "marketoGUID": str(guid),
        "leadId": lead,
        "activityDate": at,
        "activityTypeId": kind,
        "campaignId": campaign,
        "primaryAttributeValueId": value_id,
        "primaryAttributeValue": value,
        "attributes": [{"name": name, "value": v} for name, v in attributes],
    }


def activity_types() -> list[Record]:
    """The activity types as ``GET /rest/v1/activities/types.json`` lists them."""
    return [
        {
            "id": i,
            "name": name,
            "description": text,
            "primaryAttribute": {"name": primary[0], "dataType": primary[1]},
            "attributes": [{"name": n, "dataType": t} for n, t in attributes],
        }
        for i, name, text, primary, attributes in ACTIVITY_TYPES
    ]
