"""Tests of the Salesforce emulator over HTTP: OAuth, describe, SOQL, paging, Bulk 2.0, admin."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
import requests

from bizops_sandbox.salesforce import create_app
from bizops_sandbox.salesforce_soql import SoqlError, parse
from bizops_sandbox.server import RunningServer, serve
from bizops_sandbox.world import World

CLIENT = {"client_id": "sandbox-client-id", "client_secret": "sandbox-client-secret"}
V = "/services/data/v60.0"
SINCE = "SystemModstamp >= 2020-01-01T00:00:00.000000Z"


@pytest.fixture
def server() -> Iterator[RunningServer]:
    running = serve(create_app(World.generate(seed=42, size="small"), page_size=25))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def auth(server: RunningServer) -> dict[str, str]:
    body = requests.post(f"{server.url}/services/oauth2/token", timeout=5,
                         data={**CLIENT, "grant_type": "client_credentials"}).json()  # fmt: skip
    return {"Authorization": f"Bearer {body['access_token']}"}


def get(server: RunningServer, auth, path: str, **params) -> requests.Response:
    return requests.get(f"{server.url}{path}", headers=auth, params=params, timeout=10)


def admin(server: RunningServer, path: str, body) -> None:
    requests.post(f"{server.url}/__sandbox/{path}", json=body, timeout=5).raise_for_status()


def test_both_oauth_flows_return_the_emulators_own_instance_url(server) -> None:
    refresh = {"grant_type": "refresh_token", "refresh_token": "sandbox-refresh-token"}
    for extra in ({"grant_type": "client_credentials"}, refresh):
        body = requests.post(f"{server.url}/services/oauth2/token", data={**CLIENT, **extra},
                             timeout=5).json()  # fmt: skip
        assert body["instance_url"] == server.url
        assert body["token_type"] == "Bearer"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"client_secret": "x"}, "invalid_client"),
        ({"grant_type": "refresh_token", "refresh_token": "old"}, "invalid_grant"),
    ],
)
def test_refused_logins_answer_400_with_an_oauth_error(server, change, error) -> None:
    data = {**CLIENT, "grant_type": "client_credentials", **change}
    response = requests.post(f"{server.url}/services/oauth2/token", data=data, timeout=5)
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_unknown_session_is_401_invalid_session_id(server) -> None:
    response = get(server, {"Authorization": "Bearer nope"}, f"{V}/sobjects")
    assert response.status_code == 401
    assert response.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_every_response_carries_the_api_usage(server, auth) -> None:
    get(server, auth, f"{V}/sobjects")
    response = get(server, auth, f"{V}/sobjects/Account/describe")
    assert response.headers["Sforce-Limit-Info"] == "api-usage=2/100000"


def test_global_describe_lists_unqueryable_change_events(server, auth) -> None:
    objects = {o["name"]: o for o in get(server, auth, f"{V}/sobjects").json()["sobjects"]}
    assert objects["AccountChangeEvent"]["queryable"] is False
    assert objects["Health_Score__c"]["custom"] is True
    describe = get(server, auth, f"{V}/sobjects/Account/describe").json()
    types = {f["name"]: f["type"] for f in describe["fields"]}
    assert types["BillingAddress"] == "address"
    assert types["ParentId"] == "reference"


def test_query_pages_follow_next_records_url_and_query_hides_deleted(server, auth) -> None:
    world: World = server.app.world
    world.mutate_sources(creates=0, updates=0, deletes=3)
    soql = f"SELECT Id, IsDeleted FROM Task WHERE {SINCE} ORDER BY SystemModstamp ASC"
    counts = {}
    for endpoint in ("query", "queryAll"):
        page, rows = get(server, auth, f"{V}/{endpoint}", q=soql).json(), []
        while True:
            rows += page["records"]
            if page["done"]:
                break
            assert len(page["records"]) == 25
            page = get(server, auth, page["nextRecordsUrl"]).json()
        counts[endpoint] = (len(rows), sum(r["IsDeleted"] for r in rows))
    total = len(world.records("Task", "salesforce"))
    deleted = sum(r["IsDeleted"] for r in world.records("Task", "salesforce"))
    assert counts == {"query": (total - deleted, 0), "queryAll": (total, deleted)}


def test_datetime_bounds_and_order_are_applied(server, auth) -> None:
    where = "SystemModstamp > 2023-01-01T00:00:00Z AND SystemModstamp < 2024-01-01T00:00:00.5Z"
    soql = f"SELECT Id, SystemModstamp FROM Account WHERE {where} ORDER BY SystemModstamp ASC"
    stamps = [
        r["SystemModstamp"] for r in get(server, auth, f"{V}/queryAll", q=soql).json()["records"]
    ]
    assert stamps == sorted(stamps)
    assert all("2023-01-01T00:00:00" < s < "2024-01-01T00:00:01" for s in stamps)
    assert stamps[0].endswith(".000+0000")


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT Id FROM Nope", "INVALID_TYPE"),
        ("SELECT Foo FROM Account", "INVALID_FIELD"),
        ("SELECT Id Account", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE SystemModstamp >= '2020-01-01'", "INVALID_FIELD"),
    ],
)
def test_bad_soql_is_refused_with_salesforces_codes(soql: str, code: str) -> None:
    with pytest.raises(SoqlError) as caught:
        parse(soql)
    assert caught.value.code == code


def test_bulk_job_goes_through_its_states_and_pages_with_locators(server, auth) -> None:
    url = f"{server.url}{V}/jobs/query"
    job = requests.post(url, headers=auth, timeout=5, json={
        "operation": "queryAll", "query": "SELECT Id, Name FROM Lead"}).json()  # fmt: skip
    states = [get(server, auth, f"{V}/jobs/query/{job['id']}").json()["state"] for _ in range(3)]
    assert [job["state"], *states] == ["UploadComplete", "InProgress", "InProgress", "JobComplete"]
    rows, locator, pages = [], None, 0
    while locator != "null":
        params = {"maxRecords": 20, **({"locator": locator} if locator else {})}
        response = get(server, auth, f"{V}/jobs/query/{job['id']}/results", **params)
        rows += list(csv.DictReader(io.StringIO(response.text)))
        locator, pages = response.headers["Sforce-Locator"], pages + 1
    assert len(rows) == len(server.app.world.records("Lead", "salesforce")) > 40
    assert pages == 3


def test_bulk_refuses_compound_fields(server, auth) -> None:
    response = requests.post(f"{server.url}{V}/jobs/query", headers=auth, timeout=5, json={
        "operation": "query", "query": "SELECT Id, BillingAddress FROM Account"})  # fmt: skip
    assert response.status_code == 400
    assert "compound data not supported" in response.json()[0]["message"]


def test_quota_exhausted_is_403_request_limit_exceeded(server, auth) -> None:
    admin(server, "salesforce", {"api_used": 10, "api_max": 10})
    response = get(server, auth, f"{V}/sobjects")
    assert response.status_code == 403
    assert response.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    assert response.headers["Sforce-Limit-Info"] == "api-usage=11/10"


def test_wide_query_times_out_and_bulk_job_fails(server, auth) -> None:
    admin(server, "salesforce", {"query_timeout_days": 30})
    soql = f"SELECT Id FROM Account WHERE {SINCE}"
    response = get(server, auth, f"{V}/queryAll", q=soql)
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "QUERY_TIMEOUT"
    job = requests.post(f"{server.url}{V}/jobs/query", headers=auth, timeout=5,
                        json={"operation": "queryAll", "query": soql}).json()  # fmt: skip
    for _ in range(3):
        state = get(server, auth, f"{V}/jobs/query/{job['id']}").json()
    assert state["state"] == "Failed"
    assert state["errorMessage"].startswith("QUERY_TIMEOUT")


def test_faults_get_salesforce_bodies_and_headers(server, auth) -> None:
    admin(server, "faults", {"path_prefix": f"{V}/sobjects", "status": 429})
    response = get(server, auth, f"{V}/sobjects")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.headers["Sforce-Limit-Info"].startswith("api-usage=")


def test_mutate_admin_route_returns_the_salesforce_changes(server) -> None:
    response = requests.post(f"{server.url}/__sandbox/mutate", timeout=10,
                             json={"creates": 1, "updates": 2, "deletes": 1})  # fmt: skip
    body = response.json()
    assert sum(len(k["deleted"]) for k in body.values()) == 1
    assert body["Account"]["created"]
