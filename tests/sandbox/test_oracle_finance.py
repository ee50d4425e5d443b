"""The finance oracle (billings, collections, DSO, order-to-cash) on hand-made Zuora records."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bizops_sandbox.oracle_finance import CATALOG, finance_metrics
from bizops_sandbox.oracle_periods import Ratio
from bizops_sandbox.world import World

D = Decimal


def _invoice(iid, account, number, day, amount, status="Posted"):
    return {"Id": iid, "AccountId": account, "InvoiceNumber": number, "InvoiceDate": day,
            "Amount": D(amount), "Status": status}  # fmt: skip


def _payment(pid, account, day, status="Processed"):
    return {"Id": pid, "AccountId": account, "EffectiveDate": day, "Status": status}


def _applied(aid, invoice, payment, amount):
    return {"Id": aid, "InvoiceId": invoice, "PaymentId": payment, "Amount": D(amount)}


def tiny_billing() -> dict[str, list[dict]]:
    """A1 (USD) orders S1 on 2024-01-10 (v1, then v2 after an amendment): invoice I1 of
    2024-01-15 (100.00) paid 2024-02-03, I2 of 2024-02-15 (100.00) paid late on 2024-04-01,
    then refunded 30.00 on 2024-04-10. A2 (EUR) orders S2 on 2024-02-01: I3 of 2024-02-01
    (10.01 EUR = 11.011 -> 11.01 USD) paid in two parts (5.00 on 2024-02-20, 5.01 on
    2024-03-02), a Draft invoice that bills nothing, and a zero invoice I5 of 2024-03-01 paid
    by a zero payment. A canceled payment on I2 counts nowhere."""
    d = date
    return {
        "Account": [{"Id": "A1", "Currency": "USD"}, {"Id": "A2", "Currency": "EUR"}],
        "Subscription": [
            {"Id": "S1v1", "Name": "S1", "ContractEffectiveDate": d(2024, 1, 10)},
            {"Id": "S1v2", "Name": "S1", "ContractEffectiveDate": d(2024, 1, 10)},
            {"Id": "S2v1", "Name": "S2", "ContractEffectiveDate": d(2024, 2, 1)},
        ],
        "Invoice": [
            _invoice("I1", "A1", "INV1", d(2024, 1, 15), "100.00"),
            _invoice("I2", "A1", "INV2", d(2024, 2, 15), "100.00"),
            _invoice("I3", "A2", "INV3", d(2024, 2, 1), "10.01"),
            _invoice("I4", "A2", "INV4", d(2024, 2, 5), "999.00", status="Draft"),
            _invoice("I5", "A2", "INV5", d(2024, 3, 1), "0.00"),
        ],
        "InvoiceItem": [
            {"InvoiceId": "I1", "SubscriptionId": "S1v1"},
            {"InvoiceId": "I2", "SubscriptionId": "S1v2"},
            {"InvoiceId": "I3", "SubscriptionId": "S2v1"},
            {"InvoiceId": "I4", "SubscriptionId": "S2v1"},
            {"InvoiceId": "I5", "SubscriptionId": "S2v1"},
        ],
        "Payment": [
            _payment("P1", "A1", d(2024, 2, 3)),
            _payment("P2", "A1", d(2024, 4, 1)),
            _payment("P3", "A2", d(2024, 2, 20)),
            _payment("P4", "A2", d(2024, 3, 2)),
            _payment("P5", "A2", d(2024, 3, 1)),
            _payment("P6", "A1", d(2024, 2, 20), status="Canceled"),
        ],
        "InvoicePayment": [
            _applied("IP1", "I1", "P1", "100.00"),
            _applied("IP2", "I2", "P2", "100.00"),
            _applied("IP3", "I3", "P3", "5.00"),
            _applied("IP4", "I3", "P4", "5.01"),
            _applied("IP5", "I5", "P5", "0.00"),
            _applied("IP6", "I2", "P6", "100.00"),
        ],
        "Refund": [
            {"Id": "R1", "AccountId": "A1", "Amount": D("30.00"), "RefundDate": d(2024, 4, 10),
             "Status": "Processed"},
            {"Id": "R2", "AccountId": "A1", "Amount": D("7.00"), "RefundDate": d(2024, 4, 11),
             "Status": "Canceled"},
        ],
    }  # fmt: skip


def _months():
    return finance_metrics(tiny_billing(), date(2024, 1, 10), date(2024, 4, 20), "month")


def test_billings_are_posted_invoice_amounts_in_usd_by_invoice_date() -> None:
    assert [(m.period.label, m.billings) for m in _months()] == [
        ("2024-01", D("100.00")), ("2024-02", D("111.01")), ("2024-03", D("0.00")),
        ("2024-04", D("0.00")),
    ]  # fmt: skip


def test_collections_are_processed_payments_by_payment_date_less_refunds_by_refund_date() -> None:
    # February: 100.00 (P1) + 5.00 EUR = 5.50; March: 5.01 EUR = 5.511 -> 5.51, zero P5;
    # April: 100.00 (P2) - 30.00 (R1); the canceled payment and refund count nowhere
    assert [(m.period.label, m.collections) for m in _months()] == [
        ("2024-01", D("0.00")), ("2024-02", D("105.50")), ("2024-03", D("5.51")),
        ("2024-04", D("70.00")),
    ]  # fmt: skip


def test_dso_is_receivables_at_period_end_over_billings_times_days_in_the_history() -> None:
    months = _months()
    # January (from the history's first day, the 10th: 22 days): I1 unpaid
    assert (months[0].receivables, months[0].days) == (D("100.00"), 22)
    assert months[0].dso == Ratio(D("2200.00"), D("100.00"))
    # February end: I2 (100.00) and I3 less 5.50 = 5.51 open; 29 days
    assert (months[1].receivables, months[1].days) == (D("105.51"), 29)
    assert months[1].dso.value() == D("27.5632")  # 105.51 x 29 / 111.01 = 27.56319...
    # March: I3 settled (5.50 + 5.51 = 11.01), I2 still open, nothing billed: undefined
    assert months[2].receivables == D("100.00")
    assert months[2].dso.value() is None
    # April ends at the history's last day (20 days); the refund does not reopen I2
    assert (months[3].receivables, months[3].days) == (D("0.00"), 20)


def test_order_to_cash_is_the_median_days_from_order_to_first_payment_of_first_invoice() -> None:
    # S1: ordered 01-10, first invoice I1 paid 02-03 (24 days); S2: ordered 02-01, first
    # invoice I3 first paid 02-20 (19 days); both in February: median 21.5 over 2
    months = _months()
    assert [(m.period.label, m.order_to_cash_days, m.order_to_cash_n) for m in months] == [
        ("2024-01", None, 0), ("2024-02", D("21.5"), 2), ("2024-03", None, 0),
        ("2024-04", None, 0),
    ]  # fmt: skip


def test_a_subscription_whose_first_invoice_is_unpaid_is_not_counted() -> None:
    records = tiny_billing()
    records["InvoicePayment"] = [a for a in records["InvoicePayment"] if a["Id"] != "IP1"]
    months = finance_metrics(records, date(2024, 1, 10), date(2024, 4, 20), "month")
    assert [(m.order_to_cash_days, m.order_to_cash_n) for m in months] == [
        (None, 0), (D("19"), 1), (None, 0), (None, 0),
    ]  # fmt: skip


def test_fiscal_quarters_sum_their_months() -> None:
    # fiscal years from February: FY2024-Q4 = Nov-Jan (from the 10th), FY2025-Q1 = Feb-Apr
    # (to the 20th: 29 + 31 + 20 days)
    quarters = finance_metrics(tiny_billing(), date(2024, 1, 10), date(2024, 4, 20), "quarter", 2)
    assert [(q.period.label, q.billings, q.collections, q.days) for q in quarters] == [
        ("FY2024-Q4", D("100.00"), D("0.00"), 22),
        ("FY2025-Q1", D("111.01"), D("181.01"), 80),
    ]  # fmt: skip


def test_a_currency_without_a_rate_is_an_error() -> None:
    records = tiny_billing()
    records["Account"][1]["Currency"] = "JPY"
    with pytest.raises(ValueError, match="no exchange rate for currency 'JPY'"):
        _ = finance_metrics(records, date(2024, 1, 10), date(2024, 4, 20), "month")


def test_the_world_has_late_payments_and_refunds_and_no_zero_invoices() -> None:
    """Billing stops at the end of a term not renewed: no invoice is for nothing."""
    world = World.generate(seed=42, size="small")
    invoices = {i["Id"]: i for i in world.records("Invoice")}
    payments = {p["Id"]: p for p in world.records("Payment")}
    late = [
        a for a in world.records("InvoicePayment")
        if payments[a["PaymentId"]]["EffectiveDate"] > invoices[a["InvoiceId"]]["DueDate"]
    ]  # fmt: skip
    zero = [i for i in invoices.values() if i["Amount"] == 0]
    assert (len(late), len(world.records("Refund")), len(zero)) == (29, 8, 0)


def test_every_finance_metric_has_a_catalog_entry() -> None:
    assert [m.name for m in CATALOG] == ["billings", "collections", "dso", "order_to_cash_days"]
