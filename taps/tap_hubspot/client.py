"""The calls of tap-hubspot to the API, through the one BizOps HTTP layer: auth (private-app
token or OAuth refresh), CRM v3 list pages, search pages and HubSpot's error quirks."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from bizops_core.errors import BizOpsError, ConfigurationError, FatalError
from bizops_core.http import HttpClient, RetryPolicy, json_body
from bizops_core.redact import Redactor
from tap_hubspot.config import HubspotConfig

LOGGER = logging.getLogger("tap_hubspot.client")
TOKEN_PATH = "oauth/v1/token"  # noqa: S105 - a path, not a secret


class TokenExpired(ConfigurationError):
    """401 EXPIRED_AUTHENTICATION: the OAuth access token expired; refresh it once."""


class DailyLimitReached(BizOpsError):
    """429 with ``"policyName": "DAILY"``: the portal's daily API limit is used up. Waiting is
    pointless (it resets at midnight in the portal's time zone), so the run stops at once with
    the transient exit code, its state kept. Not a RetriableError: the HTTP layer must not
    wait it out like a per-second limit."""

    kind = "transient"
    exit_code = 75


def stop_at_daily_limit(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """A requests response hook: raise :class:`DailyLimitReached` for HubSpot's daily 429
    (the HTTP layer would otherwise wait it out as a rate limit for rate_limit_max_wait)."""
    if response.status_code != 429:
        return
    try:
        body = response.json()
    except ValueError:
        return
    if isinstance(body, dict) and body.get("policyName") == "DAILY":
        daily = response.headers.get("X-HubSpot-RateLimit-Daily", "?")
        raise DailyLimitReached(
            f"HubSpot's daily API limit ({daily} requests) is used up; run again after it "
            "resets (midnight in the portal's time zone)"
        )


@dataclass(frozen=True)
class Page:
    """One page of a list or search: its records and the ``after`` of the next (None: last)."""

    records: list[dict[str, Any]]
    after: str | None


def hubspot_quirk(response: requests.Response) -> BizOpsError | None:
    """HubSpot's error categories mapped into the taxonomy (seen in its 401 bodies: an expired
    OAuth token says ``"category": "EXPIRED_AUTHENTICATION"``, and only that one is worth a
    refresh; any other 401/403 is a configuration error as the HTTP layer classifies it)."""
    if response.status_code != 401:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and body.get("category") == "EXPIRED_AUTHENTICATION":
        return TokenExpired(f"HTTP 401: {body.get('message', 'token expired')}")
    return None


class HubspotClient:
    """Every request the tap makes: Bearer token (refreshed when it expires), retries and the
    error taxonomy of :class:`bizops_core.http.HttpClient` (429 waited out by HubSpot's
    ``X-HubSpot-RateLimit-Interval-Milliseconds``, 5xx retried, 401/403 configuration errors).

    Args:
        config: the tap settings (host, credentials, page size, retry knobs).
    """

    def __init__(self, config: HubspotConfig) -> None:
        self._config = config
        secrets = [config.access_token, config.client_secret, config.refresh_token]
        self._redactor = Redactor([s for s in secrets if s])
        self._http = HttpClient(
            config.base_url,
            policy=RetryPolicy(
                max_tries=config.max_tries, rate_limit_max_wait=config.rate_limit_max_wait
            ),
            timeout=config.request_timeout,
            redactor=self._redactor,
            vendor_error=hubspot_quirk,
            headers={"Accept": "application/json"},
        )
        self._http.session.hooks["response"].append(stop_at_daily_limit)
        self._token: str | None = config.access_token

    def pages(self, path: str, params: Mapping[str, str]) -> Iterator[Page]:
        """Every page of a ``GET`` list at ``path``, following ``paging.next.after``."""
        after: str | None = None
        while True:
            query = {**params, "limit": str(self._config.page_size)}
            if after is not None:
                query["after"] = after
            page = self._call("GET", path, params=query)
            yield page
            if page.after is None:
                return
            after = page.after

    def search(self, path: str, body: dict[str, Any]) -> Page:
        """One page of ``POST`` search at ``path``."""
        return self._call("POST", path, data=json.dumps(body),
                          headers={"Content-Type": "application/json"})  # fmt: skip

    def _call(self, method: str, path: str, **kwargs: Any) -> Page:
        try:
            return self._send(method, path, **kwargs)
        except TokenExpired:
            if self._config.refresh_token is None:
                raise
            LOGGER.info("HubSpot refused the access token on %s %s; refreshing it", method, path)
            self._token = None
            return self._send(method, path, **kwargs)

    def _send(self, method: str, path: str, **kwargs: Any) -> Page:
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {self._access()}"}
        return self._http.fetch(method, path, _page, headers=headers, **kwargs)

    def _access(self) -> str:
        if self._token is None:
            config = self._config
            form = {"grant_type": "refresh_token", "client_id": config.client_id,
                    "client_secret": config.client_secret,
                    "refresh_token": config.refresh_token}  # fmt: skip
            body = self._http.fetch("POST", TOKEN_PATH, json_body, data=form)
            token = body.get("access_token") if isinstance(body, dict) else None
            if not isinstance(token, str) or not token:
                raise FatalError(f"HubSpot POST /{TOKEN_PATH} answered without an access_token")
            self._redactor.add(token)
            LOGGER.info("refreshed the HubSpot access token")
            self._token = token
        return self._token


def _page(response: requests.Response) -> Page:
    """A page from a response body; a body cut off mid-way is retried by the HTTP layer."""
    body = json_body(response)
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list) or not all(isinstance(item, dict) for item in results):
        raise FatalError(f"the API answered {response.url} without a 'results' list of objects")
    after = ((body.get("paging") or {}).get("next") or {}).get("after")
    if after is not None and not isinstance(after, str):
        raise FatalError(f"the API answered {response.url} with a paging.next.after not text")
    return Page(results, after or None)
