"""Maps the JSON Schema of a Singer property to the PostgreSQL column type that holds it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bizops_core.errors import DataError
from target_postgres.reader import encode as json_text

STRING_FORMATS = {"date-time": "timestamptz", "date": "date", "time": "time"}
SIMPLE_TYPES = {"integer": "bigint", "number": "numeric", "boolean": "boolean", "string": "text"}
JSON_TYPES = {"object", "array"}
KNOWN_TYPES = {"null", "any", *SIMPLE_TYPES, *JSON_TYPES}

# information_schema / format_type spellings of the types whose values need their own encoder
INTEGER_TYPES = {"bigint", "integer", "smallint"}
JSON_COLUMN_TYPES = {"jsonb", "json"}


def column_type(schema: Mapping[str, Any]) -> str:
    """The PostgreSQL type for one property's JSON Schema.

    ``["null", X]`` is X (every column is nullable); ``anyOf``/``oneOf`` branches are merged;
    several non-null types become ``jsonb`` when one of them is an object or array, else ``text``,
    so every value is kept as written. Strings keep a date/time type only when every string
    branch has the same format.

    Args:
        schema: the property's JSON Schema.

    Returns:
        A PostgreSQL type name such as ``timestamptz`` or ``jsonb``.

    Raises:
        DataError: when the schema is not a JSON object or names an unknown type.
    """
    branches = {branch for branch in _branches(schema) if branch[0] != "null"}
    kinds = {kind for kind, _ in branches}
    if not kinds:
        return "text"
    if "any" in kinds or kinds & JSON_TYPES:
        return "jsonb"
    if kinds == {"integer", "number"}:
        return "numeric"
    if len(kinds) > 1:
        return "text"
    kind = kinds.pop()
    if kind == "string":
        formats = {fmt for _, fmt in branches}
        return STRING_FORMATS.get(formats.pop(), "text") if len(formats) == 1 else "text"
    return SIMPLE_TYPES[kind]


def _branches(schema: Any) -> list[tuple[str, str | None]]:
    """The (type, format) pairs a schema allows; a schema without ``type`` allows any value."""
    if not isinstance(schema, Mapping):
        raise DataError(f"property schema must be a JSON object, got {_shown(schema)}")
    alternatives = []
    for word in ("anyOf", "oneOf"):
        branches = schema.get(word, [])
        if not isinstance(branches, list):
            raise DataError(f"'{word}' must be a list of schemas, got {_shown(branches)}")
        alternatives += branches
    if alternatives:
        return [pair for branch in alternatives for pair in _branches(branch)]
    declared = schema.get("type")
    if declared is None:
        return [("object", None)] if "properties" in schema else [("any", None)]
    kinds = [declared] if isinstance(declared, str) else declared
    if not isinstance(kinds, list) or not all(isinstance(kind, str) for kind in kinds):
        raise DataError(f"'type' must be a string or a list of strings, got {_shown(declared)}")
    unknown = [kind for kind in kinds if kind not in KNOWN_TYPES]
    if unknown:
        raise DataError(f"unknown JSON Schema type {unknown[0]!r}")
    fmt = schema.get("format")  # a format that is not a string names no column type
    return [(kind, fmt if isinstance(fmt, str) else None) for kind in kinds]


def _shown(value: Any) -> str:
    """A schema value for an error message: its JSON text (any depth), cut short."""
    text = json_text(value)
    return text if len(text) <= 60 else text[:57] + "..."


def value_kinds(schema: Mapping[str, Any]) -> frozenset[str] | None:
    """The non-null JSON types a property allows, or None when it allows any value."""
    kinds = {kind for kind, _ in _branches(schema) if kind != "null"}
    if not kinds or "any" in kinds:
        return None
    return frozenset(kinds)


CATALOG_SPELLING = {"timestamptz": "timestamp with time zone", "time": "time without time zone"}
_NUMERIC_FAMILY = {"smallint", "integer", "bigint", "numeric"}


def catalog(kind: str) -> str:
    """A type as ``format_type`` spells it."""
    return CATALOG_SPELLING.get(kind, kind)


def widened(existing: str, wanted: str) -> str:
    """The narrowest column type holding every value of both types, unchanged.

    jsonb holds everything (a text value becomes a JSON string), numeric holds every integer,
    text holds every scalar's text form; a column is never narrowed.
    """
    existing, wanted = catalog(existing), catalog(wanted)
    if existing == wanted:
        return existing
    if "jsonb" in (existing, wanted):
        return "jsonb"
    if existing in _NUMERIC_FAMILY and wanted in _NUMERIC_FAMILY:
        return "numeric"
    return "text"
