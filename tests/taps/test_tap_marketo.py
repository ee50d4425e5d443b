"""tap-marketo: the conformance suite against the Marketo emulator, a load through
target-postgres checked row by row, the 200-body error codes, and the README tables."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from bizops_core.conformance import TapProcess, run_suite
from bizops_sandbox.marketo import CLIENT_ID, CLIENT_SECRET, MarketoEmulator
from bizops_sandbox.server import serve
from bizops_sandbox.world import World
from tap_marketo import docs

BIN = Path(sys.executable).parent
PASSING = (
    "about-json", "about-markdown", "discover", "sync", "stdout-singer", "schema-first",
    "records-valid", "keys-present", "state", "deselected-field", "deselected-stream",
    "full-table", "incremental", "bad-config", "resume", "faults", "incremental-change",
    "secrets", "expired-token",
)  # fmt: skip


def tap_config(url: str, **extra: object) -> dict[str, object]:
    """Settings pointing at the emulator; quick polls, small program pages."""
    return {"base_url": url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "start_date": "2022-01-01T00:00:00Z", "poll_interval": 0.01, "page_size": 2,
            "max_tries": 5, **extra}  # fmt: skip


@pytest.fixture
def emulator():
    """The Marketo emulator over a fresh small world, its rate limit raised so that a sync of
    sixty 31-day windows is not slowed to Marketo's 100 calls per 20 s (tested on its own)."""
    server = serve(MarketoEmulator(World.generate(seed=42, size="small"), rate_calls=100_000))
    try:
        yield server
    finally:
        server.stop()


def run_tap(url: str, tmp_path: Path, **extra: object) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(tap_config(url, **extra)), encoding="utf-8")
    return subprocess.run([str(BIN / "tap-marketo"), "--config", str(path)],
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip


def records(stdout: str, stream: str) -> list[dict]:
    lines = (json.loads(line) for line in stdout.splitlines())
    return [m["record"] for m in lines if m["type"] == "RECORD" and m["stream"] == stream]


def test_tap_passes_the_conformance_suite(emulator) -> None:
    tap = TapProcess([str(BIN / "tap-marketo")], tap_config(emulator.url))
    try:
        results = run_suite(tap, emulator=emulator.url)
    finally:
        tap.close()
    statuses = {result.name: result.status for result in results}
    assert [r for r in results if r.status == "fail"] == []
    assert {name: statuses[name] for name in PASSING} == dict.fromkeys(PASSING, "pass")


def test_tap_emits_every_lead_and_activity_of_the_world(emulator, tmp_path: Path) -> None:
    done = run_tap(emulator.url, tmp_path, start_date="2021-01-01T00:00:00Z")
    assert done.returncode == 0, done.stderr[-2000:]
    world = emulator.app.world.marketo
    leads = records(done.stdout, "leads")
    assert sorted(r["id"] for r in leads) == sorted(world.leads)
    assert {r["id"]: r["sfdcContactId"] for r in leads} == {
        i: r["sfdcContactId"] for i, r in world.leads.items()
    }
    guids = [r["marketoGUID"] for r in records(done.stdout, "activities")]
    assert sorted(guids, key=int) == [str(a[0]) for a in world.activities]
    visit = next(r for r in records(done.stdout, "activities") if r["activityTypeId"] == 1)
    assert sorted(visit["attributes"]) == [
        "Client IP Address", "Query Parameters", "Referrer URL", "Webpage URL"]  # fmt: skip
    assert len(records(done.stdout, "programs")) == len(world.programs)


def test_tap_loads_every_lead_into_the_warehouse(
    emulator, tmp_path: Path, warehouse_url: str, db_schema: str, db
) -> None:
    tap_file, target_file = tmp_path / "tap.json", tmp_path / "target.json"
    config = tap_config(emulator.url, start_date="2021-01-01T00:00:00Z")
    tap_file.write_text(json.dumps(config), encoding="utf-8")
    target = {"database_url": warehouse_url, "default_target_schema": db_schema}
    target_file.write_text(json.dumps(target), encoding="utf-8")
    script = (f"{BIN / 'tap-marketo'} --config {tap_file} | "
              f"{BIN / 'target-postgres'} --config {target_file}")  # fmt: skip
    done = subprocess.run(["/bin/bash", "-o", "pipefail", "-c", script], capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    columns = ("id", "email", "sfdcLeadId", "sfdcContactId", "sfdcAccountId", "updatedAt")
    with db.cursor() as cur:
        names = ", ".join(f'"{c.lower()}"' for c in columns)
        cur.execute(f'SELECT {names} FROM "{db_schema}".leads ORDER BY id')
        loaded = cur.fetchall()
        cur.execute(f'SELECT count(*) FROM "{db_schema}".activities')
        activities = cur.fetchone()[0]
    world = emulator.app.world.marketo
    assert loaded == [tuple(world.leads[i][c] for c in columns) for i in sorted(world.leads)]
    assert activities == len(world.activities) == 804


def test_deleted_leads_come_in_their_own_stream_after_a_mutate(emulator, tmp_path) -> None:
    first = run_tap(emulator.url, tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    assert records(first.stdout, "deleted_leads") == []
    state = [json.loads(line) for line in first.stdout.splitlines() if '"STATE"' in line][-1]
    changes = requests.post(f"{emulator.url}/__sandbox/mutate", json={"deletes": 3}, timeout=5)
    deleted = sorted(int(i) for i in changes.json()["leads"]["deleted"])
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(state["value"]), encoding="utf-8")
    second = subprocess.run([str(BIN / "tap-marketo"), "--config", str(tmp_path / "config.json"),
                             "--state", str(state_file)], capture_output=True, text=True,
                            timeout=300, check=False)  # fmt: skip
    assert second.returncode == 0, second.stderr[-2000:]
    assert sorted(r["leadId"] for r in records(second.stdout, "deleted_leads")) == deleted
    assert len(deleted) == 3
    assert not {r["id"] for r in records(second.stdout, "leads")} & set(deleted)


def test_an_expired_token_is_renewed_and_the_call_sent_again(emulator, tmp_path: Path) -> None:
    requests.post(f"{emulator.url}/__sandbox/expire-tokens", json={"after_requests": 8},
                  timeout=5)  # fmt: skip
    done = run_tap(emulator.url, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    log = requests.get(f"{emulator.url}/__sandbox/requests", timeout=5).json()
    assert [e["path"] for e in log].count("/identity/oauth/token") == 2
    assert "Marketo error 602: Access token expired" in done.stderr


def test_rate_limit_606_is_waited_out(tmp_path: Path) -> None:
    server = serve(MarketoEmulator(World.generate(seed=42, size="small"), rate_calls=100_000))
    try:
        for _ in range(2):
            requests.post(f"{server.url}/__sandbox/faults", json={
                "path_prefix": "/bulk/v1/leads/export/", "path_suffix": "/enqueue.json",
                "status": 200, "body": {"requestId": "a#b", "success": False, "errors": [
                    {"code": "606", "message": "Max rate limit '100' exceeded with in '20' secs"}
                ]}}, timeout=5)  # fmt: skip
        done = run_tap(server.url, tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stderr.count(f"rate limited by {server.url[7:]}: waiting") == 2
        assert len(records(done.stdout, "leads")) == 88
    finally:
        server.stop()


def test_the_daily_quota_is_fatal_with_a_clear_message(tmp_path: Path) -> None:
    server = serve(MarketoEmulator(World.generate(seed=42, size="small"), daily_quota=3))
    try:
        done = run_tap(server.url, tmp_path)
    finally:
        server.stop()
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1].endswith(
        "Marketo error 607: Daily quota reached (the daily API quota of this Marketo instance "
        "is spent; it resets at midnight US Central time: run the sync again then)"
    )


def test_wrong_credentials_fail_as_configuration(emulator, tmp_path: Path) -> None:
    done = run_tap(emulator.url, tmp_path, client_secret="wrong-secret-123")
    assert done.returncode == 2
    assert "Marketo refused the client_id/client_secret (HTTP 401)" in done.stderr.splitlines()[-1]
    assert "wrong-secret-123" not in done.stdout + done.stderr


def test_a_window_over_31_days_is_refused_by_the_settings(emulator, tmp_path: Path) -> None:
    done = run_tap(emulator.url, tmp_path, window_days=32)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].endswith(
        "tap-marketo setting 'window_days' must be at most 31, got 32"
    )


def test_readme_tables_are_current() -> None:
    readme = docs.README.read_text(encoding="utf-8")
    assert docs.render(readme) == readme, "run: python -m tap_marketo.docs"
