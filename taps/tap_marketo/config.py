"""Settings of tap-marketo: declared once as a schema, parsed into a dataclass."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from singer_sdk import typing as th

from bizops_core import http_settings
from bizops_core.settings import SettingsReader

READ = SettingsReader("tap-marketo")
MAX_WINDOW_DAYS = 31  # Marketo refuses a bulk extract date range over 31 days

CONFIG_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property(
        "base_url",
        th.URIType,
        required=True,
        description="Root of your Marketo instance's REST API, "
        "https://<munchkin id>.mktorest.com (the sandbox URL in tests).",
    ),
    th.Property(
        "client_id",
        th.StringType,
        required=True,
        description="Client id of a Marketo LaunchPoint custom service.",
    ),
    th.Property(
        "client_secret",
        th.StringType,
        required=True,
        secret=True,
        description="Client secret of that service (exchanged for an access token).",
    ),
    th.Property(
        "start_date",
        th.DateTimeType,
        required=True,
        description="Sync records created or updated at or after this instant on the first "
        "run (ISO-8601).",
    ),
    th.Property(
        "window_days",
        th.IntegerType,
        default=MAX_WINDOW_DAYS,
        description="Days per bulk extract job (1 to 31, Marketo's limit).",
    ),
    th.Property(
        "poll_interval",
        th.NumberType,
        default=30,
        description="Longest wait in seconds between two status polls of a bulk extract job "
        "(polls start at 0.5 s and double up to it).",
    ),
    th.Property(
        "job_timeout",
        th.NumberType,
        default=10800,
        description="Seconds a bulk extract job may take before the sync fails.",
    ),
    th.Property(
        "page_size",
        th.IntegerType,
        default=200,
        description="Programs asked for per page (maxReturn; Marketo allows 1 to 200).",
    ),
    *http_settings.PROPERTIES,
).to_dict()


@dataclass(frozen=True)
class MarketoConfig:
    """The validated settings of one tap run (see CONFIG_SCHEMA for their meaning)."""

    base_url: str
    client_id: str
    client_secret: str
    start_date: datetime
    window_days: int
    poll_interval: float
    job_timeout: float
    page_size: int
    max_tries: int
    rate_limit_max_wait: float
    request_timeout: float

    def __repr__(self) -> str:
        # Keeps the client secret out of any log line or traceback that formats the config.
        return f"MarketoConfig(base_url={self.base_url!r}, client_id={self.client_id!r})"


def parse_config(raw: Mapping[str, Any]) -> MarketoConfig:
    """Validate ``raw`` settings, apply the schema defaults and return them typed.

    Raises:
        ConfigurationError: a setting is missing or invalid; the message names it.
    """
    values = READ.with_defaults(raw, CONFIG_SCHEMA)
    window = READ.count("window_days", values["window_days"], minimum=1)
    if window > MAX_WINDOW_DAYS:
        raise READ.fail("window_days", f"must be at most {MAX_WINDOW_DAYS}, got {window}")
    page_size = READ.count("page_size", values["page_size"], minimum=1)
    if page_size > 200:
        raise READ.fail("page_size", f"must be at most 200, got {page_size}")
    return MarketoConfig(
        base_url=READ.url("base_url", values["base_url"]),
        client_id=READ.text("client_id", values["client_id"]),
        client_secret=READ.text("client_secret", values["client_secret"]),
        start_date=READ.instant("start_date", values["start_date"]),
        window_days=window,
        poll_interval=READ.number("poll_interval", values["poll_interval"], minimum=0),
        job_timeout=READ.number("job_timeout", values["job_timeout"], minimum=0),
        page_size=page_size,
        **http_settings.read(READ, values),
    )
