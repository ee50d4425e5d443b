"""tap-zuora settings: declared once as a JSON schema, parsed at the boundary into a dataclass."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from singer_sdk import typing as th

from bizops_core import http_settings
from bizops_core.settings import SettingsReader

READ = SettingsReader("tap-zuora")

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
    *http_settings.PROPERTIES,
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
    rate_limit_max_wait: float
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
    values = READ.with_defaults(raw, CONFIG_SCHEMA)
    return ZuoraConfig(
        base_url=READ.url("base_url", values["base_url"]),
        auth_type=READ.choice("auth_type", values["auth_type"], AUTH_TYPES, upper=True),
        client_id=READ.text("client_id", values["client_id"]),
        client_secret=READ.text("client_secret", values["client_secret"]),
        api_type=READ.choice("api_type", values["api_type"], API_TYPES, upper=True),
        partner_id=READ.text("partner_id", values["partner_id"]),
        start_date=READ.instant("start_date", values["start_date"]),
        objects=None
        if values["objects"] is None
        else READ.names("objects", values["objects"], kind="Zuora object", non_empty=True),
        poll_interval=READ.number("poll_interval", values["poll_interval"], minimum=0),
        job_timeout=READ.number("job_timeout", values["job_timeout"], minimum=0),
        window_days=READ.count("window_days", values["window_days"], minimum=1),
        **http_settings.read(READ, values),
    )
