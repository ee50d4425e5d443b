"""Generators of the world's Zuora objects: the catalog, and accounts with everything they own."""

from __future__ import annotations

import functools
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from bizops_sandbox import names
from bizops_sandbox import world_zuora_billing as billing
from bizops_sandbox.ids import salesforce_id, zuora_id
from bizops_sandbox.zuora_schema import schemas

OBJECTS = (
    "Product", "ProductRatePlan", "ProductRatePlanCharge", "Account", "Contact",
    "Subscription", "Amendment", "RatePlan", "RatePlanCharge", "Invoice", "InvoiceItem",
    "Payment", "InvoicePayment", "Refund",
)  # fmt: skip

# (product name, SKU, category, description, [(plan name, [(charge name, type, model,
# period, list price, UOM)])]). Descriptions with newlines keep CSV quoting honest.
CATALOG = (
    ("BizOps Platform", "SKU-PLAT", "Base Products", "Core analytics platform.\nSSO included.", [
        ("Starter Monthly", [
            ("Platform Fee", "Recurring", "Flat Fee Pricing", "Month", "99", None),
            ("Seats", "Recurring", "Per Unit Pricing", "Month", "15", "Seat")]),
        ("Enterprise Annual", [
            ("Platform Fee", "Recurring", "Flat Fee Pricing", "Annual", "12000", None),
            ("Seats", "Recurring", "Per Unit Pricing", "Annual", "120", "Seat")])]),
    ("Analytics Add-on", "SKU-ANLY", "Add On Services", 'The "insights" pack', [
        ("Analytics Monthly", [
            ("Analytics Fee", "Recurring", "Volume Pricing", "Month", "250", "Workspace")])]),
    ("Premium Support", "SKU-SUPP", "Add On Services", None, [
        ("Premium Support Quarterly", [
            ("Support Fee", "Recurring", "Flat Fee Pricing", "Quarter", "1500", None)])]),
    ("Onboarding", "SKU-ONBD", "Miscellaneous Products", "One-time setup, training", [
        ("Onboarding Package", [
            ("Onboarding Fee", "OneTime", "Flat Fee Pricing", None, "2500", None)])]),
)  # fmt: skip


@dataclass
class ZuoraState:
    """The Zuora side of the world: tables of records by object and id, plus sequences.

    ``deleted`` keeps the last version of every deleted record (its ``UpdatedDate`` is the
    moment of deletion): AQuA's incremental exports report them with ``Deleted = true``.
    """

    tables: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {name: {} for name in OBJECTS}
    )
    deleted: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {name: {} for name in OBJECTS}
    )
    sequences: Counter[str] = field(default_factory=Counter)
    list_prices: dict[str, Decimal] = field(default_factory=dict)
    users: list[str] = field(default_factory=list)
    sequence_set_id: str = ""

    def next_number(self, sequence: str) -> int:
        """The next value of a named sequence (account, subscription, charge, invoice numbers)."""
        self.sequences[sequence] += 1
        return self.sequences[sequence]


class ZuoraBuilder:
    """Adds records to a :class:`ZuoraState`, drawing every choice from one RNG."""

    def __init__(self, state: ZuoraState, rng: random.Random) -> None:
        self.state = state
        self.rng = rng
        if not state.users:
            state.users.extend(zuora_id(rng) for _ in range(3))
            state.sequence_set_id = zuora_id(rng)

    # -- records -------------------------------------------------------------------------

    def insert(self, obj: str, record: dict[str, Any], created: datetime, updated: datetime):
        """Give ``record`` an Id and audit fields and store it; returns its Id."""
        record_id = zuora_id(self.rng)
        while record_id in self.state.tables[obj]:  # pragma: no cover - 128-bit collision
            record_id = zuora_id(self.rng)
        user = self.rng.choice(self.state.users)
        full = {
            **record,
            "Id": record_id,
            "CreatedById": user,
            "CreatedDate": created,
            "UpdatedById": user,
            "UpdatedDate": updated,
        }
        # Stored in the schema's field order (the export order of `select *`).
        self.state.tables[obj][record_id] = {key: full[key] for key in _field_order(obj)}
        return record_id

    def delete(self, obj: str, record_id: str, when: datetime) -> None:
        """Remove a record, keeping its tombstone (stamped ``when``) for AQuA's deleted rows."""
        record = self.state.tables[obj].pop(record_id)
        self.state.deleted[obj][record_id] = {**record, "UpdatedDate": when}

    def touch(self, obj: str, record_id: str, when: datetime, **changes: Any) -> None:
        """Apply ``changes`` to a stored record and stamp it updated at ``when``."""
        record = self.state.tables[obj][record_id]
        record.update(changes, UpdatedDate=when, UpdatedById=self.rng.choice(self.state.users))

    def moment(self, start: datetime, end: datetime) -> datetime:
        """A whole-second instant in ``[start, end]``."""
        return start + timedelta(seconds=self.rng.randint(0, int((end - start).total_seconds())))

    def updated_after(self, created: datetime, until: datetime | None) -> datetime:
        """History mode (``until`` set): half the records were edited later; else unchanged."""
        if until is None or self.rng.random() < 0.5:
            return created
        return self.moment(created, until)

    # -- catalog -------------------------------------------------------------------------

    def build_catalog(self, at: datetime) -> None:
        """Create the fixed product catalog, all stamped ``at``."""
        for product, sku, category, description, plans in CATALOG:
            product_id = self.insert("Product", {
                "Name": product, "SKU": sku, "Description": description, "Category": category,
                "EffectiveStartDate": date(2020, 1, 1), "EffectiveEndDate": date(2049, 12, 31),
            }, at, at)  # fmt: skip
            for plan, charges in plans:
                plan_id = self.insert("ProductRatePlan", {
                    "ProductId": product_id, "Name": plan, "Description": f"{product}: {plan}",
                    "EffectiveStartDate": date(2020, 1, 1), "EffectiveEndDate": date(2049, 12, 31),
                }, at, at)  # fmt: skip
                for name, kind, model, period, price, uom in charges:
                    charge_id = self.insert("ProductRatePlanCharge", {
                        "ProductRatePlanId": plan_id, "Name": name, "ChargeType": kind,
                        "ChargeModel": model, "BillingPeriod": period, "UOM": uom,
                        "DefaultQuantity": Decimal(1) if uom else None, "Description": None,
                    }, at, at)  # fmt: skip
                    self.state.list_prices[charge_id] = Decimal(price)

    # -- customers -----------------------------------------------------------------------

    def add_account(self, created: datetime, until: datetime | None = None) -> dict[str, list[str]]:
        """Add one customer: account, contacts, subscriptions, charges and (history) invoices.

        With ``until`` (history mode) the records spread over ``[created, until]``; without it
        (a mutation) every record is created and last updated at ``created``.

        Returns:
            The ids created, by object.
        """
        rng, made = self.rng, {name: [] for name in OBJECTS}
        name = _company_name(rng)
        status = "Canceled" if until is not None and rng.random() < 0.1 else "Active"
        number = self.state.next_number("account")
        account = {
            "AccountNumber": f"A{number:08d}", "Name": name, "Status": status,
            "Currency": rng.choice(("USD", "USD", "USD", "EUR", "GBP")),
            "CrmId": salesforce_id("001", rng) if rng.random() < 0.9 else None,
            "Balance": Decimal("0.00"), "CreditBalance": Decimal("0.00"),
            "TotalInvoiceBalance": Decimal("0.00"), "BillCycleDay": rng.randint(1, 28),
            "PaymentTerm": rng.choice(("Net 30", "Net 30", "Net 60", "Due Upon Receipt")),
            "AutoPay": rng.random() < 0.4, "Batch": f"Batch{rng.randint(1, 5)}",
            "BillToId": None, "SoldToId": None, "SalesRepName": rng.choice(names.SALES_REPS),
            "LastInvoiceDate": None, "SequenceSetId": self.state.sequence_set_id,
        }  # fmt: skip
        account_id = self.insert("Account", account, created, self.updated_after(created, until))
        made["Account"].append(account_id)
        domain = "".join(ch for ch in name.split(",")[0].lower() if ch.isalnum()) + ".example"
        contacts = [self._add_contact(account_id, domain, created, until)]
        if until is not None and rng.random() < 0.5:
            contacts.append(self._add_contact(account_id, domain, created, until))
        made["Contact"].extend(contacts)
        self.state.tables["Account"][account_id].update(BillToId=contacts[0], SoldToId=contacts[-1])
        subscriptions = []
        for _ in range(rng.choice((1, 1, 2)) if until is not None else 1):
            start = created if until is None else self.moment(created, created + timedelta(30))
            cancelled = status == "Canceled"
            subscriptions.append(
                billing.add_subscription(self, account_id, start, until, cancelled, made)
            )
        if until is not None:
            billing.add_invoices(self, account_id, subscriptions, until, made)
        return made

    def _add_contact(self, account_id: str, domain: str, created: datetime, until):
        rng = self.rng
        first, last = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
        city, state, postal, country = rng.choice(names.CITIES)
        local = f"{first}.{last}".lower().replace("'", "")
        return self.insert("Contact", {
            "AccountId": account_id, "FirstName": first, "LastName": last,
            "WorkEmail": f"{local}@{domain}",
            "PersonalEmail": f"{local}{rng.randint(1, 99)}@mail.example" if rng.random() < 0.2
            else None,
            "WorkPhone": f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
            "Address1": f"{rng.randint(1, 999)} {rng.choice(names.STREETS)}", "City": city,
            "State": state, "PostalCode": postal, "Country": country,
        }, created, self.updated_after(created, until))  # fmt: skip


def _company_name(rng: random.Random) -> str:
    suffix = rng.choice(names.COMPANY_SUFFIXES)
    base = f"{rng.choice(names.COMPANY_WORDS)} {rng.choice(names.COMPANY_KINDS)}"
    return base + suffix if suffix.startswith(",") or not suffix else f"{base} {suffix}"


@functools.cache
def _field_order(obj: str) -> tuple[str, ...]:
    return tuple(schemas()[obj]["properties"])
