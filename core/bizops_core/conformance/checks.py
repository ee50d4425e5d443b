"""The checks of the conformance suite, each driving the tap through its command line.

A check passes, fails (with the first problem it found) or is skipped (with why: e.g. no
stream replicates incrementally). Checks share one discovery and one full sync, so the suite
costs about five syncs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import jsonschema

from bizops_core.conformance import catalogs
from bizops_core.conformance.process import TapProcess, TapRun
from bizops_core.singer_state import state_problem

MESSAGE_TYPES = {"SCHEMA", "RECORD", "STATE", "ACTIVATE_VERSION", "BATCH"}
SECRET_NAME = re.compile(r"secret|password|token|private|api_?key", re.IGNORECASE)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})?$"
)
MAX_RECORDS = 50_000  # validated per run; the rest are counted, not validated


class Failed(Exception):
    """A check found a problem (its message is the result's detail)."""


class Skipped(Exception):
    """A check does not apply to this tap (its message says why)."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # "pass", "fail" or "skip"
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "fail"


def _date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return True


FORMATS = jsonschema.FormatChecker()
FORMATS.checks("date")(_date)
FORMATS.checks("date-time")(_date_time)


class Sync:
    """The Singer messages of one sync run, grouped."""

    def __init__(self, run: TapRun) -> None:
        self.run = run
        self.messages = run.messages()
        self.records: dict[str, list[dict[str, Any]]] = {}
        self.schemas: dict[str, dict[str, Any]] = {}
        for message in self.messages:
            if message.get("type") == "RECORD":
                self.records.setdefault(message.get("stream"), []).append(message.get("record"))
            elif message.get("type") == "SCHEMA":
                self.schemas[message.get("stream")] = message

    @property
    def final_state(self) -> dict[str, Any] | None:
        states = [m.get("value") for m in self.messages if m.get("type") == "STATE"]
        return states[-1] if states else None


def _once(method: Callable[[Context], Any]) -> property:
    """A property computed once: its value, or the same failure again without a new call."""
    name = f"_{method.__name__}"

    def get(self: Context) -> Any:
        if name not in self.__dict__:
            try:
                self.__dict__[name] = (True, method(self))
            except (Failed, ValueError) as exc:
                self.__dict__[name] = (False, exc)
        ok, value = self.__dict__[name]
        if not ok:
            raise value
        return value

    return property(get, doc=method.__doc__)


class Context:
    """What the checks share: the tap, its --about, its catalog and one full sync."""

    def __init__(self, tap: TapProcess) -> None:
        self.tap = tap

    @_once
    def about(self) -> dict[str, Any]:
        run = self.tap.about("json")
        if run.exit_code != 0:
            raise Failed(f"--about --format json exited {run.exit_code}: {_tail(run)}")
        found = _document(run.stdout)
        if not isinstance(found, dict):
            raise Failed("--about --format json did not print one JSON object")
        return found

    @_once
    def catalog(self) -> catalogs.Catalog:
        run = self.tap.discover()
        if run.exit_code != 0:
            raise Failed(f"--discover exited {run.exit_code}: {_tail(run)}")
        found = _document(run.stdout)
        if not isinstance(found, dict) or not catalogs.streams(found):
            raise Failed("--discover did not print one catalog object with streams")
        return found

    @_once
    def full(self) -> Sync:
        run = self.tap.sync(catalogs.select(self.catalog))
        if run.exit_code != 0:
            raise Failed(f"the sync of every stream exited {run.exit_code}: {_tail(run)}")
        return Sync(run)

    def sync(self, catalog: catalogs.Catalog, state: dict[str, Any] | None = None) -> Sync:
        run = self.tap.sync(catalog, state)
        if run.exit_code != 0:
            raise Failed(f"a sync exited {run.exit_code}: {_tail(run)}")
        return Sync(run)

    def streams_with_records(self) -> list[str]:
        return [s for s in self.full.records if self.full.records[s]]

    def incremental_streams(self) -> list[str]:
        """Streams with a replication key that emitted records in the full sync."""
        return [
            s["tap_stream_id"]
            for s in catalogs.streams(self.catalog)
            if catalogs.replication_key(s) and self.full.records.get(s["tap_stream_id"])
        ]


def _document(text: str) -> Any:
    """stdout as one JSON document (pretty-printed or not), None when it is not one."""
    try:
        return json.loads(text)
    except ValueError:
        return None


def _tail(run: TapRun) -> str:
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "(nothing on stderr)"


# -- the checks --------------------------------------------------------------------------------


def about_json(ctx: Context) -> str:
    about = ctx.about
    missing = [key for key in ("name", "settings", "capabilities") if key not in about]
    if missing:
        raise Failed(f"--about JSON lacks {', '.join(missing)}")
    return f"{about['name']}: {', '.join(map(str, about['capabilities']))}"


def about_markdown(ctx: Context) -> str:
    run = ctx.tap.about("markdown")
    if run.exit_code != 0:
        raise Failed(f"--about --format markdown exited {run.exit_code}: {_tail(run)}")
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


def deselected_stream(ctx: Context) -> str:
    emitting = ctx.streams_with_records()
    if len(emitting) < 2:
        raise Skipped("fewer than two streams emit records")
    kept, dropped = emitting[0], emitting[1]
    sync = ctx.sync(catalogs.select(ctx.catalog, {kept}))
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
        sync = ctx.sync(catalog)
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
    if isinstance(value, str) and _date_time(value):
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


def _secrets(ctx: Context, about: bool = True) -> list[str]:
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
    secrets = _secrets(ctx)
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
    return f"exit {run.exit_code}: {_tail(run)[:100]}"


@dataclass(frozen=True)
class Check:
    name: str
    proves: str
    run: Callable[[Context], str]


CHECKS: tuple[Check, ...] = (
    Check("about-json", "--about --format json gives name, capabilities and settings", about_json),
    Check("about-markdown", "--about --format markdown is a document with a heading",
          about_markdown),
    Check("discover", "a catalog whose every property has metadata; keys and replication "
          "keys are automatic", discover_catalog),
    Check("sync", "a sync of every stream exits 0 and emits records", sync_completes),
    Check("stdout-singer", "stdout holds only Singer messages", stdout_only_singer),
    Check("schema-first", "each stream's SCHEMA comes before its RECORDs", schema_before_record),
    Check("records-valid", "records are valid against their schema, date and date-time "
          "formats included", records_valid),
    Check("keys-present", "key properties are present and non-null", keys_present),
    Check("state", "the last STATE is a usable state", final_state),
    Check("deselected-stream", "a deselected stream is not emitted", deselected_stream),
    Check("deselected-field", "a deselected field is in neither SCHEMA nor RECORD",
          deselected_field),
    Check("full-table", "FULL_TABLE in the catalog ignores the stream's bookmark",
          full_table_ignores_bookmark),
    Check("incremental", "a run from the last state emits no record older than its bookmark",
          incremental_from_state),
    Check("bad-config", "an empty config fails with an exit code, no traceback, nothing on "
          "stdout", bad_config_fails_cleanly),
    Check("secrets", "no secret of the config on stdout or stderr of any call", secrets_hidden),
)  # fmt: skip


def run_suite(tap: TapProcess, only: set[str] | None = None) -> list[CheckResult]:
    """Run the checks (or those named in ``only``) on ``tap``, in order; never raises for a
    failing tap. The secrets check runs last so it reads every call's output."""
    ctx = Context(tap)
    results = []
    for check in CHECKS:
        if only is not None and check.name not in only:
            continue
        try:
            results.append(CheckResult(check.name, "pass", check.run(ctx)))
        except Failed as problem:
            results.append(CheckResult(check.name, "fail", str(problem)))
        except Skipped as why:
            results.append(CheckResult(check.name, "skip", str(why)))
        except ValueError as exc:  # output that is not JSON: the first bad line
            results.append(CheckResult(check.name, "fail", str(exc)))
    # a detail quotes the tap's own output, which may hold a leaked secret: never repeat it
    secrets = _secrets(ctx, about=False) + _secrets_or_none(ctx)
    return [CheckResult(r.name, r.status, _masked(r.detail, secrets)) for r in results]


def _secrets_or_none(ctx: Context) -> list[str]:
    try:
        return _secrets(ctx)
    except (Failed, ValueError):
        return []


def _masked(text: str, secrets: list[str]) -> str:
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
