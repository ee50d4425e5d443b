"""Helpers of the tap-zuora tests: configs, in-process and console-script syncs, admin calls."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from tap_zuora.tap import TapZuora
from tests.taps import singer_support
from tests.taps.singer_support import SyncOutput, executable

SECRET = "sandbox-client-secret"
START_DATE = "2021-01-01T00:00:00Z"
ALL_OBJECTS = [
    "Account",
    "Contact",
    "Invoice",
    "Product",
    "ProductRatePlan",
    "ProductRatePlanCharge",
    "RatePlan",
    "RatePlanCharge",
    "Subscription",
]
TAP_ZUORA = executable("tap-zuora")


def tap_config(url: str, **overrides: Any) -> dict[str, Any]:
    """A config pointing at the emulator, polling fast."""
    config = {
        "base_url": url,
        "client_id": "sandbox-client-id",
        "client_secret": SECRET,
        "start_date": START_DATE,
        "poll_interval": 0.01,
        "window_days": 400,
    }
    config.update(overrides)
    return config


def sync_in_process(config: dict[str, Any], state: dict[str, Any] | None = None) -> SyncOutput:
    """Run a full sync of TapZuora in this process and capture its stdout."""
    return singer_support.sync_in_process(TapZuora, config, state)


def run_cli(
    tmp_path: Path, config: dict[str, Any], *args: str, state: dict[str, Any] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the ``tap-zuora`` console script with ``config`` (and ``state``) written to files."""
    return singer_support.run_cli(TAP_ZUORA, tmp_path / "", config, *args, state=state)
