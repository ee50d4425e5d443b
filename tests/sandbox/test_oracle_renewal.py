"""The renewal oracle on hand-made subscriptions: what is due, what renewed, ATR and the rates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bizops_sandbox.oracle_renewal import CATALOG, due_terms, renewal_rates

D = Decimal
LAST = date(2024, 5, 15)  # March's grace window (to 30 April) is over, April's is not


def _records() -> dict[str, list[dict]]:
    """Subscriptions (name: versions of (term start, term end), charges of the latest version
    as (MRR, start, end), cancelled date)."""
    specs = {
        "S1-renewed": ([(date(2023, 1, 1), date(2024, 1, 1)), (date(2024, 1, 1), date(2025, 1, 1))],
                       [("100", date(2023, 1, 1), date(2025, 1, 1))], None),
        "S2-renewed-cut": ([(date(2023, 3, 15), date(2024, 3, 15)),
                            (date(2024, 3, 15), date(2025, 3, 15))],
                           [("200", date(2023, 3, 15), date(2024, 3, 15)),
                            ("150", date(2024, 3, 15), date(2025, 3, 15))], None),
        "S3-renewed-uplift": ([(date(2023, 3, 20), date(2024, 3, 20)),
                               (date(2024, 3, 20), date(2025, 3, 20))],
                              [("100", date(2023, 3, 20), date(2024, 3, 20)),
                               ("150", date(2024, 3, 20), date(2025, 3, 20))], None),
        "S4-lapsed": ([(date(2023, 3, 1), date(2024, 3, 1))],
                      [("50", date(2023, 3, 1), date(2024, 3, 1))], None),
        "S5-cancelled-mid-term": ([(date(2023, 3, 10), date(2024, 3, 10))],
                                  [("70", date(2023, 3, 10), date(2024, 3, 10))],
                                  date(2023, 10, 1)),
        "S6-cancelled-at-term-end": ([(date(2023, 3, 5), date(2024, 3, 5))],
                                     [("10", date(2023, 3, 5), date(2024, 3, 5))],
                                     date(2024, 3, 5)),
        "S7-successor-in-grace": ([(date(2023, 3, 2), date(2024, 3, 2)),
                                   (date(2024, 3, 25), date(2025, 3, 25))],
                                  [("100", date(2023, 3, 2), date(2024, 3, 2)),
                                   ("100", date(2024, 3, 25), date(2025, 3, 25))], None),
        "S8-successor-too-late": ([(date(2023, 3, 2), date(2024, 3, 2)),
                                   (date(2024, 4, 2), date(2025, 4, 2))],
                                  [("100", date(2023, 3, 2), date(2024, 3, 2)),
                                   ("100", date(2024, 4, 2), date(2025, 4, 2))], None),
        "S9-evergreen": ([(date(2023, 3, 1), None)], [("500", date(2023, 3, 1), None)], None),
        "S10-due-in-april": ([(date(2023, 4, 10), date(2024, 4, 10))],
                             [("40", date(2023, 4, 10), date(2024, 4, 10))], None),
    }  # fmt: skip
    records: dict[str, list[dict]] = {
        "Account": [{"Id": "A1", "CrmId": None, "Currency": "USD"}],
        "Subscription": [], "RatePlan": [], "RatePlanCharge": [],
    }  # fmt: skip
    for name, (terms, charges, cancelled) in specs.items():
        for version, (start, end) in enumerate(terms, 1):
            latest = version == len(terms)
            records["Subscription"].append({
                "Id": f"{name}-v{version}", "Name": name, "AccountId": "A1",
                "Status": ("Cancelled" if cancelled else "Active") if latest else "Expired",
                "IsLatestVersion": latest, "CancelledDate": cancelled if latest else None,
                "TermType": "TERMED" if end else "EVERGREEN", "TermStartDate": start,
                "TermEndDate": end,
            })  # fmt: skip
        latest_id = f"{name}-v{len(terms)}"
        records["RatePlan"].append({"Id": f"{name}-p", "SubscriptionId": latest_id})
        for index, (mrr, start, end) in enumerate(charges):
            records["RatePlanCharge"].append({
                "Id": f"{name}-c{index}", "RatePlanId": f"{name}-p", "ChargeType": "Recurring",
                "MRR": D(mrr), "EffectiveStartDate": start, "EffectiveEndDate": end,
            })  # fmt: skip
    return records


def test_due_terms_their_atr_and_whether_they_renewed() -> None:
    terms = {(t.name, t.term_end): t for t in due_terms(_records())}
    got = {key: (t.atr, t.renewed, t.renewed_arr) for key, t in terms.items()}
    assert got == {
        ("S1-renewed", date(2024, 1, 1)): (D("1200.00"), True, D("1200.00")),
        ("S1-renewed", date(2025, 1, 1)): (D("1200.00"), False, D("0.00")),
        ("S2-renewed-cut", date(2024, 3, 15)): (D("2400.00"), True, D("1800.00")),
        ("S2-renewed-cut", date(2025, 3, 15)): (D("1800.00"), False, D("0.00")),
        ("S3-renewed-uplift", date(2024, 3, 20)): (D("1200.00"), True, D("1800.00")),
        ("S3-renewed-uplift", date(2025, 3, 20)): (D("1800.00"), False, D("0.00")),
        ("S4-lapsed", date(2024, 3, 1)): (D("600.00"), False, D("0.00")),
        ("S6-cancelled-at-term-end", date(2024, 3, 5)): (D("120.00"), False, D("0.00")),
        ("S7-successor-in-grace", date(2024, 3, 2)): (D("1200.00"), True, D("1200.00")),
        ("S7-successor-in-grace", date(2025, 3, 25)): (D("1200.00"), False, D("0.00")),
        ("S8-successor-too-late", date(2024, 3, 2)): (D("1200.00"), False, D("0.00")),
        ("S8-successor-too-late", date(2025, 4, 2)): (D("1200.00"), False, D("0.00")),
        ("S10-due-in-april", date(2024, 4, 10)): (D("480.00"), False, D("0.00")),
    }


def test_monthly_rates_and_an_incomplete_month() -> None:
    rows = {r.period.label: r for r in renewal_rates(_records(), date(2024, 1, 1), LAST, "month")}
    january, february, march, april = (
        rows[m] for m in ("2024-01", "2024-02", "2024-03", "2024-04")
    )
    assert (january.sample_size, january.renewal_rate.value()) == (1, D("1.0000"))
    assert january.dollar_renewal_rate.value() == D("1.0000")
    # nothing due: undefined, with a sample size of 0
    assert (february.sample_size, february.renewal_rate.value()) == (0, None)
    # S2 (cut 2,400 -> 1,800), S3 (uplift, counts 1,200), S7 renewed; S4, S6, S8 not; S5 left
    # mid-term: 3 / 6 and (1,800 + 1,200 + 1,200) / (2,400 + 1,200 + 600 + 120 + 1,200 + 1,200)
    assert (march.complete, march.sample_size, march.renewed) == (True, 6, 3)
    assert march.renewal_rate.value() == D("0.5000")
    assert march.dollar_renewal_rate.value() == D("0.6250")  # 4,200 / 6,720
    assert (april.complete, april.due, april.sample_size) == (False, 1, None)
    assert (april.renewal_rate, april.dollar_renewal_rate) == (None, None)


@pytest.mark.parametrize(("grain", "label"), [("quarter", "FY2024-Q1"), ("fiscal-year", "FY2024")])
def test_coarser_grains_sum_the_terms_before_dividing(grain: str, label: str) -> None:
    rows = {r.period.label: r for r in renewal_rates(_records(), date(2024, 1, 1), LAST, grain)}
    first = rows[label]
    if grain == "fiscal-year":  # the year 2024 is not over: incomplete
        assert (first.complete, first.renewal_rate, first.sample_size) == (False, None, None)
        return
    assert (first.sample_size, first.renewed) == (7, 4)
    assert first.renewal_rate.value() == D("0.5714")
    assert first.dollar_renewal_rate.value() == D("0.6818")  # 5,400 / 7,920


def test_both_renewal_rates_have_a_catalog_entry() -> None:
    assert [(m.name, m.oracle) for m in CATALOG] == [
        ("renewal_rate", "oracle_renewal.RenewalPeriod.renewal_rate"),
        ("dollar_renewal_rate", "oracle_renewal.RenewalPeriod.dollar_renewal_rate"),
    ]
