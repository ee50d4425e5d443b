"""Writes record values as fields of COPY's CSV format, without changing any value."""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import orjson

from target_postgres.reader import _fragment
from target_postgres.reader import encode as json_text
from target_postgres.types import INTEGER_TYPES, JSON_COLUMN_TYPES

# Rows are COPY CSV with a backslash as the escape character and an unquoted null as NULL
# (COPY_OPTIONS): a quoted field holds its text with '"' and '\\' escaped by a backslash, so
# newlines, tabs and emoji pass as they are; an unquoted null is NULL and a quoted "null" the
# string; a quoted "" is the empty string. Every string is quoted, which also keeps a lone \.
# from reading as end-of-data. A JSON array's body as msgspec writes it is such a row, as long
# as no string needs an escape other than \" (see fastpath).
COPY_OPTIONS = "FORMAT csv, ESCAPE E'\\\\', NULL 'null'"
NULL = "null"
Encoder = Callable[[Any], str]
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
_BIGINT_DIGITS = 18  # a Decimal whose adjusted exponent is above this is beyond 64 bits


def quote(text: str) -> str:
    """A CSV field holding exactly ``text``."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def scalar(value: Any) -> str:
    """A value for a text, numeric, boolean, date or time column.

    Strings go as they are (PostgreSQL parses or refuses them); numbers in their exact decimal
    form (floats from the fast decoder have at most 15 significant digits, so ``repr`` gives
    back the digits of the input); objects and arrays as JSON text.
    """
    kind = type(value)
    if kind is str:
        return quote(value)
    if value is None:
        return NULL
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is float:
        return repr(value)
    if kind is Decimal:
        return str(value)
    return quote(json_text(value))


class NeedsNumeric(ValueError):
    """An integer beyond 64 bits arrived for a bigint column: the column must become numeric."""


def integer(value: Any) -> str:
    """A value for a bigint column: ``3.0`` is the integer 3 (JSON Schema says so); a value with
    a fraction is passed on for PostgreSQL to refuse rather than rounded here.

    Raises:
        NeedsNumeric: for an integer beyond 64 bits (the caller widens the column).
    """
    kind = type(value)
    if kind is float and value.is_integer():
        # the number as written (the reader's floats hold at most 15 digits, so repr gives them
        # back): int(1e30) would be the double's 1000000000000000019884624838656
        value, kind = int(Decimal(repr(value))), int
    elif kind is Decimal and value.is_finite() and value == value.to_integral_value():
        if value.adjusted() > _BIGINT_DIGITS:  # beyond 64 bits: never int() it (1e999999999
            raise NeedsNumeric(str(value))  # would take a billion digits); numeric reads it
        value, kind = int(value), int
    if kind is int:
        if BIGINT_MIN <= value <= BIGINT_MAX:
            return repr(value)
        raise NeedsNumeric(repr(value))
    return scalar(value)


def jsonb(value: Any) -> str:
    """A value for a jsonb column: any JSON value (a string too) as JSON text; null is NULL."""
    if value is None:
        return NULL
    return quote(json_text(value))


def encoder_for(column_type: str) -> Encoder:
    """The encoder for a column of the given PostgreSQL type (as the catalog spells it)."""
    if column_type in JSON_COLUMN_TYPES:
        return jsonb
    if column_type in INTEGER_TYPES:
        return integer
    return scalar


class Misfit(ValueError):
    """A value does not have a JSON type its property's schema allows."""


_JSON_KIND = {
    str: "string",
    int: "integer",
    float: "number",
    Decimal: "number",
    bool: "boolean",
    dict: "object",
    list: "array",
}


def json_kind(value: Any) -> str:
    """The JSON Schema type of a decoded value (``integer`` for integral numbers)."""
    kind = _JSON_KIND.get(type(value), "null")
    if kind == "number":  # (not int(value): 1e999999999 would take a billion digits)
        integral = value.is_integer() if type(value) is float else _integral(value)
        if integral:
            return "integer"
    return kind


def _integral(value: Decimal) -> bool:
    return value.is_finite() and value == value.to_integral_value()


def checked(encoder: Encoder, kinds: frozenset[str] | None) -> Encoder:
    """Wrap ``encoder`` so that a value of a JSON type outside ``kinds`` raises :class:`Misfit`.

    Null always passes (nullability is not enforced in ``types`` mode); ``kinds`` None allows
    any value. Text and bigint columns of plain string / integer properties get a fast path.
    """
    if kinds is None:
        return encoder

    def check(value: Any) -> str:
        if value is not None:
            kind = json_kind(value)
            if kind not in kinds and not (kind == "integer" and "number" in kinds):
                shown = json_text(value)
                shown = shown if len(shown) <= 60 else shown[:57] + "..."
                raise Misfit(f"expected {'/'.join(sorted(kinds))}, got {kind} {shown}")
        return encoder(value)

    return _fast(check, encoder, kinds)


# Python types whose values need no check for a given column encoder and JSON types: the
# common case takes one type lookup, anything else goes through the full check.
_FAST_TYPES = {"string": (str,), "number": (int, float), "boolean": (bool,), "object": (dict,)}
_FAST_TYPES["array"] = (list,)


def _fast(slow: Encoder, encoder: Encoder, kinds: frozenset[str]) -> Encoder:
    if encoder is integer:
        if kinds != {"integer"}:
            return slow

        def bigint(value: Any) -> str:
            if type(value) is int and BIGINT_MIN <= value <= BIGINT_MAX:
                return repr(value)
            return NULL if value is None else slow(value)

        return bigint
    accepted = frozenset(t for kind in kinds for t in _FAST_TYPES.get(kind, ()))
    if encoder is jsonb:
        write = jsonb
    elif accepted == {str}:
        write = quote
    elif accepted and accepted <= {int, float}:
        write = repr
    elif accepted == {bool}:
        write = scalar
    else:
        return slow

    def fast(value: Any) -> str:
        if type(value) in accepted:
            return write(value)
        return NULL if value is None else slow(value)

    return fast


def strip_nul(value: Any) -> Any:
    """The value with every U+0000 removed from its strings (object keys too).

    Walks containers with an explicit stack: a value may be nested as deep as a line can be
    (1024 levels), deeper than Python's recursion limit.
    """
    if not isinstance(value, dict | list):
        return value.replace("\x00", "") if isinstance(value, str) else value
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(value, root, 0)]  # (source, target, slot)
    while stack:
        item, into, slot = stack.pop()
        if isinstance(item, str):
            item = item.replace("\x00", "")
        elif isinstance(item, dict):
            copy: dict[str, Any] = {}
            members = []
            for key, member in item.items():
                key = key.replace("\x00", "")
                copy[key] = None
                members.append((member, copy, key))
            stack.extend(reversed(members))  # filled in order: of two equal keys the last wins
            item = copy
        elif isinstance(item, list):
            item_copy: list[Any] = [None] * len(item)
            stack.extend((member, item_copy, index) for index, member in enumerate(item))
            item = item_copy
        into[slot] = item
    return root[0]


def holds_nul(value: Any) -> bool:
    """Whether a string anywhere in the value holds U+0000, which PostgreSQL text cannot store
    (walked with an explicit stack, as in :func:`strip_nul`)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


# --- One generated function per stream plan -------------------------------------------------
# Calling one encoder per field costs a Python call each (about half of a record's time). The
# row encoder below is Python source built once per plan from fixed snippets: the common types
# are encoded inline and anything else goes to the column's full encoder (``checked`` above), so
# values, checks and errors stay exactly those of the per-field encoders. Property names and
# encoders reach the code as globals K<i> / S<i>; nothing from the input is formatted into it.
RowEncoder = Callable[[dict[str, Any]], str]
_INLINE = {
    str: ("t is str", "'\"' + v.replace(B, BB).replace(Q, BQ) + '\"'"),
    int: ("t is int", "v"),  # an f-string formats an int as repr does
    float: ("t is float", "v"),  # and a float as repr does (shortest round-trip digits)
    bool: ("t is bool", "'true' if v else 'false'"),
    dict: ("t is dict", "'\"' + D(v, default=F).decode().replace(B, BB).replace(Q, BQ) + '\"'"),
    list: ("t is list", "'\"' + D(v, default=F).decode().replace(B, BB).replace(Q, BQ) + '\"'"),
}
_NATURAL = {scalar: (str, int, float, bool), integer: (int,), jsonb: (dict, list)}
_KIND_TYPES = {"string": {str}, "integer": {int}, "number": {int, float}, "boolean": {bool}}
_KIND_TYPES |= {"object": {dict}, "array": {list}}


def _inlined(encoder: Encoder, kinds: frozenset[str] | None, check: bool) -> list[type]:
    """The value types a column encodes inline: those its encoder takes as they are and (when
    types are checked) its schema allows without a closer look."""
    natural = _NATURAL.get(encoder, ())
    if not check or kinds is None:
        return list(natural)
    allowed = set().union(*(_KIND_TYPES.get(kind, set()) for kind in kinds))
    return [kind for kind in natural if kind in allowed]


def _column_source(index: int, encoder: Encoder, inline: list[type]) -> list[str]:
    lines = [f"    v = get(K{index})", "    t = type(v)"]
    for position, kind in enumerate(inline):
        test, value = _INLINE[kind]
        if encoder is integer:  # beyond 64 bits the full encoder asks for a numeric column
            test += " and LO <= v <= HI"
        lines += [f"    {'if' if position == 0 else 'elif'} {test}:", f"        f{index} = {value}"]
    lines += [f"    {'elif' if inline else 'if'} v is None:", f"        f{index} = 'null'"]
    return [*lines, "    else:", f"        f{index} = S{index}(v)"]


def row_encoder(columns: list[tuple[str, str, frozenset[str] | None]], check: bool) -> RowEncoder:
    """A function writing a record's values for these (property, column type, JSON types)
    columns as one CSV row (fields joined by commas), as the per-field encoders would.

    Raises (from the returned function):
        Misfit, NeedsNumeric: as the column's full encoder does.
    """
    # D, F: reader.encode's own serialiser, called inline to save a call per object
    scope: dict[str, Any] = {"D": orjson.dumps, "F": _fragment, "LO": BIGINT_MIN, "HI": BIGINT_MAX}
    scope |= {"B": "\\", "BB": "\\\\", "Q": '"', "BQ": '\\"'}  # the escapes of quote()
    body = ["def encode_row(record):", "    get = record.get"]
    for index, (prop, column_type, kinds) in enumerate(columns):
        encoder = encoder_for(column_type)
        scope[f"K{index}"] = prop
        scope[f"S{index}"] = checked(encoder, kinds) if check else encoder
        body += _column_source(index, encoder, _inlined(encoder, kinds, check))
    joined = ",".join("{f%d}" % index for index in range(len(columns)))  # noqa: UP031
    body.append(f"    return f'{joined}'")
    exec(compile("\n".join(body), "<row encoder>", "exec"), scope)  # noqa: S102 - our own source
    return scope["encode_row"]


@functools.lru_cache(maxsize=256)
def cached_row_encoder(
    columns: tuple[tuple[str, str, frozenset[str] | None], ...], check: bool
) -> RowEncoder:
    """:func:`row_encoder`, compiled once per distinct plan (a batch starts at every flush)."""
    return row_encoder(list(columns), check)
