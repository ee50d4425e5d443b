"""SalesforceClient: describe, REST query/queryAll pages and Bulk API 2.0 query jobs."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, TypeVar

import requests

from bizops_core import polling
from bizops_core.csv_rows import header_rows
from bizops_core.errors import FatalError
from bizops_core.http import BodyNotDecoded, HttpClient, RetryPolicy, json_body
from bizops_core.redact import Redactor
from tap_salesforce.auth import SalesforceLogin
from tap_salesforce.config import SalesforceConfig
from tap_salesforce.describe import SObject, parse_object, queryable_names
from tap_salesforce.quirks import QueryTimeout, SalesforceQuirks, SessionExpired

LOGGER = logging.getLogger("tap_salesforce.client")
Rows = Iterator[dict[str, Any]]
T = TypeVar("T")


class SalesforceClient:
    """All calls the tap makes to Salesforce, through the one BizOps HTTP layer.

    Args:
        config: the tap settings (hosts, credentials, polling, quota and retry knobs).
    """

    def __init__(self, config: SalesforceConfig) -> None:
        self._config = config
        redactor = Redactor([config.client_secret, config.refresh_token or ""])
        self.quirks = SalesforceQuirks(redactor)
        self._http = HttpClient(
            config.login_url,
            policy=RetryPolicy(
                max_tries=config.max_tries, rate_limit_max_wait=config.rate_limit_max_wait
            ),
            timeout=config.request_timeout,
            redactor=redactor,
            vendor_error=self.quirks,
        )
        self._login = SalesforceLogin(self._http, config, redactor)

    # --- quota -----------------------------------------------------------------------------

    def over_quota(self) -> str | None:
        """Why the sync should stop now (API usage above quota_percent), or None."""
        usage = self.quirks.usage
        if usage is None or usage[1] <= 0:
            return None
        used, limit = usage
        if used * 100 > limit * self._config.quota_percent:
            return (
                f"API usage {used}/{limit} is above quota_percent ({self._config.quota_percent:g}%)"
            )
        return None

    # --- discovery -------------------------------------------------------------------------

    def object_names(self) -> list[str]:
        """Names of the queryable objects of the org (``GET /sobjects``)."""
        return queryable_names(self._json("GET", "sobjects"))

    def describe(self, name: str) -> SObject:
        """The selectable fields of one object (``GET /sobjects/{name}/describe``)."""
        return parse_object(self._json("GET", f"sobjects/{name}/describe"), name)

    # --- REST ------------------------------------------------------------------------------

    def rest_query(self, soql: str) -> Rows:
        """Run ``queryAll`` (deleted rows included) and return an iterator over every page.

        The first page is fetched before this returns, so a refused query (QUERY_TIMEOUT, an
        object the user may not read) raises here, before any row is yielded.
        """
        first = self._json("GET", "queryAll", params={"q": soql})
        return self._rest_pages(first)

    def _rest_pages(self, page: dict[str, Any]) -> Rows:
        while True:
            yield from page.get("records") or []
            next_url = page.get("nextRecordsUrl")
            if page.get("done", True) or not next_url:
                return
            page = self._json("GET", next_url)

    # --- Bulk API 2.0 ----------------------------------------------------------------------

    def bulk_query(self, soql: str) -> Rows:
        """Run a Bulk 2.0 ``queryAll`` job to completion; return an iterator over its CSV rows.

        Raises:
            QueryTimeout: the job failed with QUERY_TIMEOUT (the caller narrows its window).
            FatalError: the job failed or was aborted, with Salesforce's errorMessage.
            RetriableError: the job did not finish within ``job_timeout``.
        """
        job = self._json("POST", "jobs/query", json={"operation": "queryAll", "query": soql})
        job_id = str(job.get("id") or "")
        if not job_id:
            raise FatalError(f"Salesforce created a Bulk job without an id: {job}")
        self._wait_for(job_id)
        return self._bulk_pages(job_id)

    def _wait_for(self, job_id: str) -> None:
        def check() -> tuple[bool, str]:
            job = self._json("GET", f"jobs/query/{job_id}")
            state = job.get("state")
            if state in ("Failed", "Aborted"):
                message = str(job.get("errorMessage") or "Salesforce gave no errorMessage")
                error = QueryTimeout if "QUERY_TIMEOUT" in message else FatalError
                raise error(f"Salesforce Bulk job {job_id} {str(state).lower()}: {message}")
            return state == "JobComplete", str(state)

        waited = polling.until_settled(
            f"Salesforce Bulk job {job_id}",
            check,
            interval=self._config.poll_interval,
            timeout=self._config.job_timeout,
        )
        LOGGER.info("bulk job %s complete after %.1f s", job_id, waited)

    def _bulk_pages(self, job_id: str) -> Rows:
        locator: str | None = None
        while True:
            params: dict[str, Any] = {"maxRecords": self._config.bulk_page_size}
            if locator:
                params["locator"] = locator
            path = f"jobs/query/{job_id}/results"
            rows, locator = self._fetch("GET", path, _results_page(job_id), params=params)
            yield from rows
            # The last page carries the literal string "null" (MeltanoLabs/tap-salesforce bulk2).
            if not locator or locator == "null":
                return

    # --- plumbing --------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        session = self._login.session()
        if path.startswith("/"):  # nextRecordsUrl: absolute path on the instance
            return session.instance_url + path
        return f"{session.instance_url}/services/data/v{self._config.api_version}/{path}"

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self._fetch(method, path, _itself, **kwargs)

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON answer of one request; a body cut off mid-way is retried."""
        return self._fetch(method, path, _exact_json, **kwargs)

    def _fetch(
        self, method: str, path: str, decode: Callable[[requests.Response], T], **kwargs: Any
    ) -> T:
        """One authenticated request; a refused session is renewed once (it may have expired)."""
        try:
            return self._send(method, path, decode, **kwargs)
        except SessionExpired:
            LOGGER.info("Salesforce refused the session on %s %s; logging in again", method, path)
            self._login.invalidate()
            return self._send(method, path, decode, **kwargs)

    def _send(
        self, method: str, path: str, decode: Callable[[requests.Response], T], **kwargs: Any
    ) -> T:
        headers = {"Authorization": f"Bearer {self._login.session().access_token}"}
        return self._http.fetch(method, self._url(path), decode, headers=headers, **kwargs)


def _itself(response: requests.Response) -> requests.Response:
    return response


def _exact_json(response: requests.Response) -> Any:
    # Numbers stay exact: Salesforce currency and double values are decimal.
    return json_body(response, parse_float=Decimal)


def _results_page(
    job_id: str,
) -> Callable[[requests.Response], tuple[list[dict[str, Any]], str | None]]:
    """A decoder of one Bulk results page: its rows and the next page's locator.

    The rows are counted against ``Sforce-NumberOfRecords``: a page cut off at a line break
    parses as valid CSV, and only the count shows the rows it lost; it is fetched again.
    """

    def decode(response: requests.Response) -> tuple[list[dict[str, Any]], str | None]:
        text = io.StringIO(response.content.decode("utf-8-sig"))
        rows = list(header_rows(text, f"Salesforce Bulk job {job_id}"))
        announced = response.headers.get("Sforce-NumberOfRecords")
        if announced is not None and announced.isdigit() and int(announced) != len(rows):
            raise BodyNotDecoded(
                f"the page holds {len(rows)} rows, Sforce-NumberOfRecords says {announced}"
            )
        return rows, response.headers.get("Sforce-Locator")

    return decode
