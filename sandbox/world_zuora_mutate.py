"""The mutate step of the Zuora world: new customers and edits to existing records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from bizops_sandbox.world_zuora import OBJECTS, ZuoraBuilder
from bizops_sandbox.world_zuora_billing import CENT, charge_value
from bizops_sandbox.world_zuora_renewals import renew_due
from bizops_sandbox.world_zuora_returns import return_one

Edit = Callable[[ZuoraBuilder, str, datetime], bool]


def mutate_zuora(
    builder: ZuoraBuilder,
    old: datetime,
    new: datetime,
    *,
    creates: int,
    updates: int,
    deletes: int | None = None,
    returns: int = 0,
) -> dict[str, dict[str, list[str]]]:
    """Create ``creates`` customers, edit ``updates`` and delete ``deletes`` existing records,
    all at instants in ``(old, new]``.

    Args:
        deletes: records to delete; ``None`` means one per three updates (World.mutate does
            not pass a count yet).
        returns: lapsed accounts that subscribe again (drawn after every other change, so
            the rest of the mutation is the same with or without them).

    Termed subscriptions whose term ends in ``(old, new]`` renew or lapse, and some lapsed
    ones are renewed late (``world_zuora_renewals``), after every other change but the returns.

    Returns:
        ``{object: {"created": [ids], "updated": [ids], "deleted": [ids]}}`` for every Zuora
        object; an id appears once in the whole result.
    """
    rng, tables = builder.rng, builder.state.tables
    result: dict[str, dict[str, list[str]]] = {
        o: {"created": [], "updated": [], "deleted": []} for o in OBJECTS
    }
    span = int((new - old).total_seconds())

    def when() -> datetime:
        return old + timedelta(seconds=rng.randint(1, span))

    # Only records that existed before this mutation are candidates for an edit.
    candidates = {obj: list(tables[obj]) for obj in EDITS}
    for _ in range(creates):
        for obj, ids in builder.add_account(when()).items():
            result[obj]["created"].extend(ids)
    for _ in range(updates):
        kinds = [obj for obj, ids in candidates.items() if ids]
        while kinds:
            obj = rng.choice(kinds)
            record_id = candidates[obj].pop(rng.randrange(len(candidates[obj])))
            if EDITS[obj](builder, record_id, when()):
                result[obj]["updated"].append(record_id)
                break
            kinds = [obj for obj, ids in candidates.items() if ids]
    for obj, record_id in _deletable(
        builder, candidates, updates // 3 if deletes is None else deletes
    ):
        builder.delete(obj, record_id, when())
        result[obj]["deleted"].append(record_id)
    # Last, so that every draw above is what it was before invoices were paid with payments.
    for invoice_id in result["Invoice"]["updated"]:
        for obj, record_id in _pay(builder, invoice_id):
            result[obj]["created"].append(record_id)
    # Terms that end as the clock moves renew or lapse (before the returns: a mutation is
    # the same with or without them).
    renew_due(builder, old, new, result)
    for _ in range(returns):
        made: dict[str, list[str]] = {o: [] for o in OBJECTS}
        if return_one(builder, when(), made) is None:
            break
        for obj, ids in made.items():
            result[obj]["created"].extend(ids)
    return result


def _pay(builder: ZuoraBuilder, invoice_id: str) -> list[tuple[str, str]]:
    """The payment (and its application) that settled an invoice ``_invoice_payment`` marked
    paid, effective when it was marked: its cash shows in collections like any other."""
    invoice = builder.state.tables["Invoice"][invoice_id]
    at, amount = invoice["UpdatedDate"], invoice["Amount"]
    payment_id = builder.insert("Payment", {
        "AccountId": invoice["AccountId"],
        "PaymentNumber": f"P-{builder.state.next_number('payment'):08d}",
        "Amount": amount, "AppliedAmount": amount, "RefundAmount": Decimal("0.00"),
        "EffectiveDate": at.date(), "Status": "Processed", "Type": "External",
        "Gateway": None, "ReferenceId": None,
    }, at, at)  # fmt: skip
    application_id = builder.insert("InvoicePayment", {
        "InvoiceId": invoice_id, "PaymentId": payment_id, "Amount": amount,
        "RefundAmount": Decimal("0.00"),
    }, at, at)  # fmt: skip
    return [("Payment", payment_id), ("InvoicePayment", application_id)]


def _deletable(builder: ZuoraBuilder, candidates: dict[str, list[str]], count: int):
    """``count`` (object, id) pairs nothing else points at: refunds, and contacts that are
    neither an account's bill-to nor its sold-to contact. Never a record edited just now."""
    tables, rng = builder.state.tables, builder.rng
    used = {c for a in tables["Account"].values() for c in (a["BillToId"], a["SoldToId"])}
    untouched = set(candidates["Contact"])
    pool = [("Refund", r) for r in tables["Refund"]]
    pool += [("Contact", c) for c in tables["Contact"] if c not in used and c in untouched]
    return rng.sample(pool, min(count, len(pool)))


def _account_balance(builder: ZuoraBuilder, account_id: str, at: datetime) -> bool:
    record = builder.state.tables["Account"][account_id]
    delta = Decimal(builder.rng.randint(1_000, 50_000)) * CENT
    balance, total = record["Balance"] + delta, record["TotalInvoiceBalance"] + delta
    builder.touch("Account", account_id, at, Balance=balance, TotalInvoiceBalance=total)
    return True


def _subscription_status(builder: ZuoraBuilder, subscription_id: str, at: datetime) -> bool:
    record = builder.state.tables["Subscription"][subscription_id]
    if record["Status"] == "Active":
        builder.touch(
            "Subscription", subscription_id, at,
            Status="Cancelled", CancelledDate=at.date(), SubscriptionEndDate=at.date(),
            AutoRenew=False,
        )  # fmt: skip
    else:
        builder.touch("Subscription", subscription_id, at, AutoRenew=not record["AutoRenew"])
    return True


def _contact_phone(builder: ZuoraBuilder, contact_id: str, at: datetime) -> bool:
    rng = builder.rng
    phone = f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
    builder.touch("Contact", contact_id, at, WorkPhone=phone)
    return True


def _invoice_payment(builder: ZuoraBuilder, invoice_id: str, at: datetime) -> bool:
    record = builder.state.tables["Invoice"][invoice_id]
    if record["Status"] != "Posted" or record["Balance"] == 0:
        return False
    builder.touch(
        "Invoice", invoice_id, at, Balance=Decimal("0.00"), PaymentAmount=record["Amount"]
    )
    return True


def _charge_quantity(builder: ZuoraBuilder, charge_id: str, at: datetime) -> bool:
    record = builder.state.tables["RatePlanCharge"][charge_id]
    if record["ChargeModel"] != "Per Unit Pricing":
        return False
    product_charge = builder.state.tables["ProductRatePlanCharge"][
        record["ProductRatePlanChargeId"]
    ]
    quantity = record["Quantity"] + builder.rng.randint(1, 20)
    price = builder.state.list_prices[product_charge["Id"]]
    mrr, tcv = charge_value(product_charge, price, quantity)
    builder.touch("RatePlanCharge", charge_id, at, Quantity=quantity, MRR=mrr, TCV=tcv)
    return True


# Which objects a mutation edits, and how. An edit returns False when the record it drew does
# not qualify (a paid invoice, a flat-fee charge); another record is drawn instead.
EDITS: dict[str, Edit] = {
    "Account": _account_balance,
    "Subscription": _subscription_status,
    "Contact": _contact_phone,
    "Invoice": _invoice_payment,
    "RatePlanCharge": _charge_quantity,
}
