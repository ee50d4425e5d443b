"""Settings of tap-hubspot: declared once as a schema, parsed into a dataclass."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from singer_sdk import typing as th

from bizops_core import http_settings
from bizops_core.settings import SettingsReader

READ = SettingsReader("tap-hubspot")

CONFIG_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property(
        "base_url",
        th.URIType,
        default="https://api.hubapi.com",
        description="Root of the HubSpot API (the sandbox URL in tests); /crm/v3/... and "
        "/oauth/v1/token hang off it.",
    ),
    th.Property(
        "access_token",
        th.StringType,
        secret=True,
        description="A private app's access token, sent as 'Authorization: Bearer ...'. "
        "Give it, or client_id, client_secret and refresh_token (OAuth).",
    ),
    th.Property("client_id", th.StringType, description="OAuth app client id."),
    th.Property("client_secret", th.StringType, secret=True, description="OAuth app secret."),
    th.Property(
        "refresh_token",
        th.StringType,
        secret=True,
        description="OAuth refresh token, exchanged at /oauth/v1/token for 30-minute access "
        "tokens (again when one expires).",
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
    th.Property(
        "search_page_size",
        th.IntegerType,
        default=200,
        description="Records asked for per search page (the search API allows 1 to 200; its "
        "per-second limit makes bigger pages faster).",
    ),
    th.Property(
        "search_cap",
        th.IntegerType,
        default=10_000,
        description="Results the search API gives per query (HubSpot: 10,000); past it the "
        "tap starts a new query from the last modification time it read.",
    ),
    *http_settings.PROPERTIES,
).to_dict()


@dataclass(frozen=True)
class HubspotConfig:
    """The validated settings of one tap run (see CONFIG_SCHEMA for their meaning)."""

    base_url: str
    access_token: str | None
    client_id: str | None
    client_secret: str | None
    refresh_token: str | None
    start_date: datetime
    page_size: int
    search_page_size: int
    search_cap: int
    max_tries: int
    rate_limit_max_wait: float
    request_timeout: float

    def __repr__(self) -> str:
        # Keeps the secrets out of any log line or traceback that formats the config.
        return f"HubspotConfig(base_url={self.base_url!r}, page_size={self.page_size!r})"


def parse_config(raw: Mapping[str, Any]) -> HubspotConfig:
    """Validate ``raw`` settings, apply the schema defaults and return them typed.

    Raises:
        ConfigurationError: a setting is missing or invalid; the message names it.
    """
    values = READ.with_defaults(raw, CONFIG_SCHEMA)
    page_size = READ.count("page_size", values["page_size"], minimum=1)
    if page_size > 100:
        raise READ.fail("page_size", f"must be at most 100, got {page_size}")
    search_page_size = READ.count("search_page_size", values["search_page_size"], minimum=1)
    if search_page_size > 200:
        raise READ.fail("search_page_size", f"must be at most 200, got {search_page_size}")
    search_cap = READ.count("search_cap", values["search_cap"], minimum=search_page_size)
    oauth = {k: values[k] for k in ("client_id", "client_secret", "refresh_token")}
    if values["access_token"] is not None:
        token = READ.text("access_token", values["access_token"])
        oauth = {k: None for k in oauth}
    else:
        token = None
        if not any(v is not None for v in oauth.values()):
            raise READ.fail("access_token", "is required (or client_id, client_secret and "
                            "refresh_token for OAuth)")  # fmt: skip
        oauth = {k: READ.text(k, v) for k, v in oauth.items()}
    return HubspotConfig(
        base_url=READ.url("base_url", values["base_url"]),
        access_token=token,
        **oauth,
        start_date=READ.instant("start_date", values["start_date"]),
        page_size=page_size,
        search_page_size=search_page_size,
        search_cap=search_cap,
        **http_settings.read(READ, values),
    )
