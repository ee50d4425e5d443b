"""A second SCHEMA adds columns and widens types in place; no stored value changes, nothing is
dropped, and a narrowing keeps the wider column."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.targets.conftest import DATA, RunTarget, select


def _types(db, schema: str) -> dict[str, str]:
    return dict(
        select(
            db,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = 'w' AND column_name NOT LIKE '\\_sdc%%'",
            schema,
        )
    )


def test_widening_keeps_every_stored_value(run_target: RunTarget, db, db_schema: str) -> None:
    result = run_target(DATA / "widening.singer")
    assert result.returncode == 0, result.stderr
    assert _types(db, db_schema) == {
        "id": "bigint",
        "n": "numeric",
        "s": "text",
        "o": "jsonb",
        "t": "text",
        "keep": "numeric",
        "added": "boolean",
    }
    rows = select(db, f'SELECT id, n, s, o, t, keep, added FROM "{db_schema}".w ORDER BY id')
    assert rows == [
        (
            1,
            Decimal("9007199254740993"),
            "7",
            "plain",
            "2023-12-31 23:00:00.000001+00",
            Decimal("0.1"),
            None,
        ),
        (2, Decimal("2.5"), "seven", {"a": [1]}, "whenever", Decimal(3), True),
    ]
    reasons = select(db, f'SELECT line, reason FROM "{db_schema}"._bizops_rejects')
    assert reasons == [(5, "property 'keep': expected integer, got string \"lots\"")]


def test_a_later_run_widens_the_table_of_an_earlier_run(
    run_target: RunTarget, db, db_schema: str, tmp_path
) -> None:
    lines = (DATA / "widening.singer").read_text().splitlines()
    first, second = tmp_path / "first.singer", tmp_path / "second.singer"
    first.write_text("\n".join(lines[:2]) + "\n")
    second.write_text("\n".join(lines[2:4]) + "\n")
    assert run_target(first).returncode == 0
    assert _types(db, db_schema)["n"] == "bigint"
    result = run_target(second)
    assert result.returncode == 0, result.stderr
    assert select(db, f'SELECT id, n, t FROM "{db_schema}".w ORDER BY id') == [
        (1, Decimal("9007199254740993"), "2023-12-31 23:00:00.000001+00"),
        (2, Decimal("2.5"), "whenever"),
    ]


def test_an_older_schema_does_not_narrow(run_target: RunTarget, db, db_schema: str, tmp_path):
    lines = (DATA / "widening.singer").read_text().splitlines()
    replay = tmp_path / "replay.singer"
    replay.write_text("\n".join([*lines[2:4], lines[0], lines[1]]) + "\n")
    result = run_target(replay)
    assert result.returncode == 0, result.stderr
    assert _types(db, db_schema)["t"] == "text"
    assert select(db, f'SELECT id, t FROM "{db_schema}".w ORDER BY id') == [
        (1, "2024-01-01T00:00:00.000001+01:00"),
        (2, "whenever"),
    ]
    assert dt.UTC  # timestamps stay text once widened: the text is kept as sent
