"""The HubSpot emulator over real HTTP: auth, paging, search, archived objects, limits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from bizops_sandbox.hubspot import (
    CLIENT_ID,
    CLIENT_SECRET,
    PRIVATE_APP_TOKEN,
    REFRESH_TOKEN,
    create_app,
)
from bizops_sandbox.server import RunningServer, serve
from bizops_sandbox.world import World

AUTH = {"Authorization": f"Bearer {PRIVATE_APP_TOKEN}"}


@pytest.fixture
def world() -> World:
    return World.generate(seed=42, size="small")


@pytest.fixture
def server(world: World) -> Iterator[RunningServer]:
    running = serve(create_app(world))
    try:
        yield running
    finally:
        running.stop()


def live_ids(world: World, table: str, kind: str | None = None) -> list[str]:
    rows = [r for r in world.records(table, source="hubspot") if not r["archived"]]
    if kind is not None:
        rows = [r for r in rows if r["properties"]["hs_engagement_type"] == kind]
    return sorted((r["id"] for r in rows), key=int)


def list_all(url: str, obj: str, **params: str) -> list[dict]:
    out, after = [], None
    while True:
        query = {"limit": "7", **params, **({"after": after} if after else {})}
        answer = requests.get(f"{url}/crm/v3/objects/{obj}", params=query, headers=AUTH, timeout=10)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        out.extend(body["results"])
        if "paging" not in body:
            return out
        after = body["paging"]["next"]["after"]


def search(url: str, body: dict) -> requests.Response:
    return requests.post(f"{url}/crm/v3/objects/contacts/search", json=body, headers=AUTH,
                         timeout=10)  # fmt: skip


def test_list_pages_by_after_through_every_live_record(server, world) -> None:
    contacts = list_all(server.url, "contacts", properties="email,salesforcecontactid")
    assert [c["id"] for c in contacts] == live_ids(world, "contacts")
    assert set(contacts[0]["properties"]) == {"email", "salesforcecontactid"}
    assert contacts[0]["properties"]["email"] == "maya.ito@lumenfoodsgmbh.example"
    calls = list_all(server.url, "calls")
    assert [c["id"] for c in calls] == live_ids(world, "engagements", "CALL")


def test_unknown_token_gets_hubspots_401(server) -> None:
    answer = requests.get(f"{server.url}/crm/v3/objects/contacts",
                          headers={"Authorization": "Bearer nope"}, timeout=10)  # fmt: skip
    assert answer.status_code == 401
    body = answer.json()
    assert (body["status"], body["category"]) == ("error", "INVALID_AUTHENTICATION")


def test_oauth_refresh_gives_a_token_that_expires(server) -> None:
    form = {"grant_type": "refresh_token", "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN}  # fmt: skip
    grant = requests.post(f"{server.url}/oauth/v1/token", data=form, timeout=10).json()
    assert (grant["expires_in"], grant["token_type"]) == (1800, "bearer")
    bearer = {"Authorization": f"Bearer {grant['access_token']}"}
    url = f"{server.url}/crm/v3/objects/deals"
    assert requests.get(url, headers=bearer, timeout=10).status_code == 200
    expired = requests.post(f"{server.url}/__sandbox/expire-tokens", json={}, timeout=10)
    assert expired.json() == {"after_requests": 0, "expired": 1}
    refused = requests.get(url, headers=bearer, timeout=10)
    assert refused.status_code == 401
    assert refused.json()["category"] == "EXPIRED_AUTHENTICATION"
    assert (
        refused.json()["message"]
        == "The OAuth token used to make this call expired 0 second(s) ago."
    )


def test_a_wrong_refresh_token_is_refused(server) -> None:
    form = {"grant_type": "refresh_token", "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET, "refresh_token": "stale"}  # fmt: skip
    answer = requests.post(f"{server.url}/oauth/v1/token", data=form, timeout=10)
    assert answer.status_code == 400
    assert answer.json()["status"] == "BAD_REFRESH_TOKEN"


def test_search_gte_is_inclusive_and_sorted_ascending(server, world) -> None:
    contacts = [r for r in world.records("contacts", source="hubspot") if not r["archived"]]
    pivot = sorted(c["updatedAt"] for c in contacts)[40]
    millis = int(pivot.timestamp() * 1000)
    body = {"filterGroups": [{"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE",
                                           "value": str(millis)}]}],
            "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
            "properties": ["lastmodifieddate"], "limit": 200}  # fmt: skip
    answer = search(server.url, body).json()
    want = sorted((c for c in contacts if c["updatedAt"] >= pivot),
                  key=lambda c: (c["updatedAt"], int(c["id"])))  # fmt: skip
    assert answer["total"] == len(want) == len(answer["results"])
    assert [r["id"] for r in answer["results"]] == [c["id"] for c in want]
    assert answer["results"][0]["updatedAt"] == pivot.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_search_refuses_to_page_past_ten_thousand(server) -> None:
    answer = search(server.url, {"after": "9900", "limit": 200})
    assert answer.status_code == 400
    body = answer.json()
    assert body["category"] == "VALIDATION_ERROR"
    assert "The maximum offset is 10000 (after=9900, limit=200)" in body["message"]
    assert search(server.url, {"after": "9800", "limit": 200}).status_code == 200


def test_archived_records_leave_lists_and_search_and_are_listed_with_archived_true(
    server, world
) -> None:
    changes = requests.post(f"{server.url}/__sandbox/mutate", json={"deletes": 2},
                            timeout=30).json()  # fmt: skip
    gone = changes["contacts"]["deleted"]
    assert len(gone) == 2
    listed = {c["id"] for c in list_all(server.url, "contacts")}
    assert not listed & set(gone)
    found = {r["id"] for r in search(server.url, {"limit": 200}).json()["results"]}
    assert not found & set(gone)
    archived = list_all(server.url, "contacts", archived="true")
    assert sorted(c["id"] for c in archived) == sorted(gone, key=int)
    assert all(c["archived"] is True and c["archivedAt"] for c in archived)


def test_mutate_answers_engagements_by_api_object(server, world) -> None:
    changes = requests.post(f"{server.url}/__sandbox/mutate", json={"deletes": 4},
                            timeout=30).json()  # fmt: skip
    assert set(changes) == {"companies", "contacts", "deals", "calls", "emails", "meetings",
                            "notes", "form_submissions"}  # fmt: skip
    kinds = {r["id"]: r["properties"]["hs_engagement_type"]
             for r in world.records("engagements", source="hubspot")}  # fmt: skip
    deleted = [i for o in ("calls", "emails", "meetings", "notes") for i in changes[o]["deleted"]]
    assert len(deleted) == 4
    for obj, kind in (("calls", "CALL"), ("emails", "EMAIL"), ("notes", "NOTE")):
        assert {kinds[i] for i in changes[obj]["created"]} <= {kind}


def test_search_over_its_per_second_limit_gets_a_secondly_429(world) -> None:
    running = serve(create_app(world, search_per_second=2))
    try:
        answers = [search(running.url, {"limit": 1}) for _ in range(3)]
    finally:
        running.stop()
    assert [a.status_code for a in answers[:2]] == [200, 200]
    limited = answers[2]
    assert limited.status_code == 429
    body = limited.json()
    assert (body["errorType"], body["policyName"]) == ("RATE_LIMIT", "SECONDLY")
    assert body["message"] == "You have reached your secondly limit."
    assert limited.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "1000"


def test_the_daily_limit_answers_429_with_the_daily_headers(world) -> None:
    running = serve(create_app(world, daily=2))
    try:
        url = f"{running.url}/crm/v3/objects/companies"
        answers = [requests.get(url, headers=AUTH, timeout=10) for _ in range(3)]
    finally:
        running.stop()
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[1].headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"
    assert answers[2].json()["policyName"] == "DAILY"
    assert answers[2].headers["X-HubSpot-RateLimit-Daily"] == "2"


def test_associations_v4_join_contacts_to_their_company(server, world) -> None:
    contact = next(r for r in world.records("contacts", source="hubspot")
                   if r["associations"].get("companies"))  # fmt: skip
    company = contact["associations"]["companies"][0]
    one = requests.get(
        f"{server.url}/crm/v4/objects/contacts/{contact['id']}/associations/companies",
        headers=AUTH, timeout=10).json()  # fmt: skip
    assert one["results"] == [{"toObjectId": int(company), "associationTypes": [
        {"category": "HUBSPOT_DEFINED", "typeId": 1, "label": None}]}]  # fmt: skip
    batch = requests.post(
        f"{server.url}/crm/v4/associations/companies/contacts/batch/read",
        json={"inputs": [{"id": company}]}, headers=AUTH, timeout=10).json()  # fmt: skip
    assert batch["status"] == "COMPLETE"
    assert contact["id"] in {str(t["toObjectId"]) for t in batch["results"][0]["to"]}


def test_properties_api_describes_the_served_properties(server) -> None:
    answer = requests.get(f"{server.url}/crm/v3/properties/contacts", headers=AUTH, timeout=10)
    types = {p["name"]: p["type"] for p in answer.json()["results"]}
    assert types["email"] == "string"
    assert types["lastmodifieddate"] == "datetime"
    assert types["hs_lifecyclestage_lead_date"] == "datetime"
    assert types["salesforcecontactid"] == "string"
