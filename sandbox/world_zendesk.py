"""The Zendesk side of the world: organizations, users, tickets, ticket metrics, ticket metric
events and satisfaction ratings of the customers, as of the world clock.

Derived from the world's Salesforce records, so the customer id joins: an organization per
customer Account (``external_id`` = the Salesforce Account Id), an end user per contact of a
customer (same email, ``external_id`` = the Contact Id). Each contact's tickets follow a plan
drawn from its own RNG (:mod:`bizops_sandbox.world_zendesk_plan`) that runs past the clock, so a
mutate (which moves the clock) creates tickets, changes their status, rates and deletes them;
Salesforce mutations create and update organizations and users. Views are cached per world and
clock (records only change when the clock moves).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bizops_sandbox.world import HISTORY_START, World
from bizops_sandbox.world_zendesk_plan import TicketPlan, plan_tickets

Record = dict[str, Any]
ORG_BASE = 360_000_000  # organization id = ORG_BASE + the Account's number in the world
USER_BASE = 370_000_000  # user id = USER_BASE + the Contact's number in the world
RATING_BASE = 380_000_000  # satisfaction rating id = RATING_BASE + ticket id
AGENTS = ("Robin Support", "Sam Helpdesk", "Kim Care", "Alex Desk", "Jo Service", "Lee Assist")
AGENT_BASE = 900  # agent ids: 901, 902, ...
STREAMS = ("organizations", "users", "tickets", "ticket_metrics", "ticket_metric_events",
           "satisfaction_ratings")  # fmt: skip


def epoch(moment: datetime) -> int:
    """Whole epoch seconds of an aware instant."""
    return int(moment.timestamp())


@dataclass
class _Cache:
    plans: dict[str, list[TicketPlan]] = field(default_factory=dict)  # by Contact Id
    views: dict[datetime, dict[str, list[Record]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_CACHES: weakref.WeakKeyDictionary[World, _Cache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def views(world: World) -> dict[str, list[Record]]:
    """Every Zendesk stream's records as of the world clock, ordered by id (cached: do not
    change them)."""
    with _CACHES_LOCK:
        cache = _CACHES.setdefault(world, _Cache())
    with cache.lock:
        now = world.now
        if now not in cache.views:
            cache.views = {now: _build(world, now, cache.plans)}
        return cache.views[now]


def agent_ids() -> tuple[int, ...]:
    """The support agents' user ids."""
    return tuple(AGENT_BASE + n for n in range(1, len(AGENTS) + 1))


def _build(world: World, now: datetime, plans: dict[str, list[TicketPlan]]) -> dict[str, Any]:
    accounts = world.records("Account", source="salesforce")
    account_no = {a["Id"]: n for n, a in enumerate(accounts, 1)}
    customers = {a["Id"]: a for a in accounts if a["Zuora_Account_Number__c"] is not None}
    orgs = [_organization(account_no[i], a) for i, a in customers.items()]
    users = [_agent(n, name) for n, name in enumerate(AGENTS, 1)]
    tickets: list[TicketPlan] = []
    for number, contact in enumerate(world.records("Contact", source="salesforce"), 1):
        account = customers.get(contact["AccountId"])
        if account is None or contact["IsDeleted"]:
            continue
        org_id = ORG_BASE + account_no[account["Id"]]
        users.append(_user(number, contact, org_id))
        if contact["Id"] not in plans:
            plans[contact["Id"]] = plan_tickets(
                world.seed, contact["Id"], number, USER_BASE + number, org_id,
                contact["CreatedDate"], agent_ids(),
            )  # fmt: skip
        tickets.extend(p for p in plans[contact["Id"]] if p.created <= now)
    tickets.sort(key=lambda p: p.id)
    states = [_ticket(p, now) for p in tickets]
    return {
        "organizations": orgs,
        "users": users,
        "tickets": states,
        "ticket_metrics": [_metrics(p, now) for p in tickets if _alive(p, now)],
        "ticket_metric_events": sorted(
            (e for p in tickets for e in _metric_events(p, now)), key=lambda e: e["id"]
        ),
        "satisfaction_ratings": [r for p in tickets if (r := _rating(p, now)) is not None],
    }


def _organization(number: int, account: Record) -> Record:
    website = account["Website"] or ""
    domain = website.removeprefix("https://").removeprefix("www.").strip("/")
    return {
        "id": ORG_BASE + number, "name": account["Name"], "external_id": account["Id"],
        "domain_names": [domain] if domain else [], "details": account["BillingCity"],
        "notes": None, "group_id": None, "shared_tickets": False, "shared_comments": False,
        "tags": [account["Industry"].lower()] if account["Industry"] else [],
        "created_at": account["CreatedDate"], "updated_at": account["LastModifiedDate"],
    }  # fmt: skip


def _agent(number: int, name: str) -> Record:
    email = name.lower().replace(" ", ".") + "@support.bizops.example"
    return {
        "id": AGENT_BASE + number, "name": name, "email": email, "role": "agent",
        "organization_id": None, "external_id": None, "phone": None, "active": True,
        "time_zone": "UTC", "created_at": HISTORY_START, "updated_at": HISTORY_START,
    }  # fmt: skip


def _user(number: int, contact: Record, org_id: int) -> Record:
    return {
        "id": USER_BASE + number, "name": contact["Name"], "email": contact["Email"],
        "role": "end-user", "organization_id": org_id, "external_id": contact["Id"],
        "phone": contact["Phone"], "active": True, "time_zone": "UTC",
        "created_at": contact["CreatedDate"], "updated_at": contact["LastModifiedDate"],
    }  # fmt: skip


def _past(plan: TicketPlan, now: datetime) -> list[Any]:
    return [s for s in plan.steps if s.at <= now]


def _alive(plan: TicketPlan, now: datetime) -> bool:
    return _past(plan, now)[-1].status != "deleted"


def _rating_moments(plan: TicketPlan, now: datetime) -> list[datetime]:
    rating = plan.rating
    if rating is None:
        return []
    return [t for t in (rating.at, rating.changed_at) if t is not None and t <= now]


def _ticket(plan: TicketPlan, now: datetime) -> Record:
    past = _past(plan, now)
    last = past[-1]
    updated = max([last.at, *_rating_moments(plan, now)])
    rating = _rating(plan, now)
    return {
        "id": plan.id, "external_id": None, "type": plan.type, "subject": plan.subject,
        "priority": plan.priority, "status": last.status, "requester_id": plan.requester_id,
        "submitter_id": plan.requester_id, "assignee_id": last.assignee,
        "organization_id": plan.organization_id, "group_id": plan.group_id,
        "tags": [plan.type, plan.channel], "via": {"channel": plan.channel},
        "satisfaction_rating": {"score": rating["score"] if rating else "unoffered"},
        "created_at": plan.created, "updated_at": updated,
        "generated_timestamp": epoch(updated),
    }  # fmt: skip


def _minutes(start: datetime, end: datetime | None) -> dict[str, int | None]:
    # The sandbox's support schedule is round the clock: business time equals calendar time.
    value = None if end is None else int((end - start).total_seconds() // 60)
    return {"calendar": value, "business": value}


def _metrics(plan: TicketPlan, now: datetime) -> Record:
    past = _past(plan, now)
    created = plan.created
    replies = [s.at for s in past if s.replied]
    solved = [s.at for s in past if s.status == "solved"]
    assigned = [s.at for s in past if s.assignee is not None]
    done = past[-1].status in ("solved", "closed")
    return {
        "id": plan.id, "ticket_id": plan.id, "created_at": created, "updated_at": past[-1].at,
        "group_stations": 1, "assignee_stations": 1 if assigned else 0,
        "reopens": max(len(solved) - 1, 0) + (1 if solved and not done else 0),
        "replies": len(replies),
        "initially_assigned_at": assigned[0] if assigned else None,
        "assigned_at": assigned[-1] if assigned else None,
        "solved_at": solved[-1] if solved and done else None,
        "status_updated_at": past[-1].at,
        "reply_time_in_minutes": _minutes(created, replies[0] if replies else None),
        "first_resolution_time_in_minutes": _minutes(created, solved[0] if solved else None),
        "full_resolution_time_in_minutes": _minutes(created, solved[-1] if done else None),
    }  # fmt: skip


# (status reached, [(metric, event type)]) of the ticket metric events each step records.
_EVENTS = {
    "new": (("reply_time", "activate"), ("agent_work_time", "activate"),
            ("requester_wait_time", "activate")),
    "pending": (("agent_work_time", "pause"), ("requester_wait_time", "pause")),
    "open": (("agent_work_time", "activate"), ("requester_wait_time", "activate")),
    "solved": (("agent_work_time", "fulfill"), ("requester_wait_time", "fulfill")),
    "deleted": (), "closed": (),
}  # fmt: skip


def _metric_events(plan: TicketPlan, now: datetime) -> list[Record]:
    events: list[Record] = []
    instance = 1
    for step in _past(plan, now):
        pairs = list(_EVENTS[step.status])
        if (
            step.status == "open"
            and step.replied
            and not any(e["metric"] == "reply_time" and e["type"] == "fulfill" for e in events)
        ):
            pairs = [("reply_time", "fulfill")]  # the first reply: the agent starts working
        if step.status == "open" and events and events[-1]["type"] == "fulfill":
            instance += 1  # a reopened ticket measures a new instance
        for metric, kind in pairs:
            events.append({
                "id": plan.id * 100 + len(events) + 1, "ticket_id": plan.id, "metric": metric,
                "instance_id": instance, "type": kind, "time": step.at,
            })  # fmt: skip
    return events


def _rating(plan: TicketPlan, now: datetime) -> Record | None:
    rating = plan.rating
    if rating is None or rating.at > now or not _alive(plan, now):
        return None
    changed = rating.changed_at is not None and rating.changed_at <= now
    return {
        "id": RATING_BASE + plan.id, "ticket_id": plan.id, "requester_id": plan.requester_id,
        "assignee_id": plan.steps[-1].assignee, "group_id": plan.group_id,
        "score": rating.changed_score if changed else rating.score, "comment": rating.comment,
        "created_at": rating.at, "updated_at": rating.changed_at if changed else rating.at,
    }  # fmt: skip


def counts(world: World) -> dict[str, int]:
    """How many records each Zendesk stream holds as of the clock."""
    return {name: len(records) for name, records in views(world).items()}


def at_utc(value: int) -> datetime:
    """The aware UTC instant of epoch seconds ``value``."""
    return datetime.fromtimestamp(value, UTC)
