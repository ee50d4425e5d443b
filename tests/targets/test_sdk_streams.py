"""Every .singer file shipped with singer-sdk's target test suite, fed to the executable."""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path

import pytest

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
# encoded_string_data.singer sends U+0000 in a string, which PostgreSQL text and jsonb cannot
# store. Until the rejects table exists the load stops there, naming the line, with the ten rows
# before it committed.
NUL_FAILURE = "line 12: RECORD for stream 'test_strings' holds a NUL character"


def expected_counts(path: Path, until_line: int | None = None) -> dict[str, int]:
    """Rows per table: distinct keys for keyed streams, every record for the others."""
    keys: dict[str, list[str]] = {}
    seen: dict[str, set] = {}
    appended: dict[str, int] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if until_line is not None and number >= until_line:
            break
        message = json.loads(line)
        stream = message.get("stream")
        if message["type"] == "SCHEMA":
            keys[stream] = message.get("key_properties") or []
        elif message["type"] == "RECORD" and keys[stream]:
            seen.setdefault(stream, set()).add(tuple(message["record"][k] for k in keys[stream]))
        elif message["type"] == "RECORD":
            appended[stream] = appended.get(stream, 0) + 1
    counts = {conform(stream): 0 for stream in keys}
    counts.update({conform(stream): len(values) for stream, values in seen.items()})
    counts.update({conform(stream): count for stream, count in appended.items()})
    return counts


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
    if path.stem == "encoded_string_data":
        assert result.returncode == 65
        assert NUL_FAILURE in result.stderr
        expected = expected_counts(path, until_line=12)
    else:
        assert result.returncode == 0, result.stderr
        expected = expected_counts(path)
        assert state_lines(result.stdout)[-1:] == last_state(path)
    for table, count in expected.items():
        assert select(db, f'SELECT count(*) FROM "{db_schema}"."{table}"') == [(count,)], table
