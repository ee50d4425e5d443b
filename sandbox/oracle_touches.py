"""Ground-truth oracle: persons across Salesforce, Marketo and HubSpot, and their touches.

Rules (also in the metric catalog, ``transform/catalog/attribution.yml``):

- Person: a live Salesforce contact, or a live lead not converted into a live contact (a
  converted lead is its contact). A Marketo lead / HubSpot contact is the person of its
  Salesforce contact id (``sfdcContactId`` / ``salesforcecontactid``) when that contact is
  live, else of its Salesforce lead id when that lead is live, else the one person whose
  contact or lead email (lower-cased, trimmed) it shares; else it resolves to no one.
- Touches: live Salesforce campaign members of a live campaign (channel = the campaign Type,
  ``(none)`` when empty); Marketo activities of live (not deleted) leads: form fills
  (``Direct``), web visits (the ``utm_medium`` of the visit's query, else ``Direct``) and
  email clicks (``Email``); email opens are not touches (an open is an image load, also by
  mail privacy proxies, not an engagement); HubSpot form submissions of a live contact with
  the submitted email (the ``utm_medium`` of the page URL, else ``Direct``). UTM media map to
  channels by :data:`UTM_MEDIUM_CHANNEL` (unknown: ``Other``). Touches of no person are out.
- The same touch seen twice: a person's touches at the same instant (to the second) are one
  touch, kept from the first source of Salesforce, Marketo, HubSpot (then least touch id): the
  form fill that creates a lead is a campaign member in Salesforce, a form fill in Marketo and
  a form submission in HubSpot at the same second.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bizops_sandbox.hubspot_forms import conversion_id
from bizops_sandbox.oracle_periods import live

Record = dict[str, Any]
Sources = Mapping[str, Mapping[str, Iterable[Record]]]
# Marketo activity type id -> touch type (Open Email, 10, is not a touch)
MARKETO_TOUCH_TYPES = {1: "web_visit", 2: "form_fill", 11: "email_click"}
UTM_MEDIUM_CHANNEL = {
    "cpc": "Paid Search",
    "paid_social": "Paid Social",
    "email": "Email",
    "organic": "Organic Search",
    "referral": "Referral",
    "none": "Direct",
}
# Marketo program channel -> channel (the Salesforce campaign Type the program syncs with)
PROGRAM_CHANNEL = {
    "Webinar": "Webinar",
    "Tradeshow": "Conference",
    "Email Send": "Email",
    "Online Advertising": "Advertisement",
    "Operational": "(none)",
}
SOURCE_RANK = {"salesforce": 0, "marketo": 1, "hubspot": 2}


@dataclass(frozen=True)
class Touch:
    """One touch of a person: when (to the second), its type, channel and source."""

    touch_id: str
    person_id: str
    at: datetime
    touch_type: str
    channel: str
    source: str


@dataclass(frozen=True)
class People:
    """The Salesforce persons and how the other systems' records resolve to them."""

    lead_person: dict[str, str]  # live lead id -> its person
    contacts: set[str]  # live contact ids (each its own person)
    by_email: dict[str, str]  # normalised email -> the one person that has it
    marketo: dict[str, str]  # Marketo lead id (text) -> person
    hubspot: dict[str, str]  # HubSpot contact id -> person


def normalised(email: str | None) -> str | None:
    """The lower-cased, trimmed email (None stays None)."""
    return None if email is None else email.strip().lower()


def people(sources: Sources) -> People:
    """Resolve every live Salesforce lead, Marketo lead and HubSpot contact to its person."""
    crm = sources["salesforce"]
    contacts = {c["Id"]: c for c in live(crm["Contact"])}
    leads = live(crm["Lead"])
    lead_person = {
        lead["Id"]: lead["ConvertedContactId"]
        if lead.get("ConvertedContactId") in contacts
        else lead["Id"]
        for lead in leads
    }
    emails: dict[str, set[str]] = {}
    for person, email in [
        *((c["Id"], c.get("Email")) for c in contacts.values()),
        *((lead_person[lead["Id"]], lead.get("Email")) for lead in leads),
    ]:
        if normalised(email) is not None:
            emails.setdefault(normalised(email), set()).add(person)
    by_email = {email: next(iter(who)) for email, who in emails.items() if len(who) == 1}

    def resolve(contact_id: str | None, lead_id: str | None, email: str | None) -> str | None:
        if contact_id in contacts:
            return contact_id
        if lead_id in lead_person:
            return lead_person[lead_id]
        return by_email.get(normalised(email) or "")

    marketo = {}
    for lead in sources["marketo"]["leads"]:
        who = resolve(lead.get("sfdcContactId"), lead.get("sfdcLeadId"), lead.get("email"))
        if who is not None:
            marketo[str(lead["id"])] = who
    hubspot = {}
    for contact in sources["hubspot"]["contacts"]:
        if contact["archived"]:
            continue
        props = contact["properties"]
        who = resolve(
            props.get("salesforcecontactid"), props.get("salesforceleadid"), props.get("email")
        )
        if who is not None:
            hubspot[contact["id"]] = who
    return People(lead_person, set(contacts), by_email, marketo, hubspot)


def utm_channel(query: str) -> str:
    """The channel of a URL query's ``utm_medium`` (``Direct`` without one)."""
    medium = parse_qs(query).get("utm_medium")
    if not medium:
        return "Direct"
    return UTM_MEDIUM_CHANNEL.get(medium[0], "Other")


def raw_touches(sources: Sources, who: People) -> list[Touch]:
    """Every touch of every source, before the same-instant dedupe."""
    crm = sources["salesforce"]
    campaigns = {c["Id"]: c for c in live(crm["Campaign"])}
    out: list[Touch] = []
    for member in live(crm["CampaignMember"]):
        campaign = campaigns.get(member["CampaignId"])
        person = who.lead_person.get(member.get("LeadId") or "")
        if person is None and member.get("ContactId") in who.contacts:
            person = member["ContactId"]
        if campaign is None or person is None:
            continue
        channel = campaign.get("Type") or "(none)"
        out.append(
            Touch(
                f"sfdc:{member['Id']}",
                person,
                _second(member["CreatedDate"]),
                "campaign_member",
                channel,
                "salesforce",
            )
        )
    for activity in sources["marketo"]["activities"]:
        kind = MARKETO_TOUCH_TYPES.get(activity["activityTypeId"])
        person = who.marketo.get(str(activity["leadId"]))
        if kind is None or person is None:
            continue
        if kind == "web_visit":
            attributes = {a["name"]: a["value"] for a in activity["attributes"]}
            channel = utm_channel(attributes.get("Query Parameters") or "")
        else:
            channel = "Email" if kind == "email_click" else "Direct"
        out.append(
            Touch(
                f"mkto:{activity['marketoGUID']}",
                person,
                _second(activity["activityDate"]),
                kind,
                channel,
                "marketo",
            )
        )
    contact_of_email = {
        normalised(c["properties"]["email"]): c["id"]
        for c in sources["hubspot"]["contacts"]
        if not c["archived"] and c["properties"].get("email")
    }
    for submission in sources["hubspot"]["form_submissions"]:
        props = submission["properties"]
        person = who.hubspot.get(contact_of_email.get(normalised(props.get("email")), ""))
        if person is None:
            continue
        channel = utm_channel(urlsplit(props.get("pageUrl") or "").query)
        out.append(
            Touch(
                f"hubspot:{conversion_id(submission['id'])}",
                person,
                _second(props["submittedAt"]),
                "form_fill",
                channel,
                "hubspot",
            )
        )
    return out


def touches(sources: Sources, who: People | None = None) -> dict[str, list[Touch]]:
    """Person -> their touches after the same-instant dedupe, ordered by time then id."""
    who = who or people(sources)
    kept: dict[tuple[str, datetime], Touch] = {}
    for touch in raw_touches(sources, who):
        key = (touch.person_id, touch.at)
        if key not in kept or _rank(touch) < _rank(kept[key]):
            kept[key] = touch
    out: dict[str, list[Touch]] = {}
    for touch in sorted(kept.values(), key=lambda t: (t.at, t.touch_id)):
        out.setdefault(touch.person_id, []).append(touch)
    return out


def _rank(touch: Touch) -> tuple[int, str]:
    return SOURCE_RANK[touch.source], touch.touch_id


def _second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)
