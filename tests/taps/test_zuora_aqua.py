"""tap-zuora in AQuA mode (and BASIC auth) against the emulator: suite, deletes, faults."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from bizops_sandbox.server import RunningServer, serve
from bizops_sandbox.world import World
from bizops_sandbox.zuora import create_app
from tap_zuora.aqua import incremental_time
from tap_zuora.tap import TapZuora
from tests.taps.singer_support import admin, parse_messages
from tests.taps.zuora_support import START_DATE, run_cli, sync_in_process, tap_config

REPO = Path(__file__).resolve().parents[2]

SUITE_SERVER = serve(create_app(World.generate(seed=42, size="small"), segment_rows=200))


@pytest.fixture(scope="module", autouse=True)
def _stop_suite_server() -> Iterator[None]:
    yield
    SUITE_SERVER.stop()


TestTapZuoraAquaStandard = get_tap_test_class(
    TapZuora,
    config=tap_config(SUITE_SERVER.url, api_type="AQUA", auth_type="BASIC"),
    suite_config=SuiteConfig(max_records_limit=1000),
)


@pytest.fixture
def aqua() -> Iterator[RunningServer]:
    """A fresh emulator whose AQuA files hold at most 100 rows (so results come segmented)."""
    server = serve(create_app(World.generate(seed=42, size="small"), segment_rows=100))
    try:
        yield server
    finally:
        server.stop()


def aqua_config(url: str, **overrides) -> dict:
    return tap_config(url, api_type="AQUA", **overrides)


def world_count(name: str) -> int:
    return len(World.generate(seed=42, size="small").records(name))


def test_segmented_files_are_all_read(aqua: RunningServer) -> None:
    out = sync_in_process(aqua_config(aqua.url, objects=["InvoiceItem"]))
    assert len({r["Id"] for r in out.records["InvoiceItem"]}) == world_count("InvoiceItem") == 772
    files = [r for r in admin(aqua.url, "GET", "requests") if r["path"].startswith("/v1/file/")]
    assert len(files) == 8


def test_second_sync_returns_exactly_created_updated_and_deleted(
    aqua: RunningServer, tmp_path: Path
) -> None:
    first = run_cli(tmp_path, aqua_config(aqua.url, auth_type="BASIC"))
    assert first.returncode == 0, first.stderr
    state = parse_messages(first.stdout).final_state
    changed = admin(aqua.url, "POST", "mutate", {"creates": 3, "updates": 9})

    second = run_cli(tmp_path, aqua_config(aqua.url, auth_type="BASIC"), state=state)

    assert second.returncode == 0, second.stderr
    out = parse_messages(second.stdout)
    deleted = {(o, i) for o, c in changed.items() for i in c["deleted"]}
    live = {(o, i) for o, c in changed.items() for i in c["created"] + c["updated"]}
    assert len(deleted) == 3
    assert out.ids() == live | deleted
    flagged = {
        (s, r["Id"]) for s, rows in out.records.items() for r in rows if r["_sdc_deleted_at"]
    }
    assert flagged == deleted


def test_first_sync_is_incremental_from_start_date_and_lists_rows_deleted_since(
    aqua: RunningServer, tmp_path: Path
) -> None:
    changed = admin(aqua.url, "POST", "mutate", {"creates": 3, "updates": 9})
    deleted = {(o, i) for o, c in changed.items() for i in c["deleted"]}
    objects = sorted({o for o, _ in deleted})
    world: World = aqua.app.world
    live = {(o, r["Id"]) for o in objects for r in world.records(o)}

    result = run_cli(tmp_path, aqua_config(aqua.url, objects=objects))  # no state

    assert result.returncode == 0, result.stderr
    out = parse_messages(result.stdout)
    assert len(deleted) == 3
    assert out.ids() == live | deleted
    flagged = {
        (s, r["Id"]) for s, rows in out.records.items() for r in rows if r["_sdc_deleted_at"]
    }
    assert flagged == deleted
    jobs = [r for r in admin(aqua.url, "GET", "requests") if r["path"] == "/v1/batch-query/"]
    start = incremental_time(datetime.fromisoformat(START_DATE))
    for job in map(json.loads, (r["body"] for r in jobs)):
        assert job["incrementalTime"] == start
        assert job["queries"][0]["deleted"] == {"column": "Deleted", "format": "Boolean"}
    # ... which is what the README says a first AQuA sync does.
    readme = " ".join((REPO / "taps" / "tap_zuora" / "README.md").read_text().split())
    assert "first AQuA sync of a stream (no bookmark yet) is an incremental job too" in readme
    assert "rows deleted since `start_date`" in readme


def test_incremental_time_is_the_bookmark_in_us_pacific(aqua: RunningServer) -> None:
    state = {"bookmarks": {"Account": {"replication_key": "UpdatedDate",
             "replication_key_value": "2024-07-01T12:00:00.000000+00:00"}}}  # fmt: skip
    sync_in_process(aqua_config(aqua.url, objects=["Account"]), state=state)
    jobs = [r for r in admin(aqua.url, "GET", "requests") if r["path"] == "/v1/batch-query/"]
    body = json.loads(jobs[0]["body"])
    assert body["incrementalTime"] == "2024-07-01 05:00:00"  # PDT, UTC-7
    assert body["partner"] == "bizops" and body["project"].startswith("Account_")
    assert body["queries"][0]["deleted"] == {"column": "Deleted", "format": "Boolean"}


def test_incremental_time_follows_daylight_saving() -> None:
    assert incremental_time(datetime(2025, 1, 15, 20, 0, tzinfo=UTC)) == "2025-01-15 12:00:00"
    assert incremental_time(datetime(2025, 7, 15, 20, 0, tzinfo=UTC)) == "2025-07-15 13:00:00"


@pytest.mark.parametrize("status", ["error", "aborted"])
def test_job_ending_in_error_or_aborted_fails_with_zuoras_message(
    aqua: RunningServer, tmp_path: Path, status: str
) -> None:
    message = "Query execution timed out for Account"
    admin(aqua.url, "POST", "zuora/fail-jobs", {"status": status, "message": message})
    result = run_cli(tmp_path, aqua_config(aqua.url, objects=["Account"]))
    assert result.returncode == 1
    assert f"ended {status}: {message}" in result.stderr


def test_failed_rest_export_fails_with_its_status_reason(
    aqua: RunningServer, tmp_path: Path
) -> None:
    admin(aqua.url, "POST", "zuora/fail-jobs", {"status": "aborted", "message": "Stopped"})
    result = run_cli(tmp_path, tap_config(aqua.url, objects=["Account"]))
    assert result.returncode == 1
    assert " cancelled: Stopped" in result.stderr


@pytest.mark.parametrize("api_type", ["AQUA", "REST"])
def test_object_without_permission_is_skipped_and_named_at_exit(
    aqua: RunningServer, tmp_path: Path, api_type: str
) -> None:
    admin(aqua.url, "POST", "zuora/forbid", {"objects": ["Invoice"]})
    config = tap_config(aqua.url, api_type=api_type, objects=["Account", "Invoice", "Refund"])
    result = run_cli(tmp_path, config)
    assert result.returncode == 0, result.stderr
    records = parse_messages(result.stdout).records
    assert sorted(records) == ["Account", "Refund"]
    assert "skipping stream Invoice: Zuora rejected access (HTTP 403" in result.stderr
    assert "skipped 1 stream(s) Zuora denied access to: Invoice" in result.stderr


def test_every_object_without_permission_fails(aqua: RunningServer, tmp_path: Path) -> None:
    admin(aqua.url, "POST", "zuora/forbid", {"objects": ["Account"]})
    result = run_cli(tmp_path, aqua_config(aqua.url, objects=["Account"]))
    assert result.returncode == 2
    assert "Zuora denied access to every selected stream: Account" in result.stderr


def test_connection_dropped_mid_download_is_downloaded_again(aqua: RunningServer) -> None:
    admin(aqua.url, "POST", "faults", {"path_prefix": "/v1/file/", "truncate_after": 3000})
    out = sync_in_process(aqua_config(aqua.url, objects=["Invoice"]))
    ids = [r["Id"] for r in out.records["Invoice"]]
    assert len(ids) == len(set(ids)) == world_count("Invoice")
    files = [
        r["path"] for r in admin(aqua.url, "GET", "requests") if r["path"].startswith("/v1/file/")
    ]
    assert files[0] == files[1]  # the broken file was fetched again


def test_expired_file_fails_with_zuoras_404(aqua: RunningServer, tmp_path: Path) -> None:
    admin(aqua.url, "POST", "faults", {"path_prefix": "/v1/file/", "status": 404})
    result = run_cli(tmp_path, aqua_config(aqua.url, objects=["Account"]))
    assert result.returncode == 1
    assert "(HTTP 404): 50000040: Not found" in result.stderr


def test_expired_token_is_renewed_in_aqua_mode(aqua: RunningServer) -> None:
    admin(aqua.url, "POST", "faults", {"path_prefix": "/v1/batch-query/jobs/", "status": 401})
    out = sync_in_process(aqua_config(aqua.url, objects=["Account"]))
    assert len(out.records["Account"]) == world_count("Account")
    tokens = [r for r in admin(aqua.url, "GET", "requests") if r["path"] == "/oauth/token"]
    assert len(tokens) == 2


def test_rate_limit_and_server_error_are_retried_in_aqua_mode(aqua: RunningServer) -> None:
    admin(aqua.url, "POST", "faults", {"path_prefix": "/v1/batch-query/", "status": 429,
                                       "headers": {"Retry-After": "0"}})  # fmt: skip
    admin(aqua.url, "POST", "faults", {"path_prefix": "/v1/file/", "status": 503,
                                       "headers": {"Retry-After": "0"}})  # fmt: skip
    out = sync_in_process(aqua_config(aqua.url, objects=["Account"]))
    assert len(out.records["Account"]) == world_count("Account")


def test_rest_mode_leaves_out_fields_rest_export_refuses(aqua: RunningServer) -> None:
    rest = TapZuora(config=tap_config(aqua.url, objects=["Subscription"]))
    bulk = TapZuora(config=aqua_config(aqua.url, objects=["Subscription"]))
    assert "IsLatestVersion" not in rest.streams["Subscription"].schema["properties"]
    assert "IsLatestVersion" in bulk.streams["Subscription"].schema["properties"]


def test_wrong_access_keys_exit_2(aqua: RunningServer, tmp_path: Path) -> None:
    config = aqua_config(aqua.url, auth_type="BASIC", client_secret="wrong-secret")
    result = run_cli(tmp_path, config)
    assert result.returncode == 2
    assert "Zuora rejected the credentials (HTTP 401 from /v1/describe)" in result.stderr
    assert "wrong-secret" not in result.stderr


def _full_table_account(tap: TapZuora) -> dict:
    """The tap's catalog with only Account selected, replicated FULL_TABLE."""
    catalog = tap.catalog_dict
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            entry["metadata"]["selected"] = stream["tap_stream_id"] == "Account"
            if not entry["breadcrumb"] and stream["tap_stream_id"] == "Account":
                entry["metadata"]["replication-method"] = "FULL_TABLE"
                stream["replication_method"] = "FULL_TABLE"
    return catalog


def test_full_table_runs_starting_in_the_same_second_each_export_every_row(
    aqua: RunningServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # AQuA answers a job of a project it has seen with the changes since that project's last
    # job. Sessions were named by the second, so two runs starting in one second shared a
    # session and the second full export came back empty (found by bizops test-tap in CI).
    config = aqua_config(aqua.url)
    catalog = _full_table_account(TapZuora(config=config))
    for _ in range(3):  # both made in one second (a second's boundary may fall between)
        taps = [TapZuora(config=config, catalog=catalog, state={}) for _ in range(2)]
        if taps[0].sync_started_at == taps[1].sync_started_at:
            break
    assert taps[0].sync_started_at == taps[1].sync_started_at
    counts = []
    for tap in taps:
        capsys.readouterr()
        tap.sync_all()
        out = parse_messages(capsys.readouterr().out)
        counts.append(len(out.records.get("Account", [])))
    assert counts == [world_count("Account")] * 2
