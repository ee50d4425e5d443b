"""The Zendesk emulator over real HTTP: auth, the incremental exports' paging and bounds, the
lists, the rate limit and the admin side."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from bizops_sandbox import zendesk as zd
from bizops_sandbox.server import serve
from bizops_sandbox.world import World
from bizops_sandbox.world_zendesk import epoch, views

BASIC = (f"{zd.EMAIL}/token", zd.API_TOKEN)
TICKETS = "/api/v2/incremental/tickets/cursor.json"
START = epoch(World.generate(seed=42, size="small").now) - 400 * 86400


@pytest.fixture
def emulator():
    world = World.generate(seed=42, size="small")
    server = serve(zd.create_app(world))
    try:
        yield server, world
    finally:
        server.stop()


def get(server, path: str, auth=BASIC, **params) -> requests.Response:
    return requests.get(server.url + path, params=params, auth=auth, timeout=30)


def drain_cursor(server, path: str, stream: str, **params) -> tuple[list[dict], int]:
    answer = get(server, path, **params).json()
    records, calls = list(answer[stream]), 1
    while not answer["end_of_stream"]:
        more = {k: v for k, v in params.items() if k == "per_page"}
        answer = get(server, path, cursor=answer["after_cursor"], **more).json()
        records.extend(answer[stream])
        calls += 1
    return records, calls


def test_a_wrong_api_token_is_refused_with_zendesks_401(emulator) -> None:
    server, _ = emulator
    answer = get(server, TICKETS, auth=(f"{zd.EMAIL}/token", "nope"), start_time=START)
    assert (answer.status_code, answer.json()) == (401, {"error": "Couldn't authenticate you"})


def test_a_restricted_user_gets_zendesks_403_body(emulator) -> None:
    server, _ = emulator
    answer = get(server, TICKETS, auth=(f"{zd.RESTRICTED_EMAIL}/token", zd.API_TOKEN),
                 start_time=START)  # fmt: skip
    assert answer.status_code == 403
    assert answer.json() == {
        "error": {
            "title": "Forbidden",
            "message": "Access to this "
            "resource is restricted. Please contact the account administrator for assistance.",
        }
    }


def test_oauth_bearer_works_until_expired_and_a_refresh_gives_a_new_pair(emulator) -> None:
    server, _ = emulator
    bearer = {"Authorization": f"Bearer {zd.ACCESS_TOKEN}"}
    url = server.url + "/api/v2/incremental/users/cursor.json"
    assert requests.get(url, params={"start_time": START}, headers=bearer, timeout=30).ok
    requests.post(server.url + "/__sandbox/expire-tokens", json={}, timeout=30)
    refused = requests.get(url, params={"start_time": START}, headers=bearer, timeout=30)
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_token")
    body = {"grant_type": "refresh_token", "refresh_token": zd.REFRESH_TOKEN,
            "client_id": zd.CLIENT_ID, "client_secret": zd.CLIENT_SECRET}  # fmt: skip
    pair = requests.post(server.url + "/oauth/tokens", json=body, timeout=30).json()
    fresh = {"Authorization": f"Bearer {pair['access_token']}"}
    assert requests.get(url, params={"start_time": START}, headers=fresh, timeout=30).ok
    again = requests.post(server.url + "/oauth/tokens", json=body, timeout=30)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    log = requests.get(server.url + "/__sandbox/requests", timeout=30).json()
    assert zd.CLIENT_SECRET not in str(log)


def test_the_ticket_export_pages_by_cursor_and_returns_every_ticket_once(emulator) -> None:
    server, world = emulator
    records, calls = drain_cursor(server, TICKETS, "tickets", start_time=0, per_page=50)
    expected = sorted(t["id"] for t in views(world)["tickets"])
    assert sorted(r["id"] for r in records) == expected
    assert (len(records), calls) == (293, 6)
    stamps = [(r["generated_timestamp"], r["id"]) for r in records]
    assert stamps == sorted(stamps)


def test_start_time_is_inclusive_and_accepts_a_float(emulator) -> None:
    server, world = emulator
    tickets = views(world)["tickets"]
    middle = sorted(t["generated_timestamp"] for t in tickets)[150]
    want = sorted(t["id"] for t in tickets if t["generated_timestamp"] >= middle)
    records, _ = drain_cursor(server, TICKETS, "tickets", start_time=f"{middle}.0")
    assert sorted(r["id"] for r in records) == want
    assert min(r["generated_timestamp"] for r in records) == middle


def test_metric_sets_are_side_loaded_for_the_tickets_of_the_page(emulator) -> None:
    server, _ = emulator
    page = get(server, TICKETS, start_time=0, per_page=20, include="metric_sets").json()
    ids = {t["id"] for t in page["tickets"] if t["status"] != "deleted"}
    assert {m["ticket_id"] for m in page["metric_sets"]} == ids
    assert len(page["metric_sets"]) == len(ids) > 0


def test_items_changed_in_the_last_minute_are_left_out(emulator) -> None:
    server, world = emulator
    world.mutate_sources(world.now + timedelta(days=3))
    data = views(world)["tickets"]
    cut = world.now - timedelta(seconds=60)
    records, _ = drain_cursor(server, TICKETS, "tickets", start_time=0)
    assert sorted(r["id"] for r in records) == sorted(
        t["id"] for t in data if t["updated_at"] <= cut
    )


def test_a_too_recent_or_missing_start_time_is_refused(emulator) -> None:
    server, world = emulator
    recent = get(server, TICKETS, start_time=epoch(world.now) - 30)
    assert (recent.status_code, recent.json()) == (400, {"error": "InvalidValue",
        "description": "Too recent start_time. Use a start_time older than 1 minute"})  # fmt: skip
    missing = get(server, TICKETS)
    assert (missing.status_code, missing.json()["description"]) == (400, "start_time is required")


def test_the_organization_export_is_time_based(emulator) -> None:
    server, world = emulator
    answer = get(server, "/api/v2/incremental/organizations.json", start_time=0).json()
    assert answer["count"] == len(answer["organizations"]) == 30
    assert answer["end_of_stream"] is True and answer["next_page"] is None
    assert answer["end_time"] == max(epoch(o["updated_at"]) for o in views(world)["organizations"])
    externals = {o["external_id"] for o in answer["organizations"]}
    assert externals == {o["external_id"] for o in views(world)["organizations"]}


def test_the_metric_event_export_pages_by_end_time_without_splitting_a_second(emulator) -> None:
    server, world = emulator
    path = "/api/v2/incremental/ticket_metric_events.json"
    answer, seen, calls = get(server, path, start_time=0).json(), {}, 1
    while True:
        seen.update({e["id"]: e for e in answer["ticket_metric_events"]})
        if answer["end_of_stream"]:
            break
        assert answer["count"] >= 1000
        answer = requests.get(answer["next_page"], auth=BASIC, timeout=30).json()
        calls += 1
    assert sorted(seen) == sorted(e["id"] for e in views(world)["ticket_metric_events"])
    assert (len(seen), calls) == (2775, 3)


def test_satisfaction_ratings_are_cursor_paged_and_filtered_by_start_time(emulator) -> None:
    server, world = emulator
    ratings = views(world)["satisfaction_ratings"]
    middle = sorted(epoch(r["updated_at"]) for r in ratings)[50]
    got, params = [], {"start_time": middle, "page[size]": 20}
    while True:
        answer = get(server, "/api/v2/satisfaction_ratings.json", **params).json()
        got.extend(answer["satisfaction_ratings"])
        if not answer["meta"]["has_more"]:
            break
        params["page[after]"] = answer["meta"]["after_cursor"]
    want = [r["id"] for r in ratings if epoch(r["updated_at"]) >= middle]
    assert [r["id"] for r in got] == want
    assert len(want) == 53


def test_the_incremental_rate_limit_answers_429_with_an_integer_retry_after() -> None:
    server = serve(zd.create_app(World.generate(seed=42, size="small"), 3))
    try:
        answers = [get(server, TICKETS, start_time=0) for _ in range(4)]
        lists = get(server, "/api/v2/satisfaction_ratings.json")
    finally:
        server.stop()
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json()["error"] == "APIRateLimitExceeded"
    assert answers[3].headers["Retry-After"].isdigit()
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 60
    assert lists.status_code == 200  # only the incremental endpoints are limited


def test_a_queued_429_fault_carries_an_integer_retry_after(emulator) -> None:
    server, _ = emulator
    fault = {"path_prefix": "/api/v2/incremental/", "status": 429}
    requests.post(server.url + "/__sandbox/faults", json=fault, timeout=30)
    answer = get(server, TICKETS, start_time=0)
    assert (answer.status_code, answer.headers["Retry-After"]) == (429, "1")
    assert get(server, TICKETS, start_time=0).status_code == 200


def test_mutate_answers_what_the_next_export_shows_changed(emulator) -> None:
    server, world = emulator
    before = {t["id"]: t for t in drain_cursor(server, TICKETS, "tickets", start_time=0)[0]}
    at = (world.now + timedelta(days=60)).isoformat()
    changes = requests.post(server.url + "/__sandbox/mutate", json={"at": at}, timeout=30).json()
    after = {t["id"]: t for t in drain_cursor(server, TICKETS, "tickets", start_time=0)[0]}
    tickets = changes["tickets"]
    assert sorted(after.keys() - before.keys()) == sorted(
        tickets["created"] + [i for i in tickets["deleted"] if i not in before]
    )
    changed = sorted(i for i in before if after[i] != before[i])
    assert changed == sorted(tickets["updated"] + [i for i in tickets["deleted"] if i in before])
    assert all(after[i]["status"] == "deleted" for i in tickets["deleted"])
    assert (len(tickets["created"]), len(tickets["updated"]), len(tickets["deleted"])) == (
        36, 6, 1,
    )  # fmt: skip
    assert len(changes["organizations"]["created"]) == 5


def test_deleted_tickets_are_listed(emulator) -> None:
    server, world = emulator
    world.mutate_sources(world.now + timedelta(days=60))
    answer = get(server, "/api/v2/deleted_tickets.json").json()
    cut = world.now - timedelta(days=30)
    want = [t["id"] for t in views(world)["tickets"]
            if t["status"] == "deleted" and t["updated_at"] >= cut]  # fmt: skip
    assert [t["id"] for t in answer["deleted_tickets"]] == want
    assert len(want) >= 1
