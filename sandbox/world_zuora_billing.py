"""Zuora billing history of one customer: subscription versions, amendments, invoices, payments."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from bizops_sandbox.world_zuora_versions import (
    CENT,
    PERIOD_MONTHS,
    Chain,
    Version,
    add_months,
    charge_value,
    run_terms,
)

if TYPE_CHECKING:
    from bizops_sandbox.world_zuora import ZuoraBuilder

TAX_RATE = Decimal("0.08")
# At most this many invoices per subscription: three years of monthly billing.
MAX_INVOICES = 36
Made = dict[str, list[str]]


def add_subscription(
    b: ZuoraBuilder, account_id: str, start: datetime, until: datetime | None, cancelled, made
) -> list[Version]:
    """A subscription (version 1) with rate plans and charges. In history mode its terms are
    played up to ``until`` (``world_zuora_versions.run_terms``): sometimes a mid-term
    amendment that adds seats, and at each term end a renewal (a new version) or a lapse;
    a cancelled subscription is cancelled in its latest version."""
    rng = b.rng
    evergreen = rng.random() < 0.15
    term_start = start.date()
    term_end = None if evergreen else add_months(term_start, 12)
    cancel_at = b.moment(start, until) if cancelled and until is not None else None
    cancel_date = cancel_at.date() if cancel_at else None
    fields = {
        "AccountId": account_id, "Name": f"A-S{b.state.next_number('subscription'):08d}",
        "Status": "Active", "TermType": "EVERGREEN" if evergreen else "TERMED",
        "InitialTerm": None if evergreen else 12, "RenewalTerm": None if evergreen else 12,
        "AutoRenew": not evergreen and rng.random() < 0.7,
        "ContractEffectiveDate": term_start, "ServiceActivationDate": term_start,
        "SubscriptionStartDate": term_start, "SubscriptionEndDate": term_end,
        "TermStartDate": term_start, "TermEndDate": term_end, "CancelledDate": None,
        "Version": 1, "OriginalId": None, "PreviousSubscriptionId": None,
        "IsLatestVersion": True,
    }  # fmt: skip
    subscription_id = b.insert("Subscription", fields, start, b.updated_after(start, until))
    b.state.tables["Subscription"][subscription_id]["OriginalId"] = subscription_id
    made["Subscription"].append(subscription_id)
    plans = list(b.state.tables["ProductRatePlan"].values())
    chosen = [rng.choice(plans[:2]), *rng.sample(plans[2:], rng.randint(0, 2))]
    charges: list[str] = []
    plan_charges: dict[str, list[str]] = {}
    for plan in chosen:
        rate_plan_id = b.insert("RatePlan", {
            "SubscriptionId": subscription_id, "ProductRatePlanId": plan["Id"],
            "Name": plan["Name"], "AmendmentType": None, "AmendmentId": None,
        }, start, b.updated_after(start, until))  # fmt: skip
        made["RatePlan"].append(rate_plan_id)
        plan_charges[rate_plan_id] = [
            _add_charge(b, rate_plan_id, charge, term_start, term_end, start)
            for charge in b.state.tables["ProductRatePlanCharge"].values()
            if charge["ProductRatePlanId"] == plan["Id"]
        ]
        charges.extend(plan_charges[rate_plan_id])
    made["RatePlanCharge"].extend(charges)
    chain = Chain([Version(subscription_id, term_start, charges)], plan_charges)
    if until is None:
        return chain.versions
    long_enough = (until - start).days > 60
    amend_at = None
    if long_enough and not cancel_date and rng.random() < 0.3:
        amend_at = b.moment(start + timedelta(30), until)
    run_terms(b, chain, until, cancel_date, amend_at, made)
    if cancel_at is not None:
        b.touch("Subscription", chain.latest, cancel_at, Status="Cancelled",
                CancelledDate=cancel_date, SubscriptionEndDate=cancel_date)  # fmt: skip
    return chain.versions


def _add_charge(b: ZuoraBuilder, rate_plan_id, charge, term_start, term_end, at) -> str:
    quantity = Decimal(b.rng.randint(1, 250)) if charge["UOM"] else Decimal(1)
    mrr, tcv = charge_value(charge, b.state.list_prices[charge["Id"]], quantity)
    return b.insert("RatePlanCharge", {
        "RatePlanId": rate_plan_id, "ProductRatePlanChargeId": charge["Id"],
        "ChargeNumber": f"C-{b.state.next_number('charge'):08d}", "Name": charge["Name"],
        "ChargeType": charge["ChargeType"], "ChargeModel": charge["ChargeModel"],
        "BillingPeriod": charge["BillingPeriod"], "Quantity": quantity, "MRR": mrr,
        "TCV": tcv, "DMRC": mrr, "DTCV": tcv, "EffectiveStartDate": term_start,
        "EffectiveEndDate": term_end, "Segment": 1, "IsLastSegment": True, "Version": 1,
    }, at, at)  # fmt: skip


def add_invoices(b: ZuoraBuilder, account_id: str, subs: list[list[Version]], until, made) -> None:
    """Invoices of every billing period up to ``until``, their items, payments and refunds."""
    balance, last_date = Decimal("0.00"), None
    for versions in subs:
        end = _billing_end(b, versions, until)
        months = _period_months(b, versions[0])
        bill_date = versions[0].effective
        for index in range(MAX_INVOICES):
            if bill_date >= end:
                break
            unpaid = _add_invoice(b, account_id, versions, bill_date, months, index, until, made)
            balance += unpaid
            last_date = bill_date
            bill_date = add_months(versions[0].effective, months * (index + 1))
    # The account's balance is derived from its invoices; this is not an edit of the account.
    b.state.tables["Account"][account_id].update(
        Balance=balance, TotalInvoiceBalance=balance, LastInvoiceDate=last_date
    )


def _billing_end(b: ZuoraBuilder, versions: list[Version], until: datetime) -> date:
    """Billing stops at the cancellation, else at the end of the last term (a subscription
    out of term, not renewed, is no longer invoiced), else at ``until``."""
    latest = b.state.tables["Subscription"][versions[-1].subscription_id]
    ends = [d for d in (latest["CancelledDate"], latest["TermEndDate"]) if d is not None]
    return min([*ends, until.date()])


def _period_months(b: ZuoraBuilder, version: Version) -> int:
    charges = b.state.tables["RatePlanCharge"]
    periods = [charges[c]["BillingPeriod"] for c in version.charges]
    return PERIOD_MONTHS[next(p for p in periods if p is not None)]


def _add_invoice(b, account_id, versions, bill_date, months, index, until, made) -> Decimal:
    """One invoice with its items; paid (payment, application, maybe a refund) unless recent.

    Returns:
        What the account still owes on it.
    """
    rng = b.rng
    posted_at = datetime.combine(bill_date, time(8), UTC) + timedelta(seconds=rng.randrange(36000))
    posted_at = min(posted_at, until - timedelta(seconds=1))
    version = next(v for v in reversed(versions) if v.effective <= bill_date)
    service_end = add_months(bill_date, months) - timedelta(days=1)
    items = _item_fields(b, version, bill_date, service_end, months, first=index == 0)
    amount = sum((item["ChargeAmount"] for item in items), Decimal("0.00"))
    taxed = rng.random() < 0.5
    tax = (amount * TAX_RATE).quantize(CENT) if taxed else Decimal("0.00")
    paid_at = posted_at + timedelta(days=rng.randint(0, 25), seconds=rng.randrange(3600))
    late_at = paid_at + _lateness(posted_at)
    # Only a late payment that still falls before the clock is made late: the draws of the
    # world's RNG (and so every other record) stay what they were without late payments.
    paid_at = late_at if late_at < until else paid_at
    paid = paid_at < until and rng.random() < 0.95
    total = amount + tax
    invoice_id = b.insert("Invoice", {
        "AccountId": account_id, "InvoiceNumber": f"INV{b.state.next_number('invoice'):08d}",
        "InvoiceDate": bill_date, "DueDate": bill_date + timedelta(days=30), "Status": "Posted",
        "Amount": total, "AmountWithoutTax": amount, "TaxAmount": tax,
        "Balance": Decimal("0.00") if paid else total,
        "PaymentAmount": total if paid else Decimal("0.00"), "PostedDate": posted_at,
    }, posted_at, paid_at if paid else posted_at)  # fmt: skip
    made["Invoice"].append(invoice_id)
    for item in items:
        item.update(InvoiceId=invoice_id, ChargeDate=posted_at, SKU=None)
        item["TaxAmount"] = (item["ChargeAmount"] * TAX_RATE).quantize(CENT) if taxed else CENT * 0
        made["InvoiceItem"].append(b.insert("InvoiceItem", item, posted_at, posted_at))
    if not paid:
        return total
    _add_payment(b, account_id, invoice_id, total, paid_at, until, made)
    return Decimal("0.00")


def _lateness(posted_at: datetime) -> timedelta:
    """How much later than usual an invoice is paid: about one in eight 30 to 90 days late
    (after its due date), drawn from an RNG of its own seeded by the posting instant."""
    draw = random.Random(f"late-payment:{posted_at.isoformat()}")  # noqa: S311 (not crypto)
    return timedelta(days=draw.randint(30, 90)) if draw.random() < 0.125 else timedelta(0)


def _item_fields(b, version: Version, start: date, end: date, months: int, *, first: bool):
    charges = b.state.tables["RatePlanCharge"]
    items = []
    for charge_id in version.charges:
        charge = charges[charge_id]
        active = charge["EffectiveStartDate"] <= start and (
            charge["EffectiveEndDate"] is None or start < charge["EffectiveEndDate"]
        )
        recurring = charge["ChargeType"] == "Recurring"
        if not active or (not recurring and not first):
            continue
        amount = charge["MRR"] * months if recurring else charge["TCV"]
        items.append({
            "SubscriptionId": version.subscription_id, "RatePlanChargeId": charge_id,
            "ChargeName": charge["Name"], "ChargeAmount": amount, "Quantity": charge["Quantity"],
            "UnitPrice": (amount / charge["Quantity"]).quantize(CENT),
            "ServiceStartDate": start, "ServiceEndDate": end, "ProcessingType": "Charge",
            "Balance": Decimal("0.00"),
        })  # fmt: skip
    return items


def _add_payment(b, account_id, invoice_id, total, paid_at, until, made) -> None:
    rng = b.rng
    refund_at = paid_at + timedelta(days=rng.randint(1, 40))
    refund = (total * Decimal("0.5")).quantize(CENT) if rng.random() < 0.03 else None
    refund = refund if refund and refund_at < until else None
    electronic = rng.random() < 0.7
    payment_id = b.insert("Payment", {
        "AccountId": account_id, "PaymentNumber": f"P-{b.state.next_number('payment'):08d}",
        "Amount": total, "AppliedAmount": total, "RefundAmount": refund or Decimal("0.00"),
        "EffectiveDate": paid_at.date(), "Status": "Processed",
        "Type": "Electronic" if electronic else "External",
        "Gateway": "Stripe" if electronic else None,
        "ReferenceId": f"ch_{rng.getrandbits(64):016x}" if electronic else None,
    }, paid_at, refund_at if refund else paid_at)  # fmt: skip
    made["Payment"].append(payment_id)
    made["InvoicePayment"].append(b.insert("InvoicePayment", {
        "InvoiceId": invoice_id, "PaymentId": payment_id, "Amount": total,
        "RefundAmount": refund or Decimal("0.00"),
    }, paid_at, refund_at if refund else paid_at))  # fmt: skip
    if refund:
        made["Refund"].append(b.insert("Refund", {
            "AccountId": account_id, "RefundNumber": f"R-{b.state.next_number('refund'):08d}",
            "Amount": refund, "RefundDate": refund_at.date(), "Status": "Processed",
            "Type": "Electronic" if electronic else "External",
            "ReasonCode": rng.choice(("Customer Satisfaction", "Service Credit")),
            "MethodType": "CreditCard" if electronic else "Check",
        }, refund_at, refund_at))  # fmt: skip
