"""Turns Singer stream and property names into safe, lower-case PostgreSQL identifiers."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bizops_core.errors import DataError

MAX_IDENTIFIER_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1; longer names are cut silently by PG
_UNSAFE = re.compile(r"\W+")  # \W is Unicode-aware: letters and digits of any script are kept


def conform(name: str) -> str:
    """The identifier for a stream or property name.

    Lower-cases the name, replaces every run of characters other than letters, digits and ``_``
    with one ``_`` and cuts it to 63 bytes of UTF-8 without splitting a character. The result is
    always quoted in SQL (``psycopg2.sql.Identifier``), so a leading digit or a keyword is safe.

    Args:
        name: the name as the tap sent it.

    Returns:
        The identifier, never empty.
    """
    conformed = _UNSAFE.sub("_", name.lower()) or "_"
    encoded = conformed.encode("utf-8")
    if len(encoded) <= MAX_IDENTIFIER_BYTES:
        return conformed
    return encoded[:MAX_IDENTIFIER_BYTES].decode("utf-8", errors="ignore")


def conform_all(names: Iterable[str], reserved: Iterable[str] = ()) -> dict[str, str]:
    """Conform several property names of one stream, refusing two names that meet.

    Collision handling (suffixes, a mapping table) comes later; until then two properties that
    would share one column (``FirstName`` and ``firstname``) stop the load instead of silently
    mixing two fields.

    Args:
        names: the property names of one stream.
        reserved: identifiers the target itself uses in the same table.

    Returns:
        Property name -> identifier, in the order given.

    Raises:
        DataError: when two names (or a name and a reserved identifier) conform to one identifier.
    """
    owners = {identifier: f"the target's own column {identifier!r}" for identifier in reserved}
    result: dict[str, str] = {}
    for name in names:
        identifier = conform(name)
        if identifier in owners:
            raise DataError(
                f"property {name!r} and {owners[identifier]} both become column {identifier!r}"
            )
        owners[identifier] = f"property {name!r}"
        result[name] = identifier
    return result
