"""The fast path (msgspec Structs straight into COPY rows) loads exactly what the full path
would, and hands every line it cannot take as it is to the full path."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from target_postgres import fastpath
from tests.targets.conftest import RunTarget, select

SCHEMA = {
    "type": "SCHEMA",
    "stream": "things",
    "key_properties": ["id"],
    "schema": {
        "properties": {
            "id": {"type": "integer"},
            "s": {"type": ["null", "string"]},
            "n": {"type": ["null", "number"]},
            "i": {"type": ["null", "integer"]},
            "b": {"type": ["null", "boolean"]},
            "o": {"type": ["null", "object"]},
            "a": {"type": ["null", "array"]},
            "t": {"type": ["null", "string"], "format": "date-time"},
        }
    },
}
# (raw JSON of the record, expected row (id, s, n, i, b, o, a)); every line is fast unless noted
CASES = [
    ('{"id": 1, "s": "plain", "n": 0.1, "i": 7, "b": true}', (1, "plain", Decimal("0.1"), 7, True)),
    ('{"id": 2, "s": "q\\"uote, back\\\\slash \\/ end"}', (2, 'q"uote, back\\slash / end')),
    ('{"id": 3, "s": "line\\nnext\\ttab\\rcr \\u001b esc"}', (3, "line\nnext\ttab\rcr \x1b esc")),
    ('{"id": 4, "s": "\\\\n is not a newline; \\\\\\n is"}', (4, "\\n is not a newline; \\\n is")),
    ('{"id": 5, "s": "caf\\u00e9 \\ud83d\\ude00 \u00e9"}', (5, "caf\u00e9 \U0001f600 \u00e9")),
    ('{"id": 6, "s": "null"}', (6, "null")),
    ('{"id": 7, "s": null, "n": null, "i": null, "b": null, "o": null, "a": null}', (7,)),
    ('{"id": 8, "s": ""}', (8, "")),
    ('{"id": 9, "n": 1.50000000000000000001}', (9, None, Decimal("1.50000000000000000001"))),
    ('{"id": 10, "n": 1e-30}', (10, None, Decimal("1E-30"))),
    ('{"id": 11, "n": 1180591620717411303424}', (11, None, Decimal("1180591620717411303424"))),
    ('{"id": 12, "n": -0, "i": -9223372036854775808}', (12, None, Decimal("0"), -(2**63))),
    ('{"id": 13, "o": {"k": "v\\"q\\n", "n": [1, 2.50]}, "a": [1, "x"]}', None),
    ('{"id": 14, "o": {"k":\t1}, "s": "x"}', (14, "x", None, None, None, {"k": 1})),
    ('{"extra": [1], "id": 15, "s": ",;\'"}', (15, ",;'")),
]
EXPECTED_13 = (13, None, None, None, None, {"k": 'v"q\n', "n": [1, 2.5]}, [1, "x"])


def _row(expected: tuple) -> tuple:
    return expected + (None,) * (7 - len(expected))


def _write(path: Path, records: list[str], stream: str = "things") -> Path:
    lines = [json.dumps(SCHEMA)]
    lines += [
        f'{{"type": "RECORD", "stream": "{stream}", "record": {record}}}' for record in records
    ]
    path.write_text("\n".join(lines) + '\n{"type": "STATE", "value": {"done": true}}\n')
    return path


def _rows(db: Any, db_schema: str) -> list[tuple]:
    return select(db, f'SELECT id, s, n, i, b, o, a FROM "{db_schema}".things ORDER BY id')


def test_every_value_arrives_exactly_through_the_fast_path(
    run_target: RunTarget, db, db_schema: str, tmp_path: Path
) -> None:
    done = run_target(_write(tmp_path / "in.singer", [record for record, _ in CASES]))
    assert done.returncode == 0, done.stderr
    assert "0 record(s) took the full path" in done.stderr
    expected = [_row(row) if row else EXPECTED_13 for _, row in CASES]
    assert _rows(db, db_schema) == expected


def test_lines_the_fast_path_cannot_take_go_the_full_way(
    run_target: RunTarget, db, db_schema: str, tmp_path: Path
) -> None:
    records = [
        '{"id": 1, "i": 3.0}',  # an integral float for an integer: the full path makes it 3
        '{"id": 2, "i": 9223372036854775808}',  # beyond bigint: the column becomes numeric
        '{"id": 3, "s": "nul \\u0000 here"}',  # NUL: removed, the line kept in the rejects
        '{"id": 4, "i": "lots"}',  # a misfit: rejected with its reason
        '{"id": 5, "n": "1.5"}',  # a string for a number: rejected, never converted
        '{"id": 6, "o": [1]}',  # an array for an object: rejected
        '{"id": 7, "s": "fast again"}',
    ]
    done = run_target(_write(tmp_path / "in.singer", records))
    assert done.returncode == 0, done.stderr
    assert "6 record(s) took the full path" in done.stderr
    assert _rows(db, db_schema) == [
        _row((1, None, None, 3)),
        _row((2, None, None, 9223372036854775808)),
        _row((3, "nul  here")),
        _row((7, "fast again")),
    ]
    reasons = select(
        db, f'SELECT line, reason, loaded FROM "{db_schema}"._bizops_rejects ORDER BY line'
    )
    assert [(line, loaded) for line, _, loaded in reasons] == [
        (4, True),
        (5, False),
        (6, False),
        (7, False),
    ]
    assert [reason for _, reason, _ in reasons] == [
        "NUL character(s) removed: PostgreSQL cannot store U+0000",
        "property 'i': expected integer, got string \"lots\"",
        "property 'n': expected number, got string \"1.5\"",
        "property 'o': expected object, got array [1]",
    ]


def test_a_missing_key_is_named_by_the_full_path(run_target: RunTarget, tmp_path: Path) -> None:
    done = run_target(_write(tmp_path / "in.singer", ['{"id": 1}', '{"s": "no id"}']))
    assert done.returncode == 65
    assert "line 3: RECORD for stream 'things' has no value for key property 'id'" in done.stderr


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b'{"a": "x\\"y"}', False),
        (b'{"a": "x\\\\y \\/"}', False),
        (b'{"a": "x\\ny"}', True),
        (b'{"a": "\\u00e9"}', True),
        (b'{"a":\t1}', True),
        (b'{"a": "x\\u0000"}', None),
        (b'{"a": "x\\\\\\u0000"}', None),  # an escaped backslash, then \u0000
        (b'{"a": "x\\\\u0000"}', False),  # an escaped backslash, then the text u0000
        (b'{"a":\r1}', True),
        (b'{"a": "x\\', True),  # cut short after a backslash: decoding then refuses it
        (b"{}", False),
    ],
)
def test_escapes(line: bytes, expected: bool | None) -> None:
    assert fastpath.escapes(line) is expected


def test_unescape_controls_reads_escapes_left_to_right() -> None:
    row = b'"a\\nb","c\\\\nd\\u001b\\"",1'
    assert fastpath.unescape_controls(row) == b'"a\nb","c\\\\nd\x1b\\"",1'


def test_a_number_key_repeated_as_1_and_1_0_is_one_key(
    run_target: RunTarget, db, db_schema: str, tmp_path: Path
) -> None:
    schema = {
        "type": "SCHEMA",
        "stream": "prices",
        "key_properties": ["n"],
        "schema": {"properties": {"n": {"type": "number"}, "s": {"type": "string"}}},
    }
    lines = [json.dumps(schema)]
    lines += [
        f'{{"type": "RECORD", "stream": "prices", "record": {{"n": {n}, "s": "{s}"}}}}'
        for n, s in [("1", "first"), ("2.5", "x"), ("1.0", "second"), ("1", "third")]
    ]
    source = tmp_path / "prices.singer"
    source.write_text("\n".join(lines) + "\n")
    assert run_target(source).returncode == 0
    assert run_target(source).returncode == 0  # every key stored: the batch merges
    rows = select(db, f'SELECT n, s FROM "{db_schema}".prices ORDER BY n')
    assert rows == [(Decimal("1"), "third"), (Decimal("2.5"), "x")]
