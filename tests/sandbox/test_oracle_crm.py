"""The CRM oracle (stage times, TCV/ACV, campaign cohorts, funnel, conversion time, touch
attribution) on hand-made Salesforce records, checked against sums done by hand."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest

from bizops_sandbox import oracle_crm
from bizops_sandbox.oracle_marketing import campaign_costs
from bizops_sandbox.oracle_periods import Ratio
from bizops_sandbox.oracle_sales import sales_metrics
from bizops_sandbox.world import World
from bizops_sandbox.world_salesforce import STAGES

D = Decimal
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
MARCH = (date(2024, 3, 1), date(2024, 3, 31), "month")
Q1_24 = (date(2024, 1, 1), date(2024, 6, 30), "quarter")


def _at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def _opp(oid, stage="Closed Won", close=date(2024, 3, 20), amount="100.00", kind="New Business",
         arr=None, deleted=False):  # fmt: skip
    won = stage == "Closed Won"
    return {"Id": oid, "StageName": stage, "IsClosed": stage.startswith("Closed"), "IsWon": won,
            "CloseDate": close, "Amount": None if amount is None else D(amount), "Type": kind,
            "ARR__c": D(arr or amount) if won and (arr or amount) else None, "CreatedDate": T0,
            "IsDeleted": deleted}  # fmt: skip


def _row(rid, opp, stage, days, deleted=False):
    return {"Id": rid, "OpportunityId": opp, "StageName": stage, "CreatedDate": _at(days),
            "IsDeleted": deleted}  # fmt: skip


def _lead(lid, days=0, opp=None, contact=None, deleted=False):
    return {"Id": lid, "CreatedDate": _at(days), "ConvertedOpportunityId": opp,
            "ConvertedContactId": contact, "IsConverted": opp is not None,
            "IsDeleted": deleted}  # fmt: skip


def _member(mid, campaign, days, lead=None, contact=None, deleted=False):
    return {"Id": mid, "CampaignId": campaign, "LeadId": lead, "ContactId": contact,
            "CreatedDate": _at(days), "IsDeleted": deleted}  # fmt: skip


def _campaign(cid, kind, cost, start=date(2024, 3, 1), deleted=False):
    return {"Id": cid, "Type": kind, "ActualCost": None if cost is None else D(cost),
            "StartDate": start, "IsDeleted": deleted}  # fmt: skip


def test_stage_times_are_medians_of_stays_dated_by_their_end() -> None:
    crm = {
        "Opportunity": [_opp("o1"), _opp("o2"), _opp("o3", deleted=True)],
        "OpportunityHistory": [
            # o1: Prospecting 2 days, Proposal 3 (skipping Qualification), back to
            # Prospecting 4, then Closed Won (never left).
            _row("h1", "o1", "Prospecting", 0),
            _row("h2", "o1", "Proposal", 2),
            _row("h3", "o1", "Prospecting", 5),
            _row("h4", "o1", "Closed Won", 9),
            # o2: two rows at the same instant: Id order (code points, "B" < "a") decides,
            # so Qualification (hB) comes first and lasts 0 days, then Prospecting 31 days,
            # ending in April: outside March.
            _row("ha", "o2", "Prospecting", 1),
            _row("hB", "o2", "Qualification", 1),
            _row("hc", "o2", "Negotiation", 32),
            _row("hd", "o2", "Qualification", 3, deleted=True),
            _row("h9", "o3", "Prospecting", 0),  # a deleted opportunity's history
            _row("h8", "o3", "Qualification", 1),
        ],
    }
    rows = oracle_crm.stage_durations(crm, *MARCH)
    assert [(r.member, r.days, r.n) for r in rows] == [
        ("Proposal", D(3), 1),
        ("Prospecting", D(3), 2),  # stays of 2 and 4 days
        ("Qualification", D(0), 1),
    ]


def test_tcv_and_acv_sum_amount_and_arr_of_every_won_deal() -> None:
    crm = {"Opportunity": [
        _opp("o1", amount="3000.00", arr="1000.00"),  # a three-year deal
        _opp("o2", amount="500.00", kind="Renewal"),
        _opp("o3", amount=None, kind="Upsell"),
        _opp("o4", stage="Closed Lost", amount="900.00"),
        _opp("o5", amount="700.00", deleted=True),
        _opp("o6", amount="800.00", close=date(2024, 4, 1)),
    ]}  # fmt: skip
    (march,) = oracle_crm.contract_values(crm, *MARCH)
    assert (march.tcv, march.acv) == (D("3500.00"), D("1500.00"))


def _crm() -> dict[str, list[dict]]:
    """Campaigns cW (Webinar, 900), cE (Email, no cost), cX deleted; leads: l1 converted
    (contact k1, won deal o1), l2 converted (open deal o2), l3 converted to a deleted deal,
    l4 and a deleted l5 first-touched by cE."""
    return {
        "Campaign": [
            _campaign("cW", "Webinar", 900),
            _campaign("cE", "Email", None),
            _campaign("cX", "Webinar", 50, deleted=True),
        ],
        "Opportunity": [
            _opp("o1", close=date(2024, 3, 25), amount="1200.00"),
            _opp("o2", stage="Proposal", close=date(2024, 5, 1)),
            _opp("o3", deleted=True),
            _opp("o4", close=date(2024, 3, 28), amount="400.00", kind="Renewal"),
        ],
        "Lead": [
            _lead("l1", 0, opp="o1", contact="k1"),
            _lead("l2", 1, opp="o2"),
            _lead("l3", 2, opp="o3"),
            _lead("l4", 3),
            _lead("l5", 4, deleted=True),
            _lead("l6", 5, opp="o4", contact="k2"),
        ],
        "Contact": [{"Id": "k1", "IsDeleted": False}, {"Id": "k2", "IsDeleted": False}],
        "CampaignMember": [
            _member("m1", "cE", 0, lead="l1"),  # l1's first touch: Email
            _member("m2", "cW", 10, lead="l1"),
            _member("m3", "cW", 20, contact="k1"),  # the same person, as a contact
            _member("m4", "cE", 30, contact="k1"),  # after o1 closed: not a touch of it
            _member("m5", "cW", 1, lead="l2"),
            _member("m6", "cE", 3, lead="l4"),
            _member("m7", "cE", 4, lead="l5"),  # a deleted lead
            _member("m8", "cX", 2, lead="l3"),  # a deleted campaign: no channel
            _member("m9", "cW", 5, lead="l6", deleted=True),
            _member("m0", "cE", 6, contact="k2"),
        ],
    }


def test_campaign_cohorts_divide_cost_by_live_first_touch_leads() -> None:
    rows = oracle_crm.campaign_cohorts(_crm(), *MARCH)
    # cE first-touched l1 and l4 (l5 is deleted); no ActualCost: 0; cW first-touched l2.
    assert [(r.campaign_id, r.spend, r.leads, r.cost_per_lead) for r in rows] == [
        ("cE", D("0.00"), 2, Ratio(D("0.00"), D(2))),
        ("cW", D(900), 1, Ratio(D(900), D(1))),
    ]


def test_campaign_costs_count_live_leads_only() -> None:
    costs = {c.campaign_id: c.leads for c in campaign_costs(_crm())}
    assert costs == {"cW": 1, "cE": 2}


def test_funnel_follows_each_lead_cohort_to_its_opportunity() -> None:
    rows = oracle_crm.funnel(_crm(), *MARCH)
    assert [(r.member, r.leads, r.opportunities, r.won) for r in rows] == [
        ("all", 5, 3, 2),  # l1 (won), l2 (open), l3 (deleted deal: none), l4, l6 (won)
        ("Email", 2, 1, 1),  # l1, l4
        ("Webinar", 1, 1, 0),  # l2; l3's campaign is deleted, l6's member too
    ]
    assert rows[0].lead_to_opportunity == Ratio(D(3), D(5))
    assert rows[2].opportunity_to_won.value() == D(0)


def test_conversion_time_runs_from_the_persons_first_touch_to_the_close() -> None:
    rows = oracle_crm.conversion_time(_crm(), *MARCH)
    # o1: first touch m1 on 03-01, closed 03-25: 24 days; o4 (a renewal): k2's m0 on 03-07,
    # closed 03-28: 21 days.
    assert [(r.member, r.days, r.n) for r in rows] == [
        ("all", D("22.5"), 2),
        ("Email", D("22.5"), 2),
    ]
    (april,) = oracle_crm.conversion_time(_crm(), date(2024, 4, 1), date(2024, 4, 30), "month")
    assert (april.member, april.days, april.n) == ("all", None, 0)


def test_first_and_last_touch_credit_booked_iacv_to_one_channel() -> None:
    first = oracle_crm.touch_attribution(_crm(), "first", *MARCH)
    last = oracle_crm.touch_attribution(_crm(), "last", *MARCH)
    # Only o1 is a booking (o4 is a renewal): first touch m1 (Email), last m3 (Webinar);
    # m4 came after the close.
    assert [(c.member, c.iacv) for c in first] == [("all", D("1200.00")), ("Email", D("1200.00"))]
    assert [(c.member, c.iacv) for c in last] == [("all", D("1200.00")), ("Webinar", D("1200.00"))]


def test_touch_attribution_refuses_an_unknown_position() -> None:
    with pytest.raises(ValueError, match="position must be 'first' or 'last', got 'middle'"):
        oracle_crm.touch_attribution(_crm(), "middle", *MARCH)


def test_quarters_hold_the_same_facts_as_their_months() -> None:
    quarters = oracle_crm.touch_attribution(_crm(), "first", *Q1_24)
    assert [(c.period.label, c.member, c.iacv) for c in quarters] == [
        ("FY2024-Q1", "all", D("1200.00")),
        ("FY2024-Q1", "Email", D("1200.00")),
        ("FY2024-Q2", "all", D("0.00")),
    ]


def test_win_rates_leave_unqualified_deals_out() -> None:
    opps = [
        {**_opp("o1", amount="300.00"), "CreatedDate": T0},
        {**_opp("o2", stage="Closed Lost", amount="100.00")},
        {**_opp("o3", stage="Closed Unqualified", amount="5000.00")},
    ]
    (march,) = sales_metrics(opps, *MARCH)
    assert (march.won, march.lost) == (1, 1)
    assert march.win_rate_count == Ratio(D(1), D(2))
    assert march.win_rate_amount == Ratio(D("300.00"), D("400.00"))


def test_a_campaign_without_a_type_is_channel_none() -> None:
    crm = _crm()
    crm["Campaign"][1]["Type"] = None  # cE
    rows = oracle_crm.funnel(crm, *MARCH)
    assert [(r.member, r.leads) for r in rows] == [("all", 5), ("(none)", 2), ("Webinar", 1)]


def test_the_small_world_has_what_the_crm_metrics_need() -> None:
    world = World.generate(seed=42, size="small")
    crm = {name: world.records(name, "salesforce") for name in ("Opportunity", "Lead",
           "OpportunityHistory", "CampaignMember")}  # fmt: skip
    stages = Counter(o["StageName"] for o in crm["Opportunity"])
    assert stages["Closed Won"] and stages["Closed Lost"]
    # the small world's 4 lost deals happen to include no unqualified one; the medium world
    # (also compared with the oracle) has them
    medium = World.generate(seed=42, size="medium").records("Opportunity", "salesforce")
    assert any(o["StageName"] == "Closed Unqualified" for o in medium)
    assert any(o["IsWon"] and o["Amount"] > o["ARR__c"] for o in crm["Opportunity"])
    paths: dict[str, list[str]] = {}
    for row in sorted(crm["OpportunityHistory"], key=lambda r: (r["CreatedDate"], r["Id"])):
        paths.setdefault(row["OpportunityId"], []).append(row["StageName"])
    order = [*STAGES, "Closed Won"]
    assert any(len(set(p)) < len(p) for p in paths.values())  # fell back, climbed again
    assert any(  # skipped a stage on the way
        order.index(b) - order.index(a) > 1
        for p in paths.values()
        for a, b in pairwise(p)
        if b in order and a in order
    )
    late = [lead for lead in crm["Lead"] if lead["ConvertedDate"]
            and (lead["ConvertedDate"] - lead["CreatedDate"].date()).days > 60]  # fmt: skip
    assert late
    touches = Counter(m["LeadId"] for m in crm["CampaignMember"] if m["LeadId"])
    assert max(touches.values()) >= 2


def test_a_mutate_starts_a_campaign_that_spends_in_the_new_history() -> None:
    world = World.generate(seed=42, size="small")
    old = world.now
    changes = world.mutate_sources(old + timedelta(days=3), creates=1)["salesforce"]
    (campaign_id,) = changes["Campaign"]["created"]
    campaign = next(c for c in world.records("Campaign", "salesforce") if c["Id"] == campaign_id)
    assert old.date() <= campaign["StartDate"] < world.now.date()
    assert campaign["Status"] == "In Progress" and campaign["ActualCost"] > 0
    members = [m for m in world.records("CampaignMember", "salesforce")
               if m["CampaignId"] == campaign_id]  # fmt: skip
    assert len(members) >= 3
