"""Checks of a tap's behaviour: the catalog's selection and replication method obeyed, the
state honoured, a bad config refused cleanly, and secrets kept off its output."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bizops_core.conformance import catalogs
from bizops_core.conformance.context import (
    Context,
    Failed,
    Skipped,
    admin,
    requested,
    stderr_tail,
)
from bizops_core.conformance.formats import is_date_time

SECRET_NAME = re.compile(r"secret|password|token|private|api_?key", re.IGNORECASE)


def deselected_stream(ctx: Context) -> str:
    emitting = ctx.streams_with_records()
    if len(emitting) < 2:
        raise Skipped("fewer than two streams emit records")
    kept, dropped = emitting[0], emitting[1]
    if ctx.emulator:
        admin(ctx, "DELETE", "requests")
    sync = ctx.sync(catalogs.select(ctx.catalog, {kept}))
    asked = requested(ctx, dropped) if ctx.emulator else None
    if asked:
        raise Failed(f"deselected stream {dropped!r} was requested from the API: {asked}")
    if dropped in sync.records or dropped in sync.schemas:
        raise Failed(f"deselected stream {dropped!r} was emitted")
    if not sync.records.get(kept):
        raise Failed(f"selected stream {kept!r} emitted nothing when it was the only one")
    others = set(sync.records) - {kept}
    if others:
        raise Failed(f"deselected streams were emitted: {sorted(others)}")
    return f"only {kept!r} emitted"


def deselected_field(ctx: Context) -> str:
    for sid in ctx.streams_with_records():
        field = catalogs.optional_field(catalogs.find(ctx.catalog, sid))
        if field is None:
            continue
        catalog = catalogs.deselect_field(catalogs.select(ctx.catalog, {sid}), sid, field)
        if ctx.emulator:
            admin(ctx, "DELETE", "requests")
        sync = ctx.sync(catalog)
        asked = requested(ctx, field) if ctx.emulator else None
        if asked:
            raise Failed(f"{sid}: deselected field {field!r} was requested from the API: {asked}")
        records = sync.records.get(sid, [])
        if not records:
            raise Failed(f"{sid} emitted nothing with {field!r} deselected")
        if any(field in record for record in records):
            raise Failed(f"{sid}: deselected field {field!r} is in its records")
        if field in (sync.schemas[sid]["schema"].get("properties") or {}):
            raise Failed(f"{sid}: deselected field {field!r} is in its SCHEMA")
        return f"{sid}.{field} left out"
    raise Skipped("no emitting stream has a field that may be deselected")


def _marks(ctx: Context) -> dict[str, Any]:
    state = ctx.full.final_state or {}
    return state.get("bookmarks") or {}


def full_table_ignores_bookmark(ctx: Context) -> str:
    marks = _marks(ctx)
    for sid in ctx.incremental_streams():
        if sid not in marks:
            continue
        catalog = catalogs.with_method(catalogs.select(ctx.catalog, {sid}), sid, "FULL_TABLE")
        sync = ctx.sync(catalog, {"bookmarks": {sid: marks[sid]}})
        want, got = len(ctx.full.records[sid]), len(sync.records.get(sid, []))
        if got != want:
            raise Failed(f"{sid} as FULL_TABLE with its bookmark emitted {got} of {want} records")
        return f"{sid}: {got} of {want} records despite the bookmark"
    raise Skipped("no incremental stream left a bookmark")


def _comparable(value: Any) -> Any:
    if isinstance(value, str) and is_date_time(value):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def incremental_from_state(ctx: Context) -> str:
    marks = _marks(ctx)
    checked = []
    for sid in ctx.incremental_streams():
        mark = marks.get(sid, {}).get("replication_key_value")
        key = catalogs.replication_key(catalogs.find(ctx.catalog, sid))
        if mark is None:
            continue
        sync = ctx.sync(catalogs.select(ctx.catalog, {sid}), {"bookmarks": {sid: marks[sid]}})
        for record in sync.records.get(sid, []):
            value = record.get(key)
            try:
                older = value is None or _comparable(value) < _comparable(mark)
            except TypeError:
                older = str(value) < str(mark)
            if older:
                raise Failed(f"{sid}: a run from state emitted {key}={value!r} before {mark!r}")
        before, after = len(ctx.full.records[sid]), len(sync.records.get(sid, []))
        distinct = {str(r.get(key)) for r in ctx.full.records[sid]}
        if len(distinct) > 1 and after >= before:
            raise Failed(f"{sid}: a run from state emitted {after} of {before} records again")
        checked.append(f"{sid} {after}/{before}")
        if len(checked) == 2:
            break
    if not checked:
        raise Skipped("no incremental stream left a replication_key_value bookmark")
    return "records again from state: " + ", ".join(checked)


def secret_values(ctx: Context, about: bool = True) -> list[str]:
    """The config's secret values: settings the tap's --about marks secret (unless ``about``
    is False), and keys named like one (password, token, secret, api key)."""
    settings = (ctx.about.get("settings") or {}) if about else {}
    if isinstance(settings, dict):  # singer-sdk: a JSON schema of the config
        entries = [{"name": k, **v} for k, v in (settings.get("properties") or {}).items()]
    else:  # a list of {"name": ..., "kind": ..., "secret": ...}
        entries = [s for s in settings if isinstance(s, dict)]
    flags = ("secret", "sensitive", "writeOnly")
    secret = {
        e["name"] for e in entries if any(e.get(f) for f in flags) or e.get("kind") == "password"
    }
    secret |= {k for k in ctx.tap.config if SECRET_NAME.search(k)}
    values = [ctx.tap.config.get(k) for k in secret]
    return [v for v in values if isinstance(v, str) and len(v) >= 4]


def secrets_hidden(ctx: Context) -> str:
    secrets = secret_values(ctx)
    if not secrets:
        raise Skipped("the config holds no secret value")
    for run in ctx.tap.runs:
        for name, text in (("stdout", run.stdout), ("stderr", run.stderr)):
            if any(secret in text for secret in secrets):
                shown = " ".join(run.args) or "(no arguments)"
                raise Failed(f"a secret of the config is on {name} of the call {shown}")
    return f"{len(secrets)} secrets absent from {len(ctx.tap.runs)} calls"


def bad_config_fails_cleanly(ctx: Context) -> str:
    run = ctx.tap.call("--discover", config={})
    if run.exit_code == 0:
        raise Failed("--discover with an empty config exited 0")
    if "Traceback (most recent call last)" in run.stderr:
        raise Failed(f"an empty config ends in a traceback (exit {run.exit_code})")
    if run.lines:
        raise Failed("an empty config printed on stdout")
    return f"exit {run.exit_code}: {stderr_tail(run)[:100]}"
