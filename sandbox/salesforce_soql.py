"""A small SOQL parser and evaluator: the subset Singer taps send, with Salesforce's errors."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bizops_sandbox.predicates import holds
from bizops_sandbox.salesforce_schema import describes, field_types

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<datetime>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d))
      | (?P<date>\d{4}-\d\d-\d\d)
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<string>'(?:[^'\\]|\\.)*')
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>>=|<=|!=|<>|=|<|>)
      | (?P<punct>,)
    )""",
    re.VERBOSE,
)


class SoqlError(ValueError):
    """A query Salesforce would refuse: ``code`` is its errorCode (MALFORMED_QUERY, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Query:
    """A parsed and checked query against one object."""

    object_name: str
    fields: tuple[str, ...]
    conditions: tuple[tuple[str, str, Any], ...]
    order_by: tuple[str, bool] | None  # (field, descending)
    limit: int | None

    def run(self, records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """The matching records, ordered and limited as the query says (not projected)."""
        conditions = self.conditions
        rows = [r for r in records if all(holds(r[f], op, v) for f, op, v in conditions)]
        if self.order_by is not None:
            key, descending = self.order_by
            # Salesforce sorts nulls first in ascending order; ties fall back to the Id.
            rows.sort(key=lambda r: _sort_key(r, key), reverse=descending)
        return rows[: self.limit] if self.limit is not None else rows


def parse(text: str) -> Query:
    """Parse ``SELECT f, ... FROM Obj [WHERE c AND c ...] [ORDER BY f [ASC|DESC]] [LIMIT n]``.

    Raises:
        SoqlError: MALFORMED_QUERY (syntax), INVALID_TYPE (unknown object), INVALID_FIELD.
    """
    tokens = _tokenize(text)
    reader = _Reader(tokens, text)
    reader.keyword("select")
    names = [reader.word()]
    while reader.accept(","):
        names.append(reader.word())
    reader.keyword("from")
    object_name = _object(reader.word())
    fields = tuple(_field(object_name, name) for name in names)
    conditions = []
    if reader.accept("where"):
        conditions.append(_condition(object_name, reader))
        while reader.accept("and"):
            conditions.append(_condition(object_name, reader))
    order_by = None
    if reader.accept("order"):
        reader.keyword("by")
        order_by = (_field(object_name, reader.word()), False)
        if reader.accept("desc"):
            order_by = (order_by[0], True)
        else:
            reader.accept("asc")
    limit = int(reader.take("number")) if reader.accept("limit") else None
    reader.end()
    return Query(object_name, fields, tuple(conditions), order_by, limit)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, position, text = [], 0, text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{text[position:][:20]}'")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Reader:
    def __init__(self, tokens: list[tuple[str, str]], text: str) -> None:
        self.tokens, self.position, self.text = tokens, 0, text

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def accept(self, text: str) -> bool:
        token = self.peek()
        if token is not None and token[1].lower() == text:
            self.position += 1
            return True
        return False

    def keyword(self, text: str) -> None:
        if not self.accept(text):
            raise self.error(f"expecting '{text.upper()}'")

    def take(self, *kinds: str) -> str:
        token = self.peek()
        if token is None or token[0] not in kinds:
            raise self.error(f"expecting {' or '.join(kinds)}")
        self.position += 1
        return token[1]

    def word(self) -> str:
        return self.take("word")

    def end(self) -> None:
        if self.peek() is not None:
            raise self.error("expecting end of query")

    def error(self, problem: str) -> SoqlError:
        found = self.peek()
        where = f"unexpected token: '{found[1]}'" if found else "unexpected end of query"
        return SoqlError("MALFORMED_QUERY", f"{where} ({problem})")


def _object(name: str) -> str:
    for known in describes():
        if known.lower() == name.lower():
            return known
    raise SoqlError(
        "INVALID_TYPE",
        f"sObject type '{name}' is not supported. If you are attempting to use a custom "
        "object, be sure to append the '__c' after the entity name.",
    )


def _field(object_name: str, name: str) -> str:
    for known in field_types(object_name):
        if known.lower() == name.lower():
            return known
    raise SoqlError("INVALID_FIELD", f"No such column '{name}' on entity '{object_name}'.")


def _condition(object_name: str, reader: _Reader) -> tuple[str, str, Any]:
    name = _field(object_name, reader.word())
    op = reader.take("op")
    kind, text = reader.peek() or ("", "")
    reader.position += 1
    return name, op, _literal(object_name, name, kind, text)


def _literal(object_name: str, name: str, kind: str, text: str) -> Any:
    ftype = field_types(object_name)[name]
    try:
        if text.lower() == "null":
            return None
        if ftype == "datetime" and kind == "datetime":
            # Unquoted, with up to 6 (Salesforce accepts more) fractional digits, Z or offset.
            return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
        if ftype == "date" and kind == "date":
            return date.fromisoformat(text)
        if ftype == "boolean" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        if ftype in ("int", "double", "currency", "percent") and kind == "number":
            return Decimal(text)
        if kind == "string" and ftype not in ("datetime", "date", "boolean"):
            return text[1:-1].replace("\\'", "'")
    except (ValueError, InvalidOperation):
        pass
    raise SoqlError(
        "INVALID_FIELD", f"value of filter criterion for field '{name}' must be of type {ftype}"
    )


def _sort_key(record: dict[str, Any], key: str) -> tuple[bool, Any, str]:
    value = record[key]
    return (value is not None, value if value is not None else 0, record["Id"])
