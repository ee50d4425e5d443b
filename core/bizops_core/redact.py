"""Removes secret values from text before it reaches a log, an error message or run history."""

from __future__ import annotations

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
