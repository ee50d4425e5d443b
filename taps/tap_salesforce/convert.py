"""REST JSON and Bulk CSV values -> typed values (UTC instants, exact numbers, 18-char ids)."""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bizops_core.errors import DataError
from tap_salesforce.describe import SObject

_SUFFIX = string.ascii_uppercase + "012345"


def id18(value: str) -> str:
    """The 18-character form of a Salesforce id (a 15-character id gains its checksum).

    The suffix encodes, five characters at a time, which characters are upper-case letters,
    so ids that differ only in case stay distinct in case-insensitive systems.
    """
    if len(value) != 15:
        return value
    suffix = ""
    for chunk in range(3):
        bits = sum(
            1 << i for i, ch in enumerate(value[chunk * 5 : chunk * 5 + 5]) if "A" <= ch <= "Z"
        )
        suffix += _SUFFIX[bits]
    return value + suffix


def format_instant(value: datetime) -> str:
    """The wire form of an instant: UTC with microseconds, one fixed width.

    The SDK keeps the bookmark as this string and compares bookmarks as strings, which orders
    instants correctly only when they all have one shape.
    """
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _datetime(value: Any) -> str:
    # REST writes 2025-01-01T00:00:00.000+0000, Bulk CSV 2025-01-01T00:00:00.000Z.
    text = str(value)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError("date-time without a UTC offset")
    return format_instant(parsed)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    lowered = str(value).lower()
    if lowered not in ("true", "false"):
        raise ValueError("not true/false")
    return lowered == "true"


def _number(value: Any) -> Decimal | int:
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return value
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError("not a number") from exc
    if not number.is_finite():
        raise ValueError("not a finite number")
    return number


def _integer(value: Any) -> int:
    # Bulk CSV writes some integers as 12.0 (seen by singer-io/tap-salesforce, which fixes it).
    number = _number(value)
    if number != int(number):
        raise ValueError("not a whole number")
    return int(number)


CONVERTERS: Mapping[str, Callable[[Any], Any]] = {
    "id": lambda v: id18(str(v)),
    "reference": lambda v: id18(str(v)),
    "boolean": _boolean,
    "int": _integer,
    "double": _number,
    "currency": _number,
    "percent": _number,
    "date": lambda v: date.fromisoformat(str(v)).isoformat(),
    "datetime": _datetime,
}


class RecordConverter:
    """Turns REST records or Bulk CSV rows of one object into typed records.

    An empty CSV cell becomes None: Bulk CSV writes null and the empty string alike.
    """

    def __init__(self, obj: SObject) -> None:
        self.object = obj
        self._converters = {f.name: CONVERTERS.get(f.type, str) for f in obj.fields}

    def __call__(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """Typed record of one row (``attributes`` and unknown keys are dropped)."""
        record: dict[str, Any] = {}
        for name, convert in self._converters.items():
            value = row.get(name)
            if value is None or value == "":
                record[name] = None
                continue
            try:
                record[name] = convert(value)
            except ValueError as exc:
                raise DataError(
                    f"Salesforce {self.object.name} {row.get('Id', '?')}: field {name} = "
                    f"{value!r} does not fit its type ({exc})"
                ) from exc
        return record
