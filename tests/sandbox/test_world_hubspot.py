"""The HubSpot side of the world: joins to Salesforce, sizes, determinism and mutations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bizops_sandbox.world import SIZES, World
from bizops_sandbox.world_hubspot import LIFECYCLE, OBJECTS


@pytest.fixture(scope="module")
def world() -> World:
    return World.generate(seed=42, size="small")


def hs(world: World, obj: str) -> list[dict]:
    return world.records(obj, source="hubspot")


def sf(world: World, obj: str) -> list[dict]:
    return [r for r in world.records(obj, source="salesforce") if not r["IsDeleted"]]


def test_small_world_counts(world: World) -> None:
    counts = {obj: len(hs(world, obj)) for obj in OBJECTS}
    assert counts == {"companies": 42, "contacts": 88, "deals": 64, "engagements": 264,
                      "form_submissions": 88}  # fmt: skip


def test_every_salesforce_account_is_one_company(world: World) -> None:
    companies = [c["properties"]["salesforceaccountid"] for c in hs(world, "companies")]
    assert sorted(companies) == sorted(a["Id"] for a in sf(world, "Account"))


def test_contacts_are_the_distinct_emails_of_salesforce_contacts_and_leads(world: World) -> None:
    emails = {p["Email"].lower() for o in ("Contact", "Lead") for p in sf(world, o) if p["Email"]}
    contacts = [c["properties"]["email"].lower() for c in hs(world, "contacts")]
    assert len(contacts) == len(set(contacts))
    assert set(contacts) == emails


def test_contact_ids_point_at_the_salesforce_record_with_that_email(world: World) -> None:
    by_id = {p["Id"]: p for o in ("Contact", "Lead") for p in sf(world, o)}
    for contact in hs(world, "contacts"):
        props = contact["properties"]
        sf_id = props["salesforcecontactid"] or props["salesforceleadid"]
        assert by_id[sf_id]["Email"] == props["email"]


def test_contact_company_is_the_company_of_its_salesforce_account(world: World) -> None:
    company_of = {c["properties"]["salesforceaccountid"]: c["id"] for c in hs(world, "companies")}
    account_of = {c["Id"]: c["AccountId"] for c in sf(world, "Contact")}
    linked = [c for c in hs(world, "contacts") if c["properties"]["salesforcecontactid"]]
    assert linked
    for contact in linked:
        account = account_of[contact["properties"]["salesforcecontactid"]]
        assert contact["associations"]["companies"] == [company_of[account]]


def test_deals_mirror_opportunities_with_their_company(world: World) -> None:
    company_of = {c["properties"]["salesforceaccountid"]: c["id"] for c in hs(world, "companies")}
    opportunities = {o["Id"]: o for o in sf(world, "Opportunity")}
    deals = hs(world, "deals")
    mirrored = sorted(d["properties"]["salesforceopportunityid"] for d in deals)
    assert mirrored == sorted(opportunities)
    for deal in deals:
        opportunity = opportunities[deal["properties"]["salesforceopportunityid"]]
        assert deal["associations"]["companies"] == [company_of[opportunity["AccountId"]]]
        assert deal["properties"]["amount"] == opportunity["Amount"]


def test_lifecycle_dates_are_set_up_to_the_stage_reached_in_order(world: World) -> None:
    for contact in hs(world, "contacts"):
        props = contact["properties"]
        reached = LIFECYCLE.index(props["lifecyclestage"])
        dates = [props[f"hs_lifecyclestage_{s}_date"] for s in LIFECYCLE]
        assert all(d is not None for d in dates[: reached + 1])
        assert all(d is None for d in dates[reached + 1 :])
        assert dates[0] == contact["createdAt"]
        assert dates[: reached + 1] == sorted(dates[: reached + 1])


def test_touches_carry_utm_properties_in_their_urls(world: World) -> None:
    props = hs(world, "contacts")[0]["properties"]
    assert props["hs_analytics_first_url"].endswith(
        f"utm_source={props['first_touch_utm_source']}&utm_medium={props['first_touch_utm_medium']}"
        f"&utm_campaign={props['first_touch_utm_campaign']}"
    )
    assert props["last_touch_utm_source"] is not None


def test_every_record_changes_at_or_before_the_clock(world: World) -> None:
    for obj in OBJECTS:
        for record in hs(world, obj):
            assert record["createdAt"] <= record["updatedAt"] <= world.now


def test_same_seed_same_records() -> None:
    first, second = World.generate(seed=7), World.generate(seed=7)
    for obj in OBJECTS:
        assert hs(first, obj) == hs(second, obj)


def test_mutate_reports_exactly_the_hubspot_changes() -> None:
    world = World.generate(seed=42)
    before = {o: {r["id"]: r for r in hs(world, o)} for o in OBJECTS}
    old = world.now
    at = datetime(2025, 1, 5, tzinfo=UTC)
    result = world.mutate_sources(at, creates=2, updates=3, deletes=2)["hubspot"]
    after = {o: {r["id"]: r for r in hs(world, o)} for o in OBJECTS}
    for obj in OBJECTS:
        changed = {i for i in after[obj] if after[obj][i] != before[obj].get(i)}
        reported = result[obj]
        assert set(reported["created"]) == after[obj].keys() - before[obj].keys()
        assert changed == {*reported["created"], *reported["updated"], *reported["deleted"]}
        for record_id in changed:
            assert old < after[obj][record_id]["updatedAt"] <= at
        for record_id in reported["deleted"]:
            assert after[obj][record_id]["archived"] is True
            assert old < after[obj][record_id]["archivedAt"] <= at
    assert [len(result[o]["updated"]) for o in ("contacts", "companies", "deals")] == [3, 3, 3]
    assert [len(result[o]["deleted"]) for o in ("contacts", "engagements")] == [2, 2]
    assert len(result["companies"]["created"]) == 4  # 2 customers + their 2 prospects


def test_mutated_salesforce_people_join_their_new_contacts() -> None:
    world = World.generate(seed=42)
    changes = world.mutate_sources(datetime(2025, 1, 3, tzinfo=UTC), creates=2, updates=0)
    new_emails = {
        p["Email"].lower()
        for o in ("Contact", "Lead")
        for p in world.records(o, source="salesforce")
        if p["Id"] in changes["salesforce"][o]["created"]
    }
    created = set(changes["hubspot"]["contacts"]["created"])
    emails = {c["properties"]["email"].lower() for c in hs(world, "contacts") if c["id"] in created}
    assert emails and emails <= new_emails


def test_large_world_stays_over_a_million_with_hubspot() -> None:
    medium = World.generate(seed=42, size="medium")
    hubspot = medium.count("hubspot")
    assert hubspot >= 15 * SIZES["medium"].accounts
    assert medium.count() / SIZES["medium"].accounts * SIZES["large"].accounts >= 1_000_000
