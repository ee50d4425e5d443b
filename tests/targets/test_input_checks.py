"""The careful path's value check gives PostgreSQL's own reason on every supported version:
``pg_input_error_info`` from 16 on, a temporary PL/pgSQL check before (13-15), the same text."""

from __future__ import annotations

import pytest
from psycopg2 import sql

from target_postgres.loader import NATIVE_INPUT_CHECKS, ROW, reject_query

CHECKED = [
    ("n", "bigint"),
    ("x", "numeric"),
    ("at", "timestamp with time zone"),
    ("on", "date"),
    ("t", "time without time zone"),
    ("b", "boolean"),
    ("doc", "jsonb"),
]
# one row per line: the text values COPY put into the careful stage (None: NULL)
VALUES = [
    ("1", "2.5", "2024-01-02T03:04:05Z", "2024-02-29", "12:00", "true", '{"a": 1}'),
    ("lots", None, "not-a-date", None, None, None, None),
    ("99999999999999999999", "abc", None, "2023-02-29", "25:61", "maybe", "{nope"),
    (None, None, None, None, None, None, None),
    ("7", "1e5", "2024-01-02 03:04:05+05:30", "2024-12-31", "23:59:59", "f", "[1, null]"),
]
EXPECTED = [
    (
        2,
        "column 'n': invalid input syntax for type bigint: \"lots\"; "
        "column 'at': invalid input syntax for type timestamp with time zone: \"not-a-date\"",
    ),
    (
        3,
        "column 'n': value \"99999999999999999999\" is out of range for type bigint; "
        "column 'x': invalid input syntax for type numeric: \"abc\"; "
        "column 'on': date/time field value out of range: \"2023-02-29\"; "
        "column 't': date/time field value out of range: \"25:61\"; "
        "column 'b': invalid input syntax for type boolean: \"maybe\"; "
        "column 'doc': invalid input syntax for type json",
    ),
]


@pytest.fixture
def careful(db) -> sql.Identifier:
    """A careful stage (text columns and the row number) holding ``VALUES``."""
    name = sql.Identifier("_bizops_careful_test")
    columns = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c, _ in CHECKED)
    with db.cursor() as cur:
        cur.execute(
            sql.SQL("CREATE TEMP TABLE {} ({}, {} bigint GENERATED ALWAYS AS IDENTITY)").format(
                name, columns, sql.Identifier(ROW)
            )
        )
        insert = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            name,
            sql.SQL(", ").join(sql.Identifier(c) for c, _ in CHECKED),
            sql.SQL(", ").join(sql.Placeholder() * len(CHECKED)),
        )
        cur.executemany(insert, VALUES)
    return name


def _rejects(db, careful: sql.Identifier, native: bool) -> list[tuple[int, str]]:
    with db.cursor() as cur:
        cur.execute(reject_query(cur, careful, CHECKED, native))
        return cur.fetchall()


def test_check_before_16_names_each_refused_value_with_postgresqls_message(db, careful) -> None:
    assert _rejects(db, careful, native=False) == EXPECTED


def test_check_before_16_gives_the_same_rows_and_reasons_as_pg_input_error_info(
    db, careful
) -> None:
    if db.server_version < NATIVE_INPUT_CHECKS:
        pytest.skip(f"server {db.server_version} has no pg_input_error_info (the matrix runs both)")
    assert _rejects(db, careful, native=True) == _rejects(db, careful, native=False) == EXPECTED


def test_check_refuses_what_copy_refuses_not_what_a_cast_would_truncate(db) -> None:
    # an explicit cast cuts 'abcdef' to varchar(3) without a word; COPY and the check refuse it
    with db.cursor() as cur:
        cur.execute(f'CREATE TEMP TABLE careful_typmod (s text, "{ROW}" bigint)')
        cur.execute("INSERT INTO careful_typmod VALUES ('abc', 1), ('abcdef', 2)")
        cur.execute(
            reject_query(
                cur, sql.Identifier("careful_typmod"), [("s", "character varying(3)")], False
            )
        )
        assert cur.fetchall() == [(2, "column 's': value too long for type character varying(3)")]


def test_check_names_a_domain_constraint_a_value_breaks(db, db_schema: str) -> None:
    # a column of a domain type (a table made by hand): its CHECK refuses the value as COPY would
    with db.cursor() as cur:
        cur.execute(f'CREATE DOMAIN "{db_schema}".positive AS bigint CHECK (VALUE > 0)')
        cur.execute(f'CREATE TEMP TABLE careful_domain (n text, "{ROW}" bigint)')
        cur.execute("INSERT INTO careful_domain VALUES ('5', 1), ('-5', 2), (NULL, 3)")
        checked = [("n", f'"{db_schema}".positive')]
        queries = [reject_query(cur, sql.Identifier("careful_domain"), checked, False)]
        if db.server_version >= NATIVE_INPUT_CHECKS:
            queries.append(reject_query(cur, sql.Identifier("careful_domain"), checked, True))
        domain = f"{db_schema}.positive"  # outside the search path: named with its schema
        reason = (
            f"column 'n': value for domain {domain} violates check constraint \"positive_check\""
        )
        for query in queries:
            cur.execute(query)
            assert cur.fetchall() == [(2, reason)]
