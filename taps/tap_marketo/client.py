"""The calls of tap-marketo to the API, through the one BizOps HTTP layer.

Marketo answers most errors as HTTP 200 with ``{"success": false, "errors": [{code,
message}]}`` (``reference/source-apis.md`` section 4, and Marketo's error-code list);
:func:`vendor_error` maps those codes into the error taxonomy in one table.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from bizops_core import polling
from bizops_core.errors import (
    BizOpsError,
    ConfigurationError,
    FatalError,
    RateLimited,
    RetriableError,
)
from bizops_core.http import HttpClient, RetryPolicy, json_body
from bizops_core.redact import Redactor
from tap_marketo.config import MarketoConfig

LOGGER = logging.getLogger("tap_marketo.client")
EXPIRY_MARGIN_SECONDS = 15.0  # renew a token this long before Marketo says it expires
NO_ASSETS = "No assets found for the given search criteria."
TOKEN_CODES = ("601", "602")  # access token invalid / expired: fetch a new one, send again
BACK_OFF_CODES = ("606", "615")  # rate limit (100 calls / 20 s), concurrency limit (10)
QUEUE_FULL = "1029"  # export queue full (10 jobs): wait and enqueue again
ACCESS_CODES = ("600", "603")  # no token sent / access denied (the API user's role)
QUOTA = "607"  # daily API quota


class MarketoClient:
    """Every request the tap makes: a client-credentials token renewed before it expires and
    whenever Marketo refuses it, retries and the error taxonomy of
    :class:`bizops_core.http.HttpClient`, and the 200-body errors mapped by :meth:`vendor_error`.
    """

    def __init__(self, config: MarketoConfig) -> None:
        self._config = config
        self._redactor = Redactor([config.client_secret])
        self._http = HttpClient(
            config.base_url,
            policy=RetryPolicy(
                max_tries=config.max_tries, rate_limit_max_wait=config.rate_limit_max_wait
            ),
            timeout=config.request_timeout,
            redactor=self._redactor,
            vendor_error=self.vendor_error,
            headers={"Accept": "application/json"},
        )
        self._expires_at = 0.0

    # -- auth -----------------------------------------------------------------------------

    def _authenticate(self) -> None:
        params = {
            "grant_type": "client_credentials",
            "client_id": self._config.client_id,
            "client_secret": self._config.client_secret,
        }
        self._http.session.headers.pop("Authorization", None)
        body = self._http.fetch("GET", "identity/oauth/token", json_body, params=params)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise FatalError("Marketo GET identity/oauth/token answered without an access_token")
        self._redactor.add(token)
        lifetime = body.get("expires_in")
        lifetime = float(lifetime) if isinstance(lifetime, int | float) else 3600.0
        self._expires_at = time.monotonic() + lifetime - min(EXPIRY_MARGIN_SECONDS, lifetime / 2)
        self._http.session.headers["Authorization"] = f"Bearer {token}"
        LOGGER.info("obtained a Marketo access token valid for %.0f s", lifetime)

    def _fresh(self) -> HttpClient:
        if time.monotonic() >= self._expires_at:
            self._authenticate()
        return self._http

    def vendor_error(self, response: requests.Response) -> BizOpsError | None:
        """The taxonomy error of a Marketo ``success:false`` body (None for a good answer)."""
        if response.request.path_url.startswith("/identity/"):
            if response.status_code == 401:
                return ConfigurationError(self._message(response, "client_id/client_secret"))
            return None
        if "json" not in response.headers.get("Content-Type", ""):
            return None  # an export file (CSV)
        try:
            body = response.json()
        except ValueError:
            return None  # cut off: the HTTP layer retries what does not decode
        if not isinstance(body, dict) or body.get("success") is not False:
            return None
        errors = body.get("errors") or [{}]
        code, text = str(errors[0].get("code")), str(errors[0].get("message"))
        where = f"{response.request.method} {response.request.path_url.split('?')[0]}"
        message = self._redactor(f"{where} -> Marketo error {code}: {text}")
        if code in TOKEN_CODES:
            # Seen when a token passes its hour mid-sync (602) or is revoked (601).
            self._expires_at = 0.0
            self._authenticate()
            return RetriableError(message, retry_after=0)
        if code in BACK_OFF_CODES or code == QUEUE_FULL:
            return RateLimited(message, retry_after=None)
        if code in ACCESS_CODES:
            return ConfigurationError(message)
        if code == QUOTA:
            return FatalError(
                f"{message} (the daily API quota of this Marketo instance is spent; it resets "
                "at midnight US Central time: run the sync again then)"
            )
        return FatalError(message)

    @staticmethod
    def _message(response: requests.Response, what: str) -> str:
        return f"Marketo refused the {what} (HTTP {response.status_code}): {response.text[:200]}"

    # -- REST -----------------------------------------------------------------------------

    def result(self, path: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """The ``result`` list of a REST call."""
        body = self._fresh().fetch("GET", path, json_body, params=params or {})
        return list(body.get("result") or [])

    def programs(self, since: datetime) -> Iterator[dict[str, Any]]:
        """Programs updated at or after ``since``, by ``offset``: Marketo ends the list only
        with the warning "No assets found for the given search criteria." (an empty page
        without it would loop forever in a naive reader)."""
        offset, size = 0, self._config.page_size
        earliest = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        while True:
            params = {"maxReturn": size, "offset": offset, "earliestUpdatedAt": earliest}
            body = self._fresh().fetch("GET", "rest/asset/v1/programs.json", json_body,
                                       params=params)  # fmt: skip
            rows = body.get("result") or []
            yield from rows
            if NO_ASSETS in (body.get("warnings") or []) or not rows:
                return
            offset += len(rows)

    def deleted_leads(self, since: datetime) -> Iterator[dict[str, Any]]:
        """ "Delete Lead" activities since ``since``: a paging token first, then pages until
        ``moreResult`` is false (Marketo always sends a nextPageToken)."""
        stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = self._fresh().fetch("GET", "rest/v1/activities/pagingtoken.json", json_body,
                                   params={"sinceDatetime": stamp})  # fmt: skip
        token = body["nextPageToken"]
        while True:
            params = {"nextPageToken": token, "batchSize": 300}
            path = "rest/v1/activities/deletedleads.json"
            body = self._fresh().fetch("GET", path, json_body, params=params)
            yield from body.get("result") or []
            if not body.get("moreResult"):
                return
            token = body["nextPageToken"]

    # -- bulk extract ---------------------------------------------------------------------

    def export(self, kind: str, body: dict[str, Any]) -> str:
        """Run one bulk extract job (create, enqueue, poll, file); the file's CSV text."""
        base = f"bulk/v1/{kind}/export"
        job = self._fresh().fetch("POST", f"{base}/create.json", json_body, json=body)
        export_id = job["result"][0]["exportId"]
        self._fresh().fetch("POST", f"{base}/{export_id}/enqueue.json", json_body)
        state = {"status": "Queued"}

        def check() -> tuple[bool, str]:
            answer = self._fresh().fetch("GET", f"{base}/{export_id}/status.json", json_body)
            state["status"] = status = answer["result"][0]["status"]
            if status in ("Cancelled", "Failed"):
                raise FatalError(f"Marketo {kind} export {export_id} ended {status}")
            return status == "Completed", status

        polling.until_settled(f"Marketo {kind} export {export_id}", check,
                              interval=self._config.poll_interval,
                              timeout=self._config.job_timeout)  # fmt: skip
        response = self._fresh().request("GET", f"{base}/{export_id}/file.json")
        response.encoding = "utf-8"
        return response.text
