"""Ground-truth oracle: multi-touch attribution of leads and won IACV, cost per lead and CAC
per channel, from the touches of :mod:`bizops_sandbox.oracle_touches`.

Rules (also in the metric catalog, ``transform/catalog/attribution.yml``):

- Conversions: *lead created* (value 1): a person with a live Salesforce lead, at the
  ``CreatedDate`` of its first lead (by CreatedDate, then Id), placed by its UTC date; its
  touches are the person's touches up to that instant. *Opportunity won* (value IACV: the
  ``ARR__c`` of a live closed-won New Business / Upsell opportunity, none: 0), placed by
  ``CloseDate``; its touches are those of the persons of the live leads converted into it,
  with a UTC date up to the CloseDate. Touches are ordered by time, then touch id.
- Milestones: FT the first touch; LC the last touch at or before the lead creation (of the
  first lead of the conversion's persons); OC the last touch at or before the opportunity's
  ``CreatedDate`` (opportunity won only).
- Weights (metrics.md 1.7): first touch 1 on FT; last touch 1 on the last; lead creation 1 on
  LC (no LC: no credit); linear 1/n; U-shaped 0.4 on FT and on LC, W-shaped 0.3 on FT, LC and
  OC. A milestone's share goes to its touch (coinciding milestones merge); the rest (1 minus
  the present milestones' shares) is split equally over the other touches, or, when there are
  none, equally over the milestone touches (U-shaped n=1 -> 1; n=2 -> 0.5/0.5). Weights of one
  conversion and model sum to 1.
- Metrics per period of the conversion and per channel of the credited touch (and total):
  credited leads = sum of lead weights (4 decimals); credited IACV = sum of weight x IACV
  (2 decimals); cost per lead = channel spend / credited leads and CAC = channel spend /
  credited new customers (won New Business opportunities, value 1), both 4 decimals, null over
  no credit. Channel spend: Marketo program period costs by their start date, the program
  channel mapped (oracle_touches.PROGRAM_CHANNEL). A channel is listed in a period when it has
  spend or credit there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from bizops_sandbox.oracle_periods import Period, live, periods, utc_date
from bizops_sandbox.oracle_sales import INCREMENTAL_TYPES
from bizops_sandbox.oracle_touches import PROGRAM_CHANNEL, Sources, Touch, people, touches

Record = dict[str, Any]
MODELS = ("first_touch", "last_touch", "lead_creation", "linear", "u_shaped", "w_shaped")
# model -> (milestone share, the milestones it weighs)
MILESTONE_MODELS = {
    "u_shaped": (Fraction(2, 5), ("FT", "LC")),
    "w_shaped": (Fraction(3, 10), ("FT", "LC", "OC")),
}


def weights(model: str, n: int, milestones: dict[str, int | None]) -> dict[int, Fraction]:
    """Position (0-based) -> weight of ``model`` over ``n`` ordered touches, given the
    positions of the milestones ``FT``, ``LC``, ``OC`` (None: absent). Empty: no credit.

    Raises:
        ValueError: an unknown model, or a milestone outside the touches.
    """
    if n == 0:
        return {}
    if any(p is not None and not 0 <= p < n for p in milestones.values()):
        raise ValueError(f"a milestone outside the {n} touches: {milestones}")
    if model == "first_touch":
        return {0: Fraction(1)}
    if model == "last_touch":
        return {n - 1: Fraction(1)}
    if model == "lead_creation":
        lc = milestones.get("LC")
        return {} if lc is None else {lc: Fraction(1)}
    if model == "linear":
        return {i: Fraction(1, n) for i in range(n)}
    if model not in MILESTONE_MODELS:
        raise ValueError(f"unknown attribution model {model!r}")
    share, names = MILESTONE_MODELS[model]
    out: dict[int, Fraction] = {}
    for name in names:
        position = milestones.get(name)
        if position is not None:
            out[position] = out.get(position, Fraction(0)) + share
    rest = 1 - sum(out.values(), Fraction(0))
    others = [i for i in range(n) if i not in out] or sorted(out)
    for i in others:
        out[i] = out.get(i, Fraction(0)) + rest / len(others)
    return out


@dataclass(frozen=True)
class Conversion:
    """One conversion: its kind, date, value and ordered touches with milestones."""

    kind: str  # lead_created / opportunity_won
    conversion_id: str
    day: date
    value: Decimal
    is_new_customer: bool
    touches: list[Touch]
    milestones: dict[str, int | None]


def _last_at_or_before(path: list[Touch], moment: datetime | None) -> int | None:
    found = None
    for i, touch in enumerate(path):
        if moment is not None and touch.at <= moment:
            found = i
    return found


def conversions(sources: Sources) -> list[Conversion]:
    """Every lead-created and opportunity-won conversion of the world."""
    who = people(sources)
    by_person = touches(sources, who)
    crm = sources["salesforce"]
    first_lead: dict[str, Record] = {}
    for lead in sorted(live(crm["Lead"]), key=lambda r: (r["CreatedDate"], r["Id"])):
        first_lead.setdefault(who.lead_person[lead["Id"]], lead)
    out = []
    for person, lead in first_lead.items():
        created = lead["CreatedDate"]
        path = [t for t in by_person.get(person, []) if t.at <= _floor(created)]
        marks = {
            "FT": 0 if path else None,
            "LC": _last_at_or_before(path, _floor(created)),
            "OC": None,
        }
        out.append(
            Conversion("lead_created", person, utc_date(created), Decimal(1), False, path, marks)
        )
    persons: dict[str, set[str]] = {}
    for lead in live(crm["Lead"]):
        if lead.get("ConvertedOpportunityId"):
            persons.setdefault(lead["ConvertedOpportunityId"], set()).add(lead["Id"])
    for opp in live(crm["Opportunity"]):
        if not (opp["IsClosed"] and opp["IsWon"] and opp["Type"] in INCREMENTAL_TYPES):
            continue
        members = {who.lead_person[lead_id] for lead_id in persons.get(opp["Id"], set())}
        path = sorted(
            (
                t
                for p in members
                for t in by_person.get(p, [])
                if utc_date(t.at) <= opp["CloseDate"]
            ),
            key=lambda t: (t.at, t.touch_id),
        )
        lead_at = min((first_lead[p]["CreatedDate"] for p in members), default=None)
        marks = {
            "FT": 0 if path else None,
            "LC": _last_at_or_before(path, _floor(lead_at) if lead_at else None),
            "OC": _last_at_or_before(path, _floor(opp["CreatedDate"])),
        }
        value = opp["ARR__c"] if opp["ARR__c"] is not None else Decimal(0)
        out.append(
            Conversion(
                "opportunity_won",
                opp["Id"],
                opp["CloseDate"],
                value,
                opp["Type"] == "New Business",
                path,
                marks,
            )
        )
    return out


def _floor(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


@dataclass(frozen=True)
class Credit:
    """One touch's credit for one conversion under one model."""

    model: str
    conversion: Conversion
    touch: Touch
    weight: Fraction


def credits(sources: Sources) -> list[Credit]:
    """Every (model, conversion, touch) with a weight."""
    out = []
    for conversion in conversions(sources):
        n = len(conversion.touches)
        for model in MODELS:
            for i, weight in weights(model, n, conversion.milestones).items():
                out.append(Credit(model, conversion, conversion.touches[i], weight))
    return out


def channel_spend(programs: Iterable[Record]) -> list[tuple[date, str, Decimal]]:
    """(cost start date, channel, cost) of every Marketo program period cost."""
    out = []
    for program in programs:
        channel = PROGRAM_CHANNEL.get(program.get("channel"), program.get("channel") or "(none)")
        for cost in program.get("costs") or []:
            out.append((cost["startDate"], channel, Decimal(cost["cost"])))
    return out


def _round(value: Fraction, places: int) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _ratio(spend: Decimal, credit: Fraction) -> Decimal | None:
    return None if credit == 0 else _round(Fraction(spend) / credit, 4)


def attribution_rows(
    sources: Sources, first: date, last: date, grain: str, fy_start_month: int = 1
) -> list[tuple[str, Period, str, Decimal | None]]:
    """(metric, period, member: a channel or None for the total, value) of the attribution
    metrics ``attributed_leads_<model>``, ``attributed_iacv_<model>``,
    ``cost_per_attributed_lead_<model>`` and ``attributed_cac_<model>``."""
    chosen = periods(first, last, grain, fy_start_month)
    spend = channel_spend(sources["marketo"]["programs"])
    all_credits = credits(sources)
    out: list[tuple[str, Period, str, Decimal | None]] = []
    for period in chosen:
        spent: dict[str | None, Decimal] = {None: Decimal(0)}
        for day, channel, cost in spend:
            if day in period:
                spent[channel] = spent.get(channel, Decimal(0)) + cost
                spent[None] += cost
        inside = [c for c in all_credits if c.conversion.day in period]
        for model in MODELS:
            leads: dict[str | None, Fraction] = {None: Fraction(0)}
            iacv: dict[str | None, Fraction] = {None: Fraction(0)}
            customers: dict[str | None, Fraction] = {None: Fraction(0)}
            for credit in (c for c in inside if c.model == model):
                for member in (None, credit.touch.channel):
                    if credit.conversion.kind == "lead_created":
                        leads[member] = leads.get(member, Fraction(0)) + credit.weight
                    else:
                        value = credit.weight * Fraction(credit.conversion.value)
                        iacv[member] = iacv.get(member, Fraction(0)) + value
                        if credit.conversion.is_new_customer:
                            customers[member] = customers.get(member, Fraction(0)) + credit.weight
            members = sorted({m for m in (*spent, *leads, *iacv, *customers) if m is not None})
            for member in (None, *members):
                money = spent.get(member, Decimal(0))
                credited = leads.get(member, Fraction(0))
                won = customers.get(member, Fraction(0))
                out.append((f"attributed_leads_{model}", period, member, _round(credited, 4)))
                out.append(
                    (
                        f"attributed_iacv_{model}",
                        period,
                        member,
                        _round(iacv.get(member, Fraction(0)), 2),
                    )
                )
                out.append(
                    (f"cost_per_attributed_lead_{model}", period, member, _ratio(money, credited))
                )
                out.append((f"attributed_cac_{model}", period, member, _ratio(money, won)))
    return out


METRICS = tuple(
    f"{measure}_{model}"
    for measure in (
        "attributed_leads",
        "attributed_iacv",
        "cost_per_attributed_lead",
        "attributed_cac",
    )
    for model in MODELS
)
