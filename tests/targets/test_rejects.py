"""Values PostgreSQL cannot hold or that do not fit the schema go to the rejects table; the load
goes on, and NULs are removed from a record that is loaded anyway, its original line kept."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from tests.targets.conftest import DATA, RunTarget, select, state_lines

REJECTS = 'SELECT stream, line, raw, reason, loaded FROM "{}"._bizops_rejects ORDER BY line'


def _raw(line: int) -> str:
    return (DATA / "rejects.singer").read_text().splitlines()[line - 1]


def test_misfits_go_to_the_rejects_table_and_the_rest_loads(
    run_target: RunTarget, db, db_schema: str
) -> None:
    result = run_target(DATA / "rejects.singer")
    assert result.returncode == 0, result.stderr
    items = select(db, f'SELECT id, qty, at, name, doc FROM "{db_schema}".items ORDER BY id')
    assert items == [
        (1, Decimal(5), dt.datetime(2024, 1, 2, 1, 4, 5, tzinfo=dt.UTC), "ok", None),
        (4, Decimal(2), None, "nulhere", {"k": ["xy"]}),
        (5, Decimal("18446744073709551616123"), None, "huge", None),
    ]
    notes = select(db, f'SELECT body, "on" FROM "{db_schema}".notes ORDER BY body')
    assert notes == [("", None), ("fine", dt.date(2024, 2, 29))]
    rejects = select(db, REJECTS.format(db_schema))
    assert [(stream, line, raw, loaded) for stream, line, raw, _, loaded in rejects] == [
        ("items", 4, _raw(4), False),
        ("items", 6, _raw(6), False),
        ("notes", 7, _raw(7), False),
        ("items", 8, _raw(8), True),
    ]
    reasons = [row[3] for row in rejects]
    assert reasons[0] == "property 'qty': expected integer, got string \"lots\""
    assert reasons[1].startswith("PostgreSQL refused a value: column 'at': invalid input syntax")
    assert reasons[2].startswith("PostgreSQL refused a value: column 'on': date/time field value")
    assert reasons[3].startswith("NUL character(s) removed")
    assert json.loads(rejects[3][2])["record"]["name"] == "nul\x00here"
    assert state_lines(result.stdout) == [{"done": 1}, {"done": 2}]
    assert "stream items: rejected 3 record(s) into" in result.stderr
    assert "stream notes: rejected 1 record(s) into" in result.stderr


def test_integers_beyond_64_bits_widen_the_column_to_numeric(
    run_target: RunTarget, db, db_schema: str
) -> None:
    result = run_target(DATA / "reject_integer_overflow.singer")
    assert result.returncode == 0, result.stderr
    assert select(db, f'SELECT id, n FROM "{db_schema}".numbers ORDER BY id') == [
        (1, Decimal(5)),
        (2, Decimal("18446744073709551616")),
    ]


def test_validation_off_lets_postgresql_decide(run_target: RunTarget, db, db_schema: str) -> None:
    result = run_target(DATA / "rejects.singer", validate_records="off")
    assert result.returncode == 0, result.stderr
    reasons = [row[3] for row in select(db, REJECTS.format(db_schema))]
    assert reasons[0].startswith("PostgreSQL refused a value: column 'qty': invalid input syntax")
    assert len(reasons) == 4


def test_strict_validation_checks_formats(run_target: RunTarget, db, db_schema: str) -> None:
    result = run_target(DATA / "rejects.singer", validate_records="strict")
    assert result.returncode == 0, result.stderr
    rejects = select(db, REJECTS.format(db_schema))
    assert [row[1] for row in rejects] == [4, 6, 7, 8]
    assert rejects[0][3] == "qty: 'lots' is not of type 'null', 'integer'"
    assert rejects[1][3].endswith('timestamp with time zone: "yesterday-ish"')


def test_edge_numbers_are_rejected_or_named_never_crash(
    run_target: RunTarget, db, db_schema: str
) -> None:
    result = run_target(DATA / "edge_numbers.singer")
    assert result.returncode == 65
    assert "line 6" in result.stderr
    assert "a number's exponent is out of range" in result.stderr
    assert "Traceback" not in result.stderr
    assert select(db, f'SELECT id, n, m FROM "{db_schema}".edges ORDER BY id') == [
        (1, Decimal(1), 2)
    ]
    reasons = [(line, reason) for _, line, _, reason, _ in select(db, REJECTS.format(db_schema))]
    assert reasons == [
        (3, "property 'm': expected integer, got string \"lots\""),
        (4, "the message's version 18446744073709551616 does not fit _sdc_table_version (bigint)"),
    ]
    assert state_lines(result.stdout) == [{"done": 1}]
