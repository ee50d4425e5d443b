"""The HTTP layer's settings (:mod:`bizops_core.http`), declared and read alike by every tap."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from singer_sdk import typing as th

from bizops_core.settings import SettingsReader

PROPERTIES = (
    th.Property(
        "max_tries",
        th.IntegerType,
        default=5,
        description="Attempts per HTTP request on 429, 5xx and dropped connections.",
    ),
    th.Property(
        "request_timeout",
        th.NumberType,
        default=300,
        description="Seconds to wait for a connection and for each read of a response.",
    ),
)


def read(reader: SettingsReader, values: Mapping[str, Any]) -> dict[str, Any]:
    """``max_tries`` and ``request_timeout`` from settings with their defaults applied."""
    return {
        "max_tries": reader.count("max_tries", values["max_tries"], minimum=1),
        "request_timeout": reader.number("request_timeout", values["request_timeout"], minimum=0),
    }
