"""Ground-truth oracle: billings, collections, DSO and order-to-cash time from Zuora's records.

The rules (catalog entries in :data:`CATALOG`):

- Only live ``Posted`` invoices count (drafts and cancelled invoices bill nothing); a payment
  counts when its ``Status`` is ``Processed``, a refund when its ``Status`` is ``Processed``.
- Money is in USD: every amount (invoice, payment application, refund) times the fixed rate of
  its account's ``Currency`` (``FX_TO_USD``), rounded to the cent half away from zero, then
  summed.
- **Billings**: the invoices' ``Amount`` (tax included, what the customer is asked to pay)
  by ``InvoiceDate``.
- **Collections**: cash applied to invoices (``InvoicePayment.Amount``) by the payment's
  ``EffectiveDate``, less refunds (``Refund.Amount``) by ``RefundDate``.
- **DSO** (days sales outstanding, the count-back-free "period" method):
  ``receivables at the period's end / billings of the period x days of the period``, where the
  period is cut to the history (its end is at most the history's last day, its start at least
  the first) and receivables on day D = billed amounts of invoices dated <= D less payments
  applied to them effective <= D. A refund does not reopen an invoice (the world's refunds are
  concessions: the invoice's Balance stays 0). ``None`` when the period billed nothing.
- **Order-to-cash time**: per subscription (all versions of one ``Name``): days from its order
  date (``ContractEffectiveDate``) to the first processed payment applied to its first invoice
  (earliest ``InvoiceDate``, then ``InvoiceNumber``; an invoice belongs to the subscription of
  its items, the lowest ``SubscriptionId`` when they name several). Placed in the period of
  that payment; median (a half day when the count is even) with its count ``n``. A
  subscription whose first invoice is unpaid is not counted yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bizops_sandbox.oracle_arr import FX_TO_USD
from bizops_sandbox.oracle_catalog import ALL, Metric
from bizops_sandbox.oracle_periods import CENT, Period, Ratio, periods

Record = dict[str, Any]
Tables = Mapping[str, Iterable[Record]]
ZERO = Decimal("0.00")
OBJECTS = ("Account", "Subscription", "Invoice", "InvoiceItem", "InvoicePayment", "Payment",
           "Refund")  # fmt: skip


@dataclass(frozen=True)
class FinancePeriod:
    """The finance metrics of one period.

    Attributes:
        period: the period.
        billings: USD billed by invoices dated in it.
        collections: USD of payments applied in it less USD refunded in it.
        receivables: USD owed at the end of the period (cut to the history).
        days: days of the period inside the history.
        dso: receivables x days / billings.
        order_to_cash_days: median days from order to cash of subscriptions first paid in
            it; ``None`` when there are none. ``order_to_cash_n``: how many.
    """

    period: Period
    billings: Decimal
    collections: Decimal
    receivables: Decimal
    days: int
    dso: Ratio
    order_to_cash_days: Decimal | None
    order_to_cash_n: int


@dataclass(frozen=True)
class _Invoice:
    invoice_id: str
    number: str
    day: date
    amount_usd: Decimal
    subscription_id: str | None
    payments: tuple[tuple[date, Decimal], ...]  # (effective date, applied USD), processed


def finance_metrics(
    zuora: Tables,
    first: date,
    last: date,
    grain: str,
    fy_start_month: int = 1,
    fx: Mapping[str, Decimal] = FX_TO_USD,
) -> list[FinancePeriod]:
    """The finance metrics of every period of ``grain`` overlapping ``[first, last]``.

    Raises:
        ValueError: an account's currency has no rate in ``fx``, or a record names an
            account, invoice or payment that does not exist (never silently dropped).
    """
    usd = _converter(zuora, fx)
    invoices = _invoices(zuora, usd)
    refunds = [
        (r["RefundDate"], usd(r["AccountId"], r["Amount"]))
        for r in zuora["Refund"]
        if r["Status"] == "Processed"
    ]
    cash = _order_to_cash(zuora, invoices)
    out = []
    for period in periods(first, last, grain, fy_start_month):
        start, end = max(period.start, first), min(period.end, last)
        billings = sum((i.amount_usd for i in invoices if i.day in period), ZERO)
        applied = sum((a for i in invoices for d, a in i.payments if d in period), ZERO)
        refunded = sum((a for d, a in refunds if d in period), ZERO)
        owed = sum((_owed(i, end) for i in invoices if i.day <= end), ZERO)
        days = (end - start).days + 1
        durations = [n for paid, n in cash if paid in period]
        out.append(FinancePeriod(
            period, billings, applied - refunded, owed, days,
            Ratio(owed * days, billings), median(durations), len(durations),
        ))  # fmt: skip
    return out


def _converter(zuora: Tables, fx: Mapping[str, Decimal]):
    currency = {a["Id"]: a["Currency"] for a in zuora["Account"]}

    def usd(account_id: str, amount: Decimal) -> Decimal:
        if account_id not in currency:
            raise ValueError(f"no Zuora account {account_id!r}")
        if currency[account_id] not in fx:
            raise ValueError(f"no exchange rate for currency {currency[account_id]!r}")
        return (amount * fx[currency[account_id]]).quantize(CENT, ROUND_HALF_UP)

    return usd


def _invoices(zuora: Tables, usd) -> list[_Invoice]:
    posted = {i["Id"]: i for i in zuora["Invoice"] if i["Status"] == "Posted"}
    payments = {p["Id"]: p for p in zuora["Payment"]}
    subscription: dict[str, str] = {}
    for item in zuora["InvoiceItem"]:
        known = subscription.get(item["InvoiceId"])
        if item["SubscriptionId"] and (known is None or item["SubscriptionId"] < known):
            subscription[item["InvoiceId"]] = item["SubscriptionId"]
    applied: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for application in zuora["InvoicePayment"]:
        invoice = posted.get(application["InvoiceId"])
        if invoice is None:
            continue
        payment = payments.get(application["PaymentId"])
        if payment is None:
            raise ValueError(f"InvoicePayment {application['Id']} names no payment")
        if payment["Status"] == "Processed":
            amount = usd(invoice["AccountId"], application["Amount"])
            applied[invoice["Id"]].append((payment["EffectiveDate"], amount))
    out = []
    for i in posted.values():
        amount = usd(i["AccountId"], i["Amount"])
        paid = tuple(sorted(applied[i["Id"]]))
        out.append(_Invoice(i["Id"], i["InvoiceNumber"], i["InvoiceDate"], amount,
                            subscription.get(i["Id"]), paid))  # fmt: skip
    return out


def _owed(invoice: _Invoice, day: date) -> Decimal:
    paid = sum((amount for when, amount in invoice.payments if when <= day), ZERO)
    return invoice.amount_usd - paid


def _order_to_cash(zuora: Tables, invoices: list[_Invoice]) -> list[tuple[date, int]]:
    """(first payment date, days from order to it) of every subscription whose first invoice
    has a processed payment."""
    name_of = {s["Id"]: s["Name"] for s in zuora["Subscription"]}
    ordered: dict[str, date] = {}
    for s in zuora["Subscription"]:
        day = s["ContractEffectiveDate"]
        ordered[s["Name"]] = min(day, ordered.get(s["Name"], day))
    first: dict[str, _Invoice] = {}
    for invoice in invoices:
        name = name_of.get(invoice.subscription_id or "")
        if name is None:
            continue
        best = first.get(name)
        if best is None or (invoice.day, invoice.number) < (best.day, best.number):
            first[name] = invoice
    return [
        (invoice.payments[0][0], (invoice.payments[0][0] - ordered[name]).days)
        for name, invoice in first.items()
        if invoice.payments
    ]


def median(values: list[int]) -> Decimal | None:
    """The median of ``values`` (mean of the two middle ones when the count is even)."""
    if not values:
        return None
    ordered, middle = sorted(values), len(values) // 2
    if len(ordered) % 2:
        return Decimal(ordered[middle])
    return Decimal(ordered[middle - 1] + ordered[middle]) / 2


_FINANCE = ("zuora.Account", "zuora.Invoice", "zuora.InvoicePayment", "zuora.Payment")
CATALOG: tuple[Metric, ...] = (
    Metric(
        "billings",
        "Amount invoiced",
        "sum of Invoice.Amount (tax included) of live Posted invoices, each converted to USD "
        "at FX_TO_USD and rounded to the cent",
        "Invoice.InvoiceDate",
        ALL,
        ("zuora.Account", "zuora.Invoice"),
        "oracle_finance.FinancePeriod.billings",
    ),
    Metric(
        "collections",
        "Cash collected on invoices, net of refunds",
        "sum of InvoicePayment.Amount of Processed payments applied to Posted invoices, less "
        "Refund.Amount of Processed refunds; each amount in USD rounded to the cent",
        "Payment.EffectiveDate (payments), Refund.RefundDate (refunds)",
        ALL,
        (*_FINANCE, "zuora.Refund"),
        "oracle_finance.FinancePeriod.collections",
    ),
    Metric(
        "dso",
        "Days sales outstanding",
        "receivables at the period end / billings of the period x days of the period (both "
        "cut to the history); receivables on day D = Amount of Posted invoices dated <= D "
        "less Processed payments applied to them effective <= D",
        "period end (receivables), Invoice.InvoiceDate (billings)",
        ALL,
        _FINANCE,
        "oracle_finance.FinancePeriod.dso",
    ),
    Metric(
        "order_to_cash_days",
        "Median days from order to the first payment of the first invoice",
        "per subscription Name: first processed Payment.EffectiveDate applied to its first "
        "invoice (InvoiceDate, InvoiceNumber) - Subscription.ContractEffectiveDate; median, n",
        "Payment.EffectiveDate of that first payment",
        ALL,
        (*_FINANCE, "zuora.Subscription", "zuora.InvoiceItem"),
        "oracle_finance.FinancePeriod.order_to_cash_days",
    ),
)
