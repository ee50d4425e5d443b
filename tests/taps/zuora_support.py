"""Helpers of the tap-zuora tests: configs, in-process and console-script syncs, admin calls."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tap_zuora.tap import TapZuora

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
TAP_ZUORA = shutil.which("tap-zuora", path=str(Path(sys.executable).parent)) or "tap-zuora"


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


@dataclass
class SyncOutput:
    """The Singer messages of one sync, sorted by kind."""

    messages: list[dict[str, Any]]
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for message in self.messages:
            if message["type"] == "RECORD":
                self.records.setdefault(message["stream"], []).append(message["record"])

    @property
    def final_state(self) -> dict[str, Any]:
        """The value of the last STATE message."""
        return [m for m in self.messages if m["type"] == "STATE"][-1]["value"]

    def ids(self) -> set[tuple[str, str]]:
        """``(stream, Id)`` of every record."""
        return {(stream, r["Id"]) for stream, rows in self.records.items() for r in rows}


def parse_messages(stdout: str) -> SyncOutput:
    """Singer lines -> messages (numbers with a fraction as Decimal, as targets read them)."""
    from decimal import Decimal

    return SyncOutput([json.loads(line, parse_float=Decimal) for line in stdout.splitlines()])


def sync_in_process(config: dict[str, Any], state: dict[str, Any] | None = None) -> SyncOutput:
    """Run a full sync of TapZuora in this process and capture its stdout."""
    buffer = io.StringIO()
    tap = TapZuora(config=config, state=state or {})
    with redirect_stdout(buffer):
        tap.sync_all()
    return parse_messages(buffer.getvalue())


def run_cli(
    tmp_path: Path, config: dict[str, Any], *args: str, state: dict[str, Any] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the ``tap-zuora`` console script with ``config`` (and ``state``) written to files."""
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    command = [TAP_ZUORA, "--config", str(config_path), *args]
    if state is not None:
        state_path = tmp_path / "state.json"
        state_path.write_text(json.dumps(state), encoding="utf-8")
        command += ["--state", str(state_path)]
    env = {**os.environ, "TAP_ZUORA_LOGLEVEL": "INFO"}
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)


def admin(url: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call the emulator's /__sandbox admin side and return its JSON."""
    response = requests.request(method, f"{url}/__sandbox/{path}", json=body, timeout=30)
    response.raise_for_status()
    return response.json()
