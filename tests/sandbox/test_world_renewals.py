"""The world's subscriptions renew or lapse at their term ends, as Zuora records it."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from itertools import pairwise

import pytest

from bizops_sandbox.world import World
from bizops_sandbox.world_zuora_versions import add_months


@pytest.fixture(scope="module")
def world() -> World:
    return World.generate(seed=42, size="small")


def _charges_by_subscription(world: World) -> dict[str, list[dict]]:
    plans = {p["Id"]: p["SubscriptionId"] for p in world.records("RatePlan")}
    out: dict[str, list[dict]] = {}
    for charge in world.records("RatePlanCharge"):
        out.setdefault(plans[charge["RatePlanId"]], []).append(charge)
    return out


def _latest(world: World) -> dict[str, dict]:
    return {s["Name"]: s for s in world.records("Subscription") if s["IsLatestVersion"]}


def test_a_renewal_extends_each_recurring_charge_in_contiguous_segments(world: World) -> None:
    subscriptions = {s["Id"]: s for s in world.records("Subscription")}
    charges = _charges_by_subscription(world)
    renewals = [a for a in world.records("Amendment") if a["Type"] == "Renewal"]
    assert len(renewals) == 12
    for renewal in renewals:
        new = subscriptions[renewal["SubscriptionId"]]
        segments: dict[str, list[dict]] = {}
        for charge in charges[new["Id"]]:
            if charge["ChargeType"] == "Recurring":
                segments.setdefault(charge["ChargeNumber"], []).append(charge)
        assert segments
        for chain in segments.values():
            chain.sort(key=lambda c: c["Segment"])
            assert [c["Segment"] for c in chain] == list(range(1, len(chain) + 1))
            assert chain[0]["EffectiveStartDate"] <= new["TermStartDate"]
            assert all(a["EffectiveEndDate"] == b["EffectiveStartDate"] for a, b in pairwise(chain))
            assert chain[-1]["EffectiveEndDate"] == new["TermEndDate"]
            assert [c["IsLastSegment"] for c in chain] == [False] * (len(chain) - 1) + [True]


def test_a_renewal_that_changes_the_seats_starts_a_segment_at_the_new_term(world: World) -> None:
    subscriptions = {s["Id"]: s for s in world.records("Subscription")}
    charges = _charges_by_subscription(world)
    changed = [a for a in world.records("Amendment") if a["Description"].startswith(
        "Renewed for 12 months, seats")]  # fmt: skip
    assert len(changed) == 7
    for renewal in changed:
        new = subscriptions[renewal["SubscriptionId"]]
        by_number = {c["ChargeNumber"]: c for c in charges[new["Id"]]
                     if c["EffectiveEndDate"] == new["TermStartDate"]}  # fmt: skip
        starting = [
            c for c in charges[new["Id"]]
            if c["EffectiveStartDate"] == new["TermStartDate"] and c["Segment"] > 1
        ]  # fmt: skip
        assert starting
        for segment in starting:
            before = by_number[segment["ChargeNumber"]]
            assert segment["Quantity"] != before["Quantity"]
            assert segment["DMRC"] == segment["MRR"] - before["MRR"]


def test_a_subscription_out_of_term_stays_active_and_is_billed_only_to_its_term_end(
    world: World,
) -> None:
    now = world.now.date()
    latest = _latest(world)
    out = {n: s for n, s in latest.items()
           if s["Status"] == "Active" and s["TermEndDate"] and s["TermEndDate"] <= now}  # fmt: skip
    # the generated history always renews AutoRenew (unless cancelled): only manual ones lapse
    assert (len(out), sum(s["AutoRenew"] for s in out.values())) == (7, 0)
    names = {s["Id"]: s["Name"] for s in world.records("Subscription")}
    billed: dict[str, list] = {}
    for item in world.records("InvoiceItem"):
        billed.setdefault(names[item["SubscriptionId"]], []).append(item["ServiceStartDate"])
    assert all(max(billed[n]) < s["TermEndDate"] for n, s in out.items() if n in billed)
    first_end = {}
    for s in world.records("Subscription"):
        if s["TermEndDate"]:
            first_end[s["Name"]] = min(first_end.get(s["Name"], s["TermEndDate"]), s["TermEndDate"])
    renewed = [
        n
        for n, s in latest.items()
        if s["Version"] > 1
        and s["TermStartDate"]
        != (min(v["TermStartDate"] for v in world.records("Subscription") if v["Name"] == n))
    ]
    assert len(renewed) == 11
    assert all(max(billed[n]) >= first_end[n] for n in renewed)


def test_every_term_end_in_the_history_renews_or_lapses() -> None:
    """Medium world: AutoRenew terms always renew (unless cancelled in the term); about half
    of the others are renewed by hand."""
    world = World.generate(seed=42, size="medium")
    until = world.now.date() - timedelta(days=1)
    renewed_from = {s["PreviousSubscriptionId"] for s in world.records("Subscription")}
    amendments = {a["SubscriptionId"]: a["Type"] for a in world.records("Amendment")}
    decided: Counter[tuple[bool, str]] = Counter()
    for sub in world.records("Subscription"):
        end = sub["TermEndDate"]
        if end is None or end > until or (sub["CancelledDate"] and sub["CancelledDate"] <= end):
            continue
        if sub["Id"] in renewed_from:
            successor = next(s for s in world.records("Subscription")
                             if s["PreviousSubscriptionId"] == sub["Id"])  # fmt: skip
            if amendments[successor["Id"]] == "UpdateProduct":
                continue  # a mid-term version: its term end is decided by a later version
            decided[(sub["AutoRenew"], "renewed")] += 1
        else:
            decided[(sub["AutoRenew"], "lapsed")] += 1
    assert decided == Counter({(True, "renewed"): 762, (False, "renewed"): 129,
                               (False, "lapsed"): 136})  # fmt: skip


def test_mutate_renews_the_terms_that_end_while_the_clock_moves() -> None:
    world = World.generate(seed=42, size="medium")
    old = world.now
    before = _latest(world)
    new = old + timedelta(days=40)
    due = {n for n, s in before.items() if s["Status"] == "Active" and s["AutoRenew"]
           and s["TermEndDate"] and old.date() < s["TermEndDate"] <= new.date()}  # fmt: skip
    result = world.mutate_sources(new, creates=0, updates=0, deletes=0)["zuora"]
    after = _latest(world)
    created = {a["Id"]: a for a in world.records("Amendment")}
    renewals = [created[i] for i in result["Amendment"]["created"]]
    assert Counter(a["Type"] for a in renewals) == {"Renewal": 82}
    assert due <= {n for n in after if after[n]["Version"] == before[n]["Version"] + 1}
    for name in due:
        assert after[name]["TermStartDate"] == before[name]["TermEndDate"]
        assert after[name]["TermEndDate"] == add_months(before[name]["TermEndDate"], 12)
        assert before[name]["Id"] in result["Subscription"]["updated"]
    late = [a for a in renewals if a["BookingDate"] > a["EffectiveDate"]]
    assert len(late) == 2
    for renewal in late:  # booked after the term end, the new term still starts there
        assert renewal["BookingDate"] - renewal["EffectiveDate"] <= timedelta(days=30)
    assert all(old < a["CreatedDate"] <= new for a in renewals)
