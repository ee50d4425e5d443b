"""The Zendesk side of the world: joins to Salesforce, sizes, determinism and mutations."""

from __future__ import annotations

from datetime import timedelta

from bizops_sandbox import world_zendesk as zd
from bizops_sandbox.world import World


def test_organizations_carry_the_salesforce_account_id_of_every_customer() -> None:
    world = World.generate(seed=42, size="small")
    customers = {
        a["Id"]: a["Name"]
        for a in world.records("Account", source="salesforce")
        if a["Zuora_Account_Number__c"] is not None
    }
    orgs = zd.views(world)["organizations"]
    assert {o["external_id"]: o["name"] for o in orgs} == customers
    assert len(orgs) == 30


def test_end_users_are_the_customers_contacts_with_the_same_emails() -> None:
    world = World.generate(seed=42, size="small")
    views = zd.views(world)
    org_of = {o["id"]: o["external_id"] for o in views["organizations"]}
    contacts = {
        c["Id"]: (c["Email"], c["AccountId"])
        for c in world.records("Contact", source="salesforce")
        if c["AccountId"] in set(org_of.values())
    }
    users = [u for u in views["users"] if u["role"] == "end-user"]
    assert {u["external_id"]: (u["email"], org_of[u["organization_id"]]) for u in users} == (
        contacts
    )
    assert len(users) == 56


def test_tickets_belong_to_end_users_and_metrics_and_ratings_to_tickets() -> None:
    views = zd.views(World.generate(seed=42, size="small"))
    users = {u["id"]: u["organization_id"] for u in views["users"]}
    tickets = {t["id"]: t for t in views["tickets"]}
    assert all(users[t["requester_id"]] == t["organization_id"] for t in tickets.values())
    assert {m["ticket_id"] for m in views["ticket_metrics"]} == {
        i for i, t in tickets.items() if t["status"] != "deleted"
    }
    assert {e["ticket_id"] for e in views["ticket_metric_events"]} <= tickets.keys()
    assert {r["ticket_id"] for r in views["satisfaction_ratings"]} <= tickets.keys()


def test_counts_of_the_small_world() -> None:
    assert zd.counts(World.generate(seed=42, size="small")) == {
        "organizations": 30, "users": 62, "tickets": 293, "ticket_metrics": 288,
        "ticket_metric_events": 2775, "satisfaction_ratings": 103,
    }  # fmt: skip


def test_the_same_seed_gives_the_same_records() -> None:
    first = zd.views(World.generate(seed=7, size="small"))
    second = zd.views(World.generate(seed=7, size="small"))
    assert first == second
    assert first != zd.views(World.generate(seed=8, size="small"))


def test_a_solved_ticket_has_its_resolution_times_in_minutes() -> None:
    views = zd.views(World.generate(seed=42, size="small"))
    tickets = {t["id"]: t for t in views["tickets"]}
    for metric in views["ticket_metrics"]:
        ticket = tickets[metric["ticket_id"]]
        full = metric["full_resolution_time_in_minutes"]["calendar"]
        if ticket["status"] in ("solved", "closed"):
            spent = metric["solved_at"] - ticket["created_at"]
            assert full == int(spent.total_seconds() // 60)
            assert metric["reply_time_in_minutes"]["calendar"] <= full
        else:
            assert full is None


def test_a_mutate_creates_updates_and_deletes_tickets_after_the_old_clock() -> None:
    world = World.generate(seed=42, size="small")
    before = {t["id"]: t for t in zd.views(world)["tickets"]}
    old = world.now
    world.mutate_sources(old + timedelta(days=60))
    after = {t["id"]: t for t in zd.views(world)["tickets"]}
    created = after.keys() - before.keys()
    changed = {i for i in before if after[i] != before[i]}
    deleted = {i for i in created | changed if after[i]["status"] == "deleted"}
    assert (len(created), len(changed), len(deleted)) == (37, 6, 1)
    assert before.keys() <= after.keys()
    assert all(old < after[i]["updated_at"] <= world.now for i in created | changed)
    assert all(after[i] == before[i] for i in before.keys() - changed)


def test_a_mutate_adds_the_new_customers_organizations_and_users() -> None:
    world = World.generate(seed=42, size="small")
    world.mutate_sources(creates=5)
    orgs = zd.views(world)["organizations"]
    accounts = {a["Id"] for a in world.records("Account", source="salesforce")}
    assert len(orgs) == 35
    assert {o["external_id"] for o in orgs} <= accounts
