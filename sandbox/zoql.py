"""A small ZOQL parser: ``select <fields|*> from <Object> [where <cond> [and <cond>]...]``
[order by <field> [asc|desc]] [limit <n>]``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

KEYWORDS = frozenset({"select", "from", "where", "and"})
OPERATORS = (">=", "<=", "!=", "<>", "=", "<", ">")
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.|'')*')
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>>=|<=|!=|<>|=|<|>)
      | (?P<punct>[,.*])
    )""",
    re.VERBOSE,
)


class ZoqlError(ValueError):
    """A query Zuora would reject; ``code`` is the Zuora error code (``MALFORMED_QUERY``...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Token:
    """One lexical token: ``kind`` is string, number, word, keyword, op or punct."""

    kind: str
    text: str
    position: int


@dataclass(frozen=True)
class FieldRef:
    """A field as written: ``Name``, or ``Account.Name`` / ``BillToContact.Id`` (qualified)."""

    qualifier: str | None
    name: str

    def __str__(self) -> str:
        return f"{self.qualifier}.{self.name}" if self.qualifier else self.name


@dataclass(frozen=True)
class Condition:
    """``<field> <op> <literal>``; ``literal`` is str (quoted), Decimal, bool or None."""

    field: FieldRef
    op: str
    literal: str | Decimal | bool | None


@dataclass(frozen=True)
class Query:
    """A parsed query; ``fields`` is None for ``select *``; ``order_by`` is (field, ascending)."""

    fields: tuple[FieldRef, ...] | None
    source: str
    conditions: tuple[Condition, ...]
    order_by: tuple[FieldRef, bool] | None = None
    limit: int | None = None


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens.

    Raises:
        ZoqlError: a character that starts no token (an unterminated string, say).
    """
    tokens, position = [], 0
    text = text.rstrip().removesuffix(";")
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            rest = text[position:].strip()
            if not rest:
                break
            raise ZoqlError(
                "MALFORMED_QUERY", f"You have an error in your ZOQL syntax near {rest!r}"
            )
        kind = match.lastgroup or "punct"
        value, start = match.group(kind), match.start(kind)
        if kind == "word" and value.lower() in KEYWORDS:
            kind, value = "keyword", value.lower()
        tokens.append(Token(kind, value, start))
        position = match.end()
    return tokens


def parse(text: str) -> Query:
    """Parse one ZOQL export query.

    Raises:
        ZoqlError: ``MALFORMED_QUERY`` when the text is not in the supported grammar.
    """
    return _Parser(tokenize(text)).query()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, kind: str, text: str | None = None) -> Token:
        token = self.peek()
        if token is None or token.kind != kind or (text is not None and token.text != text):
            expected = text or _EXPECTED.get(kind, kind)
            found = "end of query" if token is None else repr(token.text)
            raise ZoqlError(
                "MALFORMED_QUERY",
                f"You have an error in your ZOQL syntax: expected {expected}, found {found}",
            )
        self.index += 1
        return token

    def accept(self, kind: str, text: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == kind and token.text == text:
            self.index += 1
            return True
        return False

    def query(self) -> Query:
        self.take("keyword", "select")
        fields = None if self.accept("punct", "*") else self.field_list()
        self.take("keyword", "from")
        source = self.take("word").text
        conditions = []
        if self.accept("keyword", "where"):
            conditions.append(self.condition())
            while self.accept("keyword", "and"):
                conditions.append(self.condition())
        order_by = self.order_by()
        limit = None
        if self.accept_word("limit"):
            limit = int(self.take("number").text)
        if self.peek() is not None:
            self.take("end")  # always fails, naming the unexpected token
        return Query(fields, source, tuple(conditions), order_by, limit)

    def accept_word(self, word: str) -> bool:
        # `order`, `by`, `limit`... are no reserved words: `Order` is also a Zuora object.
        token = self.peek()
        if token is not None and token.kind == "word" and token.text.lower() == word:
            self.index += 1
            return True
        return False

    def order_by(self) -> tuple[FieldRef, bool] | None:
        if not self.accept_word("order"):
            return None
        if not self.accept_word("by"):
            self.take("word", "by")  # always fails, naming what was found
        field = self.field()
        descending = self.accept_word("desc")
        if not descending:
            self.accept_word("asc")
        return field, not descending

    def field_list(self) -> tuple[FieldRef, ...]:
        fields = [self.field()]
        while self.accept("punct", ","):
            fields.append(self.field())
        return tuple(fields)

    def field(self) -> FieldRef:
        first = self.take("word").text
        if self.accept("punct", "."):
            return FieldRef(first, self.take("word").text)
        return FieldRef(None, first)

    def condition(self) -> Condition:
        field = self.field()
        op = self.take("op").text
        token = self.peek()
        if token is not None and token.kind == "string":
            self.index += 1
            body = token.text[1:-1]
            literal: str | Decimal | bool | None = re.sub(r"''|\\(.)", _unescape, body)
        elif token is not None and token.kind == "number":
            self.index += 1
            literal = Decimal(token.text)
        elif token is not None and token.kind == "word" and token.text.lower() in _BARE:
            self.index += 1
            literal = _BARE[token.text.lower()]
        else:
            self.take("literal")  # always fails, naming what was found
            raise AssertionError("unreachable")  # pragma: no cover
        return Condition(field, "!=" if op == "<>" else op, literal)


_EXPECTED = {"word": "a name", "op": "an operator", "end": "end of query", "literal": "a literal"}
_BARE: dict[str, bool | None] = {"true": True, "false": False, "null": None}


def _unescape(match: re.Match[str]) -> str:
    return match.group(1) if match.group(1) is not None else "'"
