"""STATE bookkeeping: a state is written to stdout only once every record before it is committed."""

from __future__ import annotations

import logging
from typing import Any, TextIO

from target_postgres.reader import encode

LOGGER = logging.getLogger("target_postgres.state")


class StateTracker:
    """Holds STATE values until the records that arrived before them are committed.

    The tracker does not decide when to flush; the caller reports, after every commit, the input
    line of the oldest record still uncommitted in any stream, and the tracker writes the newest
    state older than that line (older safe states are superseded and dropped).
    """

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._pending: list[tuple[int, Any]] = []
        self.emitted = 0

    def add(self, line: int, value: Any) -> None:
        """Remember the STATE ``value`` that arrived at input ``line``."""
        self._pending.append((line, value))

    def release(self, oldest_uncommitted: int | None) -> None:
        """Write the newest state that no uncommitted record precedes.

        Args:
            oldest_uncommitted: input line of the oldest record not yet committed in any stream,
                or None when everything received so far is committed.
        """
        safe = [
            entry
            for entry in self._pending
            if oldest_uncommitted is None or entry[0] < oldest_uncommitted
        ]
        if not safe:
            return
        self._pending = self._pending[len(safe) :]
        line, value = safe[-1]
        self._out.write(encode(value) + "\n")
        self._out.flush()
        self.emitted += 1
        LOGGER.debug("emitted the state of line %d", line)
