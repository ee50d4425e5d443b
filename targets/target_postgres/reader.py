"""Reads Singer lines: JSON decoding (exact for numbers), message shape and line numbers."""

from __future__ import annotations

import itertools
import json
import re
import sys
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

import orjson

from bizops_core.errors import DataError

# orjson reads every number as a 64-bit int or a double: it silently turns an integer beyond
# 64 bits into a float and 1e-400 into 0.0. A decimal with at most 15 significant digits and an
# exponent below 100 survives the double exactly (repr gives back the same value), so only lines
# with a run of 16 digits or dots, or a 3-digit exponent, take the slower exact path. Matches
# inside strings (long ids) are harmless: they only cost the slower path. The check maps digits
# and dots to "9", E to e and + to - and looks for three fixed substrings: about 1.5 us per
# line, where an equivalent regular expression costs 5-20 us.
_NUMBER_SHAPE = bytes.maketrans(b"0123456789.E+", b"99999999999e-")
_LONG_MANTISSA = b"9" * 16
_LONG_EXPONENTS = (b"e999", b"e-999")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_ORJSON_INT_MIN, _ORJSON_INT_MAX = -(2**63), 2**64 - 1  # what orjson.dumps accepts
ORJSON_DEPTH = 1024  # the deepest nesting orjson.loads reads: the target's limit on every path
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = bytes(set(range(256)) - set(b"[]{}"))
_BRACKET_STEP = bytes.maketrans(b"[]{}", b"\x02\x00\x02\x00")


class Message(NamedTuple):
    """One Singer message: its 1-based line number, upper-cased type, decoded body, raw line."""

    line: int
    type: str
    body: dict[str, Any]
    raw: bytes


def parse_message(number: int, line: bytes) -> Message | None:
    """Decode line ``number`` as a Singer message; None for a blank line.

    Raises:
        DataError: when the line is not a JSON object with a string ``type``, naming the line.
    """
    try:
        body = decode(line)
    except ValueError as exc:
        if not line.strip():
            return None
        raise DataError(f"line {number}: invalid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise DataError(f"line {number}: a Singer message must be a JSON object")
    kind = body.get("type")
    if not isinstance(kind, str):
        raise DataError(f"line {number}: message has no 'type'")
    return Message(number, kind.upper(), body, line)


def decode(line: bytes) -> Any:
    """Decode one JSON text, keeping every number's exact value.

    Args:
        line: the JSON text.

    Returns:
        The value; numbers that a double cannot hold exactly come back as ``Decimal``.

    Raises:
        ValueError: when the text is not valid JSON (``orjson.JSONDecodeError`` is one).
    """
    shape = line.translate(_NUMBER_SHAPE)
    if _LONG_MANTISSA in shape or _LONG_EXPONENTS[0] in shape or _LONG_EXPONENTS[1] in shape:
        return _decode_exact(line)
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        if str(exc).startswith("depth limit exceeded"):  # said as the exact path says it
            raise ValueError(f"nested deeper than {ORJSON_DEPTH} levels") from None
        raise


def encode(value: Any) -> str:
    """Serialise a decoded value back to compact JSON (``Decimal`` written digit for digit).

    Any value :func:`decode` returns can be written, however deeply nested (orjson writes at
    most 254 levels; deeper values go through :func:`_encode_nested`).
    """
    try:
        return orjson.dumps(value, default=_fragment).decode("utf-8")
    except orjson.JSONEncodeError:
        return _encode_nested(value)


def _encode_nested(value: Any) -> str:
    """:func:`encode` without recursion: containers are walked with an explicit stack, the
    scalars written by orjson (so the text is the same as orjson's, only slower)."""
    parts: list[str] = []
    stack: list[tuple[bool, Any]] = [(False, value)]  # (is literal text, item)
    while stack:
        literal, item = stack.pop()
        if literal:
            parts.append(item)
        elif type(item) is dict:
            stack.append((True, "}"))
            entries = list(item.items())
            for index in range(len(entries) - 1, -1, -1):
                key, member = entries[index]
                stack.append((False, member))
                stack.append((True, ("," if index else "") + _scalar(key) + ":"))
            stack.append((True, "{"))
        elif type(item) is list:
            stack.append((True, "]"))
            for index in range(len(item) - 1, -1, -1):
                stack.append((False, item[index]))
                if index:
                    stack.append((True, ","))
            stack.append((True, "["))
        else:
            parts.append(_scalar(item))
    return "".join(parts)


def _scalar(value: Any) -> str:
    return orjson.dumps(value, default=_fragment).decode("utf-8")


def _decode_exact(line: bytes) -> Any:
    """The standard library decoder with ``Decimal`` numbers; NaN/Infinity and lone surrogates
    (which orjson also refuses) are rejected, and so is nesting deeper than orjson reads."""
    try:
        return _read_exact(line)
    except RecursionError:
        # Python's recursion limit (~1000) is below orjson's depth limit, which every other
        # line has: a line within that limit is read with room for it, as orjson would read it
        if nesting(line) > ORJSON_DEPTH:
            raise ValueError(f"nested deeper than {ORJSON_DEPTH} levels") from None
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(limit + ORJSON_DEPTH)
        try:
            return _read_exact(line)
        finally:
            sys.setrecursionlimit(limit)


def _read_exact(line: bytes) -> Any:
    try:
        value = json.loads(
            line, parse_float=Decimal, parse_int=_parse_int, parse_constant=_refuse_constant
        )
    except InvalidOperation as exc:  # an exponent beyond what Decimal (and PostgreSQL) can hold
        raise ValueError("a number's exponent is out of range") from exc
    if _SURROGATE_ESCAPE.search(line):
        try:
            json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"string holds a lone surrogate ({exc.reason})") from exc
    return value


def nesting(line: bytes) -> int:
    """The deepest nesting of objects and arrays in a JSON text (strings skipped)."""
    brackets = _STRING.sub(b"", line).translate(None, _NOT_BRACKET)
    steps = brackets.translate(_BRACKET_STEP)  # opening: 2, closing: 0
    return max(itertools.accumulate(step - 1 for step in steps), default=0)


def _parse_int(text: str) -> int | Decimal:
    """Integers orjson cannot write (beyond 64 bits) become ``Decimal``, written digit for digit
    (and not made an int first: Python refuses int() of more than 4300 digits)."""
    if len(text) > 20:
        return Decimal(text)
    value = int(text)
    return value if _ORJSON_INT_MIN <= value <= _ORJSON_INT_MAX else Decimal(text)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _fragment(value: Any) -> orjson.Fragment:
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value))
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
