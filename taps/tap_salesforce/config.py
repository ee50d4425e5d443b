"""tap-salesforce settings: declared once as a JSON schema, parsed at the boundary."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from singer_sdk import typing as th

from bizops_core import http_settings
from bizops_core.settings import SettingsReader

READ = SettingsReader("tap-salesforce")

API_TYPES = ("REST", "BULK2")

CONFIG_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property(
        "login_url",
        th.URIType,
        default="https://login.salesforce.com",
        description="OAuth host (https://test.salesforce.com for sandboxes, the emulator in "
        "tests); the data host is the instance_url the login returns.",
    ),
    th.Property(
        "client_id", th.StringType, required=True, description="Connected app consumer key."
    ),
    th.Property(
        "client_secret",
        th.StringType,
        required=True,
        secret=True,
        description="Connected app consumer secret.",
    ),
    th.Property(
        "refresh_token",
        th.StringType,
        secret=True,
        description="OAuth refresh token (refresh_token flow); without it the tap uses the "
        "client_credentials flow of the connected app's run-as user.",
    ),
    th.Property(
        "start_date",
        th.DateTimeType,
        required=True,
        description="Sync rows modified at or after this instant on the first run (ISO-8601).",
    ),
    th.Property(
        "api_type",
        th.StringType,
        default="BULK2",
        allowed_values=list(API_TYPES),
        description="REST (query/queryAll, 2,000 rows a page) or BULK2 (Bulk API 2.0 jobs, CSV).",
    ),
    th.Property(
        "api_version", th.StringType, default="60.0", description="Salesforce API version."
    ),
    th.Property(
        "objects",
        th.ArrayType(th.StringType),
        default=[],
        description="Objects to discover, one stream each; empty means every queryable object.",
    ),
    th.Property(
        "quota_percent",
        th.NumberType,
        default=80,
        description="Stop cleanly (state saved, exit 75) once the org's daily API usage "
        "(Sforce-Limit-Info) is above this percentage.",
    ),
    th.Property(
        "poll_interval",
        th.NumberType,
        default=10,
        description="Longest wait in seconds between two status checks of a Bulk job "
        "(checks start 0.5 s apart and double up to this).",
    ),
    th.Property(
        "job_timeout",
        th.NumberType,
        default=3600,
        description="Seconds a Bulk job may take before the sync fails.",
    ),
    th.Property(
        "bulk_page_size",
        th.IntegerType,
        default=50000,
        description="Rows per Bulk results page (maxRecords).",
    ),
    th.Property(
        "max_window_splits",
        th.IntegerType,
        default=5,
        description="Times a query that hits QUERY_TIMEOUT is halved into narrower date windows "
        "before the sync fails.",
    ),
    *http_settings.PROPERTIES,
).to_dict()


@dataclass(frozen=True)
class SalesforceConfig:
    """The validated settings of one tap run (see CONFIG_SCHEMA for their meaning)."""

    login_url: str
    client_id: str
    client_secret: str
    refresh_token: str | None
    start_date: datetime
    api_type: str
    api_version: str
    objects: tuple[str, ...]
    quota_percent: float
    poll_interval: float
    job_timeout: float
    bulk_page_size: int
    max_window_splits: int
    max_tries: int
    rate_limit_max_wait: float
    request_timeout: float

    def __repr__(self) -> str:
        # Keeps the secrets out of any log line or traceback that formats the config.
        return f"SalesforceConfig(login_url={self.login_url!r}, api_type={self.api_type!r})"


def parse_config(raw: Mapping[str, Any]) -> SalesforceConfig:
    """Validate ``raw`` settings, apply the schema defaults and return them typed.

    Raises:
        ConfigurationError: a setting is missing or invalid; the message names it.
    """
    v = READ.with_defaults(raw, CONFIG_SCHEMA)
    refresh = v["refresh_token"]
    return SalesforceConfig(
        login_url=READ.url("login_url", v["login_url"]),
        client_id=READ.text("client_id", v["client_id"]),
        client_secret=READ.text("client_secret", v["client_secret"]),
        refresh_token=None if refresh in (None, "") else READ.text("refresh_token", refresh),
        start_date=READ.instant("start_date", v["start_date"]),
        api_type=READ.choice("api_type", v["api_type"], API_TYPES),
        api_version=_version(v["api_version"]),
        objects=READ.names("objects", v["objects"], kind="Salesforce object"),
        quota_percent=READ.number("quota_percent", v["quota_percent"], minimum=1),
        poll_interval=READ.number("poll_interval", v["poll_interval"], minimum=0),
        job_timeout=READ.number("job_timeout", v["job_timeout"], minimum=0),
        bulk_page_size=READ.count("bulk_page_size", v["bulk_page_size"], minimum=1),
        max_window_splits=READ.count("max_window_splits", v["max_window_splits"], minimum=0),
        **http_settings.read(READ, v),
    )


def _version(value: Any) -> str:
    text = READ.text("api_version", value)
    if not re.fullmatch(r"\d{2,3}\.0", text):
        raise READ.fail("api_version", f"must look like 60.0, got {text!r}")
    return text
