"""A tap's ``--state`` file: one JSON object, or a target's output of state lines (last wins)."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import click

from bizops_core.singer_state import state_problem

LOGGER = logging.getLogger("bizops_core.state_file")


class StateFileError(ValueError):
    """A state file that holds no usable state; the message says why."""


def parse_state(text: str, name: str) -> dict[str, Any]:
    """The state in ``text``: a JSON object (pretty-printed or not), or JSON Lines of objects.

    A Singer target prints one complete state per line, each newer than the one before, so a
    file written as ``target > new-state.json`` holds several; the last line is the newest
    bookmark and is the one used (the others are older versions of it, never parts of it).

    Raises:
        StateFileError: the file is empty, not JSON, or holds something else than objects.
    """
    if not text.strip():
        raise StateFileError(f"{name} is empty: leave out --state on a first run (no bookmark yet)")
    try:
        value = json.loads(text)
        lines = 1
    except ValueError:
        rows = [line for line in text.splitlines() if line.strip()]
        if len(rows) < 2:
            raise StateFileError(f"{name} is not valid JSON") from None
        for number, row in enumerate(rows, start=1):
            try:
                state = json.loads(row)
            except ValueError:
                raise StateFileError(
                    f"{name}: line {number} of {len(rows)} is not valid JSON (expected one "
                    "state object, or one per line as a target prints them)"
                ) from None
            _check_object(state, f"{name}: line {number}")
        value, lines = state, len(rows)
    _check_object(value, name)
    if lines > 1:
        LOGGER.info("%s holds %d states (a target's output): using the last one", name, lines)
    return value


def _check_object(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise StateFileError(
            f'{where} must be a JSON object such as {{"bookmarks": {{...}}}}, '
            f"not {type(value).__name__}"
        )
    problem = state_problem(value)  # the same shape bizops and target-postgres insist on
    if problem is not None:
        raise StateFileError(f"{where}: {problem}")


class StateFile(click.ParamType):
    """The ``--state`` option's type: reads and checks the file at parse time and hands the
    SDK (which calls ``.read()`` on it) the one chosen state as a JSON text stream."""

    name = "filename"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The state as an in-memory text stream, or a click usage error (exit 2)."""
        if hasattr(value, "read"):
            return value
        try:
            with click.open_file(value, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as exc:
            self.fail(f"{value!r}: {exc.strerror or exc}", param, ctx)
        try:
            state = parse_state(text, repr(value))
        except StateFileError as exc:
            self.fail(str(exc), param, ctx)
        return io.StringIO(json.dumps(state))
