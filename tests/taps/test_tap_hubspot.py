"""tap-hubspot: the conformance suite against its emulator (OAuth), a load through
target-postgres into the warehouse (private-app token), HubSpot's own cases (search windows
past the 10,000 cap, archived records, auth failures), and its README tables."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from bizops_core.conformance import TapProcess, run_suite
from bizops_sandbox.hubspot import (
    CLIENT_ID,
    CLIENT_SECRET,
    PRIVATE_APP_TOKEN,
    REFRESH_TOKEN,
    create_app,
)
from bizops_sandbox.server import serve
from bizops_sandbox.world import World
from tap_hubspot import docs

BIN = Path(sys.executable).parent
# Every check of the suite passes (OAuth, so the expired-token check has a token to expire).
PASSING = (
    "about-json", "about-markdown", "discover", "sync", "stdout-singer", "schema-first",
    "records-valid", "keys-present", "state", "deselected-stream", "deselected-field",
    "full-table", "incremental", "bad-config", "resume", "faults", "expired-token",
    "incremental-change", "secrets",
)  # fmt: skip
STREAMS = ("companies", "contacts", "deals", "calls", "emails", "meetings", "notes")


def tap_config(url: str, **more: object) -> dict[str, object]:
    """Private-app settings pointing at the emulator; small pages, so paging is exercised."""
    return {"base_url": url, "access_token": PRIVATE_APP_TOKEN, "page_size": 50,
            "search_page_size": 50,
            "start_date": "2020-01-01T00:00:00Z", "max_tries": 5, **more}  # fmt: skip


def oauth_config(url: str) -> dict[str, object]:
    """OAuth settings: the tap refreshes its access token at the emulator."""
    config = {k: v for k, v in tap_config(url).items() if k != "access_token"}
    return {**config, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN}  # fmt: skip


def run_tap(config: dict[str, object], tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return subprocess.run([str(BIN / "tap-hubspot"), "--config", str(path), *args],
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip


def records(stdout: str, stream: str) -> list[dict]:
    lines = [json.loads(line) for line in stdout.splitlines()]
    return [m["record"] for m in lines if m["type"] == "RECORD" and m["stream"] == stream]


@pytest.fixture
def emulator():
    """The Hubspot emulator over a fresh small world."""
    server = serve(create_app(World.generate(seed=42, size="small")))
    try:
        yield server
    finally:
        server.stop()


def test_tap_passes_the_conformance_suite(emulator) -> None:
    tap = TapProcess([str(BIN / "tap-hubspot")], oauth_config(emulator.url))
    try:
        results = run_suite(tap, emulator=emulator.url)
    finally:
        tap.close()
    statuses = {result.name: result.status for result in results}
    assert [r for r in results if r.status == "fail"] == []
    assert {name: statuses[name] for name in PASSING} == dict.fromkeys(PASSING, "pass")


def test_tap_loads_every_contact_into_the_warehouse(
    emulator, tmp_path: Path, warehouse_url: str, db_schema: str, db
) -> None:
    tap_file, target_file = tmp_path / "tap.json", tmp_path / "target.json"
    tap_file.write_text(json.dumps(tap_config(emulator.url)), encoding="utf-8")
    target = {"database_url": warehouse_url, "default_target_schema": db_schema}
    target_file.write_text(json.dumps(target), encoding="utf-8")
    script = (f"{BIN / 'tap-hubspot'} --config {tap_file} | "
              f"{BIN / 'target-postgres'} --config {target_file}")  # fmt: skip
    done = subprocess.run(["/bin/bash", "-o", "pipefail", "-c", script], capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    with db.cursor() as cur:
        cur.execute(f'SELECT id, email, salesforcecontactid, salesforceleadid, updatedat '
                    f'FROM "{db_schema}".contacts')  # fmt: skip
        loaded = sorted(cur.fetchall())
    world = World.generate(seed=42, size="small")
    expected = sorted(
        (r["id"], r["properties"]["email"], r["properties"]["salesforcecontactid"],
         r["properties"]["salesforceleadid"], r["updatedAt"])
        for r in world.records("contacts", source="hubspot")
    )  # fmt: skip
    assert len(loaded) == 88
    assert loaded == expected


def test_a_wrong_access_token_fails_with_hubspots_message(emulator, tmp_path: Path) -> None:
    done = run_tap(tap_config(emulator.url, access_token="pat-wrong-123"), tmp_path)
    assert done.returncode == 2
    last = done.stderr.splitlines()[-1]
    assert "| [config] GET crm/v3/objects/calls -> HTTP 401: " in last
    assert '"category": "INVALID_AUTHENTICATION"' in last
    assert "pat-wrong-123" not in done.stdout + done.stderr


def test_a_wrong_refresh_token_fails_with_hubspots_message(emulator, tmp_path: Path) -> None:
    done = run_tap({**oauth_config(emulator.url), "refresh_token": "stale-refresh"}, tmp_path)
    assert done.returncode == 1 or done.returncode == 2
    last = done.stderr.splitlines()[-1]
    assert "POST oauth/v1/token -> HTTP 400: " in last
    assert '"status": "BAD_REFRESH_TOKEN"' in last
    assert "stale-refresh" not in done.stdout + done.stderr


def test_search_windows_past_the_cap_emit_every_record_once(tmp_path: Path) -> None:
    """With the emulator refusing to page past 30 results per query, contacts (88) come in
    several queries, each restarted at the last modification time read: all, once each."""
    world = World.generate(seed=42, size="small")
    server = serve(create_app(world, search_cap=30))
    try:
        done = run_tap(tap_config(server.url, search_page_size=10, search_cap=30), tmp_path)
        log = requests.get(f"{server.url}/__sandbox/requests", timeout=10).json()
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr[-2000:]
    got = [r["id"] for r in records(done.stdout, "contacts")]
    live = [r for r in world.records("contacts", source="hubspot") if not r["archived"]]
    assert sorted(got, key=int) == sorted((r["id"] for r in live), key=int)
    searches = [e for e in log if e["path"] == "/crm/v3/objects/contacts/search"]
    # never past the cap (400); a 429 of the search API's per-second limit is waited out
    assert {e["status"] for e in searches} <= {200, 429}
    starts = {json.loads(e["body"])["filterGroups"][0]["filters"][0]["value"] for e in searches}
    assert len(starts) >= 3  # 88 records, 30 per query


def test_archived_records_come_in_the_next_run_marked_archived(emulator, tmp_path) -> None:
    first = run_tap(tap_config(emulator.url), tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    state = [json.loads(line) for line in first.stdout.splitlines()]
    state = [m["value"] for m in state if m["type"] == "STATE"][-1]
    counts = {"creates": 0, "updates": 0, "deletes": 2}
    changes = requests.post(f"{emulator.url}/__sandbox/mutate", json=counts, timeout=30).json()
    (tmp_path / "state.json").write_text(json.dumps(state), encoding="utf-8")
    second = run_tap(tap_config(emulator.url), tmp_path, "--state", str(tmp_path / "state.json"))
    assert second.returncode == 0, second.stderr[-2000:]
    contacts = records(second.stdout, "contacts")
    archived = {r["id"]: r for r in contacts if r["archived"]}
    assert sorted(archived) == sorted(changes["contacts"]["deleted"])
    assert all(r["archivedAt"] for r in archived.values())
    mark = state["bookmarks"]["contacts"]["replication_key_value"]
    again = {r["id"] for r in contacts if not r["archived"]}
    assert all(r["updatedAt"] == mark for r in contacts if r["id"] in again)


def test_form_submissions_are_every_submission_with_its_utm_page(emulator, tmp_path) -> None:
    done = run_tap(tap_config(emulator.url), tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    got = sorted((r["conversionId"], r["submittedAt"], r["pageUrl"], r["values"][0]["value"])
                 for r in records(done.stdout, "form_submissions"))  # fmt: skip
    world = World.generate(seed=42, size="small")
    want = sorted(
        (f"c0a8{int(r['id']):028x}",
         r["properties"]["submittedAt"].strftime("%Y-%m-%dT%H:%M:%S.000Z"),
         r["properties"]["pageUrl"], r["properties"]["email"])
        for r in world.records("form_submissions", source="hubspot")
    )  # fmt: skip
    assert len(got) == 88
    assert got == want


def test_the_daily_limit_stops_the_run_at_once_with_the_transient_code(tmp_path) -> None:
    server = serve(create_app(World.generate(seed=42, size="small"), daily=3))
    try:
        done = run_tap(tap_config(server.url), tmp_path)
        log = requests.get(f"{server.url}/__sandbox/requests", timeout=10).json()
    finally:
        server.stop()
    assert done.returncode == 75
    assert done.stderr.splitlines()[-1].endswith(
        "HubSpot's daily API limit (3 requests) is used up; run again after it resets "
        "(midnight in the portal's time zone)"
    )
    assert [e["status"] for e in log] == [200, 200, 200, 429]


def test_search_429s_are_waited_out_by_hubspots_interval_header(tmp_path) -> None:
    """One search a second: the tap's searches are refused with HubSpot's SECONDLY 429 and
    its 1000 ms interval header, waited out, and every contact still comes once."""
    world = World.generate(seed=42, size="small")
    server = serve(create_app(world, search_per_second=1))
    try:
        done = run_tap(tap_config(server.url, search_page_size=20), tmp_path)
        log = requests.get(f"{server.url}/__sandbox/requests", timeout=10).json()
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr[-2000:]
    refused = [e for e in log if e["status"] == 429]
    assert refused and all(e["path"].endswith("/search") for e in refused)
    assert "rate limited by 127.0.0.1" in done.stderr and "waiting 1 s" in done.stderr
    got = [r["id"] for r in records(done.stdout, "contacts")]
    live = [r["id"] for r in world.records("contacts", source="hubspot") if not r["archived"]]
    assert sorted(got, key=int) == sorted(live, key=int)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"search_page_size": 500}, "tap-hubspot setting 'search_page_size' must be at most 200, "
         "got 500"),
        ({"access_token": None}, "tap-hubspot setting 'access_token' is required (or client_id, "
         "client_secret and refresh_token for OAuth)"),
    ],
)  # fmt: skip
def test_a_bad_setting_fails_naming_it(tmp_path: Path, change: dict, message: str) -> None:
    config = {k: v for k, v in {**tap_config("http://127.0.0.1:9"), **change}.items() if v}
    done = run_tap(config, tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].endswith(message)
    assert done.stdout == ""


def test_readme_tables_are_current() -> None:
    readme = docs.README.read_text(encoding="utf-8")
    assert docs.render(readme) == readme, "run: python -m tap_hubspot.docs"
