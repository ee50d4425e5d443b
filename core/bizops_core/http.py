"""The one HTTP layer every tap uses: status classification, retries with backoff, redaction.

Retried: 429 (honouring ``Retry-After`` in seconds or as an HTTP date), 5xx, dropped connections
and timeouts, with exponential backoff and full jitter up to ``RetryPolicy.max_tries`` attempts.
401/403 are configuration errors, any other 4xx is fatal; both carry the API's own message with
secrets removed. Vendor quirks are mapped in a tap's ``vendor_error`` hook, not here.
"""

from __future__ import annotations

import email.utils
import enum
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from bizops_core.errors import BizOpsError, ConfigurationError, FatalError, RetriableError
from bizops_core.redact import Redactor

LOGGER = logging.getLogger("bizops_core.http")


class Action(enum.Enum):
    """What the client does with a response."""

    OK = "ok"
    RETRY = "retry"
    AUTH = "auth"
    FATAL = "fatal"


# Explicit status -> action table; anything not listed falls back by class (2xx ok, 5xx retry).
STATUS_ACTIONS: Mapping[int, Action] = {
    401: Action.AUTH,
    403: Action.AUTH,
    408: Action.RETRY,
    429: Action.RETRY,
}


def classify(status: int) -> Action:
    """Map an HTTP status to what the client should do with it."""
    if status in STATUS_ACTIONS:
        return STATUS_ACTIONS[status]
    if 200 <= status < 400:
        return Action.OK
    if status >= 500:
        return Action.RETRY
    return Action.FATAL


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry: ``max_tries`` attempts in all, waits of ``base_delay * 2**n`` (jittered),
    each capped at ``max_delay`` seconds (a longer ``Retry-After`` is honoured up to that cap)."""

    max_tries: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0

    def wait(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before attempt ``attempt + 1``."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        ceiling = min(self.base_delay * (2**attempt), self.max_delay)
        return random.uniform(0, ceiling)  # noqa: S311 - jitter, not cryptography


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Parse a ``Retry-After`` header: delta seconds or an HTTP date. ``None`` if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def api_message(response: requests.Response, limit: int = 500) -> str:
    """The API's own error text, trimmed: the body if it is short text or JSON."""
    text = response.text or ""
    return " ".join(text.split())[:limit] or response.reason or "no message"


VendorHook = Callable[[requests.Response], BizOpsError | None]


class HttpClient:
    """A requests session bound to one API, with the retry and error policy above.

    Args:
        base_url: the API root; request paths are joined to it.
        policy: the retry policy.
        timeout: seconds for connect and for each read.
        redactor: secrets to remove from every error message.
        vendor_error: optional hook that turns a vendor quirk (an error inside a 200 body, a
            vendor-specific rate-limit code) into a taxonomy error; ``None`` means "no quirk".
        headers: headers sent with every request.
    """

    def __init__(
        self,
        base_url: str,
        *,
        policy: RetryPolicy | None = None,
        timeout: float = 300.0,
        redactor: Redactor | None = None,
        vendor_error: VendorHook | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.policy = policy or RetryPolicy()
        self.timeout = timeout
        self.redact = redactor or Redactor()
        self.vendor_error = vendor_error
        self.session = requests.Session()
        self.session.headers.update(headers or {})

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` (absolute URLs pass through)."""
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url + path.lstrip("/")

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send a request, retrying transient failures; return the successful response.

        Raises:
            ConfigurationError: 401/403 (bad credentials or permissions).
            FatalError: any other 4xx, or a vendor error the hook calls fatal.
            RetriableError: still failing after ``policy.max_tries`` attempts.
        """
        kwargs.setdefault("timeout", self.timeout)
        url = self.url(path)
        for attempt in range(self.policy.max_tries):
            try:
                response = self.session.request(method, url, **kwargs)
                error = self._error_for(method, path, response)
            except (requests.ConnectionError, requests.Timeout) as exc:
                error = RetriableError(self.redact(f"{method} {path}: {type(exc).__name__}: {exc}"))
            if error is None:
                return response
            if not isinstance(error, RetriableError) or attempt + 1 >= self.policy.max_tries:
                raise error
            delay = self.policy.wait(attempt, error.retry_after)
            LOGGER.warning(
                "retrying in %.1fs (attempt %d of %d): %s",
                delay,
                attempt + 2,
                self.policy.max_tries,
                error,
            )
            time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _error_for(self, method: str, path: str, response: requests.Response) -> BizOpsError | None:
        action = classify(response.status_code)
        if action is Action.OK:
            return self.vendor_error(response) if self.vendor_error else None
        prefix = f"{method} {path} -> HTTP {response.status_code}"
        message = self.redact(f"{prefix}: {api_message(response)}")
        if action is Action.RETRY:
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            return RetriableError(message, retry_after=wait)
        if self.vendor_error is not None:
            quirk = self.vendor_error(response)
            if quirk is not None:
                return quirk
        if action is Action.AUTH:
            return ConfigurationError(message)
        return FatalError(message)
