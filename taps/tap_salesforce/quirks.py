"""Salesforce's error bodies and usage header mapped into the BizOps taxonomy (HttpClient hook)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import requests

from bizops_core.errors import BizOpsError, ConfigurationError, FatalError
from bizops_core.http import api_message
from bizops_core.redact import Redactor

# singer-io/tap-salesforce reads the header with this anchored pattern (salesforce/__init__.py).
USAGE = re.compile(r"^api-usage=(\d+)/(\d+)$")
# A query on an object the user may not read: Salesforce hides the object (INVALID_TYPE),
# or refuses the rows (INSUFFICIENT_ACCESS / INSUFFICIENT_ACCESS_OR_READONLY).
ACCESS_CODES = frozenset({"INVALID_TYPE", "INSUFFICIENT_ACCESS", "INSUFFICIENT_ACCESS_OR_READONLY"})
# Refused logins of POST /services/oauth2/token (HTTP 400 with an OAuth error body).
LOGIN_ERRORS = frozenset({"invalid_grant", "invalid_client", "invalid_client_id"})


class SessionExpired(ConfigurationError):
    """401 INVALID_SESSION_ID: the session id expired or was revoked; log in again once."""


class QuotaReached(BizOpsError):
    """The org's daily API quota is (nearly) used up: stop, keep state, try again later.

    Not a RetriableError on purpose: the HttpClient must not retry it (the quota resets over
    24 hours), yet the run ends with the transient exit code.
    """

    kind = "transient"
    exit_code = 75


class QueryTimeout(FatalError):
    """400 QUERY_TIMEOUT (REST) or a Bulk job that failed with it: narrow the date window."""


class ObjectAccessDenied(ConfigurationError):
    """The integration user may not read one object; its stream is skipped."""


def errors_of(response: requests.Response) -> list[tuple[str, str]]:
    """(errorCode, message) pairs of a Salesforce error body ``[{"message", "errorCode"}]``."""
    try:
        body: Any = response.json()
    except ValueError:
        return []
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return [(body["error"], str(body.get("error_description", "")))]
    if not isinstance(body, list):
        return []
    return [
        (str(e.get("errorCode", "")), str(e.get("message", "")))
        for e in body
        if isinstance(e, dict)
    ]


class SalesforceQuirks:
    """The ``vendor_error`` hook; it also keeps the last API usage the org reported.

    Attributes:
        usage: ``(used, max)`` from the last ``Sforce-Limit-Info`` header, or None.
    """

    def __init__(self, redact: Redactor) -> None:
        self.redact = redact
        self.usage: tuple[int, int] | None = None

    def __call__(self, response: requests.Response) -> BizOpsError | None:
        match = USAGE.match(response.headers.get("Sforce-Limit-Info", "").strip())
        if match:
            self.usage = (int(match.group(1)), int(match.group(2)))
        status = response.status_code
        if status < 400:
            return None
        return self._error(response, status)

    def _error(self, response: requests.Response, status: int) -> BizOpsError:
        errors = errors_of(response)
        codes = {code for code, _ in errors}
        text = "; ".join(f"{c}: {m}" for c, m in errors) or api_message(response)
        method = response.request.method if response.request is not None else "GET"
        message = self.redact(
            f"Salesforce {method} {urlparse(response.url).path} -> {status}: {text}"
        )
        if codes & LOGIN_ERRORS:
            return ConfigurationError(self.redact(f"Salesforce refused the login: {text}"))
        if "INVALID_SESSION_ID" in codes or status == 401:
            return SessionExpired(message)
        if "REQUEST_LIMIT_EXCEEDED" in codes:
            return QuotaReached(message)
        if "QUERY_TIMEOUT" in codes:
            return QueryTimeout(message)
        # A describe of an object the user may not read answers 404 NOT_FOUND.
        if codes & ACCESS_CODES or ("NOT_FOUND" in codes and message.find("/describe") > 0):
            return ObjectAccessDenied(message)
        if status == 403:
            return ConfigurationError(message)
        return FatalError(message)
