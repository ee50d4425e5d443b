"""Turns Singer stream and property names into safe, lower-case PostgreSQL identifiers."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

MAX_IDENTIFIER_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1; longer names are cut silently by PG
_UNSAFE = re.compile(r"\W+")  # \W is Unicode-aware: letters and digits of any script are kept


def conform(name: str) -> str:
    """The plain identifier for a stream or property name.

    Lower-cases the name and replaces every run of characters other than letters, digits and
    ``_`` with one ``_``. The result is always quoted in SQL (``psycopg2.sql.Identifier``), so a
    leading digit or a keyword is safe. It may be longer than 63 bytes: see :func:`assign`.
    """
    return _UNSAFE.sub("_", name.lower()) or "_"


def hashed(name: str, base: str, salt: int = 0) -> str:
    """``base`` cut to fit, plus ``_`` and a stable hash of the original ``name``: 63 bytes max."""
    digest = hashlib.sha1(f"{salt}:{name}".encode(), usedforsecurity=False).hexdigest()[:8]
    room = MAX_IDENTIFIER_BYTES - len(digest) - 1
    head = base.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return f"{head}_{digest}"


def assign(names: Iterable[str], taken: Iterable[str] = ()) -> dict[str, str]:
    """Distinct identifiers for new names, none of them in ``taken``.

    A name already in its plain form (``firstname``) keeps it; a name that would collide
    (``FirstName``) or is over 63 bytes gets a hash suffix, so the result does not depend on
    the order the names arrive in within one call, and is stable across runs.

    Args:
        names: names (of one stream's properties, or of streams) without an identifier yet.
        taken: identifiers already in use.

    Returns:
        Name -> identifier.
    """
    used = set(taken)
    result: dict[str, str] = {}
    ordered = sorted(names, key=lambda name: (conform(name) != name, name))
    for name in ordered:
        base = conform(name)
        candidate = base
        salt = 0
        while candidate in used or len(candidate.encode("utf-8")) > MAX_IDENTIFIER_BYTES:
            candidate = hashed(name, base, salt)
            salt += 1
        used.add(candidate)
        result[name] = candidate
    return result
