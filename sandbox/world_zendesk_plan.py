"""The life of every Zendesk ticket of one customer contact, past and future, as a plan.

A contact's support history is drawn from an RNG seeded by the world's seed and the contact's
Salesforce Id, so it is the same in every world that holds the contact and independent of every
other record. A plan runs past the world clock: moving the clock (a mutate) makes the tickets
due in the new interval appear, change status, get rated or be deleted.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

SUBJECTS = (
    "Cannot log in after password reset", "Invoice does not match our contract",
    "Dashboard shows no data since yesterday", "How do I add a new user?",
    "Export to CSV times out", "Question about renewal pricing", "SSO configuration help",
    "API rate limit reached", "Wrong currency on the invoice", "Feature request: dark mode",
)  # fmt: skip
PRIORITIES = ("low", "normal", "normal", "normal", "high", "urgent")
TYPES = ("question", "question", "incident", "problem", "task")
CHANNELS = ("email", "email", "web", "web", "api", "chat")
GROUPS = (20, 21)  # Support, Billing
# Tickets a contact files: the first a little after it is created (onboarding), then one
# every MEAN_GAP days on average, up to HORIZON after the contact (mutates move the clock
# forward by days; two years of future activity is plenty).
MEAN_GAP_DAYS = 120
HORIZON = timedelta(days=3 * 365)
MAX_TICKETS = 99  # ticket ids are contact number * 100 + ticket number
CLOSE_AFTER = timedelta(days=4)  # a solved ticket closes itself four days later


@dataclass(frozen=True)
class Step:
    """One change of a ticket: at ``at`` its status becomes ``status``.

    Attributes:
        at: when (aware UTC, whole seconds).
        status: new, open, pending, solved, closed or deleted.
        assignee: the agent id after the change (None while new).
        replied: the change is an agent's public reply.
    """

    at: datetime
    status: str
    assignee: int | None
    replied: bool = False


@dataclass(frozen=True)
class Rating:
    """A satisfaction rating: given at ``at``, changed to ``changed_score`` at ``changed_at``."""

    at: datetime
    score: str
    comment: str | None
    changed_at: datetime | None
    changed_score: str | None


@dataclass(frozen=True)
class TicketPlan:
    """Everything that ever happens to one ticket (its steps are in time order; the first is
    its creation, status ``new``)."""

    id: int
    requester_id: int
    organization_id: int
    subject: str
    priority: str
    type: str
    channel: str
    group_id: int
    steps: tuple[Step, ...]
    rating: Rating | None

    @property
    def created(self) -> datetime:
        """When the ticket was created."""
        return self.steps[0].at


def plan_tickets(
    seed: int, contact_id: str, number: int, user_id: int, org_id: int, since: datetime,
    agents: tuple[int, ...],
) -> list[TicketPlan]:  # fmt: skip
    """Every ticket contact number ``number`` (user ``user_id`` of organization ``org_id``)
    files from ``since`` (its creation) on, oldest first."""
    rng = random.Random(f"{seed}:zendesk:{contact_id}")  # noqa: S311 - fake data
    plans: list[TicketPlan] = []
    at = since + timedelta(minutes=rng.randint(5, 180))
    while at < since + HORIZON and len(plans) < MAX_TICKETS:
        ticket_id = number * 100 + len(plans) + 1
        steps = _steps(rng, at, rng.choice(agents))
        plans.append(TicketPlan(
            id=ticket_id, requester_id=user_id, organization_id=org_id,
            subject=rng.choice(SUBJECTS), priority=rng.choice(PRIORITIES),
            type=rng.choice(TYPES), channel=rng.choice(CHANNELS), group_id=rng.choice(GROUPS),
            steps=steps, rating=_rating(rng, steps),
        ))  # fmt: skip
        at += timedelta(seconds=int(rng.expovariate(1 / (MEAN_GAP_DAYS * 86400))) + 60)
    return plans


def _steps(rng: random.Random, created: datetime, agent: int) -> tuple[Step, ...]:
    """New, a first reply (open), maybe waiting on the customer (pending, then open), solved,
    maybe reopened and solved again, closed; 1 in 30 is deleted (spam) a while after it came."""
    steps = [Step(created, "new", None)]
    if rng.random() < 1 / 30:
        steps.append(Step(created + timedelta(minutes=rng.randint(2, 3000)), "deleted", None))
        return tuple(steps)
    at = created + timedelta(minutes=rng.randint(3, 1440))
    steps.append(Step(at, "open", agent, replied=True))
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        at += timedelta(minutes=rng.randint(10, 720))
        steps.append(Step(at, "pending", agent, replied=True))
        at += timedelta(minutes=rng.randint(30, 4320))
        steps.append(Step(at, "open", agent))
    at += timedelta(minutes=rng.randint(20, 7200))
    steps.append(Step(at, "solved", agent, replied=True))
    if rng.random() < 0.1:
        at += timedelta(minutes=rng.randint(60, 2880))
        steps.append(Step(at, "open", agent))
        at += timedelta(minutes=rng.randint(20, 2880))
        steps.append(Step(at, "solved", agent, replied=True))
    steps.append(Step(at + CLOSE_AFTER, "closed", agent))
    return tuple(steps)


def _rating(rng: random.Random, steps: tuple[Step, ...]) -> Rating | None:
    """About a third of solved tickets are rated within two days of their first solution;
    slow ones more often badly; 1 in 10 ratings is changed later."""
    solved = [s.at for s in steps if s.status == "solved"]
    if not solved or rng.random() > 0.35:
        return None
    slow = solved[0] - steps[0].at > timedelta(days=2)
    score = "bad" if rng.random() < (0.4 if slow else 0.1) else "good"
    comment = rng.choice((None, "Thanks!", "Took too long.", "Great help", None))
    at = solved[0] + timedelta(minutes=rng.randint(5, 2880))
    if rng.random() < 0.1:
        changed = at + timedelta(minutes=rng.randint(60, 4320))
        return Rating(at, score, comment, changed, "good" if score == "bad" else "bad")
    return Rating(at, score, comment, None, None)
