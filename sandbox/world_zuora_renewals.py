"""The mutate step's renewals: terms that end while the clock moves, and late manual renewals.

When a mutation moves the clock from ``old`` to ``new``, every termed subscription whose term
ends in between is due, as in the generated history: with AutoRenew it renews on its term end
day; without, it is renewed by hand about half the time. A subscription that lapsed less than
``LATE_DAYS`` before the old clock (without AutoRenew) is sometimes renewed late, within
``LATE_DAYS`` of its term end: the new term still starts at the old term end, as Zuora's
renewal does, so its ARR shows no gap once it is booked.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

from bizops_sandbox.world_zuora_versions import MANUAL_RENEWAL_SHARE, Chain, Version, renew

if TYPE_CHECKING:
    from bizops_sandbox.world_zuora import ZuoraBuilder

LATE_DAYS = 30
LATE_RENEWAL_SHARE = 0.2  # of the lapsed subscriptions, at each mutation
_HOURS = timedelta(hours=6)


def renew_due(
    builder: ZuoraBuilder, old: datetime, new: datetime, result: dict[str, dict[str, list[str]]]
) -> None:
    """Renew (or let lapse) the subscriptions due in ``(old, new]``, and renew some lapsed
    ones late, at instants in ``(old, new]``; adds what it made and touched to ``result``."""
    rng, tables = builder.rng, builder.state.tables
    chosen: list[tuple[str, datetime]] = []
    for sub_id, sub in tables["Subscription"].items():
        end = sub["TermEndDate"]
        if not sub["IsLatestVersion"] or sub["Status"] != "Active" or end is None:
            continue
        if old.date() < end <= new.date():
            # the term end's midnight is after ``old``: renewed on the day (AutoRenew, in its
            # first hours) or by hand before it
            midnight = datetime.combine(end, time(0), UTC)
            if sub["AutoRenew"]:
                chosen.append((sub_id, _between(builder, midnight, min(new, midnight + _HOURS))))
            elif rng.random() < MANUAL_RENEWAL_SHARE:
                chosen.append((sub_id, _between(builder, old, midnight)))
        elif not sub["AutoRenew"] and old.date() - timedelta(LATE_DAYS) < end <= old.date():
            if rng.random() < LATE_RENEWAL_SHARE:
                latest = datetime.combine(end + timedelta(LATE_DAYS), time(0), UTC)
                chosen.append((sub_id, _between(builder, old, min(new, latest))))
    plans = _plan_charges(builder, {sub_id for sub_id, _ in chosen})
    for sub_id, at in chosen:
        made: dict[str, list[str]] = {name: [] for name in tables}
        renew(builder, Chain([Version(sub_id, at.date(), [])], plans.get(sub_id, {})), at, made)
        for obj, ids in made.items():
            result[obj]["created"].extend(ids)
        if sub_id not in result["Subscription"]["updated"]:
            result["Subscription"]["updated"].append(sub_id)


def _between(builder: ZuoraBuilder, start: datetime, end: datetime) -> datetime:
    """A whole-second instant in ``(start, end]`` (``end`` when they are one second apart)."""
    span = int((end - start).total_seconds())
    return end if span <= 1 else start + timedelta(seconds=builder.rng.randint(1, span))


def _plan_charges(builder: ZuoraBuilder, sub_ids: set[str]) -> dict[str, dict[str, list[str]]]:
    """The rate plans of each of ``sub_ids`` with their charges, in creation order (one pass
    over the plans and one over the charges)."""
    tables = builder.state.tables
    owner: dict[str, str] = {}
    out: dict[str, dict[str, list[str]]] = {}
    for plan_id, plan in tables["RatePlan"].items():
        if plan["SubscriptionId"] in sub_ids:
            owner[plan_id] = plan["SubscriptionId"]
            out.setdefault(plan["SubscriptionId"], {})[plan_id] = []
    for charge_id, charge in tables["RatePlanCharge"].items():
        sub_id = owner.get(charge["RatePlanId"])
        if sub_id is not None:
            out[sub_id][charge["RatePlanId"]].append(charge_id)
    return out
