"""The world: one seeded, consistent fake company with a clock and a mutate step."""

from __future__ import annotations

import copy
import random
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bizops_sandbox.world_zuora import ZuoraBuilder, ZuoraState
from bizops_sandbox.world_zuora_mutate import mutate_zuora

START_CLOCK = datetime(2025, 1, 1, tzinfo=UTC)
HISTORY_START = datetime(2022, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SizeProfile:
    """How big a generated world is.

    Attributes:
        accounts: number of customer accounts generated up front; every other object scales
            with it (about a dozen records per account).
    """

    accounts: int


# A "large" profile (>= 1M records) needs only a new entry here; generation is linear in
# ``accounts`` and keeps no per-record state beyond the tables themselves.
SIZES: dict[str, SizeProfile] = {
    "small": SizeProfile(accounts=30),
    "medium": SizeProfile(accounts=1_000),
}

Record = dict[str, Any]
MutationResult = dict[str, dict[str, list[str]]]


class World:
    """A deterministic fake company, shared by every emulator.

    Records are plain dicts of Python values (aware UTC datetimes with whole seconds,
    ``date``, ``Decimal`` for money, ``int``, ``bool``, ``str``, ``None``), keyed by the
    vendor's field names. All access goes through a lock because emulators serve from threads.

    Build one with :meth:`World.generate`; do not call the constructor directly.
    """

    def __init__(self, seed: int, size: str, zuora: ZuoraState, now: datetime) -> None:
        self.seed = seed
        self.size = size
        self._zuora = zuora
        self._now = now
        self._mutations = 0
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
        return cls(seed, size, state, START_CLOCK)

    @property
    def now(self) -> datetime:
        """The world clock (aware UTC); every record was created and updated at or before it."""
        with self._lock:
            return self._now

    def objects(self, source: str = "zuora") -> list[str]:
        """The object names the world holds for ``source``."""
        self._check_source(source)
        with self._lock:
            return list(self._zuora.tables)

    def records(self, object_name: str, source: str = "zuora") -> list[Record]:
        """Copies of every record of ``object_name``, in creation order.

        Raises:
            KeyError: the world has no such object.
        """
        self._check_source(source)
        with self._lock:
            table = self._zuora.tables[object_name]
            return [copy.copy(record) for record in table.values()]

    def mutate(
        self, at: datetime | None = None, creates: int = 5, updates: int = 5
    ) -> MutationResult:
        """Create and update records between the clock and ``at``, then move the clock to ``at``.

        Every created or updated record gets an ``UpdatedDate`` strictly after the old clock and
        at or before ``at``. The same world, mutated with the same arguments, changes the same
        records in the same way.

        Args:
            at: the new clock (aware; truncated to whole seconds); default old clock + 1 day.
            creates: number of new customer accounts (each with contact, subscription, charges).
            updates: number of existing records to change (balances, statuses, payments...).

        Returns:
            ``{object: {"created": [ids], "updated": [ids]}}`` for every object of the world.

        Raises:
            ValueError: ``at`` is naive or not after the clock, or a count is negative.
        """
        if creates < 0 or updates < 0:
            raise ValueError("creates and updates must be >= 0")
        with self._lock:
            old = self._now
            new = old + timedelta(days=1) if at is None else _whole_utc(at)
            if new <= old:
                raise ValueError(f"mutate at {new.isoformat()} is not after the clock {old}")
            self._mutations += 1
            rng = random.Random(f"{self.seed}:mutate:{self._mutations}")  # noqa: S311
            builder = ZuoraBuilder(self._zuora, rng)
            result = mutate_zuora(builder, old, new, creates=creates, updates=updates)
            self._now = new
            return result

    @staticmethod
    def _check_source(source: str) -> None:
        if source != "zuora":
            raise KeyError(f"the world has no data for source {source!r} yet")


def _whole_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"mutate needs an aware datetime, got {moment.isoformat()}")
    return moment.astimezone(UTC).replace(microsecond=0)
