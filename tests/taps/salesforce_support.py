"""Helpers of the tap-salesforce tests: emulator fixtures, configs, syncs, admin calls."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bizops_sandbox.server import RunningServer, serve
from bizops_sandbox.world import World
from tap_salesforce.tap import TapSalesforce
from tests.taps import singer_support
from tests.taps.singer_support import SyncOutput, executable

SECRET = "sandbox-client-secret"
START_DATE = "2020-01-01T00:00:00Z"
MODES = ("REST", "BULK2")
TAP = executable("tap-salesforce")


def start(world: World | None = None, **options: Any) -> RunningServer:
    """A Salesforce emulator over ``world`` (default: a fresh small world, seed 42)."""
    from bizops_sandbox.salesforce import create_app

    return serve(create_app(world or World.generate(seed=42, size="small"), **options))


@pytest.fixture
def salesforce_sandbox() -> Iterator[RunningServer]:
    """A Salesforce emulator over a fresh small world, REST pages of 50 rows."""
    server = start(page_size=50)
    try:
        yield server
    finally:
        server.stop()


def tap_config(url: str, api_type: str = "REST", **overrides: Any) -> dict[str, Any]:
    """A config pointing at the emulator, polling fast."""
    config = {
        "login_url": url,
        "client_id": "sandbox-client-id",
        "client_secret": SECRET,
        "start_date": START_DATE,
        "api_type": api_type,
        "poll_interval": 0.01,
        "bulk_page_size": 40,
    }
    config.update(overrides)
    return config


def world_ids(server: RunningServer) -> set[tuple[str, str]]:
    """(object, Id) of every Salesforce record the emulator serves."""
    world: World = server.app.world
    return {
        (name, record["Id"])
        for name in world.objects("salesforce")
        for record in world.records(name, "salesforce")
    }


def sync_in_process(config: dict[str, Any], state: dict[str, Any] | None = None) -> SyncOutput:
    """Run a full sync of TapSalesforce in this process and capture its stdout."""
    return singer_support.sync_in_process(TapSalesforce, config, state)


def run_cli(
    tmp_path: Path, config: dict[str, Any], *args: str, state: dict[str, Any] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the ``tap-salesforce`` console script with ``config`` (and ``state``) as files."""
    return singer_support.run_cli(TAP, tmp_path / "sf-", config, *args, state=state)
