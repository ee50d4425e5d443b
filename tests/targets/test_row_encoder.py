"""The generated per-plan row encoder: exact fields, and the per-field encoders' checks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from target_postgres import encode

STR = frozenset({"string"})
INT = frozenset({"integer"})
NUM = frozenset({"number"})
BOOL = frozenset({"boolean"})
COLUMNS = [
    ("s", "text", STR),
    ("i", "bigint", INT),
    ("n", "numeric", NUM),
    ("b", "boolean", BOOL),
    ("t", "timestamp with time zone", STR),
    ("j", "jsonb", frozenset({"object", "array"})),
    ("a", "jsonb", None),
]


def one(column_type: str, kinds: frozenset[str] | None, value: Any, check: bool = True) -> str:
    return encode.row_encoder([("p", column_type, kinds)], check)({"p": value})


@pytest.mark.parametrize(
    ("column_type", "kinds", "value", "field"),
    [
        ("text", STR, "", '""'),
        ("text", STR, None, "null"),
        ("text", STR, 'a "b",\nc\td\\', '"a \\"b\\",\nc\td\\\\"'),
        ("text", STR, "😀 \\. \r\n", '"😀 \\\\. \r\n"'),
        ("text", STR, '"', '"\\""'),
        ("bigint", INT, 0, "0"),
        ("bigint", INT, -(2**63), "-9223372036854775808"),
        ("bigint", INT, 2**63 - 1, "9223372036854775807"),
        ("bigint", INT, 3.0, "3"),
        ("bigint", INT, Decimal("4.00"), "4"),
        ("numeric", NUM, 0.1, "0.1"),
        ("numeric", NUM, 1e16, "1e+16"),
        ("numeric", NUM, 1e-7, "1e-07"),
        ("numeric", NUM, 2**70, "1180591620717411303424"),
        ("numeric", NUM, Decimal("1.50000000000000000001"), "1.50000000000000000001"),
        ("numeric", NUM, Decimal("1E-400"), "1E-400"),
        ("boolean", BOOL, True, "true"),
        ("boolean", BOOL, False, "false"),
        (
            "timestamp with time zone",
            STR,
            "2024-01-01T00:00:00+05:30",
            '"2024-01-01T00:00:00+05:30"',
        ),
        ("jsonb", None, {"k": 'v"', "n": [1, 2.5]}, '"{\\"k\\":\\"v\\\\\\"\\",\\"n\\":[1,2.5]}"'),
        ("jsonb", None, [], '"[]"'),
        ("jsonb", None, "text", '"\\"text\\""'),
        ("jsonb", None, None, "null"),
        ("jsonb", None, {"n": Decimal("1.10")}, '"{\\"n\\":1.10}"'),
        ("text", None, 5, "5"),
        ("text", frozenset({"string", "integer"}), 7, "7"),
    ],
)
def test_fields_are_exact(column_type: str, kinds: Any, value: Any, field: str) -> None:
    assert one(column_type, kinds, value) == field
    assert one(column_type, kinds, value, check=False) == field


def test_row_matches_the_per_field_encoders() -> None:
    row_encoder = encode.row_encoder(COLUMNS, True)
    fields = [encode.checked(encode.encoder_for(kind), kinds) for _, kind, kinds in COLUMNS]
    records = [
        {"s": "x", "i": 1, "n": 2.5, "b": True, "t": "2024-01-01", "j": {"a": 1}, "a": [1]},
        {"s": "", "i": None, "n": 7, "j": [], "a": "q\"'", "extra": 1},
        {},
    ]
    for record in records:
        pairs = zip(COLUMNS, fields, strict=True)
        expected = ",".join(f(record.get(prop)) for (prop, _, _), f in pairs)
        assert row_encoder(record) == expected


@pytest.mark.parametrize(
    ("column_type", "kinds", "value"),
    [
        ("text", STR, 1),
        ("bigint", INT, True),
        ("bigint", INT, 2.5),
        ("numeric", NUM, "1"),
        ("boolean", BOOL, 1),
        ("jsonb", frozenset({"object"}), [1]),
    ],
)
def test_misfits_are_refused_when_checked(column_type: str, kinds: Any, value: Any) -> None:
    with pytest.raises(encode.Misfit):
        one(column_type, kinds, value)


def test_a_huge_integer_asks_for_numeric() -> None:
    with pytest.raises(encode.NeedsNumeric, match=r"^9223372036854775808$"):
        one("bigint", INT, 2**63)
    with pytest.raises(encode.NeedsNumeric):
        one("bigint", INT, Decimal(2**64))


def test_property_names_are_data_not_code() -> None:
    name = "x'); import os #\n\"{f0}"
    assert encode.row_encoder([(name, "text", STR)], True)({name: "v"}) == '"v"'


def test_no_columns_and_cache() -> None:
    assert encode.row_encoder([], True)({"a": 1}) == ""
    columns = tuple(COLUMNS)
    assert encode.cached_row_encoder(columns, True) is encode.cached_row_encoder(columns, True)
