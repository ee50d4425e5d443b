"""Zuora's error bodies mapped into the BizOps taxonomy (the HttpClient ``vendor_error`` hook)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import requests

from bizops_core.errors import (
    BizOpsError,
    ConfigurationError,
    FatalError,
    RateLimited,
    RetriableError,
)
from bizops_core.http import api_message, rate_limit_wait
from bizops_core.redact import Redactor

# Fields describe marks exportable but REST export refuses (INVALID_FIELD); AQuA exports them.
# The list is singer-io tap-zuora's UNSUPPORTED_FIELDS_FOR_REST (discover.py), trimmed to the
# objects this tap is tested with plus the ones it names.
UNSUPPORTED_FIELDS_FOR_REST: dict[str, frozenset[str]] = {
    "Account": frozenset({"SequenceSetId"}),
    "Amendment": frozenset(
        {"BookingDate", "EffectivePolicy", "NewRatePlanId", "RemovedRatePlanId", "SubType"}
    ),
    "Invoice": frozenset({"PaymentTerm", "SourceType", "TaxMessage", "TaxStatus", "TemplateId"}),
    "InvoiceItem": frozenset({"Balance", "ExcludeItemBillingFromRevenueAccounting"}),
    "ProductRatePlanCharge": frozenset(
        {"ExcludeItemBillingFromRevenueAccounting", "ExcludeItemBookingFromRevenueAccounting"}
    ),
    "Subscription": frozenset({"IsLatestVersion"}),
}


class CredentialsRejected(ConfigurationError):
    """Zuora answered 401/403: the credentials (or the token made from them) were refused."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


# Codes of `{"Success": false, "Errors": [{"Code", "Message"}]}` bodies (REST v1 "actions" and
# object export; the code list is Zuora's fault code list *(docs)*). Unlisted codes are fatal.
RETRIABLE_CODES = frozenset(
    {
        "LOCK_COMPETITION",
        "REQUEST_EXCEEDED_LIMIT",  # too many concurrent requests; clears by itself
        "REQUEST_EXCEEDED_RATE",
        "SERVER_UNAVAILABLE",
        "TEMPORARY_ERROR",
        "TRANSACTION_TIMEOUT",
    }
)
CONFIG_CODES = frozenset({"API_DISABLED", "INVALID_LOGIN", "INVALID_SESSION"})
# Of the retriable codes, those that mean "over the rate or concurrency limit": waited out on
# the rate-limit budget (rate_limit_max_wait), not the try count, as a 429 is.
RATE_LIMIT_CODES = frozenset({"REQUEST_EXCEEDED_LIMIT", "REQUEST_EXCEEDED_RATE"})
RATE_LIMIT_CATEGORY = "70"

# `{"success": false, "reasons": [{"code": 53100020, ...}]}` bodies of the newer REST endpoints
# carry an 8-digit code whose last two digits are the category *(docs, "Error handling")*:
# 10 permission, 11 authentication -> config; 50 lock contention, 60 internal, 61 temporary,
# 70 request limit -> retriable; anything else (invalid value, not found, ...) -> fatal.
CONFIG_CATEGORIES = frozenset({"10", "11"})
RETRIABLE_CATEGORIES = frozenset({"50", "60", "61", "70"})


def _json(response: requests.Response) -> dict[str, Any] | None:
    # Only JSON answers can hold a Success flag; a streamed CSV download must stay unread.
    if "json" not in response.headers.get("Content-Type", ""):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def zuora_message(response: requests.Response) -> str:
    """Zuora's own error text from any of its error body shapes, else the raw body."""
    body = _json(response)
    if body is not None:
        errors = body.get("Errors") or body.get("reasons") or []
        parts = [
            f"{e.get('Code') or e.get('code')}: {e.get('Message') or e.get('message')}"
            for e in errors
            if isinstance(e, dict)
        ]
        for key in ("message", "Message", "error_description", "error"):
            if not parts and isinstance(body.get(key), str):
                parts.append(body[key])
        if parts:
            return "; ".join(parts)
    return api_message(response)


def _classify_codes(body: dict[str, Any]) -> type[BizOpsError]:
    codes = [
        str(e.get("Code") or e.get("code") or "")
        for e in body.get("Errors") or body.get("reasons") or []
        if isinstance(e, dict)
    ]
    if any(code in CONFIG_CODES or code[-2:] in CONFIG_CATEGORIES for code in codes):
        return ConfigurationError
    retriable = [c in RETRIABLE_CODES or c[-2:] in RETRIABLE_CATEGORIES for c in codes]
    if retriable and all(retriable):
        limited = [c in RATE_LIMIT_CODES or c[-2:] == RATE_LIMIT_CATEGORY for c in codes]
        return RateLimited if all(limited) else RetriableError
    return FatalError


def vendor_error_hook(redact: Redactor) -> Callable[[requests.Response], BizOpsError | None]:
    """The ``vendor_error`` hook for the Zuora HttpClient; messages pass through ``redact``."""

    def hook(response: requests.Response) -> BizOpsError | None:
        status = response.status_code
        method = response.request.method if response.request is not None else "GET"
        path = urlparse(response.url).path
        if status in (401, 403):
            # 401 from /oauth/token = wrong client id/secret; from /v1 = token expired/revoked.
            what = "the credentials" if status == 401 else "access"
            return CredentialsRejected(
                redact(
                    f"Zuora rejected {what} (HTTP {status} from {path}): {zuora_message(response)}"
                ),
                status,
            )
        body = _json(response) if status < 300 else None
        # Zuora reports many failures as HTTP 200 with {"Success": false, "Errors": [...]}: seen
        # on POST /v1/object/export for a bad ZOQL query (INVALID_VALUE, MALFORMED_QUERY).
        if body is not None and (body.get("Success") is False or body.get("success") is False):
            kind = _classify_codes(body)
            message = redact(f"Zuora refused {method} {path}: {zuora_message(response)}")
            if issubclass(kind, RetriableError):
                return kind(message, retry_after=rate_limit_wait(response.headers))
            return kind(message)
        if 400 <= status < 500:
            return FatalError(
                redact(f"Zuora refused {method} {path} (HTTP {status}): {zuora_message(response)}")
            )
        return None

    return hook
