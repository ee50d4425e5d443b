"""The attribution oracle on hand-made records: the weight rules of metrics.md 1.7 (n=1, n=2,
n=5, coinciding and absent milestones), the same-instant dedupe across systems, and the
credits of a lead and a won deal."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction as F
from typing import Any

import pytest

from bizops_sandbox.oracle import sources_of
from bizops_sandbox.oracle_attribution import attribution_rows, conversions, weights
from bizops_sandbox.oracle_touches import people, touches
from bizops_sandbox.world import World

MARKS = {"FT": 0, "LC": None, "OC": None}


def test_one_touch_takes_all_the_credit_in_every_model() -> None:
    marks = {"FT": 0, "LC": 0, "OC": 0}
    for model in ("first_touch", "last_touch", "lead_creation", "linear", "u_shaped", "w_shaped"):
        assert weights(model, 1, marks) == {0: 1}, model


def test_two_touches_u_shaped_splits_half_and_half() -> None:
    assert weights("u_shaped", 2, {"FT": 0, "LC": 1, "OC": None}) == {0: F(1, 2), 1: F(1, 2)}
    assert weights("linear", 2, MARKS) == {0: F(1, 2), 1: F(1, 2)}
    assert weights("first_touch", 2, MARKS) == {0: 1}
    assert weights("last_touch", 2, MARKS) == {1: 1}


def test_two_touches_w_shaped_merges_ft_and_lc_and_spreads_the_rest_over_the_milestones() -> None:
    # FT = LC on the first touch (0.6), OC on the second (0.3); no other touch: 0.1 / 2 each
    assert weights("w_shaped", 2, {"FT": 0, "LC": 0, "OC": 1}) == {0: F(13, 20), 1: F(7, 20)}


def test_five_touches_u_and_w_shaped() -> None:
    u = weights("u_shaped", 5, {"FT": 0, "LC": 4, "OC": None})
    assert u == {0: F(2, 5), 1: F(1, 15), 2: F(1, 15), 3: F(1, 15), 4: F(2, 5)}
    w = weights("w_shaped", 5, {"FT": 0, "LC": 1, "OC": 3})
    assert w == {0: F(3, 10), 1: F(3, 10), 2: F(1, 20), 3: F(3, 10), 4: F(1, 20)}
    assert weights("linear", 5, MARKS) == {i: F(1, 5) for i in range(5)}


def test_coinciding_milestones_merge_their_shares() -> None:
    # LC and OC on the same touch: 0.6 there, 0.3 on FT, 0.1 over the two others
    w = weights("w_shaped", 4, {"FT": 0, "LC": 2, "OC": 2})
    assert w == {0: F(3, 10), 1: F(1, 20), 2: F(3, 5), 3: F(1, 20)}
    assert sum(w.values()) == 1


def test_an_absent_milestone_leaves_its_share_to_the_other_touches() -> None:
    assert weights("u_shaped", 3, {"FT": 0, "LC": None, "OC": None}) == {
        0: F(2, 5),
        1: F(3, 10),
        2: F(3, 10),
    }
    assert weights("lead_creation", 3, {"FT": 0, "LC": None, "OC": None}) == {}


def test_no_touch_no_credit_and_bad_input_is_refused() -> None:
    assert weights("w_shaped", 0, MARKS) == {}
    with pytest.raises(ValueError, match="unknown attribution model 'time_decay'"):
        weights("time_decay", 2, MARKS)
    with pytest.raises(ValueError, match="a milestone outside the 2 touches"):
        weights("u_shaped", 2, {"FT": 0, "LC": 2, "OC": None})


def _at(day: int, hour: int = 12, second: int = 0) -> datetime:
    return datetime(2024, 3, day, hour, 0, second, tzinfo=UTC)


def _sources() -> dict[str, dict[str, list[dict[str, Any]]]]:
    """One lead (created 1 March 12:00) converted into contact C1 and a won New Business deal
    (created 5 March, closed 10 March, ARR 1200); the lead's form fill is seen by all three
    systems at the same second; later: a web visit, a Marketo email open and click, a HubSpot
    form."""
    lead = {
        "Id": "L1",
        "IsDeleted": False,
        "CreatedDate": _at(1),
        "ConvertedContactId": "C1",
        "ConvertedOpportunityId": "O1",
        "Email": "Ann@Example.com ",
    }
    contact = {"Id": "C1", "IsDeleted": False, "Email": "ann@example.com"}
    opp = {
        "Id": "O1",
        "IsDeleted": False,
        "IsClosed": True,
        "IsWon": True,
        "Type": "New Business",
        "ARR__c": Decimal("1200.00"),
        "CreatedDate": _at(5),
        "CloseDate": date(2024, 3, 10),
    }
    campaign = {"Id": "7011", "IsDeleted": False, "Type": "Webinar"}
    member = {
        "Id": "00v1",
        "IsDeleted": False,
        "CampaignId": "7011",
        "LeadId": "L1",
        "ContactId": None,
        "CreatedDate": _at(1),
    }

    def activity(guid: int, kind: int, at: datetime, query: str = "") -> dict[str, Any]:
        return {
            "marketoGUID": str(guid),
            "leadId": 7,
            "activityDate": at,
            "activityTypeId": kind,
            "attributes": [{"name": "Query Parameters", "value": query}],
        }

    return {
        "salesforce": {
            "Lead": [lead],
            "Contact": [contact],
            "Opportunity": [opp],
            "Campaign": [campaign],
            "CampaignMember": [member],
        },
        "marketo": {
            "leads": [
                {"id": 7, "email": "ann@example.com", "sfdcLeadId": "L1", "sfdcContactId": "C1"}
            ],
            "activities": [
                activity(1, 2, _at(1)),  # form fill: the same touch as the member
                activity(2, 1, _at(3), "utm_medium=cpc"),  # web visit: Paid Search
                activity(3, 10, _at(4)),  # email open: not a touch
                activity(4, 11, _at(4, second=30)),  # email click
            ],
            "programs": [
                {
                    "id": 1001,
                    "channel": "Webinar",
                    "costs": [{"startDate": date(2024, 3, 1), "cost": 600}],
                }
            ],
        },
        "hubspot": {
            "contacts": [
                {
                    "id": "101",
                    "archived": False,
                    "properties": {
                        "email": "ann@example.com",
                        "salesforcecontactid": "C1",
                        "salesforceleadid": None,
                    },
                }
            ],
            "form_submissions": [
                {
                    "id": "1",
                    "properties": {
                        "email": "ann@example.com",
                        "submittedAt": _at(1),
                        "pageUrl": "https://x.example/?utm_medium=email",
                    },
                },
                {
                    "id": "2",
                    "properties": {
                        "email": "ann@example.com",
                        "submittedAt": _at(8),
                        "pageUrl": "https://x.example/demo",
                    },
                },
            ],
        },
    }


def test_the_same_touch_seen_by_three_systems_is_kept_once_from_salesforce() -> None:
    sources = _sources()
    who = people(sources)
    assert (who.marketo, who.hubspot) == ({"7": "C1"}, {"101": "C1"})
    kept = [(t.touch_id, t.touch_type, t.channel) for t in touches(sources, who)["C1"]]
    assert kept == [
        ("sfdc:00v1", "campaign_member", "Webinar"),
        ("mkto:2", "web_visit", "Paid Search"),
        ("mkto:4", "email_click", "Email"),
        ("hubspot:c0a8" + "0" * 27 + "2", "form_fill", "Direct"),
    ]


def test_a_lead_and_a_won_deal_get_their_milestones() -> None:
    lead, deal = conversions(_sources())
    assert (lead.kind, lead.conversion_id, len(lead.touches), lead.milestones) == (
        "lead_created",
        "C1",
        1,
        {"FT": 0, "LC": 0, "OC": None},
    )
    # touches up to 10 March: member (1st), visit (3rd), click (4th), form (8th);
    # LC = the member (lead created 1 March), OC = the click (last before 5 March)
    assert (deal.kind, deal.value, len(deal.touches), deal.milestones) == (
        "opportunity_won",
        Decimal("1200.00"),
        4,
        {"FT": 0, "LC": 0, "OC": 2},
    )


def test_credited_iacv_leads_cost_per_lead_and_cac_per_channel() -> None:
    rows = attribution_rows(_sources(), date(2024, 3, 1), date(2024, 3, 31), "month")
    values = {(metric, member): value for metric, _, member, value in rows}
    # W-shaped over 4 touches with FT = LC on the member: 0.6 member, 0.3 click, 0.05 + 0.05
    assert values[("attributed_iacv_w_shaped", "Webinar")] == Decimal("720.00")
    assert values[("attributed_iacv_w_shaped", "Email")] == Decimal("360.00")
    assert values[("attributed_iacv_w_shaped", "Paid Search")] == Decimal("60.00")
    assert values[("attributed_iacv_w_shaped", None)] == Decimal("1200.00")
    assert values[("attributed_leads_linear", "Webinar")] == Decimal("1.0000")
    assert values[("cost_per_attributed_lead_linear", "Webinar")] == Decimal("600.0000")
    # linear: the Webinar touch is 1 of 4 of the new customer: CAC = 600 / 0.25
    assert values[("attributed_cac_linear", "Webinar")] == Decimal("2400.0000")
    assert values[("attributed_cac_linear", "Email")] == Decimal("0.0000")  # no Email spend


def test_the_sources_of_a_world_do_not_change_when_the_world_mutates() -> None:
    world = World.generate(seed=42, size="small")
    before = sources_of(world)
    kept = repr(before["hubspot"]) + repr(before["marketo"])
    world.mutate_sources(creates=5, updates=8, deletes=16, returns=3)
    assert repr(before["hubspot"]) + repr(before["marketo"]) == kept
    assert sources_of(world)["hubspot"] != before["hubspot"]
