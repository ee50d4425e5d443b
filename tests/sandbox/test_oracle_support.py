"""The support oracle on hand-made Zendesk, Salesforce and Zuora records: which tickets count,
their minutes and dates, the four metrics in a month, and the split by churn."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bizops_sandbox.oracle_support import churn_months, support_values, tickets

D = Decimal
A, B, GONE, STRANGER = "001A00000000001AAA", "001B00000000001AAA", "001C00000000001AAA", "001X"


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _ticket(
    number: int,
    org: int,
    created: date,
    status: str = "closed",
    reply: int | None = 30,
    resolution: int | None = 600,
    rating: tuple[str, date] | None = None,
) -> dict:
    """A ticket with its metric set and optional rating: minutes to the first reply and to the
    final resolution (None: not yet)."""
    start = _at(created)
    solved = start + timedelta(minutes=resolution) if resolution is not None else None
    return {
        "ticket": {"id": number, "organization_id": org, "status": status, "created_at": start},
        "metrics": {
            "ticket_id": number, "solved_at": solved,
            "reply_time_in_minutes": {"calendar": reply, "business": reply},
            "full_resolution_time_in_minutes": {"calendar": resolution, "business": resolution},
        },
        "rating": rating and {
            "ticket_id": number, "score": rating[0], "updated_at": _at(rating[1], 9),
        },
    }  # fmt: skip


def _sources(specs: list[dict]) -> dict[str, dict[str, list[dict]]]:
    """Organizations 1 (account A), 2 (B), 3 (GONE, deleted in Salesforce), 4 (an id no account
    has); A billed 100 a month from 2023-01-01 until 2024-04-01 (churn month 2024-04)."""
    orgs = [(1, A), (2, B), (3, GONE), (4, STRANGER)]
    return {
        "zendesk": {
            "organizations": [{"id": i, "external_id": e} for i, e in orgs],
            "tickets": [s["ticket"] for s in specs],
            "ticket_metrics": [s["metrics"] for s in specs],
            "satisfaction_ratings": [s["rating"] for s in specs if s["rating"]],
        },
        "salesforce": {"Account": [
            {"Id": A, "IsDeleted": False}, {"Id": B, "IsDeleted": False},
            {"Id": GONE, "IsDeleted": True},
        ]},
        "zuora": {
            "Account": [{"Id": "Z1", "CrmId": A, "Currency": "USD"}],
            "Subscription": [{"Id": "S1", "AccountId": "Z1", "Status": "Active",
                              "IsLatestVersion": True, "CancelledDate": None}],
            "RatePlan": [{"Id": "P1", "SubscriptionId": "S1"}],
            "RatePlanCharge": [{"Id": "C1", "RatePlanId": "P1", "ChargeType": "Recurring",
                                "MRR": D(100), "EffectiveStartDate": date(2023, 1, 1),
                                "EffectiveEndDate": date(2024, 4, 1)}],
        },
    }  # fmt: skip


JANUARY = date(2024, 1, 10)
SPECS = [
    _ticket(1, 1, JANUARY, reply=10, resolution=100, rating=("good", date(2024, 1, 20))),
    _ticket(2, 1, JANUARY, reply=40, resolution=None, status="open"),
    _ticket(3, 2, date(2024, 1, 31), reply=21, resolution=2000, rating=("bad", date(2024, 2, 3))),
    _ticket(4, 2, JANUARY, reply=None, resolution=None, status="new"),
    _ticket(5, 2, JANUARY, status="deleted", rating=("good", date(2024, 1, 20))),
    _ticket(6, 3, JANUARY),  # its account was deleted in Salesforce
    _ticket(7, 4, JANUARY),  # its organization names no account
    _ticket(8, 1, date(2023, 9, 5), reply=5, resolution=50, rating=("offered", date(2023, 9, 6))),
]


def test_only_live_tickets_of_resolved_organizations_count_with_their_minutes_and_dates() -> None:
    got = {
        t.ticket_id: (
            t.account_id,
            t.created,
            t.reply_minutes,
            t.resolved,
            t.resolution_minutes,
            t.rating,
            t.rated,
        )
        for t in tickets(_sources(SPECS)["zendesk"], _sources(SPECS)["salesforce"])
    }
    assert got == {
        1: (A, JANUARY, 10, JANUARY, 100, "good", date(2024, 1, 20)),
        2: (A, JANUARY, 40, None, None, None, None),
        3: (B, date(2024, 1, 31), 21, date(2024, 2, 1), 2000, "bad", date(2024, 2, 3)),
        4: (B, JANUARY, None, None, None, None, None),
        8: (A, date(2023, 9, 5), 5, date(2023, 9, 5), 50, None, None),
    }


def test_a_customer_churns_in_the_first_month_whose_end_finds_no_arr() -> None:
    assert churn_months(_sources([])["zuora"], date(2024, 6, 30)) == {A: {date(2024, 4, 1)}}
    # the churn month must be inside the history
    assert churn_months(_sources([])["zuora"], date(2024, 3, 31)) == {}


def _values(grain: str = "month") -> dict[tuple[str, str, str, str], tuple]:
    rows = support_values(_sources(SPECS), date(2023, 9, 1), date(2024, 6, 30), grain)
    return {
        (r.metric, r.period.label, r.dimension, r.member): (r.value, r.sample_size) for r in rows
    }


def test_the_four_metrics_of_a_month_in_total() -> None:
    values = _values()
    # January: tickets 1, 2 (A), 3, 4 (B); first replies 10, 40, 21 (4 has none)
    assert values["tickets_per_customer", "2024-01", "total", "all"] == (D("2.0000"), None)
    assert values["ticket_first_reply_time", "2024-01", "total", "all"] == (D(21), 3)
    # resolved in January: ticket 1 only (3 was solved on 1 February)
    assert values["ticket_resolution_time", "2024-01", "total", "all"] == (D(100), 1)
    assert values["ticket_resolution_time", "2024-02", "total", "all"] == (D(2000), 1)
    # rated in January: ticket 1 (good; deleted ticket 5's rating does not count)
    assert values["csat", "2024-01", "total", "all"] == (D("1.0000"), None)
    assert values["csat", "2024-02", "total", "all"] == (D("0.0000"), None)
    # nothing in March: undefined ratios, medians over 0 tickets
    assert values["tickets_per_customer", "2024-03", "total", "all"] == (None, None)
    assert values["ticket_first_reply_time", "2024-03", "total", "all"] == (None, 0)
    # an offered (not given) rating is no rating
    assert values["csat", "2023-09", "total", "all"] == (None, None)


def test_an_even_count_takes_the_mean_of_the_middle_two() -> None:
    values = _values("quarter")  # calendar quarters: 2024-01-01 .. 2024-03-31 is Q1 of FY2024
    assert values["ticket_first_reply_time", "FY2024-Q1", "total", "all"] == (D(21), 3)
    resolved = values["ticket_resolution_time", "FY2024-Q1", "total", "all"]
    assert resolved == (D(1050), 2)  # (100 + 2000) / 2


def test_tickets_split_by_whether_their_account_churned_within_six_months_after() -> None:
    values = _values()
    # A churns in April 2024: its January tickets are within 6 months, its September 2023
    # ticket is not (October .. March); B never churns
    assert values["tickets_per_customer", "2024-01", "churn", "churned"] == (D("2.0000"), None)
    assert values["tickets_per_customer", "2024-01", "churn", "retained"] == (D("2.0000"), None)
    assert values["ticket_first_reply_time", "2024-01", "churn", "churned"] == (D(25), 2)
    assert values["ticket_first_reply_time", "2024-01", "churn", "retained"] == (D(21), 1)
    assert values["csat", "2024-01", "churn", "churned"] == (D("1.0000"), None)
    assert values["csat", "2024-01", "churn", "retained"] == (None, None)
    assert values["tickets_per_customer", "2023-09", "churn", "churned"] == (None, None)
    assert values["tickets_per_customer", "2023-09", "churn", "retained"] == (D("1.0000"), None)
    assert values["ticket_resolution_time", "2023-09", "churn", "retained"] == (D(50), 1)
