"""Unit tests of the pure parts: identifiers, type mapping, exact decoding, CSV encoding."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bizops_core.errors import DataError
from target_postgres import encode, fastpath, identifiers, reader, types
from target_postgres import reader as reader_module
from target_postgres.batch import Batch, Column, StreamPlan


@pytest.mark.parametrize(
    ("name", "identifier"),
    [
        ("FirstName", "firstname"),
        ("test:SpecialChars!in?attributes", "test_specialchars_in_attributes"),
        ("_id", "_id"),
        ("Straße Nr.", "straße_nr_"),
        ("1st", "1st"),
        ("", "_"),
        ('a"; DROP TABLE x; --', "a_drop_table_x_"),
    ],
)
def test_conform(name: str, identifier: str) -> None:
    assert identifiers.conform(name) == identifier


def test_assign_keeps_plain_names_and_suffixes_collisions_stably() -> None:
    first = identifiers.assign(["FirstName", "firstname", "first name", "first_name"])
    again = identifiers.assign(["first_name", "first name", "firstname", "FirstName"])
    assert first == again
    assert first["firstname"] == "firstname"
    assert first["first_name"] == "first_name"
    assert first["FirstName"].startswith("firstname_") and len(first["FirstName"]) == 18
    assert first["first name"].startswith("first_name_")
    assert len(set(first.values())) == 4


def test_assign_shortens_long_names_to_63_bytes_with_a_hash() -> None:
    names = ["a" * 70, "a" * 70 + "b", "é" * 40]
    assigned = identifiers.assign(names)
    assert all(len(ident.encode()) <= 63 for ident in assigned.values())
    assert len(set(assigned.values())) == 3
    assert assigned["a" * 70].startswith("a" * 54 + "_")
    assert assigned == identifiers.assign(reversed(names))


def test_assign_avoids_taken_identifiers() -> None:
    assert identifiers.assign(["_SDC_sequence"], taken=["_sdc_sequence"])["_SDC_sequence"] != (
        "_sdc_sequence"
    )


@pytest.mark.parametrize(
    ("existing", "wanted", "result"),
    [
        ("bigint", "numeric", "numeric"),
        ("numeric", "bigint", "numeric"),
        ("bigint", "text", "text"),
        ("timestamp with time zone", "text", "text"),
        ("text", "jsonb", "jsonb"),
        ("jsonb", "bigint", "jsonb"),
        ("timestamptz", "timestamp with time zone", "timestamp with time zone"),
        ("boolean", "date", "text"),
    ],
)
def test_widened(existing: str, wanted: str, result: str) -> None:
    assert types.widened(existing, wanted) == result


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
        (encode.scalar, None, "null"),
        (encode.scalar, "", '""'),
        (encode.scalar, 'a "b",\nc\\', '"a \\"b\\",\nc\\\\"'),
        (encode.scalar, True, "true"),
        (encode.scalar, 0.1, "0.1"),
        (encode.scalar, Decimal("1E-400"), "1E-400"),
        (encode.scalar, {"a": [1]}, '"{\\"a\\":[1]}"'),
        (encode.integer, 3.0, "3"),
        (encode.integer, Decimal("4.00"), "4"),
        (encode.integer, 2.5, "2.5"),
        (encode.jsonb, "text", '"\\"text\\""'),
        (encode.jsonb, None, "null"),
        (encode.jsonb, {"n": Decimal("1.10")}, '"{\\"n\\":1.10}"'),
    ],
)
def test_encode(encoder, value: object, field: str) -> None:
    assert encoder(value) == field


def test_holds_nul_looks_inside_objects() -> None:
    assert encode.holds_nul({"a": [{"b": "x\x00"}]})
    assert not encode.holds_nul({"a": ["\\u0000"]})


@pytest.mark.parametrize("fast", [False, True])
def test_batches_split_rows_that_update_keys_sent_earlier_in_the_run(fast: bool) -> None:
    columns = [
        Column("k", "k", "bigint", frozenset({"integer"})),
        Column("v", "v", "text", frozenset({"string"})),
    ]
    plan = StreamPlan("s", "x", "s", columns, ("k",), ("k",), ())
    reader = fastpath.fast_stream(plan) if fast else None
    decode = fastpath.decoder([reader]).decode if reader else None

    def batch_of(rows: list[tuple[int, str]]) -> Batch:
        batch = Batch(plan, reader)
        for number, (k, v) in enumerate(rows, 1):
            line = b'{"type": "RECORD", "stream": "s", "record": {"k": %d, "v": "%s"}}' % (
                k,
                v.encode(),
            )
            if decode:
                assert batch.add_fast(decode(line), line, number, bool(fastpath.escapes(line)))
            else:
                message = reader_module.parse_message(number, line)
                batch.add(message.body["record"], message)
        return batch

    first = batch_of([(1, "a"), (2, "b"), (1, "c\\nd"), (3, "e"), (2, "f")])
    assert first.tracked and not first.duplicates
    # a row may hold a newline inside its quotes: the halves are cut by the recorded spans
    assert first.split() == (b'1,"a"\n2,"b"\n3,"e"\n', b'1,"c\nd"\n2,"f"\n')
    assert [first.row_index(i, "new") for i in range(3)] == [0, 1, 3]
    assert [first.row_index(i, "updates") for i in range(2)] == [2, 4]
    assert first.row_index(4, None) == 4
    second = batch_of([(4, "g"), (3, "h")])  # key 3 came in the first batch
    assert second.split() == (b'4,"g"\n', b'3,"h"\n')
    plan.run_keys = None  # no longer tracked (as after a stored key): in-batch repeats only
    third = batch_of([(5, "i"), (5, "j")])
    assert not third.tracked and third.duplicates and not third.updates


@pytest.mark.parametrize("fast", [False, True])
def test_a_batch_detaches_the_records_after_a_mark_with_their_update_spans(fast: bool) -> None:
    columns = [
        Column("k", "k", "bigint", frozenset({"integer"})),
        Column("v", "v", "text", frozenset({"string"})),
    ]
    plan = StreamPlan("s", "x", "s", columns, ("k",), ("k",), ())
    reader = fastpath.fast_stream(plan) if fast else None
    decode = fastpath.decoder([reader]).decode if reader else None
    batch = Batch(plan, reader)
    mark = None
    for number, (k, v) in enumerate([(1, "a"), (2, "b"), (1, "c"), (3, "d"), (2, "e")], 1):
        line = b'{"type": "RECORD", "stream": "s", "record": {"k": %d, "v": "%s"}}' % (
            k,
            v.encode(),
        )
        if decode:
            assert batch.add_fast(decode(line), line, number, False)
        else:
            message = reader_module.parse_message(number, line)
            batch.add(message.body["record"], message)
        if number == 3:
            mark = batch.mark()  # a STATE came after line 3
    tail = batch.detach_after(mark)
    assert (len(batch), batch.lines, batch.first_line) == (3, [1, 2, 3], 1)
    assert batch.split() == (b'1,"a"\n2,"b"\n', b'1,"c"\n')
    assert (len(tail), tail.lines, tail.first_line) == (2, [4, 5], 4)
    assert tail.split() == (b'3,"d"\n', b'2,"e"\n')
    assert [tail.row_index(i, "updates") for i in range(1)] == [1]
    empty = tail.detach_after(Batch(plan, reader).mark())
    assert (len(tail), bool(tail), len(empty), empty.first_line) == (0, False, 2, 4)
