"""The emulators' request log over real HTTP: secrets masked in the query (one rule for all
emulators) and the mark of a request refused for an expired token."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from bizops_sandbox import hubspot, zendesk
from bizops_sandbox.marketo import CLIENT_ID, CLIENT_SECRET, MarketoEmulator
from bizops_sandbox.server import RunningServer, serve
from bizops_sandbox.world import World


@pytest.fixture(scope="module")
def world() -> World:
    return World.generate(seed=42, size="small")


@pytest.fixture
def marketo(world: World) -> Iterator[RunningServer]:
    server = serve(MarketoEmulator(world))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def hubspot_server(world: World) -> Iterator[RunningServer]:
    server = serve(hubspot.create_app(world))
    try:
        yield server
    finally:
        server.stop()


def logged(url: str) -> list[dict]:
    return requests.get(f"{url}/__sandbox/requests", timeout=5).json()


def token(url: str) -> str:
    query = {"grant_type": "client_credentials", "client_id": CLIENT_ID,
             "client_secret": CLIENT_SECRET}  # fmt: skip
    return requests.get(f"{url}/identity/oauth/token", params=query, timeout=5).json()[
        "access_token"
    ]


def test_marketo_token_call_is_logged_with_its_client_secret_masked(marketo) -> None:
    issued = token(marketo.url)
    raw = requests.get(f"{marketo.url}/__sandbox/requests", timeout=5).text
    assert CLIENT_SECRET not in raw
    assert issued not in raw
    assert json.loads(raw) == [{
        "method": "GET", "path": "/identity/oauth/token",
        "query": f"grant_type=client_credentials&client_id={CLIENT_ID}&client_secret=***",
        "status": 200, "body": None,
    }]  # fmt: skip


def test_marketo_request_refused_for_an_expired_token_is_marked_in_the_log(marketo) -> None:
    headers = {"Authorization": f"Bearer {token(marketo.url)}"}
    path = "/rest/v1/activities/types.json"
    assert requests.get(f"{marketo.url}{path}", headers=headers, timeout=5).status_code == 200
    requests.post(f"{marketo.url}/__sandbox/expire-tokens", json={}, timeout=5)
    refused = requests.get(f"{marketo.url}{path}", headers=headers, timeout=5)
    # Marketo refuses an expired token with HTTP 200 and error 602 in the body.
    assert refused.status_code == 200
    assert refused.json()["errors"] == [{"code": "602", "message": "Access token expired"}]
    entries = [(e["path"], e["status"], e.get("expired_token")) for e in logged(marketo.url)]
    assert entries == [("/identity/oauth/token", 200, None), (path, 200, None), (path, 200, True)]


def test_hubspot_logs_secret_query_parameters_and_known_secrets_masked(hubspot_server) -> None:
    # The legacy hapikey parameter by its name; the app's client secret by its value, whatever
    # parameter carries it; other parameters as sent, encoding kept.
    url = f"{hubspot_server.url}/crm/v3/objects/contacts"
    query = f"limit=1&hapikey=k-123%26x&HAPIKEY=k-456&note={hubspot.CLIENT_SECRET}&after=a%20b"
    answer = requests.get(f"{url}?{query}", timeout=5)
    assert answer.status_code == 401
    raw = requests.get(f"{hubspot_server.url}/__sandbox/requests", timeout=5).text
    assert "k-123" not in raw and "k-456" not in raw and hubspot.CLIENT_SECRET not in raw
    assert [e["query"] for e in json.loads(raw)] == [
        "limit=1&hapikey=***&HAPIKEY=***&note=***&after=a%20b"
    ]


def test_zendesk_says_its_refresh_tokens_rotate_when_tokens_are_expired(world: World) -> None:
    server = serve(zendesk.create_app(world))
    try:
        now = requests.post(f"{server.url}/__sandbox/expire-tokens", json={}, timeout=5)
        later = requests.post(f"{server.url}/__sandbox/expire-tokens",
                              json={"after_requests": 3}, timeout=5)  # fmt: skip
    finally:
        server.stop()
    assert now.json() == {"after_requests": 0, "expired": 1, "rotates_refresh_tokens": True}
    assert later.json() == {"after_requests": 3, "rotates_refresh_tokens": True}
