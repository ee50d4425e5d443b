"""The calls of tap-zendesk to the Zendesk Support API, through the one BizOps HTTP layer."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from bizops_core.errors import BizOpsError, ConfigurationError, FatalError, RetriableError
from bizops_core.http import HttpClient, RetryPolicy, api_message, json_body
from bizops_core.redact import Redactor
from tap_zendesk.config import ZendeskConfig

LOGGER = logging.getLogger("tap_zendesk.client")
Body = dict[str, Any]


class TokenRefused(ConfigurationError):
    """401 on a Bearer token: it expired or was revoked; refreshed once when the tap can."""


class ZendeskClient:
    """Every request the tap makes: API-token basic auth or an OAuth bearer token (refreshed
    once when refused), retries and the error taxonomy from
    :class:`bizops_core.http.HttpClient` (429 waits ``Retry-After``, 5xx retried, 401/403
    configuration errors with Zendesk's message).

    Args:
        config: the tap settings (host, credentials, page size, retry knobs).
    """

    def __init__(self, config: ZendeskConfig) -> None:
        self._config = config
        self._redact = Redactor(config.secrets)
        self._access_token = config.access_token
        self._refresh_token = config.refresh_token
        self._http = HttpClient(
            config.base_url,
            policy=RetryPolicy(
                max_tries=config.max_tries, rate_limit_max_wait=config.rate_limit_max_wait
            ),
            timeout=config.request_timeout,
            redactor=self._redact,
            vendor_error=self._quirk,
            headers={"Accept": "application/json"},
        )

    # -- the exports ------------------------------------------------------------------------

    def cursor_export(self, path: str, params: Mapping[str, str]) -> Iterator[Body]:
        """Every page of a cursor-based incremental export, following ``after_cursor`` until
        ``end_of_stream``."""
        query = {**params, "per_page": str(self._config.page_size)}
        while True:
            body = self._get(path, query)
            yield body
            cursor = body.get("after_cursor")
            if body.get("end_of_stream") is not False or not isinstance(cursor, str):
                return
            query = {k: v for k, v in query.items() if k != "start_time"} | {"cursor": cursor}

    def time_export(self, path: str, start_time: int) -> Iterator[Body]:
        """Every page of a time-based incremental export, each from the last one's
        ``end_time`` (inclusive: the API never splits a second between pages) until
        ``end_of_stream``."""
        while True:
            body = self._get(path, {"start_time": str(start_time)})
            yield body
            end_time = body.get("end_time")
            if body.get("end_of_stream") is not False or not isinstance(end_time, int):
                return
            if end_time <= start_time:
                raise FatalError(f"Zendesk's {path} did not move past start_time {start_time}")
            start_time = end_time

    def list_pages(self, path: str, params: Mapping[str, str]) -> Iterator[Body]:
        """Every page of a list endpoint (``page[size]=100``, ``page[after]`` from
        ``meta.after_cursor`` while ``meta.has_more``)."""
        query = {**params, "page[size]": "100"}
        while True:
            body = self._get(path, query)
            yield body
            meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
            after = meta.get("after_cursor")
            if not meta.get("has_more") or not isinstance(after, str):
                return
            query = {**query, "page[after]": after}

    # -- requests ---------------------------------------------------------------------------

    def _get(self, path: str, params: Mapping[str, str]) -> Body:
        try:
            return self._send(path, params)
        except TokenRefused:
            if not self._config.can_refresh:
                raise
            LOGGER.info("Zendesk refused the access token on GET %s; refreshing it", path)
            self._refresh()
            return self._send(path, params)

    def _send(self, path: str, params: Mapping[str, str]) -> Body:
        return self._http.fetch("GET", path, _object, params=params, headers=self._auth())

    def _auth(self) -> dict[str, str]:
        if self._access_token is not None:
            return {"Authorization": f"Bearer {self._access_token}"}
        pair = f"{self._config.email}/token:{self._config.api_token}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    def _refresh(self) -> None:
        """``POST /oauth/tokens`` with the refresh token: a new pair (the old one stops
        working, so the new refresh token replaces it for the rest of the run)."""
        config = self._config
        body = {"grant_type": "refresh_token", "refresh_token": self._refresh_token,
                "client_id": config.client_id, "client_secret": config.client_secret,
                "expires_in": 172800}  # fmt: skip
        answer = self._http.fetch("POST", "oauth/tokens", _object, json=body)
        access, refresh = answer.get("access_token"), answer.get("refresh_token")
        if not isinstance(access, str) or not access:
            raise FatalError("Zendesk answered POST oauth/tokens without an access_token")
        self._redact.add(access)
        self._access_token = access
        if isinstance(refresh, str) and refresh:
            self._redact.add(refresh)
            self._refresh_token = refresh

    def _quirk(self, response: requests.Response) -> BizOpsError | None:
        """Zendesk's answers the status table does not cover."""
        status = response.status_code
        where = f"{response.request.method} {urlsplit(response.url).path.lstrip('/')}"
        message = self._redact(f"{where} -> HTTP {status}: {api_message(response)}")
        if status == 401 and self._access_token is not None:
            return TokenRefused(message)
        # 409 Conflict: singer-io/tap-zendesk retries it (a concurrent update), so do we.
        if status == 409:
            return RetriableError(message)
        return None


def _object(response: requests.Response) -> Body:
    """A JSON object body; a body cut off mid-way is retried by the HTTP layer."""
    body = json_body(response)
    if not isinstance(body, dict):
        raise FatalError(f"Zendesk answered {response.url} with no JSON object")
    return body
