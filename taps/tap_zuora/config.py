"""tap-zuora settings: declared once as a JSON schema, parsed at the boundary into a dataclass."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

from singer_sdk import typing as th

from bizops_core.errors import ConfigurationError

API_TYPES = ("REST", "AQUA")
AUTH_TYPES = ("OAUTH", "BASIC")

CONFIG_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property(
        "base_url",
        th.URIType,
        default="https://rest.zuora.com",
        description="Zuora REST host (the sandbox URL in tests); /oauth/token and /v1 hang off it.",
    ),
    th.Property(
        "auth_type",
        th.StringType(allowed_values=list(AUTH_TYPES)),
        default="OAUTH",
        description="OAUTH: client_credentials token from /oauth/token (Bearer); BASIC: the "
        "apiAccessKeyId/apiSecretAccessKey headers on every call.",
    ),
    th.Property(
        "client_id",
        th.StringType,
        required=True,
        description="OAuth client id of a Zuora API user (Settings > Administration > Users); "
        "with auth_type BASIC, the API access key id (the user name).",
    ),
    th.Property(
        "client_secret",
        th.StringType,
        required=True,
        secret=True,
        description="OAuth client secret that belongs to client_id; with auth_type BASIC, "
        "the API secret access key (the password).",
    ),
    th.Property(
        "api_type",
        th.StringType(allowed_values=list(API_TYPES)),
        default="REST",
        description="REST: one /v1/object/export job per window (no deleted records); AQUA: "
        "one stateful /v1/batch-query/ job per stream, deleted records included.",
    ),
    th.Property(
        "partner_id",
        th.StringType,
        default="bizops",
        description="AQuA partner id; with the stream's project it makes AQuA jobs stateful.",
    ),
    th.Property(
        "start_date",
        th.DateTimeType,
        required=True,
        description="Export rows updated at or after this instant on the first sync (ISO-8601).",
    ),
    th.Property(
        "objects",
        th.ArrayType(th.StringType),
        description="Zuora objects to discover, one stream each; default: every object "
        "GET /v1/describe lists.",
    ),
    th.Property(
        "poll_interval",
        th.NumberType,
        default=10,
        description="Longest wait in seconds between two status checks of an export job "
        "(checks start 0.5 s apart and double up to this).",
    ),
    th.Property(
        "job_timeout",
        th.NumberType,
        default=3600,
        description="Seconds an export job may take before the sync fails.",
    ),
    th.Property(
        "window_days",
        th.IntegerType,
        default=30,
        description="Days of UpdatedDate covered by one export job of an incremental stream.",
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
class ZuoraConfig:
    """The validated settings of one tap run (see CONFIG_SCHEMA for their meaning)."""

    base_url: str
    auth_type: str
    client_id: str
    client_secret: str
    api_type: str
    partner_id: str
    start_date: datetime
    objects: tuple[str, ...] | None
    poll_interval: float
    job_timeout: float
    window_days: int
    max_tries: int
    request_timeout: float

    def __repr__(self) -> str:
        # Keeps the secret out of any log line or traceback that formats the config.
        return (
            f"ZuoraConfig(base_url={self.base_url!r}, api_type={self.api_type!r}, "
            f"objects={self.objects!r})"
        )


def parse_config(raw: Mapping[str, Any]) -> ZuoraConfig:
    """Validate ``raw`` settings, apply the schema defaults and return them typed.

    Raises:
        ConfigurationError: a setting is missing or invalid; the message names it.
    """
    values = {
        name: raw.get(name, spec.get("default"))
        for name, spec in CONFIG_SCHEMA["properties"].items()
    }
    return ZuoraConfig(
        base_url=_url(values["base_url"]),
        auth_type=_choice("auth_type", values["auth_type"], AUTH_TYPES),
        client_id=_text("client_id", values["client_id"]),
        client_secret=_text("client_secret", values["client_secret"]),
        api_type=_choice("api_type", values["api_type"], API_TYPES),
        partner_id=_text("partner_id", values["partner_id"]),
        start_date=_instant("start_date", values["start_date"]),
        objects=None if values["objects"] is None else _objects(values["objects"]),
        poll_interval=_number("poll_interval", values["poll_interval"], minimum=0),
        job_timeout=_number("job_timeout", values["job_timeout"], minimum=0),
        window_days=int(_number("window_days", values["window_days"], minimum=1, integer=True)),
        max_tries=int(_number("max_tries", values["max_tries"], minimum=1, integer=True)),
        request_timeout=_number("request_timeout", values["request_timeout"], minimum=0),
    )


def _fail(name: str, problem: str) -> ConfigurationError:
    return ConfigurationError(f"tap-zuora setting '{name}' {problem}")


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(name, "is required and must be a non-empty string")
    return value


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    text = _text(name, value).upper()
    if text not in choices:
        raise _fail(name, f"must be one of {', '.join(choices)}, got {value!r}")
    return text


def _url(value: Any) -> str:
    url = _text("base_url", value)
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise _fail("base_url", f"must be an http(s) URL, got {url!r}")
    return url.rstrip("/")


def _instant(name: str, value: Any) -> datetime:
    text = _text(name, value)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise _fail(name, f"must be an ISO-8601 date-time, got {text!r}") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _objects(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise _fail("objects", "must be a non-empty list of Zuora object names")
    names = []
    for item in value:
        if not isinstance(item, str) or not item.isidentifier():
            raise _fail("objects", f"holds {item!r}, which is not a Zuora object name")
        if item not in names:
            names.append(item)
    return tuple(names)


def _number(name: str, value: Any, *, minimum: float, integer: bool = False) -> float:
    # bool is an int subclass; `true` is no valid number of seconds or tries. Config files
    # read by the SDK carry fractions as Decimal.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise _fail(name, f"must be a number, got {value!r}")
    if integer and value != int(value):
        raise _fail(name, f"must be a whole number, got {value!r}")
    if value < minimum:
        raise _fail(name, f"must be at least {minimum:g}, got {value!r}")
    return float(value)
