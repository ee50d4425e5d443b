"""The one HTTP layer every tap uses: status classification, retries with backoff, redaction.

Two retry budgets, kept apart:

- **Failures** (5xx, 408, connections refused or dropped, timeouts, a body cut off mid-way or
  that does not decode) are retried with exponential backoff and full jitter, up to
  ``RetryPolicy.max_tries`` attempts in all (a ``Retry-After`` is honoured up to ``max_delay``).
- **Rate limits** (429, or a vendor's rate-limit code mapped to :class:`RateLimited`) are waited
  out as the server asks (``Retry-After`` in seconds or as an HTTP date, else the vendor's
  rate-limit reset header, else backoff), for up to ``RetryPolicy.rate_limit_max_wait`` seconds
  in all per request; each wait is logged. They do not use up ``max_tries``.

401/403 are configuration errors, any other 4xx is fatal; both carry the API's own message with
secrets removed. Vendor quirks are mapped in a tap's ``vendor_error`` hook, not here. A streamed
download that breaks mid-way is fetched again by :meth:`HttpClient.resumable`.
"""

from __future__ import annotations

import email.utils
import enum
import http.client
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
import urllib3

from bizops_core.errors import (
    BizOpsError,
    ConfigurationError,
    FatalError,
    RateLimited,
    RetriableError,
)
from bizops_core.redact import Redactor

LOGGER = logging.getLogger("bizops_core.http")
T = TypeVar("T")

# Every way a request or its response can fail in transit: the connection refused, reset or
# dropped, a timeout, and a body cut off or garbled mid-way. requests raises the first four
# while it reads a body it was not asked to stream (IncompleteRead arrives as
# ChunkedEncodingError); the urllib3 and http.client ones come from reading ``response.raw``
# of a streamed download directly.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.DecodeError,
    urllib3.exceptions.ReadTimeoutError,
    http.client.IncompleteRead,
)


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
    """How hard to retry.

    Failures: ``max_tries`` attempts in all, waits of ``base_delay * 2**n`` (jittered), each
    capped at ``max_delay`` seconds (a longer ``Retry-After`` is honoured up to that cap).
    Rate limits: waited out as the server asks, up to ``rate_limit_max_wait`` seconds in all
    for one request.
    """

    max_tries: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    rate_limit_max_wait: float = 600.0

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


# Rate-limit reset headers, after Retry-After: delta seconds (the IETF draft, Zuora
# `RateLimit-Reset`) or, when the number is an epoch time, that instant (GitLab).
RESET_HEADERS = ("RateLimit-Reset", "X-RateLimit-Reset", "X-Rate-Limit-Reset")
EPOCH_FLOOR = 1_000_000_000  # a "reset" number above this is a Unix time, not a delta


def rate_limit_wait(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds a rate-limited answer asks the client to wait, or ``None`` when it does not say.

    ``Retry-After`` first (seconds or HTTP date), then a reset header (:data:`RESET_HEADERS`),
    then HubSpot's window length (``X-HubSpot-RateLimit-Interval-Milliseconds``).
    """
    now = now or datetime.now(UTC)
    wait = retry_after_seconds(headers.get("Retry-After"), now)
    if wait is not None:
        return wait
    for name in RESET_HEADERS:
        value = _number(headers.get(name))
        if value is not None:
            return max(value - now.timestamp(), 0.0) if value > EPOCH_FLOOR else value
    window = _number(headers.get("X-HubSpot-RateLimit-Interval-Milliseconds"))
    return None if window is None else window / 1000


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and number >= 0 else None


class _Retries:
    """The two retry budgets of one request: failed tries, and seconds spent rate limited."""

    def __init__(self, policy: RetryPolicy, host: str) -> None:
        self.policy = policy
        self.host = host
        self.failures = 0
        self.rate_limits = 0
        self.limited_since: float | None = None

    def delay(self, error: RetriableError) -> float:
        """Seconds to wait before trying again; raises ``error`` when its budget is spent."""
        if isinstance(error, RateLimited):
            return self._rate_limit_delay(error)
        self.failures += 1
        if self.failures >= self.policy.max_tries:
            raise error
        delay = self.policy.wait(self.failures - 1, error.retry_after)
        LOGGER.warning(
            "retrying in %.1fs (attempt %d of %d): %s",
            delay, self.failures + 1, self.policy.max_tries, error,
        )  # fmt: skip
        return delay

    def _rate_limit_delay(self, error: RateLimited) -> float:
        now = time.monotonic()
        if self.limited_since is None:
            self.limited_since = now
        wait = error.retry_after
        if wait is None:
            wait = self.policy.wait(self.rate_limits, None)
        self.rate_limits += 1
        # Counted on the clock from the first 429, so that even "Retry-After: 0" forever ends.
        spent, budget = now - self.limited_since, self.policy.rate_limit_max_wait
        if spent + wait > budget:
            raise RateLimited(
                f"{error} (rate limited by {self.host} for {spent:.0f} s; waiting another "
                f"{wait:.0f} s would pass rate_limit_max_wait, {budget:g} s)",
                retry_after=wait,
            )
        LOGGER.warning(
            "rate limited by %s: waiting %.0f s (total %.0f of %g s)",
            self.host, wait, spent + wait, budget,
        )  # fmt: skip
        return wait


class BodyNotDecoded(ValueError):
    """A ``decode`` function of :meth:`HttpClient.fetch` could not read a response body."""


def json_body(response: requests.Response, **options: Any) -> Any:
    """The JSON value of a response body (``options`` go to ``json.loads``).

    Raises:
        BodyNotDecoded: the body is not JSON (or was cut off before its end).
    """
    try:
        return response.json(**options)
    except ValueError as exc:
        raise BodyNotDecoded(f"the body is not JSON (or was cut off): {exc}") from exc


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
            RateLimited: still rate limited after ``policy.rate_limit_max_wait`` seconds.
        """
        return self.fetch(method, path, _itself, **kwargs)

    def fetch(
        self, method: str, path: str, decode: Callable[[requests.Response], T], **kwargs: Any
    ) -> T:
        """Send a request and ``decode`` its response, both inside the retry loop.

        A body that ``decode`` cannot read (it raises :class:`BodyNotDecoded`: JSON cut off by
        a connection closed early) is a transient failure like a dropped connection, and the
        request is sent again. Raises as :meth:`request` does.
        """
        kwargs.setdefault("timeout", self.timeout)
        url = self.url(path)
        retries = _Retries(self.policy, urlsplit(url).netloc)
        while True:
            try:
                response = self.session.request(method, url, **kwargs)
                error = self._error_for(method, path, response)
                if error is None:
                    return decode(response)
            except TRANSPORT_ERRORS as exc:
                error = RetriableError(self.redact(f"{method} {path}: {type(exc).__name__}: {exc}"))
            except BodyNotDecoded as exc:
                error = RetriableError(self.redact(f"{method} {path}: {exc}"))
            if not isinstance(error, RetriableError):
                raise error
            time.sleep(retries.delay(error))

    def resumable(self, label: str, open_items: Callable[[], Iterator[T]]) -> Iterator[T]:
        """Yield the items of a streamed download; when the transfer breaks mid-way, start it
        again with ``open_items()`` and skip the items already yielded.

        For files that cannot be fetched from an offset (Zuora's export files). A transfer
        that breaks counts as one failed try: ``policy.max_tries`` transfers in all.

        Raises:
            RetriableError: the transfer broke ``policy.max_tries`` times.
        """
        done = 0
        for attempt in range(self.policy.max_tries):
            try:
                for index, item in enumerate(open_items()):
                    if index >= done:
                        done += 1
                        yield item
                return
            except TRANSPORT_ERRORS as exc:
                if attempt + 1 >= self.policy.max_tries:
                    raise RetriableError(
                        f"{label} broke off after {done} rows, {self.policy.max_tries} times: "
                        f"{type(exc).__name__}"
                    ) from exc
                delay = self.policy.wait(attempt, None)
                LOGGER.warning(
                    "%s broke off after %d rows (%s); downloading again in %.1fs",
                    label, done, type(exc).__name__, delay,
                )  # fmt: skip
                time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _error_for(self, method: str, path: str, response: requests.Response) -> BizOpsError | None:
        action = classify(response.status_code)
        if action is Action.OK:
            return self.vendor_error(response) if self.vendor_error else None
        prefix = f"{method} {path} -> HTTP {response.status_code}"
        message = self.redact(f"{prefix}: {api_message(response)}")
        if response.status_code == 429:
            return RateLimited(message, retry_after=rate_limit_wait(response.headers))
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


def _itself(response: requests.Response) -> requests.Response:
    return response
