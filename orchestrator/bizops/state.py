"""Per-stream Singer state rules: merge, drop and set one stream's bookmark, never the others'."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

BOOKMARKS = "bookmarks"


def bookmarks(state: Any) -> dict[str, Any]:
    """The per-stream bookmarks of a state (``{}`` when it has none)."""
    if isinstance(state, dict) and isinstance(state.get(BOOKMARKS), dict):
        return state[BOOKMARKS]
    return {}


def merge(stored: Any, incoming: Any) -> Any:
    """The new state after the target confirmed ``incoming``.

    Each stream in ``incoming["bookmarks"]`` replaces that stream's bookmark; streams it does not
    mention keep theirs (a run of a subset of streams never forgets the others); other top-level
    keys (``currently_syncing``, ...) are taken from ``incoming``. A state without ``bookmarks``
    (not per stream) replaces the stored one whole.
    """
    if not isinstance(incoming, dict) or BOOKMARKS not in incoming or not isinstance(stored, dict):
        return copy.deepcopy(incoming)
    merged = {**copy.deepcopy(stored), **copy.deepcopy(incoming)}
    merged[BOOKMARKS] = {**bookmarks(stored), **copy.deepcopy(bookmarks(incoming))}
    return merged


def without_streams(state: Any, streams: Iterable[str]) -> Any:
    """A copy of ``state`` without the bookmarks of ``streams``."""
    if not isinstance(state, dict):
        return state
    result = copy.deepcopy(state)
    marks = result.get(BOOKMARKS)
    if isinstance(marks, dict):
        for stream in streams:
            marks.pop(stream, None)
    if result.get("currently_syncing") in set(streams):
        result["currently_syncing"] = None
    return result


def with_stream(state: Any, stream: str, value: Any) -> dict[str, Any]:
    """A copy of ``state`` with ``stream``'s bookmark set to ``value``."""
    result = copy.deepcopy(state) if isinstance(state, dict) else {}
    marks = result.get(BOOKMARKS)
    result[BOOKMARKS] = {**(marks if isinstance(marks, dict) else {}), stream: value}
    return result
