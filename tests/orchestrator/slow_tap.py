"""A test-only Singer tap: streams from a JSON data file, slowly, with per-stream bookmarks.

Config: ``data_file`` ({stream: [{"id", "updated", "value"}]}), ``delay`` (seconds per record),
``state_every`` (records between STATE messages), ``api_key`` (printed to stderr on purpose, to
test redaction), ``auth`` (marked secret in --about, printed too), ``fail_after`` (exit 1 after
that many records), ``ignore_sigterm``, ``bad_state`` (a STATE value sent after the first
stream), ``keyless`` (streams sent without key properties), ``broken_after`` (a broken line
after that many records, then exit 0).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

ABOUT = {
    "name": "slow-tap",
    "capabilities": ["discover", "catalog", "state"],
    "settings": {
        "type": "object",
        "properties": {
            "data_file": {"type": "string"},
            "api_key": {"type": "string", "secret": True},
            "auth": {"type": "string", "secret": True},
            "delay": {"type": "number"},
            "state_every": {"type": "integer"},
            "fail_after": {"type": "integer"},
            "ignore_sigterm": {"type": "boolean"},
        },
    },
}
SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "updated": {"type": "integer"},
        "value": {"type": ["string", "null"]},
    },
}


def emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def catalog(data: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    streams = []
    for name in data:
        metadata = [{"breadcrumb": [], "metadata": {"selected-by-default": True}}]
        metadata[0]["metadata"]["table-key-properties"] = ["id"]
        for field in SCHEMA["properties"]:
            inclusion = "automatic" if field in ("id", "updated") else "available"
            metadata.append(
                {"breadcrumb": ["properties", field], "metadata": {"inclusion": inclusion}}
            )
        streams.append(
            {"tap_stream_id": name, "stream": name, "schema": SCHEMA, "metadata": metadata}
        )
    return {"streams": streams}


def selection(path: str | None, data: dict[str, Any]) -> dict[str, set[str]]:
    """Selected streams and their selected fields (everything without a catalog)."""
    if path is None:
        return {name: set(SCHEMA["properties"]) for name in data}
    chosen: dict[str, set[str]] = {}
    for stream in json.loads(Path(path).read_text())["streams"]:
        meta = {tuple(m["breadcrumb"]): m["metadata"] for m in stream["metadata"]}
        if meta.get((), {}).get("selected"):
            chosen[stream["tap_stream_id"]] = {
                f
                for f in SCHEMA["properties"]
                if meta.get(("properties", f), {}).get("selected", True)
            }
    return chosen


def sync(config: dict[str, Any], data: dict[str, Any], state: dict[str, Any], chosen: dict) -> int:
    bookmarks = dict(state.get("bookmarks") or {})
    every, delay, sent = int(config.get("state_every", 10)), float(config.get("delay", 0)), 0
    for name, fields in chosen.items():
        keys = [] if name in config.get("keyless", ()) else ["id"]
        emit({"type": "SCHEMA", "stream": name, "schema": SCHEMA, "key_properties": keys})
        since = (bookmarks.get(name) or {}).get("replication_key_value", -1)
        rows = sorted((r for r in data[name] if r["updated"] > since), key=lambda r: r["updated"])
        count = 0
        for row in rows:
            time.sleep(delay)
            emit({"type": "RECORD", "stream": name, "record": {k: row[k] for k in fields}})
            count, sent = count + 1, sent + 1
            if sent == config.get("broken_after"):
                sys.stdout.write('{"type": "RECORD", "stream": "al\n')
                return 0
            if sent == config.get("fail_after"):
                sys.stderr.write("slow-tap: ERROR the source refused the request (HTTP 500)\n")
                return 1
            if count % every == 0 or count == len(rows):
                bookmarks[name] = {"replication_key_value": row["updated"]}
                emit({"type": "STATE", "value": {"bookmarks": dict(bookmarks)}})
                point = {"metric": "record_count", "value": every, "tags": {"stream": name}}
                if count == len(rows) and count % every:
                    point["value"] = count % every
                sys.stderr.write(f"INFO METRIC: {json.dumps(point)}\n")
        if "bad_state" in config:
            emit({"type": "STATE", "value": config.pop("bad_state")})
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config")
    parser.add_argument("--state")
    parser.add_argument("--catalog")
    parser.add_argument("--discover", action="store_true")
    parser.add_argument("--about", action="store_true")
    parser.add_argument("--format")
    args = parser.parse_args()
    if args.about:
        emit(ABOUT)
        return 0
    config = json.loads(Path(args.config).read_text())
    if config.get("ignore_sigterm"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.stderr.write(f"slow-tap: auth with key {config.get('api_key')} / {config.get('auth')}\n")
    data = json.loads(Path(config["data_file"]).read_text())
    if args.discover:
        emit(catalog(data))
        return 0
    state = json.loads(Path(args.state).read_text()) if args.state else {}
    return sync(config, data, state, selection(args.catalog, data))


if __name__ == "__main__":
    sys.exit(main())
