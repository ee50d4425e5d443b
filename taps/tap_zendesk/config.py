"""Settings of tap-zendesk: declared once as a schema, parsed into a dataclass."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from singer_sdk import typing as th

from bizops_core import http_settings
from bizops_core.settings import SettingsReader

READ = SettingsReader("tap-zendesk")

CONFIG_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property(
        "base_url",
        th.URIType,
        default="https://api.zendesk.example.com",
        description="Root of the Zendesk API (the sandbox URL in tests); paths like "
        "/v1/accounts hang off it.",
    ),
    th.Property(
        "api_key",
        th.StringType,
        required=True,
        secret=True,
        description="API key, sent as 'Authorization: Bearer <api_key>' on every call.",
    ),
    th.Property(
        "start_date",
        th.DateTimeType,
        required=True,
        description="Sync records updated at or after this instant on the first run (ISO-8601).",
    ),
    th.Property(
        "page_size",
        th.IntegerType,
        default=100,
        description="Records asked for per page (the API allows 1 to 100).",
    ),
    *http_settings.PROPERTIES,
).to_dict()


@dataclass(frozen=True)
class ZendeskConfig:
    """The validated settings of one tap run (see CONFIG_SCHEMA for their meaning)."""

    base_url: str
    api_key: str
    start_date: datetime
    page_size: int
    max_tries: int
    rate_limit_max_wait: float
    request_timeout: float

    def __repr__(self) -> str:
        # Keeps the API key out of any log line or traceback that formats the config.
        return f"ZendeskConfig(base_url={self.base_url!r}, page_size={self.page_size!r})"


def parse_config(raw: Mapping[str, Any]) -> ZendeskConfig:
    """Validate ``raw`` settings, apply the schema defaults and return them typed.

    Raises:
        ConfigurationError: a setting is missing or invalid; the message names it.
    """
    values = READ.with_defaults(raw, CONFIG_SCHEMA)
    page_size = READ.count("page_size", values["page_size"], minimum=1)
    if page_size > 100:
        raise READ.fail("page_size", f"must be at most 100, got {page_size}")
    return ZendeskConfig(
        base_url=READ.url("base_url", values["base_url"]),
        api_key=READ.text("api_key", values["api_key"]),
        start_date=READ.instant("start_date", values["start_date"]),
        page_size=page_size,
        **http_settings.read(READ, values),
    )
