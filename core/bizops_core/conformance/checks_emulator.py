"""Checks of a tap against change and failure: resuming after it is stopped, and, with an
emulator of its API, faults and an incremental run after the world changed.

An emulator is any HTTP server with the sandbox's admin protocol (``sandbox/README.md``):
``POST /__sandbox/faults`` queues a fault for the next API requests, ``POST /__sandbox/mutate``
changes the world and answers ``{object: {"created": [ids], "updated": [...], "deleted":
[...]}}``. Every emulator of this repository speaks it; a community tap's author can give
their own.
"""

from __future__ import annotations

import json
from typing import Any

from bizops_core.conformance import catalogs
from bizops_core.conformance.context import Context, Failed, Skipped, admin
from bizops_core.singer_state import state_problem

STOP_POINTS = (0.2, 0.5, 0.8)  # where in the full sync's output the tap is stopped
FAULTS = (
    {"path_prefix": "/", "status": 429, "headers": {"Retry-After": "1"}},
    {"path_prefix": "/", "status": 503, "times": 2},
    {"path_prefix": "/", "drop_connection": True},
    {"path_prefix": "/", "status": 200, "truncate_after": 20},
)


def _complete_messages(stdout: str) -> list[dict[str, Any]]:
    """The messages of a stopped run: every whole line (a last line cut off is dropped)."""
    lines = stdout.split("\n")[:-1]  # the text after the last newline is not a whole line
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except ValueError:
            raise Failed(f"a stopped run's stdout line {number} is not JSON") from None
        if isinstance(message, dict):
            out.append(message)
    return out


def _keys(messages: list[dict[str, Any]], schemas: dict[str, Any]) -> set[tuple[str, str]]:
    out = set()
    for message in messages:
        if message.get("type") == "SCHEMA":
            schemas[message["stream"]] = message.get("key_properties") or []
        elif message.get("type") == "RECORD":
            keys = schemas.get(message["stream"], [])
            record = message["record"]
            out.add((message["stream"], "|".join(str(record.get(k)) for k in keys)))
    return out


def resume_after_stop(ctx: Context) -> str:
    """Stopped (SIGTERM, then SIGKILL) at three points and resumed from the last STATE it
    wrote, the tap has emitted every record of the full sync."""
    full = ctx.full
    want = {(s, key) for s in full.records for key in full.ids(s)}
    total = len(full.run.lines)
    if total < 10:
        raise Skipped("the full sync writes fewer than 10 lines")
    catalog = catalogs.select(ctx.catalog)
    for point in STOP_POINTS:
        stopped = ctx.tap.sync_stopped(catalog, None, max(1, int(total * point)))
        messages = _complete_messages(stopped.stdout)
        states = [m["value"] for m in messages if m.get("type") == "STATE"]
        state = states[-1] if states else None
        if state is not None and state_problem(state):
            raise Failed(f"stopped at {point:.0%}: its last STATE is not usable")
        schemas: dict[str, Any] = {}
        got = _keys(messages, schemas)
        resumed = ctx.sync(catalog, state)
        got |= _keys(resumed.messages, schemas)
        lost = want - got
        if lost:
            stream, key = sorted(lost)[0]
            raise Failed(
                f"stopped at {point:.0%} and resumed: {len(lost)} records lost, e.g. {stream} {key}"
            )
    return f"stopped at {', '.join(f'{p:.0%}' for p in STOP_POINTS)} and resumed: none lost"


def faults_survived(ctx: Context) -> str:
    """With a 429 (Retry-After), two 503s, a dropped connection and a body cut short answering
    its first requests, the tap still emits every record of the full sync."""
    if ctx.emulator is None:
        raise Skipped("no --emulator given")
    full = ctx.full
    for fault in FAULTS:
        admin(ctx, "POST", "faults", fault)
    try:
        run = ctx.sync(catalogs.select(ctx.catalog))
    finally:
        admin(ctx, "DELETE", "faults")
    for stream in full.records:
        lost = full.ids(stream) - run.ids(stream)
        if lost:
            raise Failed(f"after faults, {stream} lost {len(lost)} of {len(full.ids(stream))}")
    return f"{len(FAULTS)} kinds of fault, every record emitted"


def incremental_after_change(ctx: Context) -> str:
    """After the emulator creates, updates and deletes records, a run from the last state
    emits every created and updated record of the selected streams, and re-emits no unchanged
    record except those at its bookmark (taps compare with >=)."""
    if ctx.emulator is None:
        raise Skipped("no --emulator given")
    state = ctx.full.final_state
    changes = admin(ctx, "POST", "mutate", {"creates": 3, "updates": 4, "deletes": 3})
    run = ctx.sync(catalogs.select(ctx.catalog), state)
    marks = (state or {}).get("bookmarks") or {}
    compared, deleted_seen = 0, 0
    for stream in catalogs.streams(ctx.catalog):
        sid = stream["tap_stream_id"]
        change = changes.get(sid)
        if not change:
            continue
        want = {str(i) for i in (*change.get("created", []), *change.get("updated", []))}
        deleted = {str(i) for i in change.get("deleted", [])}
        got = run.ids(sid)
        missing = want - got
        if missing:
            raise Failed(f"{sid}: {len(missing)} changed records not emitted, e.g. {min(missing)}")
        key = catalogs.replication_key(stream)
        mark = (marks.get(sid) or {}).get("replication_key_value")
        again = [
            r for r in run.records.get(sid, [])
            if run.ids_of(sid, r) not in want | deleted and (key is None or r.get(key) != mark)
        ]  # fmt: skip
        if key is not None and again:
            raise Failed(f"{sid}: {len(again)} unchanged records emitted again")
        compared += len(want)
        deleted_seen += len(deleted & got)
    if not compared:
        raise Skipped("the emulator changed no record of the tap's streams")
    return f"{compared} changed records emitted; {deleted_seen} deleted records emitted as such"
