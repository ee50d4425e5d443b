"""Tests of the Salesforce side of the world: consistency with Zuora, shape and the mutate step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bizops_sandbox.ids import salesforce_suffix
from bizops_sandbox.salesforce_schema import describes, field_names
from bizops_sandbox.world import SIZES, World

SF = "salesforce"
OBJECTS = sorted(describes())


@pytest.fixture(scope="module")
def world() -> World:
    return World.generate(seed=42, size="small")


def sf(world: World, name: str) -> list[dict]:
    return world.records(name, SF)


def test_every_zuora_crm_id_is_a_salesforce_account(world: World) -> None:
    accounts = {r["Id"] for r in sf(world, "Account")}
    crm_ids = {r["CrmId"] for r in world.records("Account") if r["CrmId"]}
    assert crm_ids and crm_ids <= accounts


def test_prospects_have_no_zuora_account(world: World) -> None:
    crm_ids = {r["CrmId"] for r in world.records("Account")}
    prospects = [r for r in sf(world, "Account") if r["Type"] == "Prospect"]
    assert len(prospects) == SIZES["small"].prospects
    assert not {r["Id"] for r in prospects} & crm_ids


def test_zuora_contact_emails_are_salesforce_contact_emails(world: World) -> None:
    emails = {r["Email"] for r in sf(world, "Contact")}
    assert {r["WorkEmail"] for r in world.records("Contact")} <= emails


def test_some_accounts_have_parent_accounts(world: World) -> None:
    ids = {r["Id"] for r in sf(world, "Account")}
    parents = [r["ParentId"] for r in sf(world, "Account") if r["ParentId"]]
    assert parents and set(parents) <= ids


@pytest.mark.parametrize("name", OBJECTS)
def test_records_have_exactly_the_described_fields(world: World, name: str) -> None:
    records = sf(world, name)
    assert records, name
    for record in records:
        assert tuple(record) == field_names(name)


def test_ids_are_unique_18_character_ids_with_their_prefix(world: World) -> None:
    seen = set()
    for name in OBJECTS:
        prefix = describes()[name]["keyPrefix"]
        for record in sf(world, name):
            assert record["Id"].startswith(prefix)
            assert record["Id"][15:] == salesforce_suffix(record["Id"][:15])
            seen.add(record["Id"])
    assert len(seen) == sum(len(sf(world, n)) for n in OBJECTS)


def test_references_point_at_existing_records(world: World) -> None:
    ids = {r["Id"] for name in OBJECTS for r in sf(world, name)}
    for name in OBJECTS:
        refs = [f["name"] for f in describes()[name]["fields"] if f["type"] == "reference"]
        for record in sf(world, name):
            for field in refs:
                assert record[field] is None or record[field] in ids, f"{name}.{field}"


def test_opportunities_have_stage_history_and_line_items(world: World) -> None:
    history = {r["OpportunityId"] for r in sf(world, "OpportunityHistory")}
    items = {r["OpportunityId"] for r in sf(world, "OpportunityLineItem")}
    opps = {r["Id"] for r in sf(world, "Opportunity")}
    assert opps == history == items


def test_timestamps_are_ordered_and_before_now(world: World) -> None:
    for name in OBJECTS:
        for r in sf(world, name):
            assert r["CreatedDate"] <= r["SystemModstamp"] < world.now
            if "LastModifiedDate" in r:
                assert r["LastModifiedDate"] <= r["SystemModstamp"]


def test_same_seed_same_salesforce_records() -> None:
    first, second = World.generate(seed=5), World.generate(seed=5)
    for name in OBJECTS:
        assert sf(first, name) == sf(second, name)


def test_medium_world_scales_and_large_profile_passes_a_million() -> None:
    medium = World.generate(seed=42, size="medium")
    per_account = medium.count() / SIZES["medium"].accounts
    assert per_account * SIZES["large"].accounts >= 1_100_000


def test_mutate_reports_exactly_the_salesforce_changes() -> None:
    world = World.generate(seed=42)
    before = {n: {r["Id"]: r for r in sf(world, n)} for n in OBJECTS}
    old, at = world.now, world.now + timedelta(hours=6)
    result = world.mutate_sources(at, creates=2, updates=6, deletes=3)["salesforce"]
    assert sorted(result) == OBJECTS
    for name in OBJECTS:
        moved = {r["Id"] for r in sf(world, name) if r["SystemModstamp"] > old}
        kinds = result[name]
        assert moved == set(kinds["created"]) | set(kinds["updated"]) | set(kinds["deleted"])
        assert set(kinds["created"]).isdisjoint(before[name])
        for record in sf(world, name):
            if record["Id"] in moved:
                assert old < record["SystemModstamp"] <= at
            assert record.get("IsDeleted", False) is (record["Id"] in kinds["deleted"])
    assert sum(len(k["deleted"]) for k in result.values()) == 3
    assert sum(len(k["updated"]) for k in result.values()) == 6


def test_mutate_mirrors_new_zuora_customers() -> None:
    world = World.generate(seed=42)
    changes = world.mutate_sources(datetime(2025, 1, 3, tzinfo=UTC), creates=3, updates=0)
    new = {world_id for world_id in changes["zuora"]["Account"]["created"]}
    crm_ids = {r["CrmId"] for r in world.records("Account") if r["Id"] in new and r["CrmId"]}
    assert crm_ids <= set(changes["salesforce"]["Account"]["created"])
