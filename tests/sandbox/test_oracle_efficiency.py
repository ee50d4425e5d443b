"""The oracle's LTV:CAC: the LTV and the CAC of a period as reported, divided."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from bizops_sandbox.oracle_efficiency import ltv_to_cac
from bizops_sandbox.oracle_marketing import MarketingPeriod
from bizops_sandbox.oracle_periods import Ratio, period_of


def _spent(day: date, spend: str, new_customers: int) -> MarketingPeriod:
    money = D(spend)
    return MarketingPeriod(
        period_of(day, "quarter"), money, 0, 0, Ratio(money, D(0)), new_customers,
        Ratio(money, D(new_customers)),
    )  # fmt: skip


def test_ltv_to_cac_divides_the_reported_ltv_by_the_reported_cac() -> None:
    q1, q2, q3 = (period_of(date(2024, m, 1), "quarter") for m in (1, 4, 7))
    marketing = [
        _spent(date(2024, 1, 1), "1000.00", 3),  # CAC 333.3333
        _spent(date(2024, 4, 1), "500.00", 0),  # CAC undefined
        _spent(date(2024, 7, 1), "900.00", 2),  # CAC 450.0000
    ]
    ltv = [
        (q1, Ratio(D("10000"), D(3))),  # LTV 3333.3333
        (q2, Ratio(D("5000"), D(1))),
        (q3, Ratio(D(0), D(0))),  # LTV undefined (nothing churned)
    ]
    out = dict(ltv_to_cac(ltv, marketing))
    assert out[q1].value() == D("10.0000")  # 3333.3333 / 333.3333 = 10.00000030...
    assert out[q2].value() is None and out[q3].value() is None
