"""Generators of the world's Zuora objects: the catalog, and accounts with everything they own."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from bizops_sandbox import names
from bizops_sandbox.ids import salesforce_id, zuora_id

CENT = Decimal("0.01")
OBJECTS = (
    "Product", "ProductRatePlan", "ProductRatePlanCharge", "Account", "Contact",
    "Subscription", "RatePlan", "RatePlanCharge", "Invoice",
)  # fmt: skip
PERIOD_MONTHS = {"Month": 1, "Quarter": 3, "Annual": 12}

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
    """The Zuora side of the world: tables of records by object and id, plus sequences."""

    tables: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {name: {} for name in OBJECTS}
    )
    sequences: Counter[str] = field(default_factory=Counter)
    list_prices: dict[str, Decimal] = field(default_factory=dict)
    users: list[str] = field(default_factory=list)

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

    # -- records -------------------------------------------------------------------------

    def insert(self, obj: str, record: dict[str, Any], created: datetime, updated: datetime):
        """Give ``record`` an Id and audit fields and store it; returns its Id."""
        record_id = zuora_id(self.rng)
        while record_id in self.state.tables[obj]:  # pragma: no cover - 128-bit collision
            record_id = zuora_id(self.rng)
        user = self.rng.choice(self.state.users)
        self.state.tables[obj][record_id] = {
            "Id": record_id,
            **record,
            "CreatedById": user,
            "CreatedDate": created,
            "UpdatedById": user,
            "UpdatedDate": updated,
        }
        return record_id

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
            "LastInvoiceDate": None,
        }  # fmt: skip
        account_id = self.insert("Account", account, created, self.updated_after(created, until))
        made["Account"].append(account_id)
        domain = "".join(ch for ch in name.split(",")[0].lower() if ch.isalnum()) + ".example"
        contacts = [self._add_contact(account_id, domain, created, until)]
        if until is not None and rng.random() < 0.5:
            contacts.append(self._add_contact(account_id, domain, created, until))
        made["Contact"].extend(contacts)
        self.state.tables["Account"][account_id].update(BillToId=contacts[0], SoldToId=contacts[-1])
        for _ in range(rng.choice((1, 1, 2)) if until is not None else 1):
            start = created if until is None else self.moment(created, created + timedelta(30))
            self._add_subscription(account_id, start, until, status == "Canceled", made)
        if until is not None:
            self._add_invoices(account_id, created, until, made)
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

    def _add_subscription(self, account_id, start: datetime, until, cancelled: bool, made):
        rng = self.rng
        evergreen = rng.random() < 0.15
        term_start = start.date()
        term_end = None if evergreen else _add_months(term_start, 12)
        cancel_at = self.moment(start, until) if cancelled and until is not None else None
        cancel_date = cancel_at.date() if cancel_at else None
        subscription_id = self.insert("Subscription", {
            "AccountId": account_id, "Name": f"A-S{self.state.next_number('subscription'):08d}",
            "Status": "Cancelled" if cancel_date else "Active",
            "TermType": "EVERGREEN" if evergreen else "TERMED",
            "InitialTerm": None if evergreen else 12, "RenewalTerm": None if evergreen else 12,
            "AutoRenew": not evergreen and rng.random() < 0.7,
            "ContractEffectiveDate": term_start, "ServiceActivationDate": term_start,
            "SubscriptionStartDate": term_start, "SubscriptionEndDate": cancel_date or term_end,
            "TermStartDate": term_start, "TermEndDate": term_end, "CancelledDate": cancel_date,
            "Version": 1,
        }, start, cancel_at or self.updated_after(start, until))  # fmt: skip
        made["Subscription"].append(subscription_id)
        plans = list(self.state.tables["ProductRatePlan"].values())
        chosen = [rng.choice(plans[:2]), *rng.sample(plans[2:], rng.randint(0, 2))]
        for plan in chosen:
            rate_plan_id = self.insert("RatePlan", {
                "SubscriptionId": subscription_id, "ProductRatePlanId": plan["Id"],
                "Name": plan["Name"], "AmendmentType": None,
            }, start, self.updated_after(start, until))  # fmt: skip
            made["RatePlan"].append(rate_plan_id)
            for charge in self.state.tables["ProductRatePlanCharge"].values():
                if charge["ProductRatePlanId"] == plan["Id"]:
                    made["RatePlanCharge"].append(
                        self._add_charge(rate_plan_id, charge, term_start, term_end, start, until)
                    )

    def _add_charge(self, rate_plan_id, charge, term_start, term_end, start, until) -> str:
        quantity = Decimal(self.rng.randint(1, 250)) if charge["UOM"] else Decimal(1)
        mrr, tcv = charge_value(charge, self.state.list_prices[charge["Id"]], quantity)
        return self.insert("RatePlanCharge", {
            "RatePlanId": rate_plan_id, "ProductRatePlanChargeId": charge["Id"],
            "ChargeNumber": f"C-{self.state.next_number('charge'):08d}", "Name": charge["Name"],
            "ChargeType": charge["ChargeType"], "ChargeModel": charge["ChargeModel"],
            "BillingPeriod": charge["BillingPeriod"], "Quantity": quantity, "MRR": mrr,
            "TCV": tcv, "DMRC": mrr, "DTCV": tcv, "EffectiveStartDate": term_start,
            "EffectiveEndDate": term_end, "Segment": 1, "IsLastSegment": True, "Version": 1,
        }, start, self.updated_after(start, until))  # fmt: skip

    def _add_invoices(self, account_id: str, created: datetime, until: datetime, made) -> None:
        rng, balance, last_date = self.rng, Decimal("0.00"), None
        for _ in range(rng.randint(1, 4)):
            posted_at = self.moment(created, until)
            amount = Decimal(rng.randint(5_000, 2_000_000)) * CENT
            tax = (amount * Decimal("0.08")).quantize(CENT) if rng.random() < 0.5 else Decimal(0)
            total, status = amount + tax, "Posted" if rng.random() < 0.9 else "Draft"
            unpaid = status == "Posted" and rng.random() < 0.3
            invoice_date = posted_at.date()
            made["Invoice"].append(self.insert("Invoice", {
                "AccountId": account_id,
                "InvoiceNumber": f"INV{self.state.next_number('invoice'):08d}",
                "InvoiceDate": invoice_date, "DueDate": invoice_date + timedelta(days=30),
                "Status": status, "Amount": total, "AmountWithoutTax": amount, "TaxAmount": tax,
                "Balance": total if unpaid or status == "Draft" else Decimal("0.00"),
                "PaymentAmount": Decimal("0.00") if unpaid or status == "Draft" else total,
                "PostedDate": posted_at if status == "Posted" else None,
            }, posted_at, self.updated_after(posted_at, until)))  # fmt: skip
            balance += total if unpaid else Decimal(0)
            last_date = max(filter(None, (last_date, invoice_date)))
        # The account's balance is derived from its invoices; this is not an edit of the account.
        self.state.tables["Account"][account_id].update(
            Balance=balance, TotalInvoiceBalance=balance, LastInvoiceDate=last_date
        )


def charge_value(charge: dict[str, Any], price: Decimal, quantity: Decimal):
    """(MRR, TCV) of a subscription charge over a 12-month term."""
    if charge["ChargeType"] != "Recurring":
        return Decimal("0.00"), (price * quantity).quantize(CENT)
    mrr = (price * quantity / PERIOD_MONTHS[charge["BillingPeriod"]]).quantize(CENT)
    return mrr, (mrr * 12).quantize(CENT)


def _company_name(rng: random.Random) -> str:
    suffix = rng.choice(names.COMPANY_SUFFIXES)
    base = f"{rng.choice(names.COMPANY_WORDS)} {rng.choice(names.COMPANY_KINDS)}"
    return base + suffix if suffix.startswith(",") or not suffix else f"{base} {suffix}"


def _add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, 28))
