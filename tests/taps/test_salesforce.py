"""tap-salesforce against the Salesforce emulator over real HTTP: SDK suite, exactness, faults."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from bizops_sandbox.world import World
from tap_salesforce import docs
from tap_salesforce.convert import format_instant
from tap_salesforce.tap import TapSalesforce
from tests.taps.salesforce_support import (
    MODES,
    SECRET,
    run_cli,
    salesforce_sandbox,
    start,
    sync_in_process,
    tap_config,
    world_ids,
)
from tests.taps.singer_support import admin, parse_messages

__all__ = ["salesforce_sandbox"]  # the fixture, imported for the tests below
REPO = Path(__file__).resolve().parents[2]
CATALOG = REPO / "catalogs" / "tap-salesforce.json"

# The SDK suite discovers streams while its test class is built, at import time, so its
# emulator must already run then. It serves only the read-only suites below.
SUITE_SERVER = start()


@pytest.fixture(scope="module", autouse=True)
def _stop_suite_server() -> Iterator[None]:
    yield
    SUITE_SERVER.stop()


TestTapSalesforceRest = get_tap_test_class(
    TapSalesforce,
    config=tap_config(SUITE_SERVER.url, "REST"),
    suite_config=SuiteConfig(max_records_limit=500),
)
TestTapSalesforceBulk2 = get_tap_test_class(
    TapSalesforce,
    config=tap_config(SUITE_SERVER.url, "BULK2"),
    suite_config=SuiteConfig(max_records_limit=500),
)


def wire(value: Any) -> Any:
    """What the tap emits for a world value."""
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def changed_ids(changes: dict[str, dict[str, list[str]]]) -> set[tuple[str, str]]:
    return {(o, i) for o, kinds in changes.items() for ids in kinds.values() for i in ids}


@pytest.mark.parametrize("mode", MODES)
def test_every_record_arrives_once_in_both_modes(salesforce_sandbox, mode: str) -> None:
    out = sync_in_process(tap_config(salesforce_sandbox.url, mode))
    emitted = [(s, r["Id"]) for s, rows in out.records.items() for r in rows]
    assert len(emitted) == len(set(emitted))
    assert set(emitted) == world_ids(salesforce_sandbox)


@pytest.mark.parametrize("mode", MODES)
def test_records_carry_the_world_values_exactly(salesforce_sandbox, mode: str) -> None:
    out = sync_in_process(tap_config(salesforce_sandbox.url, mode, objects=["Opportunity"]))
    world: World = salesforce_sandbox.app.world
    expected = {r["Id"]: r for r in world.records("Opportunity", "salesforce")}
    for record in out.records["Opportunity"]:
        assert record == {k: wire(expected[record["Id"]][k]) for k in record}


@pytest.mark.parametrize("mode", MODES)
def test_second_sync_after_mutate_returns_exactly_the_changes(salesforce_sandbox, mode) -> None:
    config = tap_config(salesforce_sandbox.url, mode)
    first = sync_in_process(config)
    changes = admin(salesforce_sandbox.url, "POST", "mutate",
                    {"creates": 2, "updates": 6, "deletes": 3})  # fmt: skip
    second = sync_in_process(config, state=first.final_state)

    assert second.ids() == changed_ids(changes)
    deleted = {i for kinds in changes.values() for i in kinds["deleted"]}
    assert len(deleted) == 3
    flagged = {r["Id"] for rows in second.records.values() for r in rows if r.get("IsDeleted")}
    assert flagged == deleted


def test_final_state_bookmarks_the_latest_systemmodstamp(salesforce_sandbox) -> None:
    out = sync_in_process(tap_config(salesforce_sandbox.url, objects=["Task"]))
    world: World = salesforce_sandbox.app.world
    latest = max(r["SystemModstamp"] for r in world.records("Task", "salesforce"))
    assert out.final_state == {
        "bookmarks": {
            "Task": {
                "replication_key": "SystemModstamp",
                "replication_key_value": format_instant(latest),
            }
        }
    }


def test_fifteen_character_ids_are_emitted_with_eighteen(salesforce_sandbox) -> None:
    admin(salesforce_sandbox.url, "POST", "salesforce", {"short_ids": True})
    out = sync_in_process(tap_config(salesforce_sandbox.url, "BULK2", objects=["Contact"]))
    world: World = salesforce_sandbox.app.world
    expected = {r["Id"]: r["AccountId"] for r in world.records("Contact", "salesforce")}
    assert {r["Id"]: r["AccountId"] for r in out.records["Contact"]} == expected


@pytest.mark.parametrize(
    ("prefix", "status", "drop"),
    [
        ("/services/data/v60.0/queryAll", 429, False),
        ("/services/data/v60.0/query/", 503, False),
        ("/services/data/v60.0/query/", 500, True),
    ],
    ids=["429", "503-next-page", "dropped-mid-page"],
)
def test_rest_transient_faults_are_retried(salesforce_sandbox, prefix, status, drop) -> None:
    url = salesforce_sandbox.url
    admin(
        url,
        "POST",
        "faults",
        {
            "path_prefix": prefix,
            "status": status,
            "headers": {"Retry-After": "0"},
            "drop_connection": drop,
        },
    )
    out = sync_in_process(tap_config(url, objects=["Task"], max_tries=3))
    world: World = salesforce_sandbox.app.world
    assert len(out.records["Task"]) == len(world.records("Task", "salesforce"))
    statuses = [r["status"] for r in admin(url, "GET", "requests") if r["path"].startswith(prefix)]
    assert statuses[0] == (None if drop else status)
    assert statuses[1] == 200


def test_bulk_results_page_dropped_is_retried(salesforce_sandbox) -> None:
    url = salesforce_sandbox.url
    admin(
        url,
        "POST",
        "faults",
        {
            "path_prefix": "/services/data/v60.0/jobs/query/",
            "method": "GET",
            "status": 500,
            "drop_connection": True,
        },
    )
    out = sync_in_process(tap_config(url, "BULK2", objects=["Lead"]))
    assert len(out.records["Lead"]) == len(
        salesforce_sandbox.app.world.records("Lead", "salesforce")
    )


def test_expired_session_logs_in_again_once_and_continues(salesforce_sandbox) -> None:
    url = salesforce_sandbox.url
    admin(url, "POST", "faults", {"path_prefix": "/services/data/v60.0/query/", "status": 401})
    out = sync_in_process(tap_config(url, objects=["Task"]))
    assert len(out.records["Task"]) == len(
        salesforce_sandbox.app.world.records("Task", "salesforce")
    )
    logins = [r for r in admin(url, "GET", "requests") if r["path"] == "/services/oauth2/token"]
    assert len(logins) == 2


def test_refresh_token_flow_is_used_when_configured(salesforce_sandbox) -> None:
    url = salesforce_sandbox.url
    config = tap_config(url, objects=["User"], refresh_token="sandbox-refresh-token")
    assert len(sync_in_process(config).records["User"]) == 6
    login = next(r for r in admin(url, "GET", "requests") if r["path"] == "/services/oauth2/token")
    assert "grant_type=refresh_token" in login["body"]
    assert "sandbox-refresh-token" not in login["body"]


@pytest.mark.parametrize("mode", MODES)
def test_query_timeout_narrows_the_window(salesforce_sandbox, mode: str) -> None:
    url = salesforce_sandbox.url
    admin(url, "POST", "salesforce", {"query_timeout_days": 400})
    out = sync_in_process(tap_config(url, mode, objects=["Account"]))
    assert len(out.records["Account"]) == len(
        salesforce_sandbox.app.world.records("Account", "salesforce")
    )
    ids = [r["Id"] for r in out.records["Account"]]
    assert len(ids) == len(set(ids))


def test_query_timeout_fault_halves_the_window_once(salesforce_sandbox) -> None:
    url = salesforce_sandbox.url
    # A faulted 400 gets Salesforce's QUERY_TIMEOUT body by default.
    admin(url, "POST", "faults", {"path_prefix": "/services/data/v60.0/queryAll", "status": 400})
    out = sync_in_process(tap_config(url, objects=["Lead"]))
    assert len(out.records["Lead"]) == len(
        salesforce_sandbox.app.world.records("Lead", "salesforce")
    )
    queries = [r for r in admin(url, "GET", "requests") if r["path"].endswith("/queryAll")]
    assert [r["status"] for r in queries] == [400, 200, 200]


def test_permission_error_skips_one_stream_and_says_so(salesforce_sandbox, tmp_path) -> None:
    url = salesforce_sandbox.url
    admin(url, "POST", "salesforce", {"denied_objects": ["Opportunity"]})
    result = run_cli(tmp_path, tap_config(url, objects=["Account", "Opportunity", "Lead"]))
    assert result.returncode == 0, result.stderr
    out = parse_messages(result.stdout)
    assert set(out.records) == {"Account", "Lead"}
    tail = result.stderr[result.stderr.rindex("Lead") :]
    assert "stream Opportunity was skipped" in tail
    assert "INVALID_TYPE: sObject type 'Opportunity' is not supported." in tail


def test_failed_bulk_job_fails_with_salesforces_message(salesforce_sandbox, tmp_path) -> None:
    admin(salesforce_sandbox.url, "POST", "faults", {
        "path_prefix": "/services/data/v60.0/jobs/query/", "method": "GET", "status": 200,
        "body": {"id": "750x", "state": "Failed", "errorMessage": "INVALID_FIELD: no Foo"},
    })  # fmt: skip
    config = tap_config(salesforce_sandbox.url, "BULK2", objects=["Lead"])
    result = run_cli(tmp_path, config)
    assert result.returncode == 1
    assert re.search(r"\[system\] Salesforce Bulk job 7505g\w+ failed: INVALID_FIELD: no Foo$",
                     result.stderr, re.M)  # fmt: skip


def test_quota_stop_saves_exact_state_and_the_next_run_resumes(salesforce_sandbox, tmp_path):
    url = salesforce_sandbox.url
    admin(url, "POST", "salesforce", {"api_used": 970, "api_max": 1000})
    config = tap_config(url, quota_percent=98)
    first = run_cli(tmp_path, config)
    assert first.returncode == 75, first.stderr
    assert "[transient] stopped early, state saved: API usage" in first.stderr
    admin(url, "POST", "salesforce", {"api_used": 0})
    out1 = parse_messages(first.stdout)
    second = run_cli(tmp_path, config, state=out1.final_state)
    assert second.returncode == 0, second.stderr
    out2 = parse_messages(second.stdout)
    assert out1.ids().isdisjoint(out2.ids())
    assert out1.ids() | out2.ids() == world_ids(salesforce_sandbox)


def test_request_limit_exceeded_stops_with_state(salesforce_sandbox, tmp_path) -> None:
    url = salesforce_sandbox.url
    admin(url, "POST", "salesforce", {"api_used": 5000, "api_max": 5000})
    result = run_cli(tmp_path, tap_config(url, objects=["Lead"], quota_percent=100))
    assert result.returncode == 75
    assert "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded." in result.stderr


def test_wrong_client_secret_exits_2_with_salesforces_message(salesforce_sandbox, tmp_path):
    wrong = "not-the-" + SECRET
    result = run_cli(tmp_path, tap_config(salesforce_sandbox.url, client_secret=wrong))
    assert result.returncode == 2
    assert "[config] Salesforce refused the login: invalid_client: invalid client credentials" in (
        result.stderr
    )
    assert wrong not in result.stderr


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"api_type": "BULK"}, "'BULK' is not one of ['REST', 'BULK2']"),
        ({"objects": ["Account", "Nope"]}, "'objects' names objects Salesforce does not list"),
        ({"quota_percent": 0}, "setting 'quota_percent' must be at least 1, got 0"),
    ],
)
def test_bad_setting_fails_at_start_naming_it(salesforce_sandbox, tmp_path, override, message):
    result = run_cli(tmp_path, tap_config(salesforce_sandbox.url, **override))
    assert result.returncode == 2
    assert message in result.stderr


def test_checked_in_catalog_is_current(salesforce_sandbox, tmp_path: Path) -> None:
    config = {k: v for k, v in tap_config(salesforce_sandbox.url).items()
              if k in ("login_url", "client_id", "client_secret", "start_date")}  # fmt: skip
    result = run_cli(tmp_path, config, "--discover")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(CATALOG.read_text(encoding="utf-8")), (
        "catalogs/tap-salesforce.json is stale: regenerate it with tap-salesforce --discover"
    )


def test_readme_tables_are_current() -> None:
    readme = docs.README.read_text(encoding="utf-8")
    catalog = json.loads(CATALOG.read_text(encoding="utf-8"))
    assert docs.render(readme, catalog) == readme, "run: python -m tap_salesforce.docs"
