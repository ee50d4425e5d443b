"""New versions of a Zuora subscription: mid-term amendments and term renewals.

Zuora never edits a subscription in place: an amendment (``UpdateProduct``, ``Renewal``)
makes a new version (same ``Name``, ``Version`` + 1, ``PreviousSubscriptionId``) holding a
copy of every rate plan and charge, and the old version reads ``Expired`` with
``IsLatestVersion`` false. A renewal starts a new term at the old term's end
(``TermStartDate`` = old ``TermEndDate``, ``TermEndDate`` + ``RenewalTerm`` months) and
extends the last segment of every recurring charge to the new term end; a renewal that
changes the seats instead ends that segment at the old term end and starts a new segment
with the new quantity (Zuora's charge segments). A termed subscription that reaches its term
end without a renewal stays ``Active`` ("out of term", as Zuora shows it) and is no longer
invoiced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bizops_sandbox.world_zuora import ZuoraBuilder

Made = dict[str, list[str]]
CENT = Decimal("0.01")
PERIOD_MONTHS = {"Month": 1, "Quarter": 3, "Annual": 12}
# A subscription without AutoRenew is renewed by hand about half the time; the rest lapse.
MANUAL_RENEWAL_SHARE = 0.5
# About this share of renewals change the seats of the main plan (two up for one down).
RENEWAL_CHANGE_SHARE = 0.3
# A manual renewal is booked up to this many days before the term end.
MANUAL_LEAD_DAYS = 45
_AUDIT = frozenset({"Id", "CreatedById", "CreatedDate", "UpdatedById", "UpdatedDate"})


@dataclass
class Version:
    """One version of a subscription: its id, when it took effect and its charges."""

    subscription_id: str
    effective: date
    charges: list[str]


@dataclass
class Chain:
    """The versions of one subscription so far, and its latest version's rate plans (each
    with its charges, looked up, never scanned: scanning the tables made the large world
    quadratic)."""

    versions: list[Version]
    plan_charges: dict[str, list[str]]

    @property
    def latest(self) -> str:
        """The id of the latest version."""
        return self.versions[-1].subscription_id


def run_terms(
    b: ZuoraBuilder,
    chain: Chain,
    until: datetime,
    cancel_date: date | None,
    amend_at: datetime | None,
    made: Made,
) -> None:
    """History mode: play a subscription's terms up to ``until``: the mid-term amendment (at
    ``amend_at``, when it falls inside a term the subscription reached) and, at every term end
    on or before ``until``, a renewal or a lapse. A subscription cancelled at ``cancel_date``
    renews until the term in which it is cancelled; draws are made term by term, in order."""
    tables = b.state.tables
    while True:
        sub = tables["Subscription"][chain.latest]
        start, end = sub["TermStartDate"], sub["TermEndDate"]
        if amend_at is not None and (end is None or amend_at.date() < end):
            if start < amend_at.date():
                amend(b, chain, amend_at, made)
            amend_at = None
        if end is None or end > until.date() or (cancel_date and cancel_date <= end):
            return
        booked = renewal_booking(b, chain, end, sub["AutoRenew"], cancel_date is not None)
        if booked is None:
            return
        renew(b, chain, booked, made)


def renewal_booking(
    b: ZuoraBuilder, chain: Chain, end: date, auto: bool, must: bool = False
) -> datetime | None:
    """When the renewal of the term ending ``end`` is booked, or None when it lapses.

    AutoRenew: Zuora renews on the term end day itself. Otherwise the customer renews by hand
    (``MANUAL_RENEWAL_SHARE``, or always when ``must``), booked up to ``MANUAL_LEAD_DAYS``
    before the term end but never before the latest version was made."""
    midnight = datetime.combine(end, time(0), UTC)
    if auto:
        return midnight + timedelta(seconds=b.rng.randrange(6 * 3600))
    if not must and b.rng.random() >= MANUAL_RENEWAL_SHARE:
        return None
    booked = midnight - timedelta(seconds=b.rng.randrange(1, MANUAL_LEAD_DAYS * 86400))
    previous = b.state.tables["Subscription"][chain.latest]["CreatedDate"]
    return max(booked, previous + timedelta(seconds=1))


def renew(b: ZuoraBuilder, chain: Chain, at: datetime, made: Made) -> str:
    """Renew the latest version for its ``RenewalTerm`` (a ``Renewal`` amendment booked at
    ``at``); some renewals change the main plan's seats. Returns the new version's id."""
    tables = b.state.tables
    old = tables["Subscription"][chain.latest]
    term_start = old["TermEndDate"]
    term_end = add_months(term_start, old["RenewalTerm"])
    change = b.rng.random() < RENEWAL_CHANGE_SHARE
    factor = Decimal(b.rng.randint(10, 40) if b.rng.random() < 2 / 3 else -b.rng.randint(10, 50))
    new_id = _new_version(b, chain, at, made, TermStartDate=term_start, TermEndDate=term_end,
                          SubscriptionEndDate=term_end)  # fmt: skip
    description = f"Renewed for {old['RenewalTerm']} months"
    if change:
        description += f", seats {'+' if factor > 0 else ''}{factor}%"
    _amendment(b, new_id, "Renewal", "Renewal", term_start, at, description, made)

    def copy(charge, index, plan_id):
        extend = charge["IsLastSegment"] and charge["EffectiveEndDate"] == term_start
        if not extend or charge["ChargeType"] != "Recurring":
            return [_copy(b, charge, plan_id, at, new_version=old["Version"] + 1)]
        if change and index == 0 and charge["ChargeModel"] == "Per Unit Pricing":
            seats = max(Decimal(1), (charge["Quantity"] * (100 + factor) / 100).to_integral())
            return _split(b, charge, plan_id, at, term_start, seats, term_end)
        return [_copy(b, charge, plan_id, at, EffectiveEndDate=term_end,
                      new_version=old["Version"] + 1)]  # fmt: skip

    _copy_plans(b, chain, new_id, at, None, copy, made)
    chain.versions[-1].effective = term_start
    return new_id


def amend(b: ZuoraBuilder, chain: Chain, at: datetime, made: Made) -> str:
    """More seats on the main plan from ``at`` (an ``UpdateProduct`` amendment): the last
    segment of each per-unit charge ends at ``at`` and a new one starts there."""
    old_version = b.state.tables["Subscription"][chain.latest]["Version"]
    new_id = _new_version(b, chain, at, made)
    amendment_id = _amendment(
        b, new_id, "Add seats", "UpdateProduct", at.date(), at, "Seats added mid-term", made
    )

    def copy(charge, index, plan_id):
        if index == 0 and charge["IsLastSegment"] and charge["ChargeModel"] == "Per Unit Pricing":
            seats = charge["Quantity"] + b.rng.randint(5, 50)
            return _split(b, charge, plan_id, at, at.date(), seats, charge["EffectiveEndDate"])
        return [_copy(b, charge, plan_id, at, new_version=old_version + 1)]

    _copy_plans(b, chain, new_id, at, amendment_id, copy, made)
    return new_id


def _new_version(b: ZuoraBuilder, chain: Chain, at: datetime, made: Made, **changes) -> str:
    tables = b.state.tables
    old_id = chain.latest
    old = tables["Subscription"][old_id]
    fields = {k: v for k, v in old.items() if k not in _AUDIT}
    fields.update(changes, Version=old["Version"] + 1, PreviousSubscriptionId=old_id,
                  IsLatestVersion=True, Status="Active")  # fmt: skip
    new_id = b.insert("Subscription", fields, at, at)
    b.touch("Subscription", old_id, at, Status="Expired", IsLatestVersion=False)
    made["Subscription"].append(new_id)
    chain.versions.append(Version(new_id, at.date(), []))
    return new_id


def _amendment(b, new_id, name, kind, effective: date, at: datetime, description, made) -> str:
    amendment_id = b.insert("Amendment", {
        "Code": f"A-AM{b.state.next_number('amendment'):08d}", "Name": name, "Type": kind,
        "Status": "Completed", "SubscriptionId": new_id, "EffectiveDate": effective,
        "ContractEffectiveDate": effective, "Description": description,
        "BookingDate": at.date(),
    }, at, at)  # fmt: skip
    made["Amendment"].append(amendment_id)
    return amendment_id


def _copy_plans(b: ZuoraBuilder, chain: Chain, new_id, at, amendment_id, copy, made) -> None:
    """Copy every rate plan of the previous version into ``new_id``; ``copy(charge, index,
    plan_id)`` makes each charge's copies (index 0 is the main plan)."""
    tables = b.state.tables
    plan_charges: dict[str, list[str]] = {}
    version = chain.versions[-1]
    for index, (old_plan_id, old_charges) in enumerate(chain.plan_charges.items()):
        plan_fields = {k: v for k, v in tables["RatePlan"][old_plan_id].items() if k not in _AUDIT}
        plan_fields.update(SubscriptionId=new_id)
        if amendment_id is not None and index == 0:
            plan_fields.update(AmendmentId=amendment_id, AmendmentType="UpdateProduct")
        plan_id = b.insert("RatePlan", plan_fields, at, at)
        made["RatePlan"].append(plan_id)
        plan_charges[plan_id] = []
        for charge_id in old_charges:
            plan_charges[plan_id].extend(copy(tables["RatePlanCharge"][charge_id], index, plan_id))
        version.charges.extend(plan_charges[plan_id])
    made["RatePlanCharge"].extend(version.charges)
    chain.plan_charges = plan_charges


def _copy(b: ZuoraBuilder, charge, plan_id: str, at: datetime, *, new_version: int, **changes):
    fields = {k: v for k, v in charge.items() if k not in _AUDIT}
    fields.update(changes, RatePlanId=plan_id, Version=new_version)
    return b.insert("RatePlanCharge", fields, at, at)


def _split(b, charge, plan_id, at: datetime, day: date, seats: Decimal, end: date | None):
    """The copy of ``charge`` ending at ``day`` and a new last segment ``[day, end)`` with
    ``seats`` (its DMRC/DTCV are the change)."""
    version = b.state.tables["Subscription"][b.state.tables["RatePlan"][plan_id]["SubscriptionId"]][
        "Version"
    ]
    first = _copy(b, charge, plan_id, at, new_version=version, EffectiveEndDate=day,
                  IsLastSegment=False)  # fmt: skip
    product_charge = b.state.tables["ProductRatePlanCharge"][charge["ProductRatePlanChargeId"]]
    mrr, tcv = charge_value(product_charge, b.state.list_prices[product_charge["Id"]], seats)
    second = _copy(b, charge, plan_id, at, new_version=version, Quantity=seats, MRR=mrr, TCV=tcv,
                   DMRC=mrr - charge["MRR"], DTCV=tcv - charge["TCV"], EffectiveStartDate=day,
                   EffectiveEndDate=end, Segment=charge["Segment"] + 1)  # fmt: skip
    return [first, second]


def charge_value(charge: dict[str, Any], price: Decimal, quantity: Decimal):
    """(MRR, TCV) of a subscription charge over a 12-month term."""
    if charge["ChargeType"] != "Recurring":
        return Decimal("0.00"), (price * quantity).quantize(CENT)
    mrr = (price * quantity / PERIOD_MONTHS[charge["BillingPeriod"]]).quantize(CENT)
    return mrr, (mrr * 12).quantize(CENT)


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (day of month capped at 28)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, 28))
