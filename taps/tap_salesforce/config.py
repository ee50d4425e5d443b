"""tap-salesforce settings: declared once as a JSON schema, parsed at the boundary."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

from singer_sdk import typing as th

from bizops_core.errors import ConfigurationError

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
    request_timeout: float

    def __repr__(self) -> str:
        # Keeps the secrets out of any log line or traceback that formats the config.
        return f"SalesforceConfig(login_url={self.login_url!r}, api_type={self.api_type!r})"


def parse_config(raw: Mapping[str, Any]) -> SalesforceConfig:
    """Validate ``raw`` settings, apply the schema defaults and return them typed.

    Raises:
        ConfigurationError: a setting is missing or invalid; the message names it.
    """
    v = {
        name: raw.get(name, spec.get("default"))
        for name, spec in CONFIG_SCHEMA["properties"].items()
    }
    refresh = v["refresh_token"]
    return SalesforceConfig(
        login_url=_url(v["login_url"]),
        client_id=_text("client_id", v["client_id"]),
        client_secret=_text("client_secret", v["client_secret"]),
        refresh_token=None if refresh in (None, "") else _text("refresh_token", refresh),
        start_date=_instant("start_date", v["start_date"]),
        api_type=_choice("api_type", v["api_type"]),
        api_version=_version(v["api_version"]),
        objects=_objects(v["objects"]),
        quota_percent=_number("quota_percent", v["quota_percent"], minimum=1),
        poll_interval=_number("poll_interval", v["poll_interval"], minimum=0),
        job_timeout=_number("job_timeout", v["job_timeout"], minimum=0),
        bulk_page_size=int(_number("bulk_page_size", v["bulk_page_size"], minimum=1, whole=True)),
        max_window_splits=int(
            _number("max_window_splits", v["max_window_splits"], minimum=0, whole=True)
        ),
        max_tries=int(_number("max_tries", v["max_tries"], minimum=1, whole=True)),
        request_timeout=_number("request_timeout", v["request_timeout"], minimum=0),
    )


def _fail(name: str, problem: str) -> ConfigurationError:
    return ConfigurationError(f"tap-salesforce setting '{name}' {problem}")


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(name, "is required and must be a non-empty string")
    return value


def _url(value: Any) -> str:
    url = _text("login_url", value)
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise _fail("login_url", f"must be an http(s) URL, got {url!r}")
    return url.rstrip("/")


def _choice(name: str, value: Any) -> str:
    if value not in API_TYPES:
        raise _fail(name, f"must be one of {', '.join(API_TYPES)}, got {value!r}")
    return value


def _version(value: Any) -> str:
    text = _text("api_version", value)
    if not re.fullmatch(r"\d{2,3}\.0", text):
        raise _fail("api_version", f"must look like 60.0, got {text!r}")
    return text


def _instant(name: str, value: Any) -> datetime:
    text = _text(name, value)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise _fail(name, f"must be an ISO-8601 date-time, got {text!r}") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _objects(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _fail("objects", "must be a list of Salesforce object names")
    names: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.isidentifier():
            raise _fail("objects", f"holds {item!r}, which is not a Salesforce object name")
        if item not in names:
            names.append(item)
    return tuple(names)


def _number(name: str, value: Any, *, minimum: float, whole: bool = False) -> float:
    # bool is an int subclass; config files read by the SDK carry fractions as Decimal.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise _fail(name, f"must be a number, got {value!r}")
    if whole and value != int(value):
        raise _fail(name, f"must be a whole number, got {value!r}")
    if value < minimum:
        raise _fail(name, f"must be at least {minimum:g}, got {value!r}")
    return float(value)
