"""Exported CSV cells -> typed record values, exactly (Decimal for decimals, UTC instants)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bizops_core.errors import DataError
from tap_zuora.describe import ZuoraObject


def column_name(header: str, object_name: str) -> str:
    """Field name of a CSV header cell.

    REST export qualifies every column with its object (``Account.Id``, seen in files of
    ``GET /v1/files/{id}``); joined objects keep theirs, without the dot (``BillToContact.Id``
    -> ``BillToContactId``, the name singer-io/tap-zuora emits).
    """
    prefix = f"{object_name}."
    if header.startswith(prefix):
        header = header[len(prefix) :]
    return header.replace(".", "")


def format_instant(value: datetime) -> str:
    """The wire form of an instant: UTC, microseconds always present.

    A fixed width matters: the SDK keeps the bookmark as this string and compares bookmarks as
    strings, which orders instants correctly only when they all have this one shape (it is also
    the shape the SDK gives the replication signpost).
    """
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _datetime(text: str) -> str:
    # Zuora writes the tenant's local time with its offset: 2025-03-04T05:06:07.000-08:00.
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError("date-time without a UTC offset")
    return format_instant(parsed)


def _date(text: str) -> str:
    return date.fromisoformat(text).isoformat()


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise ValueError("not true/false")
    return lowered == "true"


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError("not a decimal number") from exc
    if not value.is_finite():
        raise ValueError("not a finite number")
    return value


CONVERTERS: Mapping[str, Callable[[str], Any]] = {
    "text": str,
    "picklist": str,
    "boolean": _boolean,
    "integer": int,
    "decimal": _decimal,
    "date": _date,
    "datetime": _datetime,
}


class RowConverter:
    """Turns the CSV rows of one object's export into records typed as its schema says.

    An empty cell becomes ``None``: Zuora's CSV writes null and the empty string the same way,
    so the tap cannot tell them apart (see the README).
    """

    def __init__(self, obj: ZuoraObject) -> None:
        self.object = obj
        self._converters = {f.name: CONVERTERS[f.type] for f in obj.fields}

    def __call__(self, row: Mapping[str, str]) -> dict[str, Any]:
        """Typed record of one CSV row (keys already stripped of the object prefix)."""
        record: dict[str, Any] = {}
        for name, text in row.items():
            convert = self._converters.get(name)
            if convert is None:
                continue  # a column describe did not list as exportable; not in the schema
            if text == "":
                record[name] = None
                continue
            try:
                record[name] = convert(text)
            except ValueError as exc:
                row_id = row.get("Id", "?")
                raise DataError(
                    f"Zuora {self.object.name} {row_id}: field {name} = {text!r} is not a valid "
                    f"{self._type(name)} ({exc})"
                ) from exc
        return record

    def _type(self, name: str) -> str:
        return next(f.type for f in self.object.fields if f.name == name)
