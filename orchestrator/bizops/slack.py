"""Posting messages to a Slack incoming webhook with slack-sdk's ``WebhookClient``: bounded
retries of 429 (``Retry-After`` honoured), 5xx and dropped connections, every other answer
mapped into the project's error taxonomy with Slack's own text. The webhook URL is a secret:
it never reaches a log line or an error message."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.handler import RetryHandler

from bizops_core.errors import ConfigurationError, FatalError, RateLimited, RetriableError
from bizops_core.redact import Redactor

LOGGER = logging.getLogger("bizops.slack")
MAX_RETRIES = 3  # after the first try: 4 posts at most per message
MAX_WAIT = 60.0  # seconds; a longer Retry-After fails the run instead of blocking it
BACKOFF = 0.5  # seconds, doubled each retry (with jitter), for 5xx and dropped connections
TIMEOUT = 15  # seconds per request


class Retry(RetryHandler):
    """Retry 429 after its ``Retry-After`` (up to MAX_WAIT), 5xx and connection errors with
    backoff; anything else is an answer to report."""

    def __init__(self, max_retries: int = MAX_RETRIES, backoff: float = BACKOFF) -> None:
        super().__init__(max_retries, BackoffRetryIntervalCalculator(backoff_factor=backoff))

    def _can_retry(self, *, state: Any, request: Any, response: Any = None, error: Any = None):
        if response is None:
            return isinstance(error, OSError)  # refused, reset, timed out (URLError is one)
        if response.status_code == 429:
            wait = retry_after(response.headers)
            return wait is None or wait <= MAX_WAIT
        return response.status_code >= 500

    def prepare_for_next_attempt(
        self, *, state: Any, request: Any, response: Any = None, error: Any = None
    ) -> None:
        wait = retry_after(response.headers) if response is not None else None
        if response is not None and response.status_code == 429 and wait is not None:
            import time

            LOGGER.warning("Slack rate limit: waiting %.0f s as Retry-After asks", wait)
            state.next_attempt_requested = True
            time.sleep(wait)
            state.increment_current_attempt()
            return
        LOGGER.warning("Slack webhook: %s, retrying", _what(response, error))
        super().prepare_for_next_attempt(
            state=state, request=request, response=response, error=error
        )


def retry_after(headers: dict[str, Any]) -> float | None:
    """Seconds from a ``Retry-After`` header (slack-sdk gives header values as lists)."""
    for key, value in headers.items():
        if key.lower() == "retry-after":
            text = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(text))
            except (TypeError, ValueError):
                return None
    return None


def _what(response: Any, error: Any) -> str:
    return f"HTTP {response.status_code}" if response is not None else type(error).__name__


class _Masking(logging.Filter):
    """Masks the webhook URL in slack-sdk's own log lines (it logs URLs at DEBUG and INFO)."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.redact(record.getMessage()), ()
        return True


def check_url(url: str | None) -> str:
    """``url`` if it is an http(s) URL with a host; else a ConfigurationError that does not
    repeat it."""
    if not url:
        raise ConfigurationError(
            "no Slack webhook: give --webhook or set SLACK_WEBHOOK_URL (or use --dry-run)"
        )
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError("the Slack webhook is not an http(s) URL (value not shown)")
    return url.strip()


def post(url: str, messages: Sequence[tuple[str, dict[str, Any]]], backoff: float = BACKOFF):
    """Post each (name, payload) in order; return the names sent.

    Raises:
        ConfigurationError: Slack refused the webhook (403, 404, 410: token, channel, ...).
        FatalError: Slack refused the message itself (400 invalid_payload, ...).
        RateLimited, RetriableError: still 429, 5xx or unreachable after the retries.
    """
    from slack_sdk.webhook import WebhookClient

    redact = Redactor([check_url(url)])
    logger = logging.getLogger("bizops.slack.sdk")
    if not any(isinstance(f, _Masking) for f in logger.filters):
        logger.addFilter(_Masking(redact))
    client = WebhookClient(url, timeout=TIMEOUT, logger=logger,
                           retry_handlers=[Retry(backoff=backoff)])  # fmt: skip
    sent: list[str] = []
    for name, payload in messages:
        done = f" (sent: {', '.join(sent)})" if sent else ""
        try:
            response = client.send_dict(payload)
        except Exception as error:  # noqa: BLE001 - urllib's errors: the URL must not leak
            reason = " ".join(redact(str(getattr(error, "reason", error))).split())
            raise RetriableError(
                f"cannot reach the Slack webhook for {name}: {reason}{done}"
            ) from None
        if 200 <= response.status_code < 300:
            sent.append(name)
            continue
        body = " ".join(redact(str(response.body or "")).split())[:200] or "(empty answer)"
        what = f"Slack answered HTTP {response.status_code} to the {name} digest: {body}{done}"
        if response.status_code == 429:
            raise RateLimited(what, retry_after(response.headers))
        if response.status_code >= 500:
            raise RetriableError(f"{what} (after {MAX_RETRIES} retries)")
        if response.status_code == 400:
            raise FatalError(what)
        raise ConfigurationError(what)
    return sent
