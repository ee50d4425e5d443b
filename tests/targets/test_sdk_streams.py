"""Every .singer file shipped with singer-sdk's target test suite, fed to the executable."""

from __future__ import annotations

import datetime as dt
import importlib.resources
import json
from decimal import Decimal
from pathlib import Path

import pytest

from target_postgres import types
from target_postgres.identifiers import conform
from tests.targets.conftest import RunTarget, select, state_lines

STREAMS = importlib.resources.files("singer_sdk.testing.target_test_streams")
FILES = sorted(
    (Path(str(path)) for path in STREAMS.iterdir() if path.name.endswith(".singer")),
    key=lambda path: path.name,
)
STRUCTURAL_FAILURES = {
    "invalid_schema": "line 1: SCHEMA for stream 'test_invalid_schema' has no 'properties'",
    "record_before_schema": "line 1: RECORD for stream 'test_record_before_schema' arrived "
    "before its SCHEMA",
    "record_missing_key_property": "line 2: RECORD for stream 'test_record_missing_key_property' "
    "has no value for key property 'id'",
}


class Oracle:
    """What the tables must hold after a file: per stream the columns (with types) and rows."""

    def __init__(self, path: Path) -> None:
        self.keys: dict[str, list[str]] = {}
        self.types: dict[str, dict[str, str]] = {}
        self.rows: dict[str, dict] = {}
        for line in path.read_text().splitlines():
            message = json.loads(line)
            stream = message.get("stream")
            if message["type"] == "SCHEMA":
                self._schema(stream, message)
            elif message["type"] == "RECORD":
                record = strip_nul(message["record"])
                rows = self.rows[stream]
                keys = self.keys[stream]
                rows[tuple(record[k] for k in keys) if keys else len(rows)] = record

    def _schema(self, stream: str, message: dict) -> None:
        self.keys[stream] = message.get("key_properties") or []
        self.rows.setdefault(stream, {})
        known = self.types.setdefault(stream, {})
        for prop, schema in message["schema"]["properties"].items():
            kind = types.catalog(types.column_type(schema))
            known[prop] = types.widened(known[prop], kind) if prop in known else kind


def strip_nul(value):
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {strip_nul(k): strip_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_nul(v) for v in value]
    return value


def expected_value(kind: str, value):
    """A JSON value as psycopg2 returns it from a column of type ``kind``."""
    if value is None or kind == "jsonb":
        return value
    if kind == "numeric":
        return Decimal(str(value))
    if kind == "timestamp with time zone":
        return dt.datetime.fromisoformat(value).astimezone(dt.UTC)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "text" and not isinstance(value, str):
        return json.dumps(value, separators=(",", ":"))
    return value


def actual_types(db, schema: str, table: str) -> dict[str, str]:
    return dict(
        select(
            db,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s AND column_name NOT LIKE '\\_sdc%%'",
            schema,
            table,
        )
    )


def last_state(path: Path) -> list:
    states = [json.loads(line) for line in path.read_text().splitlines()]
    values = [message["value"] for message in states if message["type"] == "STATE"]
    return values[-1:]


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_sdk_target_stream(run_target: RunTarget, db, db_schema: str, path: Path) -> None:
    result = run_target(path)
    if path.stem in STRUCTURAL_FAILURES:
        assert result.returncode == 65
        assert STRUCTURAL_FAILURES[path.stem] in result.stderr
        return
    assert result.returncode == 0, result.stderr
    assert state_lines(result.stdout)[-1:] == last_state(path)
    oracle = Oracle(path)
    for stream, kinds in oracle.types.items():
        table = conform(stream)
        columns = {prop: conform(prop) for prop in kinds}
        assert actual_types(db, db_schema, table) == {
            columns[prop]: kind for prop, kind in kinds.items()
        }, stream
        names = ", ".join(f'"{column}"' for column in columns.values())
        order = ", ".join(f'"{columns[key]}"' for key in oracle.keys[stream]) or "_sdc_sequence"
        rows = select(db, f'SELECT {names} FROM "{db_schema}"."{table}" ORDER BY {order}')
        expected = [
            tuple(expected_value(kinds[prop], record.get(prop)) for prop in kinds)
            for _, record in sorted(oracle.rows[stream].items(), key=lambda item: item[0])
        ]
        assert rows == expected, stream
    if path.stem == "encoded_string_data":
        reasons = select(db, f'SELECT line, reason FROM "{db_schema}"._bizops_rejects')
        assert [line for line, _ in reasons] == [12, 24, 31]  # the lines holding a NUL
        assert all(reason.startswith("NUL character(s) removed") for _, reason in reasons)
