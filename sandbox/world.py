"""The world: one seeded, consistent fake company with a clock and a mutate step."""

from __future__ import annotations

import copy
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bizops_sandbox.world_hubspot import HubspotBuilder, HubspotState, build_hubspot
from bizops_sandbox.world_hubspot_mutate import mutate_hubspot
from bizops_sandbox.world_marketo import MarketoState, build_marketo
from bizops_sandbox.world_marketo_mutate import mutate_marketo
from bizops_sandbox.world_salesforce import SalesforceBuilder, SalesforceState
from bizops_sandbox.world_salesforce_accounts import AccountMaker, Customer
from bizops_sandbox.world_salesforce_mutate import mutate_salesforce
from bizops_sandbox.world_zuora import ZuoraBuilder, ZuoraState
from bizops_sandbox.world_zuora_mutate import mutate_zuora
from bizops_sandbox.world_zuora_returns import add_returning_customers

START_CLOCK = datetime(2025, 1, 1, tzinfo=UTC)
HISTORY_START = datetime(2022, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SizeProfile:
    """How big a generated world is.

    Attributes:
        accounts: number of customer accounts generated up front; every other object scales
            with it (about 14 Zuora and 30 Salesforce records per account).
        prospects: Salesforce accounts without a Zuora account (about 10 records each).
    """

    accounts: int
    prospects: int


# Generation is linear in ``accounts``; "large" holds over 1M records (Zuora and Salesforce).
SIZES: dict[str, SizeProfile] = {
    "small": SizeProfile(accounts=30, prospects=12),
    "medium": SizeProfile(accounts=1_000, prospects=400),
    "large": SizeProfile(accounts=12_000, prospects=5_000),
}
SOURCES = ("zuora", "salesforce", "hubspot")

Record = dict[str, Any]
MutationResult = dict[str, dict[str, list[str]]]


class World:
    """A deterministic fake company, shared by every emulator.

    Records are plain dicts of Python values (aware UTC datetimes with whole seconds,
    ``date``, ``Decimal`` for money, ``int``, ``bool``, ``str``, ``None``), keyed by the
    vendor's field names. All access goes through a lock because emulators serve from threads.

    Build one with :meth:`World.generate`; do not call the constructor directly.
    """

    def __init__(
        self, seed: int, size: str, zuora: ZuoraState, salesforce: SalesforceState, now: datetime
    ) -> None:
        self.seed = seed
        self.size = size
        self._zuora = zuora
        self._salesforce = salesforce
        self._now = now
        # Marketo mirrors the Salesforce org (its own RNG: the other sources stay as they were)
        self.marketo: MarketoState = build_marketo(seed, salesforce.tables, now)
        self._mutations = 0
        self._hubspot = HubspotState()  # set by generate (mirrors the Salesforce side)
        self._lock = threading.RLock()

    @classmethod
    def generate(cls, seed: int = 42, size: str = "small") -> World:
        """Generate the world for ``seed`` and ``size``; same arguments, same world.

        Raises:
            ValueError: ``size`` is not one of :data:`SIZES`.
        """
        if size not in SIZES:
            raise ValueError(f"unknown world size {size!r}; expected one of {sorted(SIZES)}")
        profile = SIZES[size]
        rng = random.Random(seed)  # noqa: S311 - fake data, not cryptography
        state = ZuoraState()
        builder = ZuoraBuilder(state, rng)
        builder.build_catalog(HISTORY_START - timedelta(days=180))
        last = START_CLOCK - timedelta(seconds=1)
        span = int((START_CLOCK - timedelta(days=30) - HISTORY_START).total_seconds())
        for _ in range(profile.accounts):
            created = HISTORY_START + timedelta(seconds=rng.randrange(span))
            builder.add_account(created, until=last)
        # Lapsed customers who subscribe again, from an RNG of their own (the accounts above
        # stay as they were without them).
        add_returning_customers(ZuoraBuilder(state, random.Random(f"{seed}:returning")), last)  # noqa: S311
        # Salesforce draws from an RNG of its own, so the Zuora side is the same with or
        # without it.
        crm = SalesforceState()
        maker = AccountMaker(SalesforceBuilder(crm, random.Random(f"{seed}:salesforce")))  # noqa: S311
        org_start = HISTORY_START - timedelta(days=200)
        maker.b.build_org(org_start, 5 + profile.accounts // 100, 4 + profile.accounts // 25, last)
        for customer, created in customers(state, state.tables["Account"]):
            maker.customer(customer, created, last)
        for _ in range(profile.prospects):
            maker.prospect(HISTORY_START + timedelta(seconds=maker.rng.randrange(span)), last)
        world = cls(seed, size, state, crm, START_CLOCK)
        world._hubspot = build_hubspot(crm, random.Random(f"{seed}:hubspot"), last)  # noqa: S311
        return world

    @property
    def now(self) -> datetime:
        """The world clock (aware UTC); every record was created and updated at or before it."""
        with self._lock:
            return self._now

    def objects(self, source: str = "zuora") -> list[str]:
        """The object names the world holds for ``source``."""
        with self._lock:
            return list(self._tables(source))

    def records(self, object_name: str, source: str = "zuora") -> list[Record]:
        """Copies of every record of ``object_name``, in creation order.

        Raises:
            KeyError: the world has no such object.
        """
        with self._lock:
            table = self._tables(source)[object_name]
            return [copy.copy(record) for record in table.values()]

    def deleted(self, object_name: str) -> list[Record]:
        """Copies of the tombstones of Zuora records deleted by :meth:`mutate` (their
        ``UpdatedDate`` is the deletion time); empty for an object with no deletions."""
        with self._lock:
            return [copy.copy(r) for r in self._zuora.deleted.get(object_name, {}).values()]

    def count(self, source: str | None = None) -> int:
        """How many records the world holds (for ``source``, or in all)."""
        with self._lock:
            chosen = SOURCES if source is None else (source,)
            return sum(len(t) for s in chosen for t in self._tables(s).values())

    def mutate(
        self, at: datetime | None = None, creates: int = 5, updates: int = 5, deletes: int = 2
    ) -> MutationResult:
        """Mutate every source (see :meth:`mutate_sources`); returns the Zuora changes."""
        return self.mutate_sources(at, creates=creates, updates=updates, deletes=deletes)["zuora"]

    def mutate_sources(
        self,
        at: datetime | None = None,
        *,
        creates: int = 5,
        updates: int = 5,
        deletes: int = 2,
        returns: int = 0,
    ) -> dict[str, MutationResult]:
        """Create and update records between the clock and ``at``, then move the clock to ``at``.

        Every created or updated record gets an ``UpdatedDate`` strictly after the old clock and
        at or before ``at``. The same world, mutated with the same arguments, changes the same
        records in the same way.

        Args:
            at: the new clock (aware; truncated to whole seconds); default old clock + 1 day.
            creates: number of new customer accounts (each with contact, subscription, charges
                in Zuora, mirrored in Salesforce with its deal), plus as many Salesforce prospects.
            updates: number of existing records to change in each source.
            deletes: number of Salesforce records to delete (``IsDeleted``; tasks, events,
                campaign members).
            returns: number of lapsed Zuora accounts (every subscription ended over a month
                ago) that subscribe again (a new subscription; fewer when fewer have lapsed).

        Returns:
            ``{source: {object: {"created": [ids], "updated": [ids]}}}`` for every object;
            Salesforce objects also list ``"deleted"`` ids.

        Raises:
            ValueError: ``at`` is naive or not after the clock, or a count is negative.
        """
        if min(creates, updates, deletes, returns) < 0:
            raise ValueError("creates, updates, deletes and returns must be >= 0")
        with self._lock:
            old = self._now
            new = old + timedelta(days=1) if at is None else _whole_utc(at)
            if new <= old:
                raise ValueError(f"mutate at {new.isoformat()} is not after the clock {old}")
            self._mutations += 1
            rng = random.Random(f"{self.seed}:mutate:{self._mutations}")  # noqa: S311
            builder = ZuoraBuilder(self._zuora, rng)
            result = mutate_zuora(
                builder, old, new, creates=creates, updates=updates, returns=returns
            )
            new_accounts = {
                i: self._zuora.tables["Account"][i] for i in result["Account"]["created"]
            }
            crm_rng = random.Random(f"{self.seed}:sf:{self._mutations}")  # noqa: S311
            maker = AccountMaker(SalesforceBuilder(self._salesforce, crm_rng))
            crm = mutate_salesforce(
                maker, list(customers(self._zuora, new_accounts)), old, new,
                updates=updates, deletes=deletes,
            )  # fmt: skip
            hub_rng = random.Random(f"{self.seed}:hubspot:{self._mutations}")  # noqa: S311
            hub = mutate_hubspot(
                HubspotBuilder(self._hubspot, self._salesforce, hub_rng), crm, old, new,
                updates=updates, deletes=deletes,
            )  # fmt: skip
            mkto_rng = random.Random(f"{self.seed}:marketo:{self._mutations}")  # noqa: S311
            marketo = mutate_marketo(
                self.marketo, mkto_rng, self._salesforce.tables, crm, old, new,
                updates=updates, deletes=deletes,
            )  # fmt: skip
            self._now = new
            return {"zuora": result, "salesforce": crm, "hubspot": hub, "marketo": marketo}

    def _tables(self, source: str) -> dict[str, dict[str, Record]]:
        if source == "zuora":
            return self._zuora.tables
        if source == "salesforce":
            return self._salesforce.tables
        if source == "hubspot":
            return self._hubspot.tables
        raise KeyError(f"the world has no data for source {source!r}")


def customers(
    state: ZuoraState, accounts: dict[str, Record]
) -> Iterator[tuple[Customer, datetime]]:
    """What Salesforce mirrors of each of ``accounts`` (Zuora records), with its creation time."""
    contacts: dict[str, list[Record]] = {}
    for contact in state.tables["Contact"].values():
        if contact["AccountId"] in accounts:
            contacts.setdefault(contact["AccountId"], []).append(contact)
    arr = _arr_by_account(state, accounts)
    for account_id, account in accounts.items():
        people = tuple(
            (c["FirstName"], c["LastName"], c["WorkEmail"], c["City"], c["Country"])
            for c in contacts.get(account_id, [])
        )
        yield Customer(
            account["CrmId"], account["Name"], account["AccountNumber"],
            account["Status"] == "Active", arr.get(account_id, Decimal(1000)), people,
        ), account["CreatedDate"]  # fmt: skip


def _arr_by_account(state: ZuoraState, accounts: dict[str, Record]) -> dict[str, Decimal]:
    """Annual recurring revenue of each account: 12 x the MRR of the charges its subscriptions
    started with (version 1: the contracts signed; later versions copy those charges for an
    amendment or a renewal, and counting the copies would multiply the deal)."""
    tables = state.tables
    owner = {s["Id"]: s["AccountId"] for s in tables["Subscription"].values() if s["Version"] == 1}
    plan_owner = {
        p["Id"]: owner[p["SubscriptionId"]]
        for p in tables["RatePlan"].values()
        if p["SubscriptionId"] in owner
    }
    arr: dict[str, Decimal] = {}
    for charge in tables["RatePlanCharge"].values():
        account_id = plan_owner.get(charge["RatePlanId"])
        if account_id in accounts:
            arr[account_id] = arr.get(account_id, Decimal(0)) + charge["MRR"] * 12
    return arr


def _whole_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"mutate needs an aware datetime, got {moment.isoformat()}")
    return moment.astimezone(UTC).replace(microsecond=0)
