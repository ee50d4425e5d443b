"""``POST /__sandbox/expire-tokens``, the admin route every emulator with tokens answers: tokens
issued so far are refused now, or once a given number of API requests have been answered."""

from __future__ import annotations

import requests

from bizops_sandbox.emulator import Emulator
from bizops_sandbox.salesforce import create_app as salesforce_app
from bizops_sandbox.server import serve
from bizops_sandbox.world import World

CLIENT = {"client_id": "sandbox-client-id", "client_secret": "sandbox-client-secret",
          "grant_type": "client_credentials"}  # fmt: skip


def expire(url: str, body=None) -> requests.Response:
    return requests.post(f"{url}/__sandbox/expire-tokens", json=body, timeout=5)


def zuora_token(url: str) -> dict[str, str]:
    token = requests.post(f"{url}/oauth/token", data=CLIENT, timeout=5).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def describe(url: str, bearer: dict[str, str]) -> int:
    return requests.get(f"{url}/v1/describe", headers=bearer, timeout=5).status_code


def test_tokens_expire_after_the_given_number_of_api_requests(zuora_sandbox) -> None:
    url = zuora_sandbox.url
    bearer = zuora_token(url)
    answer = expire(url, {"after_requests": 3})
    assert (answer.status_code, answer.json()) == (200, {"after_requests": 3})
    assert [describe(url, bearer) for _ in range(4)] == [200, 200, 200, 401]
    fresh = zuora_token(url)  # a token issued after the expiry is valid
    assert [describe(url, fresh) for _ in range(3)] == [200, 200, 200]


def test_expiring_now_cancels_a_pending_expiry(zuora_sandbox) -> None:
    url = zuora_sandbox.url
    bearer = zuora_token(url)
    expire(url, {"after_requests": 2})
    answer = expire(url)
    assert (answer.status_code, answer.json()) == (200, {"after_requests": 0, "expired": 1})
    assert describe(url, bearer) == 401
    fresh = zuora_token(url)
    assert [describe(url, fresh) for _ in range(4)] == [200, 200, 200, 200]


def test_salesforce_sessions_expire_with_its_own_error() -> None:
    server = serve(salesforce_app(World.generate(seed=42, size="small")))
    try:
        token = requests.post(f"{server.url}/services/oauth2/token", data=CLIENT, timeout=5)
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        path = f"{server.url}/services/data/v60.0/sobjects/Account/describe"
        expire(server.url, {"after_requests": 1})
        first = requests.get(path, headers=bearer, timeout=5)
        second = requests.get(path, headers=bearer, timeout=5)
    finally:
        server.stop()
    assert first.status_code == 200
    assert (second.status_code, second.json()) == (
        401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    )  # fmt: skip


def test_a_bad_count_is_refused_and_an_api_without_tokens_answers_404(zuora_sandbox) -> None:
    for body in ({"after_requests": -1}, {"after_requests": "2"}, {"after_requests": True}):
        answer = expire(zuora_sandbox.url, body)
        assert (answer.status_code, answer.json()) == (
            400, {"error": "'after_requests' must be an integer >= 0"}
        )  # fmt: skip
    server = serve(Emulator(World.generate(seed=42, size="small"), []))
    try:
        answer = expire(server.url, {"after_requests": 5})
    finally:
        server.stop()
    assert (answer.status_code, answer.json()) == (404, {"error": "this emulator issues no tokens"})
