"""The pipeline oracle (SAOs and cost per SAO, stage conversion, up-sell) on hand-made
Salesforce records, checked against counts done by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bizops_sandbox import oracle_pipeline as pipe

D = Decimal
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
MARCH = (date(2024, 3, 1), date(2024, 3, 31), "month")


def _at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def _opp(oid, accepted=None, kind="New Business", stage="Prospecting", close=date(2024, 4, 30),
         created=0, arr=None, deleted=False):  # fmt: skip
    won = stage == "Closed Won"
    return {"Id": oid, "Type": kind, "StageName": stage, "IsClosed": stage.startswith("Closed"),
            "IsWon": won, "CloseDate": close, "ARR__c": D(arr) if arr else None,
            "CreatedDate": _at(created), "Sales_Accepted_Date__c": accepted,
            "IsDeleted": deleted}  # fmt: skip


def _row(rid, opp, stage, deleted=False):
    return {"Id": rid, "OpportunityId": opp, "StageName": stage, "CreatedDate": T0,
            "IsDeleted": deleted}  # fmt: skip


def _campaign(cid, kind, cost, start=date(2024, 3, 1)):
    return {"Id": cid, "Type": kind, "ActualCost": D(cost), "StartDate": start,
            "IsDeleted": False}  # fmt: skip


def _touching(opp: str, lead: str, campaign: str, days: float) -> tuple[dict, dict]:
    lead_row = {"Id": lead, "CreatedDate": T0, "ConvertedOpportunityId": opp,
                "ConvertedContactId": None, "IsDeleted": False}  # fmt: skip
    member = {"Id": "m" + lead, "CampaignId": campaign, "LeadId": lead, "ContactId": None,
              "CreatedDate": _at(days), "IsDeleted": False}  # fmt: skip
    return lead_row, member


def test_sao_counts_accepted_deals_by_accepted_date_and_first_touch_channel() -> None:
    touched = [_touching("o1", "l1", "cW", 0), _touching("o2", "l2", "cE", 1)]
    crm = {
        "Campaign": [_campaign("cW", "Webinar", "900.00"), _campaign("cE", "Email", "100.00")],
        "Contact": [],
        "Lead": [lead for lead, _ in touched],
        "CampaignMember": [member for _, member in touched],
        "Opportunity": [
            _opp("o1", accepted=date(2024, 3, 3)),  # Webinar
            _opp("o2", accepted=date(2024, 4, 1)),  # accepted in April
            _opp("o3", accepted=date(2024, 3, 31)),  # no touch: total only
            _opp("o4"),  # never accepted
            _opp("o5", accepted=date(2024, 3, 5), deleted=True),
        ],
    }
    rows = {r.member: (r.saos, r.spend, r.cost_per_sao.value()) for r in pipe.sao(crm, *MARCH)}
    assert rows == {
        "all": (2, D("1000.00"), D("500.0000")),
        "Email": (0, D("100.00"), None),
        "Webinar": (1, D("900.00"), D("900.0000")),
    }


def test_stage_conversion_counts_skipped_stages_as_reached() -> None:
    crm = {
        "Opportunity": [
            _opp("o1"),
            _opp("o2"),
            _opp("o3"),
            _opp("o4"),
            _opp("o5", created=40),
            _opp("o6", deleted=True),
        ],
        "OpportunityHistory": [
            # o1 skips Qualification and Needs Analysis, then wins
            _row("a1", "o1", "Prospecting"),
            _row("a2", "o1", "Proposal/Price Quote"),
            _row("a3", "o1", "Closed Won"),
            # o2 reaches Qualification, falls back, is lost
            _row("b1", "o2", "Prospecting"),
            _row("b2", "o2", "Qualification"),
            _row("b3", "o2", "Prospecting"),
            _row("b4", "o2", "Closed Lost"),
            # o3 closed unqualified straight away; its deleted Qualification row does not count
            _row("c1", "o3", "Prospecting"),
            _row("c2", "o3", "Closed Unqualified"),
            _row("c3", "o3", "Qualification", deleted=True),
            # o4 has no history: reaches nothing, still in the cohort
            _row("e1", "o5", "Qualification"),  # o5 is created in April
            _row("f1", "o6", "Qualification"),
        ],
    }
    rows = {r.stage: (r.reached, r.advanced, r.rate.value())
            for r in pipe.stage_conversion(crm, *MARCH)}  # fmt: skip
    assert rows == {
        "Prospecting": (3, 2, D("0.6667")),
        "Qualification": (2, 1, D("0.5000")),
        "Needs Analysis": (1, 1, D("1.0000")),
        "Proposal/Price Quote": (1, 1, D("1.0000")),
        "Negotiation/Review": (1, 1, D("1.0000")),
    }


def test_upsells_count_won_upsell_deals_by_close_date() -> None:
    crm = {"Opportunity": [
        _opp("o1", kind="Upsell", stage="Closed Won", close=date(2024, 3, 9), arr="250.00"),
        _opp("o2", kind="Upsell", stage="Closed Won", close=date(2024, 3, 30), arr="100.50"),
        _opp("o3", kind="Upsell", stage="Closed Lost", close=date(2024, 3, 9)),
        _opp("o4", kind="New Business", stage="Closed Won", close=date(2024, 3, 9), arr="9.00"),
        _opp("o5", kind="Upsell", stage="Closed Won", close=date(2024, 4, 1), arr="7.00"),
    ]}  # fmt: skip
    [march] = pipe.upsells(crm, *MARCH)
    assert (march.deals, march.iacv) == (2, D("350.50"))
