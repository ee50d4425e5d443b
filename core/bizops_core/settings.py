"""Checks for plugin settings at the boundary: each failure names the plugin and the setting."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

from bizops_core.errors import ConfigurationError


class SettingsReader:
    """Typed readers of one plugin's raw settings; errors read
    ``<plugin> setting '<name>' <problem>``."""

    def __init__(self, plugin: str) -> None:
        self.plugin = plugin

    def fail(self, name: str, problem: str) -> ConfigurationError:
        """The error for setting ``name``."""
        return ConfigurationError(f"{self.plugin} setting '{name}' {problem}")

    @staticmethod
    def with_defaults(raw: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
        """Every setting of ``schema``: the raw value, else the schema's default (or None)."""
        return {
            name: raw.get(name, spec.get("default")) for name, spec in schema["properties"].items()
        }

    def text(self, name: str, value: Any) -> str:
        """A non-empty string."""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, "is required and must be a non-empty string")
        return value

    def choice(self, name: str, value: Any, choices: tuple[str, ...], upper: bool = False) -> str:
        """One of ``choices`` (compared upper-cased when ``upper``)."""
        text = self.text(name, value)
        text = text.upper() if upper else text
        if text not in choices:
            raise self.fail(name, f"must be one of {', '.join(choices)}, got {value!r}")
        return text

    def url(self, name: str, value: Any) -> str:
        """An http(s) URL, without its trailing slash."""
        url = self.text(name, value)
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise self.fail(name, f"must be an http(s) URL, got {url!r}")
        return url.rstrip("/")

    def instant(self, name: str, value: Any) -> datetime:
        """An ISO-8601 date-time as an aware UTC datetime (no offset means UTC)."""
        text = self.text(name, value)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as exc:
            raise self.fail(name, f"must be an ISO-8601 date-time, got {text!r}") from exc
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)

    def number(self, name: str, value: Any, *, minimum: float, whole: bool = False) -> float:
        """A number at least ``minimum`` (and whole, if asked)."""
        # bool is an int subclass, and `true` is no number of seconds or tries; config files
        # read by the SDK carry fractions as Decimal.
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise self.fail(name, f"must be a number, got {value!r}")
        if whole and value != int(value):
            raise self.fail(name, f"must be a whole number, got {value!r}")
        if value < minimum:
            raise self.fail(name, f"must be at least {minimum:g}, got {value!r}")
        return float(value)

    def count(self, name: str, value: Any, *, minimum: int) -> int:
        """A whole number at least ``minimum``."""
        return int(self.number(name, value, minimum=minimum, whole=True))

    def names(
        self, name: str, value: Any, *, kind: str, non_empty: bool = False
    ) -> tuple[str, ...]:
        """A list of identifiers (``kind`` says of what, e.g. "Zuora object"), in order, each
        once."""
        if not isinstance(value, list) or (non_empty and not value):
            some = "non-empty list" if non_empty else "list"
            raise self.fail(name, f"must be a {some} of {kind} names")
        names: list[str] = []
        for item in value:
            if not isinstance(item, str) or not item.isidentifier():
                raise self.fail(name, f"holds {item!r}, which is not a {kind} name")
            if item not in names:
                names.append(item)
        return tuple(names)
