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
        description="Attempts per HTTP request on 5xx answers, dropped connections, timeouts "
        "and bodies cut off mid-way (rate limits do not count: see rate_limit_max_wait).",
    ),
    th.Property(
        "rate_limit_max_wait",
        th.NumberType,
        default=600,
        description="Seconds one HTTP request may spend waiting out the API's rate limit (429: "
        "each wait as Retry-After or the rate-limit reset header says) before the sync fails.",
    ),
    th.Property(
        "request_timeout",
        th.NumberType,
        default=300,
        description="Seconds to wait for a connection and for each read of a response.",
    ),
)


def read(reader: SettingsReader, values: Mapping[str, Any]) -> dict[str, Any]:
    """``max_tries``, ``rate_limit_max_wait`` and ``request_timeout`` from settings with their
    defaults applied."""
    return {
        "max_tries": reader.count("max_tries", values["max_tries"], minimum=1),
        "rate_limit_max_wait": reader.number(
            "rate_limit_max_wait", values["rate_limit_max_wait"], minimum=0
        ),
        "request_timeout": reader.number("request_timeout", values["request_timeout"], minimum=0),
    }
