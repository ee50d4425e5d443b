"""The Marketo emulator over real HTTP: token auth and its 200-body errors, the limits,
programs by offset, members by nextPageToken, and bulk extract through every state."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
import requests

from bizops_sandbox.marketo import NO_ASSETS, MarketoEmulator
from bizops_sandbox.server import RunningServer, serve
from bizops_sandbox.world import World

CLIENT = {
    "grant_type": "client_credentials",
    "client_id": "sandbox-client-id",
    "client_secret": "sandbox-client-secret",
}
WINDOW = {"startAt": "2024-01-01T00:00:00Z", "endAt": "2024-01-31T23:59:59Z"}


@pytest.fixture
def marketo() -> Iterator[RunningServer]:
    server = serve(MarketoEmulator(World.generate(seed=42, size="small")))
    try:
        yield server
    finally:
        server.stop()


def bearer(url: str) -> dict[str, str]:
    answer = requests.get(f"{url}/identity/oauth/token", params=CLIENT, timeout=5).json()
    return {"Authorization": f"Bearer {answer['access_token']}"}


def errors(answer: requests.Response) -> list[dict]:
    assert answer.status_code == 200
    body = answer.json()
    assert body["success"] is False
    return body["errors"]


def test_token_lasts_an_hour_and_wrong_credentials_are_refused(marketo) -> None:
    answer = requests.get(f"{marketo.url}/identity/oauth/token", params=CLIENT, timeout=5)
    assert (answer.json()["token_type"], answer.json()["expires_in"]) == ("bearer", 3599)
    wrong = requests.get(
        f"{marketo.url}/identity/oauth/token", params={**CLIENT, "client_secret": "nope"}, timeout=5
    )
    assert (wrong.status_code, wrong.json()["error"]) == (401, "unauthorized")


def test_missing_invalid_and_expired_tokens_answer_600_601_602_in_a_200_body(marketo) -> None:
    url = f"{marketo.url}/rest/v1/activities/types.json"
    assert errors(requests.get(url, timeout=5))[0]["code"] == "600"
    bad = {"Authorization": "Bearer nope:ab"}
    assert errors(requests.get(url, headers=bad, timeout=5))[0]["code"] == "601"
    good = bearer(marketo.url)
    assert requests.get(url, headers=good, timeout=5).json()["success"] is True
    expired = requests.post(f"{marketo.url}/__sandbox/expire-tokens", timeout=5)
    assert expired.json() == {"after_requests": 0, "expired": 1}
    assert errors(requests.get(url, headers=good, timeout=5)) == [
        {"code": "602", "message": "Access token expired"}
    ]


def test_the_101st_call_in_20_seconds_answers_606(marketo) -> None:
    auth, url = bearer(marketo.url), f"{marketo.url}/rest/v1/activities/types.json"
    with requests.Session() as session:
        answers = [session.get(url, headers=auth, timeout=5).json() for _ in range(101)]
    assert all(a["success"] for a in answers[:100])
    assert answers[100]["errors"] == [
        {"code": "606", "message": "Max rate limit '100' exceeded with in '20' secs"}
    ]


def test_the_daily_quota_answers_607(marketo) -> None:
    marketo.app.daily_quota = 2
    auth, url = bearer(marketo.url), f"{marketo.url}/rest/v1/activities/types.json"
    codes = [requests.get(url, headers=auth, timeout=5).json().get("errors") for _ in range(3)]
    assert codes == [None, None, [{"code": "607", "message": "Daily quota reached"}]]


def test_activity_types(marketo) -> None:
    body = requests.get(
        f"{marketo.url}/rest/v1/activities/types.json", headers=bearer(marketo.url), timeout=5
    ).json()
    assert [(t["id"], t["name"]) for t in body["result"]] == [
        (1, "Visit Webpage"),
        (2, "Fill Out Form"),
        (10, "Open Email"),
        (11, "Click Email"),
    ]


def test_programs_page_by_offset_and_end_with_the_no_assets_warning(marketo) -> None:
    auth, url = bearer(marketo.url), f"{marketo.url}/rest/asset/v1/programs.json"
    pages = [
        requests.get(url, params={"maxReturn": 2, "offset": o}, headers=auth, timeout=5).json()
        for o in (0, 2, 4, 6)
    ]
    assert [len(p.get("result", [])) for p in pages] == [2, 2, 1, 0]
    assert pages[3]["warnings"] == [NO_ASSETS] and "result" not in pages[3]
    first = pages[0]["result"][0]
    assert first["id"] == 1001 and first["updatedAt"].endswith("Z+0000")
    assert sum(c["cost"] for c in first["costs"]) > 0


def test_program_members_page_by_next_page_token(marketo) -> None:
    auth = bearer(marketo.url)
    world = marketo.app.world
    program = max(
        world.marketo.programs, key=lambda p: sum(k[0] == p for k in world.marketo.members)
    )
    want = sorted(lead for p, lead in world.marketo.members if p == program)
    url, got, token = f"{marketo.url}/rest/v1/programs/{program}/members.json", [], None
    while True:
        params = {"batchSize": 5, **({"nextPageToken": token} if token else {})}
        body = requests.get(url, params=params, headers=auth, timeout=5).json()
        got += [m["leadId"] for m in body["result"]]
        token = body.get("nextPageToken")
        if token is None:
            break
    assert got == want and len(want) > 5


def create(url: str, auth: dict, kind: str, body: dict) -> dict:
    answer = requests.post(
        f"{url}/bulk/v1/{kind}/export/create.json", json=body, headers=auth, timeout=5
    )
    return answer.json()


def test_activity_export_passes_through_every_state_to_its_file(marketo) -> None:
    auth, url = bearer(marketo.url), marketo.url
    job = create(url, auth, "activities", {"format": "CSV", "filter": {"createdAt": WINDOW}})
    export_id = job["result"][0]["exportId"]
    base = f"{url}/bulk/v1/activities/export/{export_id}"
    statuses = [job["result"][0]["status"]]
    statuses.append(
        requests.post(f"{base}/enqueue.json", headers=auth, timeout=5).json()["result"][0]["status"]
    )
    for _ in range(3):
        statuses.append(
            requests.get(f"{base}/status.json", headers=auth, timeout=5).json()["result"][0][
                "status"
            ]
        )
    assert statuses == ["Created", "Queued", "Processing", "Completed", "Completed"]
    rows = list(
        csv.DictReader(io.StringIO(requests.get(f"{base}/file.json", headers=auth, timeout=5).text))
    )
    world = marketo.app.world.marketo
    want = [a for a in world.activities if "2024-01-01" <= a[2].isoformat()[:10] <= "2024-01-31"]
    assert [r["marketoGUID"] for r in rows] == [str(a[0]) for a in want] and want
    assert isinstance(json.loads(rows[0]["attributes"]), dict)


def test_lead_export_filters_updated_at_inclusively(marketo) -> None:
    auth, url = bearer(marketo.url), marketo.url
    leads = marketo.app.world.marketo.leads.values()
    mark = sorted(r["updatedAt"] for r in leads)[10]
    text = mark.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {
        "fields": ["id", "email", "updatedAt"],
        "filter": {"updatedAt": {"startAt": text, "endAt": text}},
    }
    export_id = create(url, auth, "leads", body)["result"][0]["exportId"]
    base = f"{url}/bulk/v1/leads/export/{export_id}"
    requests.post(f"{base}/enqueue.json", headers=auth, timeout=5)
    for _ in range(2):
        requests.get(f"{base}/status.json", headers=auth, timeout=5)
    lines = requests.get(f"{base}/file.json", headers=auth, timeout=5).text.splitlines()
    want = sorted(r["id"] for r in leads if r["updatedAt"] == mark)
    assert lines == ["id,email,updatedAt"] + [
        f"{i},{marketo.app.world.marketo.leads[i]['email']},{text}" for i in want
    ]


def test_a_window_over_31_days_is_refused(marketo) -> None:
    body = {
        "filter": {
            "createdAt": {"startAt": "2024-01-01T00:00:00Z", "endAt": "2024-02-01T00:00:01Z"}
        }
    }
    answer = create(marketo.url, bearer(marketo.url), "activities", body)
    assert answer["errors"] == [{"code": "1003", "message": "Date range exceeds 31 days"}]


def test_the_eleventh_queued_export_answers_1029(marketo) -> None:
    auth, url = bearer(marketo.url), marketo.url
    codes = []
    for _ in range(11):
        export_id = create(url, auth, "activities", {"filter": {"createdAt": WINDOW}})["result"][0][
            "exportId"
        ]
        answer = requests.post(
            f"{url}/bulk/v1/activities/export/{export_id}/enqueue.json", headers=auth, timeout=5
        ).json()
        codes.append(answer["errors"][0]["code"] if not answer["success"] else "ok")
    assert codes == ["ok"] * 10 + ["1029"]


def test_an_expired_export_file_answers_404(marketo) -> None:
    auth, url = bearer(marketo.url), marketo.url
    export_id = create(url, auth, "activities", {"filter": {"createdAt": WINDOW}})["result"][0][
        "exportId"
    ]
    base = f"{url}/bulk/v1/activities/export/{export_id}"
    requests.post(f"{base}/enqueue.json", headers=auth, timeout=5)
    for _ in range(2):
        requests.get(f"{base}/status.json", headers=auth, timeout=5)
    ranged = requests.get(f"{base}/file.json", headers={**auth, "Range": "bytes=0-0"}, timeout=5)
    assert (ranged.status_code, ranged.content) == (206, b"m")
    expired = requests.post(f"{url}/__sandbox/expire-exports", timeout=5).json()
    assert expired == {"expired": 1}
    assert requests.get(f"{base}/file.json", headers=auth, timeout=5).status_code == 404


def test_mutate_answers_marketo_changes_by_stream(marketo) -> None:
    answer = requests.post(f"{marketo.url}/__sandbox/mutate", json={}, timeout=5).json()
    assert sorted(answer) == ["activities", "leads", "program_members", "programs"]
    assert len(answer["leads"]["deleted"]) == 2
    assert all(isinstance(i, str) for i in answer["leads"]["created"])


def test_deleted_leads_page_from_a_paging_token(marketo) -> None:
    auth = bearer(marketo.url)
    changes = requests.post(f"{marketo.url}/__sandbox/mutate", json={"deletes": 3}, timeout=5)
    deleted = sorted(int(i) for i in changes.json()["leads"]["deleted"])
    token = requests.get(f"{marketo.url}/rest/v1/activities/pagingtoken.json",
                         params={"sinceDatetime": "2025-01-01T00:00:00Z"}, headers=auth,
                         timeout=5).json()["nextPageToken"]  # fmt: skip
    got, more = [], True
    while more:
        body = requests.get(f"{marketo.url}/rest/v1/activities/deletedleads.json",
                            params={"nextPageToken": token, "batchSize": 2}, headers=auth,
                            timeout=5).json()  # fmt: skip
        got += [(r["leadId"], r["activityTypeId"]) for r in body["result"]]
        token, more = body["nextPageToken"], body["moreResult"]
    assert sorted(got) == [(i, 37) for i in deleted] and len(deleted) == 3
