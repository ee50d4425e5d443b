"""Checks of a tap's output: --about, discovery, and the Singer messages of a sync."""

from __future__ import annotations

from typing import Any

import jsonschema

from bizops_core.conformance import catalogs
from bizops_core.conformance.context import Context, Failed, stderr_tail
from bizops_core.conformance.formats import FORMATS
from bizops_core.singer_state import state_problem

MESSAGE_TYPES = {"SCHEMA", "RECORD", "STATE", "ACTIVATE_VERSION", "BATCH"}
MAX_RECORDS = 50_000  # validated per run; the rest are counted, not validated


def about_json(ctx: Context) -> str:
    about = ctx.about
    missing = [key for key in ("name", "settings", "capabilities") if key not in about]
    if missing:
        raise Failed(f"--about JSON lacks {', '.join(missing)}")
    return f"{about['name']}: {', '.join(map(str, about['capabilities']))}"


def about_markdown(ctx: Context) -> str:
    run = ctx.tap.about("markdown")
    if run.exit_code != 0:
        raise Failed(f"--about --format markdown exited {run.exit_code}: {stderr_tail(run)}")
    if not run.stdout.lstrip().startswith("# "):
        raise Failed("--about --format markdown does not start with a '# ' heading")
    return f"{len(run.lines)} lines"


def discover_catalog(ctx: Context) -> str:
    problems = []
    for stream in catalogs.streams(ctx.catalog):
        sid = stream.get("tap_stream_id")
        props = catalogs.properties(stream)
        if not sid or not props:
            problems.append(f"a stream without tap_stream_id or schema properties: {sid!r}")
            continue
        if not catalogs.metadata(stream):
            problems.append(f"{sid}: no stream metadata (breadcrumb [])")
        for name in props:
            if not catalogs.metadata(stream, ("properties", name)):
                problems.append(f"{sid}.{name}: no metadata breadcrumb")
        for name in filter(None, [*catalogs.key_properties(stream),
                                  catalogs.replication_key(stream)]):  # fmt: skip
            if name not in props:
                problems.append(f"{sid}: key or replication key {name!r} is not a property")
            elif catalogs.metadata(stream, ("properties", name)).get("inclusion") != "automatic":
                problems.append(f"{sid}.{name}: a key or replication key must be automatic")
    if problems:
        many = f"{len(problems)} problems, the first" if len(problems) > 1 else "1 problem"
        raise Failed(f"{many}: {problems[0]}")
    return f"{len(catalogs.streams(ctx.catalog))} streams"


def sync_completes(ctx: Context) -> str:
    counts = {s: len(r) for s, r in ctx.full.records.items()}
    if not counts:
        raise Failed("a sync of every stream emitted no RECORD")
    return f"{sum(counts.values())} records in {len(counts)} streams"


def stdout_only_singer(ctx: Context) -> str:
    for number, message in enumerate(ctx.full.messages, 1):
        kind = message.get("type")
        if kind not in MESSAGE_TYPES:
            raise Failed(f"stdout line {number}: not a Singer message (type {kind!r})")
        if kind in ("RECORD", "SCHEMA") and not isinstance(message.get("stream"), str):
            raise Failed(f"stdout line {number}: {kind} without a stream name")
        if kind == "RECORD" and not isinstance(message.get("record"), dict):
            raise Failed(f"stdout line {number}: RECORD whose record is not an object")
        if kind == "SCHEMA" and not isinstance(message.get("key_properties", []), list):
            raise Failed(f"stdout line {number}: SCHEMA whose key_properties is not a list")
        if kind == "STATE" and "value" not in message:
            raise Failed(f"stdout line {number}: STATE without a value")
    return f"{len(ctx.full.messages)} messages"


def schema_before_record(ctx: Context) -> str:
    seen: set[str] = set()
    for number, message in enumerate(ctx.full.messages, 1):
        if message["type"] == "SCHEMA":
            seen.add(message["stream"])
        elif message["type"] == "RECORD" and message["stream"] not in seen:
            raise Failed(f"stdout line {number}: RECORD of {message['stream']!r} before its SCHEMA")
    return f"{len(seen)} schemas"


def records_valid(ctx: Context) -> str:
    checked = 0
    schema_of: dict[str, Any] = {}
    for number, message in enumerate(ctx.full.messages, 1):
        if message["type"] == "SCHEMA":
            schema_of[message["stream"]] = jsonschema.Draft7Validator(
                message["schema"], format_checker=FORMATS
            )
        elif message["type"] == "RECORD" and checked < MAX_RECORDS:
            validator = schema_of.get(message["stream"])
            if validator is None:  # a record before its schema: schema-first reports it
                continue
            checked += 1
            error = jsonschema.exceptions.best_match(validator.iter_errors(message["record"]))
            if error is not None:
                where = "/".join(map(str, error.absolute_path)) or "(record)"
                raise Failed(
                    f"stdout line {number}, {message['stream']}.{where}: {error.message[:160]}"
                )
    return f"{checked} records valid against their schema (formats date, date-time)"


def keys_present(ctx: Context) -> str:
    for stream, schema in ctx.full.schemas.items():
        keys = schema.get("key_properties") or []
        for record in ctx.full.records.get(stream, []):
            absent = [k for k in keys if record.get(k) is None]
            if absent:
                raise Failed(f"{stream}: a record without key {absent[0]!r}")
    return "every record has its key properties"


def final_state(ctx: Context) -> str:
    state = ctx.full.final_state
    if state is None:
        raise Failed("the sync emitted no STATE")
    problem = state_problem(state)
    if problem:
        raise Failed(f"the last STATE is not usable: {problem}")
    return f"bookmarks of {len(state.get('bookmarks', {}))} streams"
