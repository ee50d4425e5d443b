"""ZuoraClient: describe calls, REST export jobs (create, poll) and resumable file downloads."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from contextlib import closing
from typing import Any, TypeVar

import requests

from bizops_core import polling
from bizops_core.csv_rows import header_rows
from bizops_core.errors import FatalError
from bizops_core.http import BodyNotDecoded, HttpClient, RetryPolicy, json_body
from bizops_core.redact import Redactor
from tap_zuora.auth import ZuoraBasicAuth, ZuoraOAuth
from tap_zuora.config import ZuoraConfig
from tap_zuora.convert import column_name
from tap_zuora.describe import XmlNotParsed, ZuoraObject, parse_object, parse_object_list
from tap_zuora.quirks import CredentialsRejected, vendor_error_hook

LOGGER = logging.getLogger("tap_zuora.client")
T = TypeVar("T")

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
            policy=RetryPolicy(
                max_tries=config.max_tries, rate_limit_max_wait=config.rate_limit_max_wait
            ),
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
        return self._fetch("GET", "v1/describe", _xml(parse_object_list))

    def describe(self, name: str) -> ZuoraObject:
        """The exportable fields of one object (``GET /v1/describe/{name}``)."""
        return self._fetch("GET", f"v1/describe/{name}", _xml(lambda xml: parse_object(xml, name)))

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
        body = self.call_json("POST", "v1/object/export", json=payload)
        job_id = body.get("Id")
        if not isinstance(job_id, str) or not job_id:
            raise FatalError(f"Zuora POST /v1/object/export answered without a job Id: {body}")
        return job_id

    def _wait_for(self, job_id: str) -> str:
        job: dict[str, Any] = {}

        def check() -> tuple[bool, str]:
            job.clear()
            job.update(self.call_json("GET", f"v1/object/export/{job_id}"))
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

        A connection that breaks mid-body is retried by the shared HTTP layer (up to
        ``max_tries`` downloads in all): Zuora's files cannot be fetched from an offset, so
        the file is requested again and the rows already yielded are skipped.
        """
        return self._http.resumable(f"Zuora GET /{path}", lambda: self._read_csv(path, object_name))

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

    def call_json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One authenticated request whose answer must be a JSON object; a body cut off
        mid-way is retried like a dropped connection.

        Raises:
            FatalError: the body is JSON but not an object.
        """
        return self._fetch(method, path, _json_object, **kwargs)

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self._fetch(method, path, _itself, **kwargs)

    def _fetch(
        self, method: str, path: str, decode: Callable[[requests.Response], T], **kwargs: Any
    ) -> T:
        """One authenticated request; a refused token is renewed once (it may have expired)."""
        headers = self._auth.headers()
        try:
            return self._http.fetch(method, path, decode, headers=headers, **kwargs)
        except CredentialsRejected as exc:
            if exc.status != 401:
                raise
            LOGGER.info("Zuora refused the token on %s %s; fetching a new one", method, path)
            self._auth.invalidate()
            headers = self._auth.headers()
            return self._http.fetch(method, path, decode, headers=headers, **kwargs)


def _itself(response: requests.Response) -> requests.Response:
    return response


def _json_object(response: requests.Response) -> dict[str, Any]:
    body = json_body(response)
    if not isinstance(body, dict):
        raise FatalError(f"Zuora answered {response.url} with JSON that is not an object")
    return body


def _xml(parse: Callable[[bytes], T]) -> Callable[[requests.Response], T]:
    """A decoder for :meth:`HttpClient.fetch`: XML that does not parse (it may have been cut
    off mid-way) is retried like a dropped connection."""

    def decode(response: requests.Response) -> T:
        try:
            return parse(response.content)
        except XmlNotParsed as exc:
            raise BodyNotDecoded(str(exc)) from exc

    return decode
