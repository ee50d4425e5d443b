"""ZuoraClient: describe calls, REST export jobs (create, poll) and resumable file downloads."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import requests
import urllib3

from bizops_core import polling
from bizops_core.csv_rows import header_rows
from bizops_core.errors import FatalError, RetriableError
from bizops_core.http import HttpClient, RetryPolicy
from bizops_core.redact import Redactor
from tap_zuora.auth import ZuoraBasicAuth, ZuoraOAuth
from tap_zuora.config import ZuoraConfig
from tap_zuora.convert import column_name
from tap_zuora.describe import ZuoraObject, parse_object, parse_object_list
from tap_zuora.quirks import CredentialsRejected, vendor_error_hook

LOGGER = logging.getLogger("tap_zuora.client")

DONE_STATUSES = frozenset({"Completed"})
FAILED_STATUSES = frozenset({"Failed", "Cancelled"})


class ZuoraClient:
    """All calls the tap makes to Zuora, through the one BizOps HTTP layer.

    Args:
        config: the tap settings (host, credentials, polling and retry knobs).
    """

    def __init__(self, config: ZuoraConfig) -> None:
        self._config = config
        redactor = Redactor([config.client_secret])
        self._http = HttpClient(
            config.base_url,
            policy=RetryPolicy(max_tries=config.max_tries),
            timeout=config.request_timeout,
            redactor=redactor,
            vendor_error=vendor_error_hook(redactor),
            # REST calls pin the API version, as singer-io/tap-zuora does.
            headers={"X-Zuora-WSDL-Version": "91.0"},
        )
        self._auth: ZuoraOAuth | ZuoraBasicAuth
        if config.auth_type == "BASIC":
            self._auth = ZuoraBasicAuth(config.client_id, config.client_secret)
        else:
            self._auth = ZuoraOAuth(self._http, config.client_id, config.client_secret, redactor)

    @property
    def config(self) -> ZuoraConfig:
        """The tap settings this client was made with."""
        return self._config

    # --- discovery -------------------------------------------------------------------------

    def object_names(self) -> list[str]:
        """Names of every object the tenant can describe (``GET /v1/describe``)."""
        return parse_object_list(self._call("GET", "v1/describe").content)

    def describe(self, name: str) -> ZuoraObject:
        """The exportable fields of one object (``GET /v1/describe/{name}``)."""
        return parse_object(self._call("GET", f"v1/describe/{name}").content, name)

    # --- export ----------------------------------------------------------------------------

    def export(self, query: str, *, object_name: str) -> Iterator[dict[str, str]]:
        """Run one ZOQL export and yield its rows as ``{field: cell text}``.

        The job is created, polled every ``poll_interval`` seconds until it completes (at most
        ``job_timeout`` seconds) and its CSV file is streamed, row by row.

        Raises:
            FatalError: the job failed or was cancelled (with Zuora's StatusReason).
            RetriableError: the job did not finish within ``job_timeout``.
            DataError: a CSV row does not have as many cells as the header.
        """
        job_id = self._create_export(query)
        file_id = self._wait_for(job_id)
        yield from self.download(f"v1/files/{file_id}", object_name)

    def _create_export(self, query: str) -> str:
        LOGGER.info("creating export: %s", query)
        payload = {"Format": "csv", "Query": query}
        body = self._json(self._call("POST", "v1/object/export", json=payload))
        job_id = body.get("Id")
        if not isinstance(job_id, str) or not job_id:
            raise FatalError(f"Zuora POST /v1/object/export answered without a job Id: {body}")
        return job_id

    def _wait_for(self, job_id: str) -> str:
        job: dict[str, Any] = {}

        def check() -> tuple[bool, str]:
            job.clear()
            job.update(self._json(self._call("GET", f"v1/object/export/{job_id}")))
            status = job.get("Status")
            if status in FAILED_STATUSES:
                reason = job.get("StatusReason") or "Zuora gave no StatusReason"
                raise FatalError(f"Zuora export {job_id} {str(status).lower()}: {reason}")
            return status in DONE_STATUSES, str(status)

        waited = polling.until_settled(
            f"Zuora export {job_id}",
            check,
            interval=self._config.poll_interval,
            timeout=self._config.job_timeout,
        )
        file_id = job.get("FileId")
        if not file_id:
            raise FatalError(f"Zuora export {job_id} completed without a FileId")
        LOGGER.info("export %s completed after %.1f s", job_id, waited)
        return str(file_id)

    def download(self, path: str, object_name: str) -> Iterator[dict[str, str]]:
        """Stream the CSV file at ``path`` as ``{field: cell text}`` rows.

        A connection that breaks mid-body is retried (up to ``max_tries`` downloads in all):
        Zuora's files cannot be fetched from an offset, so the file is requested again
        through the shared HTTP layer and the rows already yielded are skipped.
        """
        done = 0
        for attempt in range(self._config.max_tries):
            try:
                for index, row in enumerate(self._read_csv(path, object_name)):
                    if index >= done:
                        done += 1
                        yield row
                return
            except (urllib3.exceptions.HTTPError, requests.RequestException) as exc:
                if attempt + 1 >= self._config.max_tries:
                    raise RetriableError(
                        f"Zuora GET /{path} broke off after {done} rows, "
                        f"{self._config.max_tries} times: {type(exc).__name__}"
                    ) from exc
                delay = self._http.policy.wait(attempt, None)
                LOGGER.warning(
                    "download of /%s broke off after %d rows (%s); downloading again in %.1fs",
                    path, done, type(exc).__name__, delay,
                )  # fmt: skip
                time.sleep(delay)

    def _read_csv(self, path: str, object_name: str) -> Iterator[dict[str, str]]:
        response = self._call("GET", path, stream=True)
        with closing(response):
            response.raw.decode_content = True
            # urllib3 closes the raw stream at end of body unless told not to; TextIOWrapper
            # would then fail its last read with "I/O operation on closed file".
            response.raw.auto_close = False
            # newline="" lets the csv module see quoted line breaks inside a cell; -sig drops the
            # byte-order mark Zuora puts in front of some files.
            text = io.TextIOWrapper(response.raw, encoding="utf-8-sig", newline="")
            yield from header_rows(
                text, f"Zuora file /{path}", lambda cell: column_name(cell, object_name)
            )

    # --- plumbing --------------------------------------------------------------------------

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One authenticated request (see :meth:`_call`); for the AQuA flow."""
        return self._call(method, path, **kwargs)

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One authenticated request; a refused token is renewed once (it may have expired)."""
        headers = self._auth.headers()
        try:
            return self._http.request(method, path, headers=headers, **kwargs)
        except CredentialsRejected as exc:
            if exc.status != 401:
                raise
            LOGGER.info("Zuora refused the token on %s %s; fetching a new one", method, path)
            self._auth.invalidate()
            return self._http.request(method, path, headers=self._auth.headers(), **kwargs)

    @staticmethod
    def json(response: requests.Response) -> dict[str, Any]:
        """The JSON object of a response (see :meth:`_json`)."""
        return ZuoraClient._json(response)

    @staticmethod
    def _json(response: requests.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError as exc:
            raise FatalError(f"Zuora answered {response.url} with a body that is not JSON") from exc
        if not isinstance(body, dict):
            raise FatalError(f"Zuora answered {response.url} with JSON that is not an object")
        return body
