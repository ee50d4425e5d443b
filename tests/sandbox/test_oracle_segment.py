"""The segment oracle (ARR and sales metrics by sales segment) on hand-made records."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bizops_sandbox.oracle import compute, history, sources_of
from bizops_sandbox.oracle_periods import Ratio
from bizops_sandbox.oracle_segment import SEGMENTS, segment_metrics, segment_of
from bizops_sandbox.world import World

D = Decimal
SMB_ID, LARGE_ID, DELETED_ID = "001A00000000001AAA", "001A00000000002AAA", "001A00000000003AAA"


@pytest.mark.parametrize(
    ("employees", "segment"),
    [(None, "Unknown"), (0, "SMB"), (99, "SMB"), (100, "Mid-Market"), (1999, "Mid-Market"),
     (2000, "Large"), (20_000, "Large")],
)  # fmt: skip
def test_the_segment_bands_of_an_employee_count(employees, segment) -> None:
    assert segment_of(employees) == segment


def _opp(oid, account, stage, close, amount):
    won = stage == "Closed Won"
    return {"Id": oid, "AccountId": account, "StageName": stage, "IsClosed": True,
            "IsWon": won, "CloseDate": close, "Type": "New Business", "Amount": D(amount),
            "ARR__c": D(amount) if won else None, "IsDeleted": False,
            "CreatedDate": datetime(2024, 1, 2, tzinfo=UTC)}  # fmt: skip


def tiny_sources() -> dict:
    """Zuora: z1 (CrmId of an SMB account) 100.00 MRR from 2024-01-10; z2 (CrmId of a Large
    account) 50.00 from 2024-02-01, ended 2024-03-15; z3 (no CrmId) 10.00 from 2024-01-01; z4
    (CrmId of a deleted account) 7.00 from 2024-03-01. Salesforce: o1 won 1200 (SMB, March),
    o2 lost (SMB, March), o3 won 600 (Large, February), o4 won 300 with no account (March)."""
    d = date
    accounts = [("z1", SMB_ID), ("z2", LARGE_ID), ("z3", None), ("z4", DELETED_ID)]
    charges = [("z1", "100.00", d(2024, 1, 10), None), ("z2", "50.00", d(2024, 2, 1),
               d(2024, 3, 15)), ("z3", "10.00", d(2024, 1, 1), None),
               ("z4", "7.00", d(2024, 3, 1), None)]  # fmt: skip
    return {
        "zuora": {
            "Account": [{"Id": z, "CrmId": crm, "Currency": "USD"} for z, crm in accounts],
            "Subscription": [
                {
                    "Id": f"s-{z}",
                    "AccountId": z,
                    "Status": "Active",
                    "IsLatestVersion": True,
                    "CancelledDate": None,
                }
                for z, _ in accounts
            ],
            "RatePlan": [{"Id": f"p-{z}", "SubscriptionId": f"s-{z}"} for z, _ in accounts],
            "RatePlanCharge": [
                {
                    "Id": f"c-{z}",
                    "RatePlanId": f"p-{z}",
                    "ChargeType": "Recurring",
                    "MRR": D(mrr),
                    "EffectiveStartDate": start,
                    "EffectiveEndDate": end,
                }
                for z, mrr, start, end in charges
            ],
        },
        "salesforce": {
            "Account": [
                {"Id": SMB_ID, "NumberOfEmployees": 12, "IsDeleted": False},
                {"Id": LARGE_ID, "NumberOfEmployees": 5000, "IsDeleted": False},
                {"Id": DELETED_ID, "NumberOfEmployees": 150, "IsDeleted": True},
            ],
            "Opportunity": [
                _opp("o1", SMB_ID, "Closed Won", d(2024, 3, 5), "1200.00"),
                _opp("o2", SMB_ID, "Closed Lost", d(2024, 3, 6), "800.00"),
                _opp("o3", LARGE_ID, "Closed Won", d(2024, 2, 7), "600.00"),
                _opp("o4", None, "Closed Won", d(2024, 3, 8), "300.00"),
            ],
        },
    }


def test_segment_metrics_of_hand_made_records() -> None:
    rows = segment_metrics(tiny_sources(), date(2024, 1, 1), date(2024, 3, 31), "month")
    got = {(r.period.label, r.segment): r for r in rows}
    assert sorted({segment for _, segment in got}) == sorted(SEGMENTS)
    assert len(rows) == 3 * len(SEGMENTS)  # every month has every segment

    smb_march = got[("2024-03", "SMB")]
    assert (smb_march.arr, smb_march.customers) == (D("1200.00"), 1)
    assert (smb_march.iacv, smb_march.bookings) == (D("1200.00"), 1)
    assert smb_march.win_rate_count == Ratio(D(1), D(2))
    assert got[("2024-01", "SMB")].new_arr == D("1200.00")

    large = [got[(m, "Large")] for m in ("2024-01", "2024-02", "2024-03")]
    assert [r.arr for r in large] == [D(0), D("600.00"), D(0)]  # ended mid-March
    assert [r.net_new_arr for r in large] == [D(0), D("600.00"), D("-600.00")]
    assert large[1].iacv == D("600.00") and large[1].win_rate_count == Ratio(D(1), D(1))

    # no CrmId, and a CrmId whose account is deleted: Unknown; so is a deal without account
    unknown_march = got[("2024-03", "Unknown")]
    assert (unknown_march.arr, unknown_march.customers) == (D("204.00"), 2)
    assert unknown_march.new_arr == D("84.00")
    assert (unknown_march.iacv, unknown_march.bookings) == (D("300.00"), 1)

    mid = got[("2024-03", "Mid-Market")]
    assert (mid.arr, mid.customers, mid.iacv, mid.bookings) == (D(0), 0, D(0), 0)
    assert mid.win_rate_count.value() is None


def test_the_segments_add_up_to_the_totals_on_the_world() -> None:
    world = World.generate(seed=42, size="small")
    sources = sources_of(world)
    first, last = history(sources, world.now)
    for grain in ("month", "quarter"):
        total = compute(sources, world.now, grain)
        rows = segment_metrics(sources, first, last, grain)
        by_period: dict[str, list] = {}
        for row in rows:
            by_period.setdefault(row.period.label, []).append(row)
        assert len(by_period) == len(total.bridge)
        for moves, sold in zip(total.bridge, total.sales, strict=True):
            mine = by_period[moves.period.label]
            assert sum((r.new_arr for r in mine), D(0)) == moves.new
            assert sum((r.net_new_arr for r in mine), D(0)) == moves.net_new
            assert sum((r.iacv for r in mine), D(0)) == sold.iacv
            assert sum(r.bookings for r in mine) == sold.bookings
        # the world's accounts spread over more than one segment
        assert len({r.segment for r in rows if r.arr > 0}) >= 3
