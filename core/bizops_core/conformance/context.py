"""What the checks share: the tap under test, its --about and catalog, one full sync, and the
two ways a check ends early (failed, skipped)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

import requests

from bizops_core.conformance import catalogs
from bizops_core.conformance.process import TapProcess, TapRun


class Failed(Exception):
    """A check found a problem (its message is the result's detail)."""


class Skipped(Exception):
    """A check does not apply to this tap (its message says why)."""


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

    def ids(self, stream: str) -> set[str]:
        """The key of every record of ``stream`` (its key properties' values, joined by '|')."""
        return {self.ids_of(stream, r) for r in self.records.get(stream, [])}

    def ids_of(self, stream: str, record: dict[str, Any]) -> str:
        keys = (self.schemas.get(stream) or {}).get("key_properties") or []
        return "|".join(str(record.get(k)) for k in keys)


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

    def __init__(self, tap: TapProcess, emulator: str | None = None) -> None:
        self.tap = tap
        self.emulator = emulator.rstrip("/") if emulator else None

    @_once
    def about(self) -> dict[str, Any]:
        run = self.tap.about("json")
        if run.exit_code != 0:
            raise Failed(f"--about --format json exited {run.exit_code}: {stderr_tail(run)}")
        found = _document(run.stdout)
        if not isinstance(found, dict):
            raise Failed("--about --format json did not print one JSON object")
        return found

    @_once
    def catalog(self) -> catalogs.Catalog:
        run = self.tap.discover()
        if run.exit_code != 0:
            raise Failed(f"--discover exited {run.exit_code}: {stderr_tail(run)}")
        found = _document(run.stdout)
        if not isinstance(found, dict) or not catalogs.streams(found):
            raise Failed("--discover did not print one catalog object with streams")
        return found

    @_once
    def full(self) -> Sync:
        run = self.tap.sync(catalogs.select(self.catalog))
        if run.exit_code != 0:
            raise Failed(f"the sync of every stream exited {run.exit_code}: {stderr_tail(run)}")
        return Sync(run)

    def sync(self, catalog: catalogs.Catalog, state: dict[str, Any] | None = None) -> Sync:
        run = self.tap.sync(catalog, state)
        if run.exit_code != 0:
            raise Failed(f"a sync exited {run.exit_code}: {stderr_tail(run)}")
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


def admin(ctx: Context, method: str, path: str, body: Any = None) -> Any:
    """Call the emulator's admin side (``/__sandbox/<path>``); its JSON answer."""
    try:
        answer = requests.request(method, f"{ctx.emulator}/__sandbox/{path}", json=body,
                                  timeout=30)  # fmt: skip
    except requests.RequestException as exc:
        raise Failed(f"the emulator's admin side did not answer: {type(exc).__name__}") from None
    if answer.status_code >= 400:
        raise Failed(f"the emulator answered {answer.status_code} to {method} /__sandbox/{path}")
    return answer.json() if answer.content else None


def requested(ctx: Context, word: str) -> str | None:
    """The first API request in the emulator's log naming ``word`` as a whole word (in its
    path, decoded query or body), or None."""
    pattern = re.compile(rf"\b{re.escape(word)}\b")
    for entry in admin(ctx, "GET", "requests") or []:
        text = " ".join([entry.get("path") or "", unquote_plus(entry.get("query") or ""),
                         str(entry.get("body") or "")])  # fmt: skip
        if pattern.search(text):
            return f"{entry.get('method')} {entry.get('path')}"
    return None


def _document(text: str) -> Any:
    """stdout as one JSON document (pretty-printed or not), None when it is not one."""
    try:
        return json.loads(text)
    except ValueError:
        return None


def stderr_tail(run: TapRun) -> str:
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "(nothing on stderr)"
