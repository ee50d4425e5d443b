"""Tests of the Marketo side of the world: the joins to Salesforce, its sizes, its activities
and the mutate step."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest

from bizops_sandbox.world import World
from bizops_sandbox.world_marketo import CLICK, FORM, OPEN, VISIT, period_costs

SF = "salesforce"


@pytest.fixture(scope="module")
def world() -> World:
    return World.generate(seed=42, size="small")


def test_small_world_sizes(world: World) -> None:
    m = world.marketo
    counts = (len(m.leads), len(m.programs), len(m.members), len(m.activities))
    assert counts == (88, 5, 71, 804)
    assert Counter(a[3] for a in m.activities) == {VISIT: 699, FORM: 88, OPEN: 12, CLICK: 5}


def test_every_salesforce_person_is_one_lead_with_the_same_email(world: World) -> None:
    leads = {r["Id"]: r for r in world.records("Lead", SF)}
    contacts = {r["Id"]: r for r in world.records("Contact", SF)}
    converted = {r["ConvertedContactId"] for r in leads.values()} - {None}
    by_lead = {m["sfdcLeadId"]: m for m in world.marketo.leads.values() if m["sfdcLeadId"]}
    by_contact = {m["sfdcContactId"]: m for m in world.marketo.leads.values() if m["sfdcContactId"]}
    assert by_lead.keys() == leads.keys()
    assert by_contact.keys() == contacts.keys()
    for sf_id, lead in leads.items():
        assert by_lead[sf_id]["email"] == lead["Email"]
        assert by_lead[sf_id]["sfdcContactId"] == lead["ConvertedContactId"]
    for sf_id, contact in contacts.items():
        assert by_contact[sf_id]["email"] == contact["Email"]
        assert by_contact[sf_id]["sfdcAccountId"] == contact["AccountId"]
    # a converted lead and its contact are one Marketo lead, never two
    assert len(world.marketo.leads) == len(leads) + len(contacts) - len(converted)


def test_programs_mirror_campaigns_with_their_cost_in_periods(world: World) -> None:
    campaigns = {r["Id"]: r for r in world.records("Campaign", SF)}
    programs = list(world.marketo.programs.values())
    assert sorted(p["sfdcId"] for p in programs) == sorted(campaigns)
    for program in programs:
        campaign = campaigns[program["sfdcId"]]
        assert sum(c["cost"] for c in program["costs"]) == campaign["ActualCost"]
        assert program["costs"][0]["startDate"] == campaign["StartDate"].replace(day=1)
        assert program["channel"] in {
            "Webinar",
            "Tradeshow",
            "Email Send",
            "Online Advertising",
            "Operational",
        }


def test_period_costs_split_exactly() -> None:
    costs = period_costs(date(2024, 11, 20), date(2025, 2, 3), 1001)
    assert [(c["startDate"].isoformat(), c["cost"]) for c in costs] == [
        ("2024-11-01", 251),
        ("2024-12-01", 250),
        ("2025-01-01", 250),
        ("2025-02-01", 250),
    ]


def test_program_members_are_the_campaign_members(world: World) -> None:
    m = world.marketo
    sf_members = {r["Id"]: r for r in world.records("CampaignMember", SF)}
    campaign_of = {p["id"]: p["sfdcId"] for p in m.programs.values()}
    for (program_id, lead_id), member in m.members.items():
        source = sf_members[member["sfdcCampaignMemberId"]]
        lead = m.leads[lead_id]
        assert campaign_of[program_id] == source["CampaignId"]
        assert source["LeadId"] in (lead["sfdcLeadId"], None)
        assert member["reachedSuccess"] == source["HasResponded"]


def test_activities_are_sorted_unique_and_of_known_leads(world: World) -> None:
    m = world.marketo
    guids = [a[0] for a in m.activities]
    assert guids == list(range(1, len(guids) + 1))
    assert m.activity_dates == sorted(m.activity_dates)
    assert m.activity_dates[-1] <= world.now
    assert {a[1] for a in m.activities} <= set(m.leads)
    # every lead filled out a form when it was created
    forms = {a[1]: a[2] for a in m.activities if a[3] == FORM}
    assert forms == {i: lead["createdAt"] for i, lead in m.leads.items()}


def test_same_seed_same_marketo_world() -> None:
    one, two = World.generate(seed=7, size="small"), World.generate(seed=7, size="small")
    assert one.marketo.leads == two.marketo.leads
    assert one.marketo.activities == two.marketo.activities


def test_mutate_creates_updates_and_deletes_what_it_reports() -> None:
    world = World.generate(seed=42, size="small")
    m = world.marketo
    before = {i: dict(r) for i, r in m.leads.items()}
    activities_before = len(m.activities)
    old = world.now
    at = datetime(2025, 1, 2, tzinfo=UTC)
    changes = world.mutate_sources(at)["marketo"]
    leads = changes["leads"]
    assert (len(leads["created"]), len(leads["updated"]), len(leads["deleted"])) == (19, 6, 2)
    assert set(leads["created"]) == m.leads.keys() - before.keys()
    assert set(leads["deleted"]) == before.keys() - m.leads.keys()
    changed = {i for i in before.keys() & m.leads.keys() if m.leads[i] != before[i]}
    assert changed == set(leads["updated"])
    for lead_id in (*leads["created"], *leads["updated"]):
        assert old < m.leads[lead_id]["updatedAt"] <= at
    created = changes["activities"]["created"]
    assert created == [str(a[0]) for a in m.activities[activities_before:]]
    assert all(old < a[2] <= at for a in m.activities[activities_before:])
    assert set(changes["program_members"]["created"]) <= {f"{p}:{ld}" for p, ld in m.members}
    assert [str(x) for x in changes["programs"]["created"]] == [str(max(m.programs))]
