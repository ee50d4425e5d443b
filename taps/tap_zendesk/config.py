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
SECRETS = ("api_token", "access_token", "refresh_token", "client_secret")

CONFIG_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property(
        "base_url",
        th.URIType,
        required=True,
        description="Root of the Zendesk account, https://<subdomain>.zendesk.com (the sandbox "
        "URL in tests); /api/v2/... and /oauth/tokens hang off it.",
    ),
    th.Property(
        "email",
        th.StringType,
        description="Email of the agent whose API token is used (API-token auth: sent as "
        "Basic '<email>/token:<api_token>').",
    ),
    th.Property("api_token", th.StringType, secret=True, description="Zendesk API token."),
    th.Property(
        "access_token",
        th.StringType,
        secret=True,
        description="OAuth access token, sent as 'Authorization: Bearer <access_token>' "
        "(instead of email and api_token).",
    ),
    th.Property(
        "refresh_token",
        th.StringType,
        secret=True,
        description="OAuth refresh token: with client_id and client_secret, a refused access "
        "token is refreshed at POST /oauth/tokens once and the request sent again.",
    ),
    th.Property("client_id", th.StringType, description="OAuth client id (for a refresh)."),
    th.Property("client_secret", th.StringType, secret=True, description="OAuth client secret."),
    th.Property(
        "start_date",
        th.DateTimeType,
        required=True,
        description="Sync records changed at or after this instant on the first run (ISO-8601).",
    ),
    th.Property(
        "page_size",
        th.IntegerType,
        default=1000,
        description="Records asked for per page of the cursor-based incremental exports "
        "(per_page: the API allows 1 to 1000).",
    ),
    *http_settings.PROPERTIES,
).to_dict()


@dataclass(frozen=True)
class ZendeskConfig:
    """The validated settings of one tap run (see CONFIG_SCHEMA for their meaning)."""

    base_url: str
    email: str | None
    api_token: str | None
    access_token: str | None
    refresh_token: str | None
    client_id: str | None
    client_secret: str | None
    start_date: datetime
    page_size: int
    max_tries: int
    rate_limit_max_wait: float
    request_timeout: float

    def __repr__(self) -> str:
        # Keeps the credentials out of any log line or traceback that formats the config.
        return f"ZendeskConfig(base_url={self.base_url!r}, page_size={self.page_size!r})"

    @property
    def secrets(self) -> list[str]:
        """Every secret setting that is set (to mask in messages)."""
        return [s for s in (self.api_token, self.access_token, self.refresh_token,
                            self.client_secret) if s]  # fmt: skip

    @property
    def can_refresh(self) -> bool:
        """Whether a refused OAuth access token can be refreshed."""
        return bool(self.refresh_token and self.client_id and self.client_secret)


def parse_config(raw: Mapping[str, Any]) -> ZendeskConfig:
    """Validate ``raw`` settings, apply the schema defaults and return them typed.

    Raises:
        ConfigurationError: a setting is missing or invalid; the message names it.
    """
    values = READ.with_defaults(raw, CONFIG_SCHEMA)
    page_size = READ.count("page_size", values["page_size"], minimum=1)
    if page_size > 1000:
        raise READ.fail("page_size", f"must be at most 1000, got {page_size}")
    optional = {
        name: READ.text(name, values[name]) if values.get(name) is not None else None
        for name in ("email", "api_token", "access_token", "refresh_token", "client_id",
                     "client_secret")
    }  # fmt: skip
    if optional["access_token"] is None and (optional["email"] is None or
                                             optional["api_token"] is None):  # fmt: skip
        raise READ.fail("api_token", "is required, with email, unless access_token is set")
    return ZendeskConfig(
        base_url=READ.url("base_url", values["base_url"]),
        start_date=READ.instant("start_date", values["start_date"]),
        page_size=page_size,
        **optional,
        **http_settings.read(READ, values),
    )
