"""Salesforce customers (mirrored from Zuora accounts) and prospects, with their pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bizops_sandbox import names
from bizops_sandbox.world_salesforce import (
    FORECAST,
    PROBABILITY,
    STAGES,
    TITLES,
    UNQUALIFIED,
    Made,
    SalesforceBuilder,
    extra_rng,
)


@dataclass(frozen=True)
class Customer:
    """What Salesforce mirrors of one Zuora customer.

    Attributes:
        crm_id: the Zuora account's CrmId (the Salesforce Account Id), or None (never linked).
        contacts: (first name, last name, work email, city, country) of its Zuora contacts.
    """

    crm_id: str | None
    name: str
    number: str
    active: bool
    arr: Decimal
    contacts: tuple[tuple[str, str, str, str, str], ...]


class AccountMaker:
    """Builds one account with its contacts, leads, opportunities and activities."""

    def __init__(self, builder: SalesforceBuilder) -> None:
        self.b = builder
        self.rng = builder.rng

    def customer(self, customer: Customer, created: datetime, until: datetime | None) -> Made:
        """A customer account whose Id is the Zuora CrmId, and everything it owns."""
        made: Made = {}
        city, country = customer.contacts[0][3:] if customer.contacts else ("Berlin", "Germany")
        account = self._account(made, customer.name, "Customer", created, until, {
            "BillingCity": city, "BillingCountry": country,
            "Customer_Since__c": created.date(), "Zuora_Account_Number__c": customer.number,
        }, record_id=customer.crm_id)  # fmt: skip
        contacts = [
            self._contact(made, account, first, last, email, created, until)
            for first, last, email, _, _ in customer.contacts
        ]
        if until is not None and self.rng.random() < 0.4:
            contacts.append(self._contact(made, account, *self._person(customer.name), created,
                                          until))  # fmt: skip
        # History: the deal took weeks; a mutation keeps everything inside its window.
        lead_at = created - timedelta(days=self.rng.randint(20, 60)) if until else created
        won = self._opportunity(made, account, customer.name, "New Business", "Closed Won",
                                customer.arr, lead_at, created, until)  # fmt: skip
        first, last, email = self._names_of(contacts[0]) if contacts else ("Ana", "Lee", None)
        converted = (account, contacts[0] if contacts else None, won)
        self._lead(made, first, last, email, customer.name, self._inquiry(lead_at, until),
                   created, until, converted=converted)  # fmt: skip
        if until is not None:
            for _ in range(self.rng.randint(0, 2)):
                start = self.b.moment(created, until)
                stage = self.rng.choice((*STAGES, "Closed Won", "Closed Lost"))
                kind = self.rng.choice(("Renewal", "Upsell"))
                self._opportunity(made, account, customer.name, kind, stage, customer.arr / 4,
                                  start, self.b.moment(start, until), until)  # fmt: skip
        self._activities(made, account, contacts, made["Opportunity"], created, until)
        self.b._add(made, "Health_Score__c", {
            "Name": f"HS-{customer.number}", "Account__c": account,
            "Score__c": Decimal(self.rng.randint(100, 1000)) / 10,
            "Tier__c": "Green" if customer.active else "Red", "OwnerId": self._owner(),
        }, created, until)  # fmt: skip
        return made

    def prospect(self, created: datetime, until: datetime | None) -> Made:
        """An account without a Zuora counterpart: contacts, open leads, maybe a lost deal."""
        made: Made = {}
        name = _company(self.rng)
        account = self._account(made, name, "Prospect", created, until, {})
        contacts = [self._contact(made, account, *self._person(name), created, until)]
        for _ in range(self.rng.randint(1, 2)):
            self._lead(made, *self._person(name), name, created, created, until, converted=None)
        if self.rng.random() < 0.5:
            stage = self.rng.choice((*STAGES, "Closed Lost"))
            close = created if until is None else self.b.moment(created, until)
            amount = Decimal(self.rng.randint(5, 80) * 1000)
            self._opportunity(made, account, name, "New Business", stage, amount, created,
                              close, until)  # fmt: skip
        self._activities(made, account, contacts, made.get("Opportunity", []), created, until)
        return made

    # -- pieces --------------------------------------------------------------------------

    def _inquiry(self, opened: datetime, until: datetime | None) -> datetime:
        """When the lead behind a deal opened at ``opened`` came in: the same moment, or for
        about 3 in 10 (history only) 2 to 8 months earlier, a lead that converted months
        later; never before the first campaign starts, so the world's history keeps its
        first day."""
        extra = extra_rng("inquiry", opened)
        if until is None or extra.random() >= 0.3:
            return opened
        starts = [c["StartDate"] for c in self.b.state.tables["Campaign"].values()]
        floor = datetime.combine(min(starts), opened.timetz()) if starts else opened
        return max(opened - timedelta(days=extra.randint(60, 240)), min(floor, opened))

    def _owner(self) -> str:
        return self.rng.choice(self.b.state.users[1:] or self.b.state.users)

    def _person(self, company: str) -> tuple[str, str, str]:
        first, last = self.rng.choice(names.FIRST_NAMES), self.rng.choice(names.LAST_NAMES)
        local = f"{first}.{last}".lower().replace("'", "")
        return first, last, f"{local}@{_domain(company)}"

    def _names_of(self, contact_id: str) -> tuple[str, str, str]:
        record = self.b.state.tables["Contact"][contact_id]
        return record["FirstName"], record["LastName"], record["Email"]

    def _account(self, made: Made, name: str, kind: str, created, until, extra, **kw) -> str:
        rng, accounts = self.rng, self.b.state.tables["Account"]
        parent = rng.choice(list(accounts)[-50:]) if accounts and rng.random() < 0.08 else None
        street = f"{rng.randint(1, 999)} {rng.choice(names.STREETS)}"
        return self.b._add(made, "Account", {
            "Name": name, "Type": kind, "ParentId": parent, "BillingStreet": street,
            "BillingAddress": {"street": street, "city": extra.get("BillingCity"),
                               "country": extra.get("BillingCountry")},
            "Phone": f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
            "Website": f"https://www.{_domain(name)}", "OwnerId": self._owner(),
            "Industry": rng.choice(("Technology", "Retail", "Healthcare", "Media", "Finance")),
            "AnnualRevenue": Decimal(rng.randint(1, 500) * 100_000),
            "NumberOfEmployees": _employees(rng.randint(5, 20_000)),
            "AccountSource": rng.choice(("Web", "Partner", "Trade Show", "Outbound")),
            "LastActivityDate": created.date(),  # the first call, on the day it was created
            "Description": "Billing contact prefers email,\nnot phone." if rng.random() < 0.1
            else None, **extra,
        }, created, until, **kw)  # fmt: skip

    def _contact(self, made, account, first, last, email, created, until) -> str:
        rng = self.rng
        city, _, _, country = rng.choice(names.CITIES)
        return self.b._add(made, "Contact", {
            "AccountId": account, "FirstName": first, "LastName": last, "Name": f"{first} {last}",
            "Title": rng.choice(TITLES), "Email": email, "MailingCity": city,
            "Phone": f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
            "MailingCountry": country, "LeadSource": rng.choice(("Web", "Partner", None)),
            "HasOptedOutOfEmail": rng.random() < 0.05, "OwnerId": self._owner(),
        }, created, until)  # fmt: skip

    def _lead(self, made, first, last, email, company, created, converted_at, until, *,
              converted: tuple[str, str | None, str] | None) -> str:  # fmt: skip
        rng = self.rng
        status = "Closed - Converted" if converted else rng.choice(
            ("Open - Not Contacted", "Working - Contacted", "Closed - Not Converted"))  # fmt: skip
        account, contact, opportunity = converted or (None, None, None)
        lead = self.b._add(made, "Lead", {
            "FirstName": first, "LastName": last, "Name": f"{first} {last}", "Company": company,
            "Email": email, "Status": status, "LeadSource": rng.choice(("Web", "Trade Show")),
            "Rating": rng.choice(("Hot", "Warm", "Cold")), "IsConverted": bool(converted),
            "ConvertedDate": converted_at.date() if converted else None,
            "ConvertedAccountId": account, "ConvertedContactId": contact,
            "ConvertedOpportunityId": opportunity, "OwnerId": self._owner(),
        }, created, until)  # fmt: skip
        self._member(made, lead=lead, created=created, until=until)
        self._second_touch(made, lead, created, until)
        return lead

    def _second_touch(self, made, lead: str, created: datetime, until) -> None:
        """About 1 lead in 3 is touched again by another campaign, within 4 months (some at
        the very instant it was created: a tie the member Id breaks)."""
        extra, campaigns = extra_rng("touch", lead), self.b.state.campaigns
        if not campaigns or extra.random() >= 0.35:
            return
        later = created + timedelta(days=extra.randint(0, 120), seconds=extra.randint(0, 86399))
        when = created if until is None or extra.random() < 0.15 else min(later, until)
        responded = extra.random() < 0.4
        self.b._add(made, "CampaignMember", {
            "CampaignId": extra.choice(campaigns[-20:]), "LeadId": lead, "ContactId": None,
            "Status": "Responded" if responded else "Sent", "HasResponded": responded,
            "FirstRespondedDate": when.date() if responded else None,
        }, when, until)  # fmt: skip

    def _member(self, made, *, created, until, lead=None, contact=None) -> None:
        campaigns = self.b.state.campaigns
        if campaigns and self.rng.random() < 0.5:
            responded = self.rng.random() < 0.4
            self.b._add(made, "CampaignMember", {
                "CampaignId": self.rng.choice(campaigns[-20:]), "LeadId": lead,
                "ContactId": contact, "Status": "Responded" if responded else "Sent",
                "HasResponded": responded,
                "FirstRespondedDate": created.date() if responded else None,
            }, created, until)  # fmt: skip

    def _opportunity(self, made, account, company, kind, stage, amount, start: datetime,
                     close: datetime, until) -> str:  # fmt: skip
        rng, closed = self.rng, stage.startswith("Closed")
        extra = extra_rng("deal", company, kind, start)
        if stage == "Closed Lost" and extra.random() < 0.35:
            stage = UNQUALIFIED
        amount = arr = Decimal(amount).quantize(Decimal("0.01"))
        if stage == "Closed Won" and kind == "New Business" and extra.random() < 0.2:
            amount = arr * extra.randint(2, 3)  # a multi-year contract: Amount is its whole value
        opp = self.b._add(made, "Opportunity", {
            "AccountId": account, "Name": f"{company} - {kind}", "StageName": stage,
            "Amount": amount, "Probability": Decimal(PROBABILITY[stage]),
            "CloseDate": close.date(), "Type": kind, "IsClosed": closed,
            "IsWon": stage == "Closed Won", "ForecastCategoryName": FORECAST.get(stage, "Pipeline"),
            "LeadSource": rng.choice(("Web", "Partner", "Outbound")),
            "CampaignId": rng.choice(self.b.state.campaigns) if rng.random() < 0.3 else None,
            "Pricebook2Id": self.b.state.pricebook, "OwnerId": self._owner(),
            "ARR__c": arr if stage == "Closed Won" else None,
            "NextStep": None if closed else "Follow up on proposal",
        }, start, until)  # fmt: skip
        prefix = list(STAGES[: rng.randint(1, len(STAGES))] if closed else
                      STAGES[: STAGES.index(stage)])  # fmt: skip
        path = [*_detour(prefix[:2] if stage == UNQUALIFIED else prefix, extra), stage]
        step = max((close - start) / len(path), timedelta(seconds=1))
        for number, name in enumerate(path):
            when = min(start + step * number, close).replace(microsecond=0)
            self.history(made, opp, name, amount, close, when)
            accepted = self.b.state.tables["Opportunity"][opp]
            if accepted["Sales_Accepted_Date__c"] is None and is_accepting(name, stage):
                accepted["Sales_Accepted_Date__c"] = when.astimezone(UTC).date()
        self._line_items(made, opp, amount, start, until)
        return opp

    def history(self, made, opp: str, stage: str, amount, close: datetime, when) -> str:
        """One OpportunityHistory row: the opportunity entered ``stage`` at ``when``."""
        probability = Decimal(PROBABILITY[stage])
        return self.b._add(made, "OpportunityHistory", {
            "OpportunityId": opp, "StageName": stage, "Amount": amount,
            "ExpectedRevenue": (amount * probability / 100).quantize(Decimal("0.01")),
            "CloseDate": close.date(), "Probability": probability,
            "ForecastCategory": FORECAST.get(stage, "Pipeline").replace(" ", ""),
        }, when, None)  # fmt: skip

    def _line_items(self, made, opp: str, amount: Decimal, start, until) -> None:
        entries = self.b.state.tables["PricebookEntry"]
        chosen = [self.b.state.entries[0], *self.rng.sample(self.b.state.entries[1:],
                                                            self.rng.randint(0, 2))]  # fmt: skip
        for order, entry_id in enumerate(chosen, start=1):
            entry = entries[entry_id]
            quantity = Decimal(self.rng.randint(1, 50)) if order == 1 else Decimal(1)
            self.b._add(made, "OpportunityLineItem", {
                "OpportunityId": opp, "SortOrder": order, "PricebookEntryId": entry_id,
                "Product2Id": entry["Product2Id"], "ProductCode": entry["ProductCode"],
                "Name": entry["Name"], "Quantity": quantity, "UnitPrice": entry["UnitPrice"],
                "ListPrice": entry["UnitPrice"], "TotalPrice": entry["UnitPrice"] * quantity,
                "ServiceDate": start.date(),
            }, start, until)  # fmt: skip

    def _activities(self, made, account, contacts, opps, created, until) -> None:
        rng = self.rng
        horizon = until or created
        for contact in contacts:
            self._member(made, contact=contact, created=created, until=until)
        for _ in range(rng.randint(2, 6) if until else 1):
            when = self.b.moment(created, horizon)
            done = until is not None and rng.random() < 0.8
            kind = rng.choice(("Call", "Email", "Meeting"))
            self.b._add(made, "Task", {
                "WhoId": rng.choice(contacts) if contacts else None,
                "WhatId": rng.choice([account, *opps]), "Subject": f"{kind} with {account[-6:]}",
                "ActivityDate": when.date(), "Status": "Completed" if done else "Not Started",
                "Priority": rng.choice(("High", "Normal", "Normal", "Low")), "IsClosed": done,
                "OwnerId": self._owner(), "Type": kind, "TaskSubtype": "Call" if kind == "Call"
                else "Task", "CallDurationInSeconds": rng.randint(60, 3600) if kind == "Call"
                else None,
            }, when, until)  # fmt: skip
        for _ in range(rng.randint(0, 2) if until else 0):
            when = self.b.moment(created, horizon)
            minutes = rng.choice((30, 45, 60))
            self.b._add(made, "Event", {
                "WhoId": rng.choice(contacts) if contacts else None, "WhatId": account,
                "Subject": "Meeting", "Location": rng.choice(("Zoom", "On site", None)),
                "IsAllDayEvent": False, "ActivityDateTime": when, "ActivityDate": when.date(),
                "DurationInMinutes": minutes, "StartDateTime": when,
                "EndDateTime": when + timedelta(minutes=minutes), "OwnerId": self._owner(),
            }, when, until)  # fmt: skip


def is_accepting(entered: str, outcome: str) -> bool:
    """Whether entering stage ``entered`` makes sales accept a deal ending in ``outcome``
    (``Sales_Accepted_Date__c`` = the UTC date of that first entry, GitLab's SAO date): any
    stage past the first, or the win; a deal closed as unqualified was never accepted, nor
    one lost or still open in the first stage."""
    return (
        outcome != UNQUALIFIED
        and entered != STAGES[0]
        and (entered in STAGES or entered == "Closed Won")
    )


def _detour(stages: list[str], extra: Any) -> list[str]:
    """The stages a deal went through on its way: about 1 in 4 skips one, about 1 in 4
    falls back one stage and climbs again (the stage history then holds both stays)."""
    path = list(stages)
    if len(path) >= 3 and extra.random() < 0.25:
        del path[extra.randint(1, len(path) - 2)]
    if len(path) >= 2 and extra.random() < 0.25:
        turn = extra.randint(1, len(path) - 1)
        path[turn + 1 : turn + 1] = [path[turn - 1], path[turn]]
    return path


def _employees(draw: int) -> int:
    """A company size from a uniform draw in [5, 20000], spread log-uniformly over the same
    range (as many companies of 10 to 100 people as of 1,000 to 10,000), so every sales
    segment has customers. One draw, so the generator's sequence is unchanged."""
    return round(5 * 4000 ** ((draw - 5) / 19_995))


def _domain(company: str) -> str:
    return "".join(ch for ch in company.split(",")[0].lower() if ch.isalnum()) + ".example"


def _company(rng: Any) -> str:
    return f"{rng.choice(names.COMPANY_WORDS)} {rng.choice(names.COMPANY_KINDS)} Group"
