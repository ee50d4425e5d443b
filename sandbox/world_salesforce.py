"""Generators of the world's Salesforce org: users, products, price book, campaigns; record ids."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from bizops_sandbox import names
from bizops_sandbox.ids import salesforce_suffix
from bizops_sandbox.salesforce_schema import describes, field_names, key_prefix

Record = dict[str, Any]
Made = dict[str, list[str]]
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
STAGES = ("Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote",
          "Negotiation/Review")  # fmt: skip
# A deal disqualified before it was ever worked is closed as unqualified, not lost (GitLab's
# "9-Unqualified"): closed, not won, and out of the win rate.
UNQUALIFIED = "Closed Unqualified"
PROBABILITY = dict(zip((*STAGES, "Closed Won", "Closed Lost", UNQUALIFIED),
                       (10, 20, 30, 60, 80, 100, 0, 0), strict=True))  # fmt: skip
FORECAST = {"Closed Won": "Closed", "Closed Lost": "Omitted", UNQUALIFIED: "Omitted",
            "Negotiation/Review": "Commit", "Proposal/Price Quote": "Best Case"}  # fmt: skip
# Zuora catalog SKU -> (Product2 name, family, list price) kept in step with world_zuora.CATALOG.
PRODUCTS = (
    ("SKU-PLAT", "BizOps Platform", "Base Products", Decimal("12000")),
    ("SKU-ANLY", "Analytics Add-on", "Add On Services", Decimal("3000")),
    ("SKU-SUPP", "Premium Support", "Add On Services", Decimal("6000")),
    ("SKU-ONBD", "Onboarding", "Miscellaneous Products", Decimal("2500")),
)
TITLES = ("CFO", "VP Finance", "Head of Data", "Controller", "CTO", "Analyst", None)


def extra_rng(*key: object) -> random.Random:
    """An RNG of its own for one record's extra traits (unqualified deals, stage detours, late
    conversions, second touches), seeded by ``key``: adding them draws nothing from the org's
    RNG, so every other record of the world stays as it was."""
    return random.Random("extra:" + "|".join(map(str, key)))  # noqa: S311 - fake data


def objects() -> list[str]:
    """The Salesforce objects the world holds (one per schema)."""
    return list(describes())


@dataclass
class SalesforceState:
    """The Salesforce side of the world: tables of records by object and id, plus sequences."""

    tables: dict[str, dict[str, Record]] = field(
        default_factory=lambda: {name: {} for name in objects()}
    )
    sequences: Counter[str] = field(default_factory=Counter)
    users: list[str] = field(default_factory=list)
    campaigns: list[str] = field(default_factory=list)
    entries: list[str] = field(default_factory=list)
    pricebook: str = ""


class SalesforceBuilder:
    """Adds records to a :class:`SalesforceState`, drawing every choice from one RNG."""

    def __init__(self, state: SalesforceState, rng: random.Random) -> None:
        self.state = state
        self.rng = rng

    # -- records -------------------------------------------------------------------------

    def new_id(self, obj: str) -> str:
        """The next id of ``obj``: sequential like Salesforce's, on a pod of its own.

        The pod ``5g0`` has a lower-case letter, which no random id of ``ids.salesforce_id``
        (Zuora's CrmIds) has, so the two never collide.
        """
        self.state.sequences[obj] += 1
        number, digits = self.state.sequences[obj], ""
        while number:
            number, rest = divmod(number, 62)
            digits = _BASE62[rest] + digits
        body = key_prefix(obj) + "5g0" + digits.rjust(9, "0")
        return body + salesforce_suffix(body)

    def insert(self, obj: str, values: Record, created: datetime, modified: datetime,
               record_id: str | None = None) -> str:  # fmt: skip
        """Store a record of ``obj`` with audit fields; returns its Id."""
        record_id = record_id or self.new_id(obj)
        user = self.rng.choice(self.state.users) if self.state.users else None
        # 1 in 20 records was last touched by a system process after the last user edit:
        # SystemModstamp moved, LastModifiedDate did not (why taps prefer SystemModstamp).
        edited = modified
        if modified > created and self.rng.random() < 0.05:
            edited = max(created, modified - timedelta(seconds=7))
        values = {
            **values, "Id": record_id, "IsDeleted": False, "CreatedDate": created,
            "CreatedById": user, "LastModifiedDate": edited, "LastModifiedById": user,
            "SystemModstamp": modified,
        }  # fmt: skip
        self.state.tables[obj][record_id] = {name: values.get(name) for name in field_names(obj)}
        return record_id

    def touch(self, obj: str, record_id: str, when: datetime, **changes: Any) -> None:
        """Apply ``changes`` to a record and stamp it modified at ``when``."""
        record = self.state.tables[obj][record_id]
        record.update(changes, SystemModstamp=when)
        if "LastModifiedDate" in record:
            record.update(LastModifiedDate=when, LastModifiedById=self.rng.choice(self.state.users))

    def moment(self, start: datetime, end: datetime) -> datetime:
        """A whole-second instant in ``[start, end]``."""
        return start + timedelta(seconds=self.rng.randint(0, int((end - start).total_seconds())))

    def modified(self, created: datetime, until: datetime | None) -> datetime:
        """History mode (``until`` set): a third of the records were edited later."""
        if until is None or self.rng.random() < 0.67:
            return created
        return self.moment(created, until)

    def _add(self, made: Made, obj: str, values: Record, created: datetime, until, **kw) -> str:
        record_id = self.insert(obj, values, created, self.modified(created, until), **kw)
        made.setdefault(obj, []).append(record_id)
        return record_id

    # -- the org -------------------------------------------------------------------------

    def build_org(self, at: datetime, reps: int, campaigns: int, until: datetime) -> None:
        """Users (a manager and sales reps), products, price books and campaigns."""
        made: Made = {}
        for number in range(reps + 1):
            first, last = self.rng.choice(names.FIRST_NAMES), self.rng.choice(names.LAST_NAMES)
            self.state.users.append(self._add(made, "User", {
                "Username": f"{first}.{last}.{number}@bizops.example".lower(),
                "FirstName": first, "LastName": last, "Name": f"{first} {last}",
                "Email": f"{first}.{last}@bizops.example".lower(), "Department": "Sales",
                "Title": "Sales Manager" if number == 0 else "Account Executive",
                "IsActive": self.rng.random() < 0.9 or number == 0,
                "ManagerId": self.state.users[0] if self.state.users else None,
                "TimeZoneSidKey": self.rng.choice(("America/Los_Angeles", "Europe/London")),
                "UserType": "Standard",
            }, at, None))  # fmt: skip
        standard = self._add(made, "Pricebook2", {"Name": "Standard Price Book",
                             "IsActive": True, "IsStandard": True}, at, None)  # fmt: skip
        self.state.pricebook = standard
        for sku, name, family, price in PRODUCTS:
            product = self._add(made, "Product2", {"Name": name, "ProductCode": sku,
                                "Family": family, "IsActive": True}, at, None)  # fmt: skip
            self.state.entries.append(self._add(made, "PricebookEntry", {
                "Name": name, "Pricebook2Id": standard, "Product2Id": product, "UnitPrice": price,
                "IsActive": True, "UseStandardPrice": False, "ProductCode": sku,
            }, at, None))  # fmt: skip
        for _ in range(campaigns):
            self.add_campaign(self.moment(at, until), until, made)

    def add_campaign(
        self, created: datetime, until: datetime | None, made: Made, *, running: bool = False
    ) -> str:
        """One marketing campaign (some under a parent campaign): it starts a week after it is
        created, or (``running``) on that day, already in progress."""
        rng, start = self.rng, created.date() + timedelta(days=0 if running else 7)
        kind = rng.choice(("Webinar", "Conference", "Email", "Advertisement"))
        budget = Decimal(rng.randint(10, 400) * 100)
        campaign = self._add(made, "Campaign", {
            "Name": f"{start:%Y-%m} {kind} {rng.choice(names.COMPANY_KINDS)}",
            # about 1 in 10 campaigns has no Type (the channel '(none)'); drawn from an RNG of
            # its own so the rest of the org stays as it was
            "Type": None if extra_rng("campaign", created).random() < 0.1 else kind,
            "ParentId": rng.choice(self.state.campaigns) if self.state.campaigns and
            rng.random() < 0.3 else None,
            "Status": "Completed" if until else "In Progress" if running else "Planned",
            "StartDate": start,
            "EndDate": start + timedelta(days=rng.randint(1, 60)), "BudgetedCost": budget,
            "ActualCost": (budget * Decimal(rng.randint(50, 120)) / 100).quantize(Decimal(1)),
            "ExpectedRevenue": budget * 5, "IsActive": until is None, "NumberOfLeads": 0,
            "OwnerId": rng.choice(self.state.users),
        }, created, until)  # fmt: skip
        self.state.campaigns.append(campaign)
        return campaign
