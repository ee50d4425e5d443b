"""tap-zendesk: the conformance suite against the Zendesk emulator, an OAuth token refreshed,
a load through target-postgres into the warehouse, Zendesk's auth failures, and the README."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests

from bizops_core.conformance import TapProcess, run_suite
from bizops_sandbox import zendesk as zd
from bizops_sandbox.server import serve
from bizops_sandbox.world import World
from bizops_sandbox.world_zendesk import views
from tap_zendesk import docs

BIN = Path(sys.executable).parent
# Every check of the suite passes with API-token auth, except expired-token (basic auth has
# no token to expire, and OAuth's refresh tokens rotate: skipped with that reason, and the
# refresh tested within one run below).
PASSING = (
    "about-json", "about-markdown", "discover", "sync", "stdout-singer", "schema-first",
    "records-valid", "keys-present", "state", "deselected-stream", "deselected-field",
    "full-table", "incremental", "bad-config", "resume", "faults", "incremental-change",
    "secrets",
)  # fmt: skip


def tap_config(url: str, **changes: object) -> dict[str, object]:
    """API-token settings pointing at the emulator; small export pages, so paging is
    exercised."""
    config = {"base_url": url, "email": zd.EMAIL, "api_token": zd.API_TOKEN,
              "start_date": "2020-01-01T00:00:00Z", "page_size": 100, "max_tries": 5}  # fmt: skip
    return {**config, **changes}


def oauth_config(url: str) -> dict[str, object]:
    """OAuth settings (bearer token, refreshable) pointing at the emulator."""
    config = tap_config(url, access_token=zd.ACCESS_TOKEN, refresh_token=zd.REFRESH_TOKEN,
                        client_id=zd.CLIENT_ID, client_secret=zd.CLIENT_SECRET)  # fmt: skip
    del config["email"], config["api_token"]
    return config


@pytest.fixture
def emulator():
    """The Zendesk emulator over a fresh small world."""
    server = serve(zd.create_app(World.generate(seed=42, size="small")))
    try:
        yield server
    finally:
        server.stop()


def run(config: dict[str, object], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return subprocess.run([str(BIN / "tap-zendesk"), "--config", str(path)],
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip


def test_tap_passes_the_conformance_suite_with_api_token_auth(emulator) -> None:
    tap = TapProcess([str(BIN / "tap-zendesk")], tap_config(emulator.url))
    try:
        results = run_suite(tap, emulator=emulator.url)
    finally:
        tap.close()
    statuses = {result.name: result.status for result in results}
    assert [r for r in results if r.status == "fail"] == []
    assert {name: statuses[name] for name in PASSING} == dict.fromkeys(PASSING, "pass")
    assert statuses["expired-token"] == "skip"
    detail = next(r.detail for r in results if r.name == "expired-token")
    assert "with OAuth this API rotates refresh tokens" in detail


def test_an_oauth_token_expired_midway_is_refreshed_and_every_record_emitted(
    emulator, tmp_path: Path
) -> None:
    # Zendesk rotates the refresh token (the old pair stops working), so the suite's
    # expired-token check, which starts several processes from one config, cannot pass with
    # OAuth: this is the same behaviour in one run.
    requests.post(f"{emulator.url}/__sandbox/expire-tokens", json={"after_requests": 3},
                  timeout=30)  # fmt: skip
    done = run(oauth_config(emulator.url), tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    counts = Counter(
        json.loads(line)["stream"] for line in done.stdout.splitlines() if '"RECORD"' in line
    )
    log = requests.get(f"{emulator.url}/__sandbox/requests", timeout=30).json()
    statuses = [(e["path"], e["status"]) for e in log]
    assert statuses.count(("/oauth/tokens", 200)) == 1
    assert [e["status"] for e in log].count(401) == 1
    assert zd.CLIENT_SECRET not in done.stdout + done.stderr
    assert dict(counts) == {
        "organizations": 30, "satisfaction_ratings": 103, "ticket_metric_events": 2779,
        "ticket_metrics": 288, "tickets": 293, "users": 62,
    }  # fmt: skip


def test_tap_loads_every_organization_into_the_warehouse(
    emulator, tmp_path: Path, warehouse_url: str, db_schema: str, db
) -> None:
    tap_file, target_file = tmp_path / "tap.json", tmp_path / "target.json"
    tap_file.write_text(json.dumps(tap_config(emulator.url)), encoding="utf-8")
    target = {"database_url": warehouse_url, "default_target_schema": db_schema}
    target_file.write_text(json.dumps(target), encoding="utf-8")
    script = (f"{BIN / 'tap-zendesk'} --config {tap_file} | "
              f"{BIN / 'target-postgres'} --config {target_file}")  # fmt: skip
    done = subprocess.run(["/bin/bash", "-o", "pipefail", "-c", script], capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    with db.cursor() as cur:
        cur.execute(f'SELECT id, name, external_id, updated_at FROM "{db_schema}".organizations')
        loaded = sorted(cur.fetchall())
        cur.execute(f'SELECT count(*), count(DISTINCT id) FROM "{db_schema}".tickets')
        tickets = cur.fetchone()
    world = World.generate(seed=42, size="small")
    expected = sorted(
        (o["id"], o["name"], o["external_id"], o["updated_at"])
        for o in views(world)["organizations"]
    )
    assert len(loaded) == 30
    assert loaded == expected
    assert tickets == (293, 293)


def test_a_wrong_api_token_fails_with_zendesks_message(emulator, tmp_path: Path) -> None:
    done = run(tap_config(emulator.url, api_token="wrong-token-123"), tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].endswith(
        "| [config] GET api/v2/incremental/organizations.json -> HTTP 401: "
        '{"error": "Couldn\'t authenticate you"}'
    )
    assert "wrong-token-123" not in done.stdout + done.stderr


def test_a_restricted_user_fails_with_zendesks_403_message(emulator, tmp_path: Path) -> None:
    done = run(tap_config(emulator.url, email=zd.RESTRICTED_EMAIL), tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].endswith(
        "| [config] GET api/v2/incremental/organizations.json -> HTTP 403: "
        '{"error": {"title": "Forbidden", "message": "Access to this resource is restricted. '
        'Please contact the account administrator for assistance."}}'
    )


def test_an_expired_token_without_a_refresh_token_fails_without_the_token(
    emulator, tmp_path: Path
) -> None:
    config = {**oauth_config(emulator.url), "access_token": "expired-token-456"}
    del config["refresh_token"]
    done = run(config, tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].endswith(
        "| [config] GET api/v2/incremental/organizations.json -> HTTP 401: "
        '{"error": "invalid_token", "error_description": "The access token provided is '
        'expired, revoked, malformed or invalid for other reasons."}'
    )
    assert "expired-token-456" not in done.stdout + done.stderr


def test_no_credentials_is_a_config_error_naming_the_setting(emulator, tmp_path: Path) -> None:
    config = tap_config(emulator.url)
    del config["api_token"]
    done = run(config, tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].endswith(
        "tap-zendesk setting 'api_token' is required, with email, unless access_token is set"
    )


def test_readme_tables_are_current() -> None:
    readme = docs.README.read_text(encoding="utf-8")
    assert docs.render(readme) == readme, "run: python -m tap_zendesk.docs"


def records_of(done: subprocess.CompletedProcess[str], stream: str) -> list[dict[str, object]]:
    lines = (json.loads(line) for line in done.stdout.splitlines())
    return [m["record"] for m in lines if m["type"] == "RECORD" and m["stream"] == stream]


def last_state(done: subprocess.CompletedProcess[str]) -> dict[str, object]:
    states = [json.loads(line) for line in done.stdout.splitlines() if '"STATE"' in line]
    return states[-1]["value"]


def test_after_a_mutate_the_next_run_emits_the_changed_and_deleted_tickets(
    emulator, tmp_path: Path
) -> None:
    first = run(tap_config(emulator.url), tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    state = last_state(first)
    mark = state["bookmarks"]["tickets"]["replication_key_value"]
    assert mark == max(str(t["updated_at"]) for t in records_of(first, "tickets"))
    world_now = requests.get(f"{emulator.url}/__sandbox/health", timeout=30).json()["now"]
    at = (datetime.fromisoformat(world_now) + timedelta(days=60)).isoformat()
    changes = requests.post(f"{emulator.url}/__sandbox/mutate", json={"at": at},
                            timeout=30).json()["tickets"]  # fmt: skip
    (tmp_path / "state.json").write_text(json.dumps(state), encoding="utf-8")
    second = subprocess.run(
        [str(BIN / "tap-zendesk"), "--config", str(tmp_path / "config.json"),
         "--state", str(tmp_path / "state.json")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert second.returncode == 0, second.stderr[-2000:]
    tickets = {t["id"]: t for t in records_of(second, "tickets")}
    changed = {*changes["created"], *changes["updated"], *changes["deleted"]}
    at_mark = {i for i, t in tickets.items() if t["updated_at"] == mark}
    assert set(tickets) - at_mark == changed
    assert {i for i, t in tickets.items() if t["status"] == "deleted"} == set(changes["deleted"])
    assert (len(changes["created"]), len(changes["updated"]), len(changes["deleted"])) == (
        36, 6, 1,
    )  # fmt: skip
