"""The calls of tap-zendesk to the API, through the one BizOps HTTP layer."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from bizops_core.errors import FatalError
from bizops_core.http import HttpClient, RetryPolicy, json_body
from bizops_core.redact import Redactor
from tap_zendesk.config import ZendeskConfig


@dataclass(frozen=True)
class Page:
    """One page of a list endpoint: its records and the cursor of the next page (None: last)."""

    records: list[dict[str, Any]]
    next_cursor: str | None


class ZendeskClient:
    """Every request the tap makes: Bearer API key, retries and the error taxonomy from
    :class:`bizops_core.http.HttpClient` (429 and 5xx retried, 401/403 configuration errors).

    Args:
        config: the tap settings (host, API key, page size, retry knobs).
    """

    def __init__(self, config: ZendeskConfig) -> None:
        self._config = config
        self._http = HttpClient(
            config.base_url,
            policy=RetryPolicy(
                max_tries=config.max_tries, rate_limit_max_wait=config.rate_limit_max_wait
            ),
            timeout=config.request_timeout,
            redactor=Redactor([config.api_key]),
            headers={"Authorization": f"Bearer {config.api_key}", "Accept": "application/json"},
        )

    def pages(self, path: str, params: Mapping[str, str]) -> Iterator[Page]:
        """Every page of the list at ``path``, following ``next_cursor`` until it is null.

        Raises:
            FatalError: a page that is not ``{"data": [objects], "next_cursor": ...}``.
        """
        cursor: str | None = None
        while True:
            query = {**params, "page_size": str(self._config.page_size)}
            if cursor is not None:
                query["cursor"] = cursor
            page = self._http.fetch("GET", path, _page, params=query)
            yield page
            if page.next_cursor is None:
                return
            cursor = page.next_cursor


def _page(response: requests.Response) -> Page:
    """A page from a response body; a body cut off mid-way is retried by the HTTP layer."""
    body = json_body(response)
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise FatalError(f"the API answered {response.url} without a 'data' list of objects")
    cursor = body.get("next_cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise FatalError(f"the API answered {response.url} with a next_cursor that is no string")
    return Page(data, cursor or None)
