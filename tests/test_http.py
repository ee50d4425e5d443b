"""How long the HTTP layer waits on a rate limit: the server's own headers, in every form."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bizops_core.http import rate_limit_wait

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "120"}, 120.0),
        ({"Retry-After": "Sun, 01 Mar 2026 12:05:00 GMT"}, 300.0),
        ({"Retry-After": "Sun, 01 Mar 2026 11:59:00 GMT"}, 0.0),  # already past: go now
        ({"Retry-After": "7", "RateLimit-Reset": "99"}, 7.0),  # Retry-After wins
        ({"RateLimit-Reset": "42"}, 42.0),  # IETF draft / Zuora: delta seconds
        ({"X-RateLimit-Reset": str(int(NOW.timestamp()) + 90)}, 90.0),  # GitLab: epoch time
        ({"X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}, 10.0),  # one whole window
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_rate_limit_wait_reads_the_servers_headers(headers: dict, seconds: float | None) -> None:
    assert rate_limit_wait(headers, NOW) == seconds
