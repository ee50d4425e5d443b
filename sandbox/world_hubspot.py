"""The HubSpot side of the world: companies, contacts, deals, engagements and form submissions
mirrored from the Salesforce side, so the customer id and the person's email join.

Companies carry the Salesforce Account Id (``salesforceaccountid``, the property HubSpot's
Salesforce integration fills), contacts the email of a Salesforce contact or lead (one HubSpot
contact per email, as HubSpot dedupes on email) with ``salesforcecontactid`` /
``salesforceleadid``, first- and last-touch UTM properties and lifecycle stage dates; deals
carry ``salesforceopportunityid``. Records are kept in v3 shape: ``id``, ``properties`` (Python
values; the emulator writes them as the API's strings), ``createdAt``, ``updatedAt``,
``archived``, ``archivedAt`` and ``associations`` (object name -> ids).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bizops_sandbox.world_salesforce import SalesforceState

Record = dict[str, Any]
OBJECTS = ("companies", "contacts", "deals", "engagements", "form_submissions")
# First id of each object (HubSpot ids are numbers, written as strings in v3).
FIRST_ID = {
    "companies": 5_000_000_001,
    "contacts": 101,
    "deals": 9_000_000_001,
    "engagements": 30_000_000_001,
    "form_submissions": 1,
}
LIFECYCLE = ("lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")
# (utm_source, utm_medium, hs_analytics_source) of a touch.
CHANNELS = (
    ("google", "cpc", "PAID_SEARCH"),
    ("google", "organic", "ORGANIC_SEARCH"),
    ("linkedin", "paid_social", "PAID_SOCIAL"),
    ("newsletter", "email", "EMAIL_MARKETING"),
    ("partner", "referral", "REFERRALS"),
    ("direct", "none", "DIRECT_TRAFFIC"),
)
ENGAGEMENT_TYPES = ("EMAIL", "CALL", "MEETING", "NOTE")
FORMS = (
    ("2b1f0d4e-0000-4000-8000-000000000001", "Contact us", "/contact"),
    ("2b1f0d4e-0000-4000-8000-000000000002", "Request a demo", "/demo"),
    ("2b1f0d4e-0000-4000-8000-000000000003", "Webinar registration", "/webinar"),
    ("2b1f0d4e-0000-4000-8000-000000000004", "Ebook download", "/ebook"),
)
HISTORY_FORMS_CREATED = datetime(2021, 6, 1, tzinfo=UTC)
STAGE_OF = {"Closed Won": "closedwon", "Closed Lost": "closedlost"}
SITE = "https://www.bizops-demo.example"


@dataclass
class HubspotState:
    """Every HubSpot record by object and id (insertion order = creation order)."""

    tables: dict[str, dict[str, Record]] = field(default_factory=lambda: {o: {} for o in OBJECTS})
    next_id: dict[str, int] = field(default_factory=lambda: dict(FIRST_ID))
    by_account: dict[str, str] = field(default_factory=dict)  # Salesforce Account Id -> company
    by_email: dict[str, str] = field(default_factory=dict)  # lower-case email -> contact
    by_opportunity: dict[str, str] = field(default_factory=dict)


class HubspotBuilder:
    """Adds HubSpot records mirroring Salesforce ones, drawing from its own RNG."""

    def __init__(self, state: HubspotState, crm: SalesforceState, rng: random.Random) -> None:
        self.state = state
        self.crm = crm
        self.rng = rng

    def insert(self, obj: str, props: Record, created: datetime, modified: datetime) -> Record:
        record_id = str(self.state.next_id[obj])
        self.state.next_id[obj] += 1
        record = {
            "id": record_id, "properties": props, "createdAt": created, "updatedAt": modified,
            "archived": False, "archivedAt": None, "associations": {},
        }  # fmt: skip
        self.state.tables[obj][record_id] = record
        return record

    def touch(self, obj: str, record_id: str, when: datetime, **changes: Any) -> None:
        """Change properties of a record at ``when`` (its modification time moves to it)."""
        record = self.state.tables[obj][record_id]
        record["properties"].update(changes)
        record["updatedAt"] = max(record["updatedAt"], when)

    def archive(self, obj: str, record_id: str, when: datetime) -> None:
        record = self.state.tables[obj][record_id]
        record["archived"] = True
        record["archivedAt"] = when
        record["updatedAt"] = max(record["updatedAt"], when)

    def later(self, start: datetime, until: datetime | None, most_days: int = 400) -> datetime:
        """A whole-second moment after ``start``, at or before ``until`` when given."""
        moment = start + timedelta(seconds=self.rng.randint(60, most_days * 86_400))
        if until is None or moment <= until:
            return moment
        # past the clock: a moment between start and the clock instead (not the clock itself,
        # so records do not pile up on one instant)
        span = int((until - start).total_seconds())
        return start + timedelta(seconds=self.rng.randint(0, span)) if span > 0 else until

    def company(self, account: Record, until: datetime | None) -> Record:
        created = account["CreatedDate"]
        domain = (account.get("Website") or "").removeprefix("https://www.") or None
        props = {
            "name": account["Name"], "domain": domain, "industry": account.get("Industry"),
            "city": account.get("BillingCity"), "country": account.get("BillingCountry"),
            "salesforceaccountid": account["Id"],
            "lifecyclestage": "customer" if account.get("Type") == "Customer" else "lead",
        }  # fmt: skip
        record = self.insert("companies", props, created, self.later(created, until))
        self.state.by_account[account["Id"]] = record["id"]
        return record

    def contact(self, person: Record, kind: str, until: datetime | None) -> Record:
        """The contact of a Salesforce Contact or Lead (``kind``), with its touches and stages."""
        created = person["CreatedDate"]
        first, last = self.rng.choice(CHANNELS), self.rng.choice(CHANNELS)
        first_campaign, last_campaign = self._campaign(created), self._campaign(created)
        reached = self._stage(person, kind)
        props: Record = {
            "email": person["Email"], "firstname": person.get("FirstName"),
            "lastname": person.get("LastName"), "jobtitle": person.get("Title"),
            "salesforcecontactid": person["Id"] if kind == "Contact" else None,
            "salesforceleadid": person["Id"] if kind == "Lead" else None,
            "lifecyclestage": LIFECYCLE[reached],
            "hs_analytics_source": first[2], "hs_latest_source": last[2],
            "first_touch_utm_source": first[0], "first_touch_utm_medium": first[1],
            "first_touch_utm_campaign": first_campaign,
            "last_touch_utm_source": last[0], "last_touch_utm_medium": last[1],
            "last_touch_utm_campaign": last_campaign,
            "hs_analytics_first_url": _url("/", first, first_campaign),
            "hs_analytics_last_url": _url("/pricing", last, last_campaign),
        }  # fmt: skip
        moment = created
        for index, stage in enumerate(LIFECYCLE):
            if index <= reached:
                props[f"hs_lifecyclestage_{stage}_date"] = moment
                moment = self.later(moment, until, most_days=60)
            else:
                props[f"hs_lifecyclestage_{stage}_date"] = None
        modified = max(moment, self.later(created, until))
        record = self.insert("contacts", props, created, min(modified, until or modified))
        self.state.by_email[person["Email"].lower()] = record["id"]
        company = self.state.by_account.get(person.get("AccountId") or "")
        if company is not None:
            record["associations"]["companies"] = [company]
            record["properties"]["associatedcompanyid"] = company
        return record

    def deal(self, opportunity: Record, until: datetime | None) -> Record:
        created = opportunity["CreatedDate"]
        props = {
            "dealname": opportunity["Name"], "amount": opportunity.get("Amount"),
            "dealstage": STAGE_OF.get(opportunity["StageName"], "appointmentscheduled"),
            "pipeline": "default", "closedate": opportunity.get("CloseDate"),
            "salesforceopportunityid": opportunity["Id"],
        }  # fmt: skip
        record = self.insert("deals", props, created, self.later(created, until))
        self.state.by_opportunity[opportunity["Id"]] = record["id"]
        company = self.state.by_account.get(opportunity.get("AccountId") or "")
        if company is not None:
            record["associations"]["companies"] = [company]
        return record

    def activity(self, contact: Record, until: datetime | None, engagements: int) -> list[Record]:
        """``engagements`` engagements and a form submission on ``contact``, after its creation."""
        made = []
        for _ in range(engagements):
            at = self.later(contact["createdAt"], until, most_days=200)
            kind = self.rng.choice(ENGAGEMENT_TYPES)
            props = {"hs_engagement_type": kind, "hs_timestamp": at, "hs_body_preview": None}
            engagement = self.insert("engagements", props, at, at)
            engagement["associations"]["contacts"] = [contact["id"]]
            made.append(engagement)
        guid, form_name, path = self.rng.choice(FORMS)
        at = contact["createdAt"]
        channel = (contact["properties"]["first_touch_utm_source"],
                   contact["properties"]["first_touch_utm_medium"], "")  # fmt: skip
        submission = self.insert("form_submissions", {
            "formGuid": guid, "formName": form_name, "submittedAt": at,
            "pageUrl": _url(path, channel, contact["properties"]["first_touch_utm_campaign"]),
            "email": contact["properties"]["email"], "contactId": contact["id"],
        }, at, at)  # fmt: skip
        made.append(submission)
        return made

    def _campaign(self, created: datetime) -> str:
        theme = self.rng.choice(("brand", "demand", "events"))
        return f"{created.year}-q{(created.month - 1) // 3 + 1}-{theme}"

    def _stage(self, person: Record, kind: str) -> int:
        if kind == "Contact":
            return 4 if self.rng.random() < 0.7 else 3
        if person.get("IsConverted"):
            return 3
        return self.rng.choice((0, 0, 1, 2))


def build_hubspot(crm: SalesforceState, rng: random.Random, until: datetime) -> HubspotState:
    """The HubSpot records of every live Salesforce account, contact, lead and opportunity."""
    state = HubspotState()
    builder = HubspotBuilder(state, crm, rng)
    mirror(builder, {o: list(crm.tables[o]) for o in ("Account", "Contact", "Lead", "Opportunity")},
           until)  # fmt: skip
    return state


def mirror(
    builder: HubspotBuilder, ids: dict[str, list[str]], until: datetime | None
) -> dict[str, list[str]]:
    """Mirror the Salesforce records ``ids`` (by object); returns the HubSpot ids created."""
    crm = builder.crm.tables
    made: dict[str, list[str]] = {o: [] for o in OBJECTS}
    for account_id in ids.get("Account", []):
        account = crm["Account"][account_id]
        if not account["IsDeleted"] and account_id not in builder.state.by_account:
            made["companies"].append(builder.company(account, until)["id"])
    for kind in ("Contact", "Lead"):
        for person_id in ids.get(kind, []):
            person = crm[kind][person_id]
            if person["IsDeleted"] or not person.get("Email"):
                continue
            if person["Email"].lower() in builder.state.by_email:
                continue  # one contact per email (a converted lead is its contact)
            contact = builder.contact(person, kind, until)
            made["contacts"].append(contact["id"])
            for record in builder.activity(contact, until, builder.rng.randint(1, 5)):
                engagement = "hs_engagement_type" in record["properties"]
                made["engagements" if engagement else "form_submissions"].append(record["id"])
    for opportunity_id in ids.get("Opportunity", []):
        opportunity = crm["Opportunity"][opportunity_id]
        if not opportunity["IsDeleted"]:
            made["deals"].append(builder.deal(opportunity, until)["id"])
    return made


def _url(path: str, channel: tuple[str, str, str], campaign: str) -> str:
    return f"{SITE}{path}?utm_source={channel[0]}&utm_medium={channel[1]}&utm_campaign={campaign}"
