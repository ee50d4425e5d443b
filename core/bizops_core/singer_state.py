"""The shape every Singer state must have before it is stored or committed: one check, shared by
target-postgres and the orchestrator."""

from __future__ import annotations

import json
from typing import Any

BOOKMARKS = "bookmarks"


def _show(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def state_problem(value: Any) -> str | None:
    """Why ``value`` is not a usable Singer state, or None when it is.

    A state is a JSON object; its ``bookmarks`` (when present) an object holding one object per
    stream (``{"bookmarks": {"Account": {"replication_key_value": "2024-01-01T00:00:00Z"}}}``).
    """
    if not isinstance(value, dict):
        return f"a state must be a JSON object, not {_show(value)}"
    marks = value.get(BOOKMARKS, {})
    if not isinstance(marks, dict):
        return f"a state's 'bookmarks' must be a JSON object, not {_show(marks)}"
    for stream, mark in marks.items():
        problem = bookmark_problem(mark)
        if problem is not None:
            return f"stream {stream!r}: {problem}"
    return None


def bookmark_problem(value: Any) -> str | None:
    """Why ``value`` is not a usable bookmark of one stream, or None when it is."""
    if not isinstance(value, dict):
        return f"a stream's bookmark must be a JSON object, not {_show(value)}"
    return None
