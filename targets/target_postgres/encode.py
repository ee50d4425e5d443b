"""Writes record values as fields of COPY's CSV format, without changing any value."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from target_postgres.reader import encode as json_text
from target_postgres.types import INTEGER_TYPES, JSON_COLUMN_TYPES

# In COPY ... (FORMAT csv) an unquoted empty field is NULL and a quoted one ("") is the empty
# string; inside quotes only '"' needs doubling, so newlines, tabs, backslashes and emoji pass as
# they are. Every string is quoted, which also keeps a lone \. from reading as end-of-data.
Encoder = Callable[[Any], str]


def quote(text: str) -> str:
    """A CSV field holding exactly ``text``."""
    return '"' + text.replace('"', '""') + '"'


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
        return ""
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is float:
        return repr(value)
    if kind is Decimal:
        return str(value)
    return quote(json_text(value))


def integer(value: Any) -> str:
    """A value for an integer column: ``3.0`` is the integer 3 (JSON Schema says so); a value with
    a fraction is passed on for PostgreSQL to refuse rather than rounded here."""
    kind = type(value)
    if kind is int:
        return repr(value)
    if kind is float and value.is_integer():
        return str(int(value))
    if kind is Decimal and value == value.to_integral_value():
        return str(int(value))
    return scalar(value)


def jsonb(value: Any) -> str:
    """A value for a jsonb column: any JSON value (a string too) as JSON text; null is NULL."""
    if value is None:
        return ""
    return quote(json_text(value))


def encoder_for(column_type: str) -> Encoder:
    """The encoder for a column of the given PostgreSQL type (as the catalog spells it)."""
    if column_type in JSON_COLUMN_TYPES:
        return jsonb
    if column_type in INTEGER_TYPES:
        return integer
    return scalar


def holds_nul(value: Any) -> bool:
    """Whether a string anywhere in the value holds U+0000, which PostgreSQL text cannot store."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(key) or holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(holds_nul(item) for item in value)
    return False
