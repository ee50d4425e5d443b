"""tap-zuora against the Zuora emulator over real HTTP: SDK suite, exactness, retries, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from bizops_sandbox.server import serve
from bizops_sandbox.world import World
from bizops_sandbox.zuora import create_app
from tap_zuora import docs
from tap_zuora.convert import format_instant
from tap_zuora.tap import TapZuora
from tests.taps.singer_support import admin, parse_messages
from tests.taps.zuora_support import (
    ALL_OBJECTS,
    SECRET,
    run_cli,
    sync_in_process,
    tap_config,
)

REPO = Path(__file__).resolve().parents[2]
CATALOG = REPO / "catalogs" / "tap-zuora.json"

# The SDK suite builds its test class at import time and discovers streams while doing so, so
# its emulator must already run at import. It serves only this (read-only) suite; tests that
# mutate the world or queue faults take the fresh `zuora_sandbox` fixture instead.
SUITE_SERVER = serve(create_app(World.generate(seed=42, size="small")))


@pytest.fixture(scope="module", autouse=True)
def _stop_suite_server() -> Iterator[None]:
    yield
    SUITE_SERVER.stop()


TestTapZuoraStandard = get_tap_test_class(
    TapZuora,
    config=tap_config(SUITE_SERVER.url, objects=ALL_OBJECTS),
    suite_config=SuiteConfig(max_records_limit=1000),
)


def world_records(object_name: str) -> list[dict[str, Any]]:
    """The records the emulator fixture serves (same seed and size, so the same world)."""
    return World.generate(seed=42, size="small").records(object_name)


def wire_value(value: Any) -> Any:
    """What the tap should emit for a world value (empty string is null: see the README)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def test_every_stream_has_unique_non_null_ids_and_all_world_records(zuora_sandbox) -> None:
    out = sync_in_process(tap_config(zuora_sandbox.url, objects=ALL_OBJECTS))
    for name in ALL_OBJECTS:
        ids = [record["Id"] for record in out.records[name]]
        assert None not in ids
        assert len(ids) == len(set(ids)), f"duplicate Id in {name}"
        assert set(ids) == {record["Id"] for record in world_records(name)}


def test_records_carry_the_world_values_exactly(zuora_sandbox) -> None:
    out = sync_in_process(tap_config(zuora_sandbox.url, objects=ALL_OBJECTS))
    for name in ALL_OBJECTS:
        emitted = {record["Id"]: record for record in out.records[name]}
        for expected in world_records(name):
            record = dict(emitted[expected["Id"]])
            assert record.pop("_sdc_deleted_at") is None
            assert record == {key: wire_value(expected[key]) for key in record}, name


def test_datetimes_are_utc_and_decimals_keep_every_digit(zuora_sandbox) -> None:
    out = sync_in_process(tap_config(zuora_sandbox.url, objects=["Account"]))
    account = out.records["Account"][0]
    assert account["UpdatedDate"].endswith("+00:00")
    assert isinstance(account["Balance"], Decimal)
    assert account["Balance"] == world_records("Account")[0]["Balance"]


def test_second_sync_after_mutate_returns_exactly_the_changed_records(
    zuora_sandbox, tmp_path: Path
) -> None:
    # 120-day windows: several per run, so a bound between two windows must lose no row.
    config = tap_config(zuora_sandbox.url, objects=ALL_OBJECTS, window_days=120)
    first = run_cli(tmp_path, config)
    assert first.returncode == 0, first.stderr
    state = parse_messages(first.stdout).final_state
    assert all("progress_markers" not in b for b in state["bookmarks"].values())

    changed = admin(zuora_sandbox.url, "POST", "mutate", {"creates": 3, "updates": 6})
    second = run_cli(tmp_path, config, state=state)

    assert second.returncode == 0, second.stderr
    expected = {
        (name, record_id)
        for name, ids in changed.items()
        for record_id in ids["created"] + ids["updated"]
    }
    assert parse_messages(second.stdout).ids() == expected


def test_final_state_bookmarks_the_latest_updated_date(zuora_sandbox) -> None:
    out = sync_in_process(tap_config(zuora_sandbox.url, objects=["Invoice"]))
    latest = max(format_instant(r["UpdatedDate"]) for r in world_records("Invoice"))
    assert out.final_state == {
        "bookmarks": {
            "Invoice": {"replication_key": "UpdatedDate", "replication_key_value": latest}
        }
    }


def test_wrong_client_secret_exits_2_with_zuoras_message(zuora_sandbox, tmp_path: Path) -> None:
    wrong = "not-the-" + SECRET
    result = run_cli(tmp_path, tap_config(zuora_sandbox.url, client_secret=wrong))
    assert result.returncode == 2
    assert result.stdout == ""
    assert (
        "[config] Zuora rejected the credentials (HTTP 401 from /oauth/token): "
        "Bad client credentials" in result.stderr
    )
    assert wrong not in result.stderr
    assert "Traceback" not in result.stderr


def test_rate_limit_and_server_error_are_retried(zuora_sandbox) -> None:
    url = zuora_sandbox.url
    admin(url, "POST", "faults", {"path_prefix": "/v1/object/export", "status": 429,
                                  "headers": {"Retry-After": "0"}})  # fmt: skip
    admin(url, "POST", "faults", {"path_prefix": "/v1/files/", "status": 503,
                                  "headers": {"Retry-After": "0"}})  # fmt: skip

    out = sync_in_process(tap_config(url, objects=["Account"]))

    assert len(out.records["Account"]) == len(world_records("Account"))
    log = [
        (r["method"], r["path"].split("/")[2], r["status"]) for r in admin(url, "GET", "requests")
    ]
    assert log[log.index(("POST", "object", 429)) + 1] == ("POST", "object", 200)
    assert log[log.index(("GET", "files", 503)) + 1] == ("GET", "files", 200)


def test_expired_token_is_renewed_once(zuora_sandbox) -> None:
    url = zuora_sandbox.url
    admin(url, "POST", "faults", {"path_prefix": "/v1/object/export", "status": 401})

    out = sync_in_process(tap_config(url, objects=["Account"]))

    assert len(out.records["Account"]) == len(world_records("Account"))
    tokens = [r for r in admin(url, "GET", "requests") if r["path"] == "/oauth/token"]
    assert len(tokens) == 2


def test_failed_export_job_fails_with_zuoras_reason(zuora_sandbox, tmp_path: Path) -> None:
    # The emulator has no failing jobs of its own; a fault answers one status poll as Zuora
    # does for a job that failed.
    reason = "There is an error in the query: Account.Foo is not exportable"
    admin(zuora_sandbox.url, "POST", "faults", {
        "path_prefix": "/v1/object/export/", "method": "GET", "status": 200,
        "body": {"Id": "job-1", "Status": "Failed", "StatusReason": reason},
    })  # fmt: skip

    result = run_cli(tmp_path, tap_config(zuora_sandbox.url, objects=["Account"]))

    assert result.returncode == 1
    assert "[system] Zuora export " in result.stderr
    assert f" failed: {reason}" in result.stderr


def test_export_that_outlives_job_timeout_names_job_and_timeout(
    zuora_sandbox, tmp_path: Path
) -> None:
    config = tap_config(zuora_sandbox.url, objects=["Account"], job_timeout=0)
    result = run_cli(tmp_path, config)
    assert result.returncode == 75
    assert "still Pending after 0 s (job_timeout is 0 s)" in result.stderr


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            {"poll_interval": "fast"},
            "invalid: 'fast' is not of type 'number', 'null' in config['poll_interval']",
        ),
        ({"objects": ["Account", "Nope"]}, "'objects' names objects Zuora does not describe: Nope"),
        ({"window_days": 0}, "setting 'window_days' must be at least 1, got 0"),
    ],
)
def test_bad_setting_fails_at_start_naming_it(
    zuora_sandbox, tmp_path: Path, override: dict[str, Any], message: str
) -> None:
    result = run_cli(tmp_path, tap_config(zuora_sandbox.url, **override))
    assert result.returncode == 2
    assert message in result.stderr


def test_checked_in_catalog_is_current(zuora_sandbox, tmp_path: Path) -> None:
    config = tap_config(zuora_sandbox.url)
    del config["window_days"], config["poll_interval"]  # the defaults, as a user runs it
    result = run_cli(tmp_path, config, "--discover")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(CATALOG.read_text(encoding="utf-8")), (
        "catalogs/tap-zuora.json is stale: regenerate it with tap-zuora --discover"
    )


def test_readme_tables_are_current() -> None:
    readme = docs.README.read_text(encoding="utf-8")
    catalog = json.loads(CATALOG.read_text(encoding="utf-8"))
    assert docs.render(readme, catalog) == readme, "run: python -m tap_zuora.docs"
