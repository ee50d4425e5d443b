"""Removes secret values from text before it reaches a log, an error message or run history."""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"


class Redactor:
    """Replaces every known secret value in a text by ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first so a secret that contains another is masked whole.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True)

    def add(self, secret: str | None) -> None:
        """Register one more secret value."""
        if secret and len(secret) >= 3 and secret not in self._secrets:
            self._secrets.append(secret)
            self._secrets.sort(key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text


# A connection string's password: ``scheme://user:PASSWORD@host`` (up to the last ``@`` before
# the path), and ``password=...`` as a URL query parameter or a libpq key=value pair.
_URL_PASSWORD = re.compile(r"(://[^/@:\s]*:)([^\s/]*)(?=@)")
_KEY_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&'\"]*)", re.IGNORECASE)


def mask_connection_strings(text: str) -> str:
    """``text`` with the password of every connection URL or libpq DSN in it shown as ``***``
    (for messages that may echo a URL whose password is not a known secret)."""
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + (MASK if m.group(2) else ""), text)
    return _KEY_PASSWORD.sub(lambda m: m.group(1) + (MASK if m.group(2) else ""), text)


def connection_passwords(url: str) -> list[str]:
    """The password(s) written in a connection URL or DSN, as written and as decoded."""
    from urllib.parse import unquote

    found = [m.group(2) for m in _URL_PASSWORD.finditer(url)]
    found += [m.group(2).strip("'") for m in _KEY_PASSWORD.finditer(url)]
    return [p for raw in found if raw for p in {raw, unquote(raw)}]
