"""Unit tests of the pure parts: identifiers, type mapping, exact decoding, CSV encoding."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bizops_core.errors import DataError
from target_postgres import encode, identifiers, reader, types


@pytest.mark.parametrize(
    ("name", "identifier"),
    [
        ("FirstName", "firstname"),
        ("test:SpecialChars!in?attributes", "test_specialchars_in_attributes"),
        ("_id", "_id"),
        ("Straße Nr.", "straße_nr_"),
        ("1st", "1st"),
        ("", "_"),
        ("a" * 70, "a" * 63),
        ("é" * 40, "é" * 31),
    ],
)
def test_conform(name: str, identifier: str) -> None:
    assert identifiers.conform(name) == identifier
    assert len(identifiers.conform(name).encode()) <= 63


def test_conform_all_refuses_collisions() -> None:
    with pytest.raises(DataError, match="property 'a-b' and property 'a_b' both become"):
        identifiers.conform_all(["a_b", "a-b"])
    with pytest.raises(DataError, match="target's own column '_sdc_sequence'"):
        identifiers.conform_all(["_SDC_sequence"], reserved=["_sdc_sequence"])


@pytest.mark.parametrize(
    ("schema", "column_type"),
    [
        ({"type": "string"}, "text"),
        ({"type": ["null", "string"], "format": "date-time"}, "timestamptz"),
        ({"type": "string", "format": "date"}, "date"),
        ({"type": "string", "format": "time"}, "time"),
        ({"type": "string", "format": "email"}, "text"),
        ({"type": "integer"}, "bigint"),
        ({"type": ["integer", "number"]}, "numeric"),
        ({"type": "number"}, "numeric"),
        ({"type": "boolean"}, "boolean"),
        ({"type": "object"}, "jsonb"),
        ({"type": ["null", "array"]}, "jsonb"),
        ({"properties": {}}, "jsonb"),
        ({}, "jsonb"),
        ({"type": ["string", "integer"]}, "text"),
        ({"type": ["string", "object"]}, "jsonb"),
        ({"type": "null"}, "text"),
        ({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]}, "timestamptz"),
        ({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string"}]}, "text"),
    ],
)
def test_column_type(schema: dict, column_type: str) -> None:
    assert types.column_type(schema) == column_type


def test_column_type_refuses_unknown_types() -> None:
    with pytest.raises(DataError, match="unknown JSON Schema type 'strnig'"):
        types.column_type({"type": "strnig"})


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"0.1", 0.1),
        (b"18446744073709551616", Decimal("18446744073709551616")),
        (b"-9223372036854775808", -9223372036854775808),
        (b"1e-400", Decimal("1e-400")),
        (b"1e400", Decimal("1e400")),
        (b"1.00000000000000000001", Decimal("1.00000000000000000001")),
        (b'"1234567890123456"', "1234567890123456"),
    ],
)
def test_decode_keeps_numbers_exact(text: bytes, value: object) -> None:
    decoded = reader.decode(text)
    assert decoded == value
    assert type(decoded) is type(value)


@pytest.mark.parametrize("text", [b"NaN", b"[1e999, Infinity]", b'["\\ud800", 1e999]', b"{"])
def test_decode_refuses_what_is_not_json(text: bytes) -> None:
    with pytest.raises(ValueError):
        reader.decode(text)


@pytest.mark.parametrize(
    ("encoder", "value", "field"),
    [
        (encode.scalar, None, ""),
        (encode.scalar, "", '""'),
        (encode.scalar, 'a "b",\nc\\', '"a ""b"",\nc\\"'),
        (encode.scalar, True, "true"),
        (encode.scalar, 0.1, "0.1"),
        (encode.scalar, Decimal("1E-400"), "1E-400"),
        (encode.scalar, {"a": [1]}, '"{""a"":[1]}"'),
        (encode.integer, 3.0, "3"),
        (encode.integer, Decimal("4.00"), "4"),
        (encode.integer, 2.5, "2.5"),
        (encode.jsonb, "text", '"""text"""'),
        (encode.jsonb, None, ""),
        (encode.jsonb, {"n": Decimal("1.10")}, '"{""n"":1.10}"'),
    ],
)
def test_encode(encoder, value: object, field: str) -> None:
    assert encoder(value) == field


def test_holds_nul_looks_inside_objects() -> None:
    assert encode.holds_nul({"a": [{"b": "x\x00"}]})
    assert not encode.holds_nul({"a": ["\\u0000"]})
