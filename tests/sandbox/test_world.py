"""Tests of the world generator: determinism, shape, consistency and the mutate step."""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

import bizops_schemas
from bizops_sandbox.ids import salesforce_suffix
from bizops_sandbox.world import World
from bizops_sandbox.world_zuora_versions import add_months

OBJECTS = bizops_schemas.names("zuora")
ZUORA_ID = re.compile(r"^[0-9a-f]{32}$")
CRM_ID = re.compile(r"^001[0-9A-Za-z]{15}$")
PY_TYPES = {"integer": int, "number": Decimal, "boolean": bool, "string": str}


@pytest.fixture(scope="module")
def world() -> World:
    return World.generate(seed=42, size="small")


def all_records(world: World) -> dict[str, list[dict]]:
    return {name: world.records(name) for name in OBJECTS}


def test_same_seed_gives_identical_records() -> None:
    assert all_records(World.generate(seed=7)) == all_records(World.generate(seed=7))


def test_different_seed_gives_different_records() -> None:
    first = {r["Id"] for r in World.generate(seed=1).records("Account")}
    second = {r["Id"] for r in World.generate(seed=2).records("Account")}
    assert first.isdisjoint(second)


def test_small_world_has_the_expected_counts(world: World) -> None:
    counts = {name: len(world.records(name)) for name in OBJECTS}
    assert counts == {
        "Account": 30,
        "Amendment": 17,
        "Contact": 43,
        "Invoice": 288,
        "InvoiceItem": 772,
        "InvoicePayment": 270,
        "Payment": 270,
        "Product": 4,
        "ProductRatePlan": 5,
        "ProductRatePlanCharge": 7,
        "RatePlan": 123,
        "RatePlanCharge": 196,
        "Refund": 8,
        "Subscription": 60,
    }


def test_small_world_generates_fast() -> None:
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        World.generate(seed=42, size="small")
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.2


def test_medium_world_has_a_thousand_accounts() -> None:
    assert len(World.generate(seed=42, size="medium").records("Account")) == 1000


def test_unknown_size_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown world size 'huge'"):
        World.generate(size="huge")


def test_world_holds_exactly_the_schema_objects(world: World) -> None:
    assert sorted(world.objects()) == OBJECTS


@pytest.mark.parametrize("name", OBJECTS)
def test_records_match_their_schema(world: World, name: str) -> None:
    props = bizops_schemas.load("zuora", name)["properties"]
    for record in world.records(name):
        assert list(record) == list(props)
        for field, value in record.items():
            types = props[field]["type"]
            types = types if isinstance(types, list) else [types]
            if value is None:
                assert "null" in types, f"{name}.{field} is null"
                continue
            base = next(t for t in types if t != "null")
            fmt = props[field].get("format")
            if fmt == "date-time":
                assert isinstance(value, datetime)
                assert value.tzinfo is UTC
                assert value.microsecond == 0
            elif fmt == "date":
                assert type(value) is date
            else:
                assert type(value) is PY_TYPES[base], f"{name}.{field}: {value!r}"
            if "enum" in props[field]:
                assert value in props[field]["enum"]
            if "maxLength" in props[field]:
                assert len(value) <= props[field]["maxLength"]


def test_ids_are_zuora_ids_and_unique(world: World) -> None:
    ids = [r["Id"] for name in OBJECTS for r in world.records(name)]
    assert all(ZUORA_ID.match(i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_crm_ids_are_salesforce_account_ids(world: World) -> None:
    crm_ids = [r["CrmId"] for r in world.records("Account") if r["CrmId"] is not None]
    assert len(crm_ids) > 20
    for crm_id in crm_ids:
        assert CRM_ID.match(crm_id)
        assert crm_id[15:] == salesforce_suffix(crm_id[:15])


def test_salesforce_suffix_encodes_upper_case_positions() -> None:
    # Worked by hand: "001A0" has an upper-case letter at position 3 (8 -> I), "00000" none
    # (A), "6Vm9r" one at position 1 (2 -> C).
    assert salesforce_suffix("001A0000006Vm9r") == "IAC"


def test_references_point_at_existing_records(world: World) -> None:
    ids = {name: {r["Id"] for r in world.records(name)} for name in OBJECTS}
    links = [
        ("Contact", "AccountId", "Account"),
        ("Account", "BillToId", "Contact"),
        ("Account", "SoldToId", "Contact"),
        ("Subscription", "AccountId", "Account"),
        ("RatePlan", "SubscriptionId", "Subscription"),
        ("RatePlan", "ProductRatePlanId", "ProductRatePlan"),
        ("RatePlanCharge", "RatePlanId", "RatePlan"),
        ("RatePlanCharge", "ProductRatePlanChargeId", "ProductRatePlanCharge"),
        ("Invoice", "AccountId", "Account"),
        ("ProductRatePlan", "ProductId", "Product"),
        ("ProductRatePlanCharge", "ProductRatePlanId", "ProductRatePlan"),
        ("Amendment", "SubscriptionId", "Subscription"),
        ("InvoiceItem", "InvoiceId", "Invoice"),
        ("InvoiceItem", "SubscriptionId", "Subscription"),
        ("InvoiceItem", "RatePlanChargeId", "RatePlanCharge"),
        ("Payment", "AccountId", "Account"),
        ("InvoicePayment", "InvoiceId", "Invoice"),
        ("InvoicePayment", "PaymentId", "Payment"),
        ("Refund", "AccountId", "Account"),
        ("Subscription", "OriginalId", "Subscription"),
    ]
    for source, field, target in links:
        for record in world.records(source):
            assert record[field] in ids[target], f"{source}.{field} -> {target}"


def test_bill_to_contact_belongs_to_the_account(world: World) -> None:
    contacts = {c["Id"]: c for c in world.records("Contact")}
    for account in world.records("Account"):
        assert contacts[account["BillToId"]]["AccountId"] == account["Id"]


def test_every_record_was_created_before_it_was_updated_and_before_now(world: World) -> None:
    assert world.now == datetime(2025, 1, 1, tzinfo=UTC)
    for name in OBJECTS:
        for record in world.records(name):
            assert record["CreatedDate"] <= record["UpdatedDate"] < world.now


def test_records_returns_copies(world: World) -> None:
    world.records("Account")[0]["Name"] = "changed"
    assert world.records("Account")[0]["Name"] != "changed"


def test_mutate_reports_exactly_the_records_updated_after_the_old_clock() -> None:
    world = World.generate(seed=42)
    before = {name: {r["Id"] for r in world.records(name)} for name in OBJECTS}
    old = world.now
    at = old + timedelta(hours=6)
    result = world.mutate(at, creates=3, updates=4)
    assert world.now == at
    assert sorted(result) == OBJECTS
    for name in OBJECTS:
        moved = {r["Id"] for r in world.records(name) if r["UpdatedDate"] > old}
        created, updated = set(result[name]["created"]), set(result[name]["updated"])
        assert moved == created | updated
        assert created.isdisjoint(before[name])
        assert updated <= before[name]
        for record in world.records(name):
            if record["Id"] in moved:
                assert old < record["UpdatedDate"] <= at
    assert len(result["Account"]["created"]) == 3
    assert sum(len(result[name]["updated"]) for name in OBJECTS) == 4


def test_mutate_deletes_records_nothing_points_at_and_keeps_tombstones() -> None:
    world = World.generate(seed=42)
    old = world.now
    result = world.mutate(creates=0, updates=6)
    deleted = {(name, i) for name in OBJECTS for i in result[name]["deleted"]}
    assert len(deleted) == 2
    tombstones = world._zuora.deleted
    for name, record_id in deleted:
        assert record_id not in {r["Id"] for r in world.records(name)}
        assert record_id not in result[name]["updated"]
        assert old < tombstones[name][record_id]["UpdatedDate"] <= world.now


def test_every_amendment_makes_the_next_version_and_expires_the_previous(world: World) -> None:
    subscriptions = {r["Id"]: r for r in world.records("Subscription")}
    amendments = world.records("Amendment")
    assert Counter(a["Type"] for a in amendments) == {"Renewal": 12, "UpdateProduct": 5}
    for amendment in amendments:
        new = subscriptions[amendment["SubscriptionId"]]
        old = subscriptions[new["PreviousSubscriptionId"]]
        assert new["Version"] == old["Version"] + 1
        assert old["Name"] == new["Name"] and new["OriginalId"] == old["OriginalId"]
        assert old["Status"] == "Expired" and not old["IsLatestVersion"]
        if amendment["Type"] == "Renewal":
            assert new["TermStartDate"] == old["TermEndDate"] == amendment["EffectiveDate"]
            assert new["TermEndDate"] == add_months(old["TermEndDate"], 12)
        else:
            assert new["TermStartDate"] == old["TermStartDate"] < amendment["EffectiveDate"]
            assert amendment["EffectiveDate"] < new["TermEndDate"] == old["TermEndDate"]


def test_invoice_amounts_are_the_sum_of_their_items_plus_tax(world: World) -> None:
    totals: dict[str, Decimal] = {}
    for item in world.records("InvoiceItem"):
        totals[item["InvoiceId"]] = totals.get(item["InvoiceId"], Decimal(0)) + item["ChargeAmount"]
    for invoice in world.records("Invoice"):
        assert invoice["AmountWithoutTax"] == totals.get(invoice["Id"], Decimal(0))
        assert invoice["Amount"] == invoice["AmountWithoutTax"] + invoice["TaxAmount"]


def test_new_accounts_come_with_contacts_and_subscriptions() -> None:
    world = World.generate(seed=42)
    result = world.mutate(creates=2, updates=0)
    new_accounts = set(result["Account"]["created"])
    subscriptions = [r for r in world.records("Subscription") if r["AccountId"] in new_accounts]
    contacts = [r for r in world.records("Contact") if r["AccountId"] in new_accounts]
    assert {r["Id"] for r in subscriptions} == set(result["Subscription"]["created"])
    assert {r["Id"] for r in contacts} == set(result["Contact"]["created"])
    assert len(subscriptions) == 2


def test_mutate_defaults_to_one_day_later() -> None:
    world = World.generate(seed=42)
    world.mutate()
    assert world.now == datetime(2025, 1, 2, tzinfo=UTC)


def test_mutate_is_deterministic() -> None:
    first, second = World.generate(seed=3), World.generate(seed=3)
    for world in (first, second):
        world.mutate(creates=2, updates=6)
        world.mutate(datetime(2025, 1, 5, tzinfo=UTC), creates=1, updates=3)
    assert all_records(first) == all_records(second)


def test_mutate_refuses_a_time_not_after_the_clock() -> None:
    world = World.generate(seed=42)
    with pytest.raises(ValueError, match="is not after the clock"):
        world.mutate(world.now)
    with pytest.raises(ValueError, match="needs an aware datetime"):
        world.mutate(datetime(2025, 2, 1))  # noqa: DTZ001 - the naive value is the point
