"""The segment oracle (ARR, new ARR, IACV, win rate by employee band) on hand-made records."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bizops_sandbox.ids import salesforce_suffix
from bizops_sandbox.oracle_arr import ChargeLine
from bizops_sandbox.oracle_segments import segment_metrics, segment_of

D = Decimal
ENT, MID = "001000000000ABC", "001000000000xyz"  # 15-character bodies
ENT18, MID18 = ENT + salesforce_suffix(ENT), MID + salesforce_suffix(MID)


@pytest.mark.parametrize(
    ("employees", "segment"),
    [
        (None, "Unknown"),
        (-1, "Unknown"),
        (0, "SMB"),
        (99, "SMB"),
        (100, "Mid-Market"),
        (999, "Mid-Market"),
        (1000, "Enterprise"),
    ],
)
def test_segment_is_the_employee_band(employees, segment) -> None:
    assert segment_of(employees) == segment


def _opp(oid, account, stage, kind="New Business", arr="100.00", close=date(2024, 3, 10)):
    won = stage == "Closed Won"
    return {"Id": oid, "AccountId": account, "StageName": stage, "IsClosed": True,
            "IsWon": won, "Type": kind, "CloseDate": close, "Amount": D(arr),
            "ARR__c": D(arr) if won else None, "CreatedDate": datetime(2024, 3, 1, tzinfo=UTC),
            "IsDeleted": False}  # fmt: skip


def test_segment_metrics_split_arr_and_bookings_by_the_accounts_band() -> None:
    crm = {
        "Account": [
            {"Id": ENT18, "NumberOfEmployees": 5000, "IsDeleted": False},
            {"Id": MID18, "NumberOfEmployees": 150, "IsDeleted": False},
            {"Id": "001gone", "NumberOfEmployees": 20, "IsDeleted": True},
        ],
        "Opportunity": [
            _opp("o1", ENT18, "Closed Won", arr="1200.00"),
            _opp("o2", ENT18, "Closed Lost"),
            _opp("o3", MID18, "Closed Won", kind="Renewal", arr="50.00"),  # no IACV, a win
            _opp("o4", "001gone", "Closed Won", arr="70.00"),  # deleted account: Unknown
        ],
    }
    lines = [
        # the Enterprise customer, by its 15-character CrmId: new in February, grows in March
        ChargeLine("c1", ENT, "s1", date(2024, 2, 1), None, D("100.00")),
        ChargeLine("c2", ENT, "s1", date(2024, 3, 1), None, D("10.00")),
        # Mid-Market: live from January, churns in March (not new inside March)
        ChargeLine("c3", MID18, "s2", date(2024, 1, 1), date(2024, 3, 5), D("20.00")),
        # a Zuora account without CrmId: Unknown, new in March
        ChargeLine("c4", "zuora:2c9", "s3", date(2024, 3, 2), None, D("5.00")),
    ]
    rows = segment_metrics(crm, lines, date(2024, 3, 1), date(2024, 3, 31), "month")
    got = {r.segment: (r.arr, r.new_arr, r.iacv, r.win_rate_count.value()) for r in rows}
    assert got == {
        "Enterprise": (D("1320.00"), D("0.00"), D("1200.00"), D("0.5000")),
        "Mid-Market": (D("0.00"), D("0.00"), D("0.00"), D("1.0000")),
        "SMB": (D("0.00"), D("0.00"), D("0.00"), None),
        "Unknown": (D("60.00"), D("60.00"), D("70.00"), D("1.0000")),
    }
