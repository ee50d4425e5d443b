"""Helpers every tap's tests share: Singer output parsing, in-process and console-script syncs,
and calls to an emulator's admin side."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests


def executable(name: str) -> str:
    """The console script ``name`` of this venv (falling back to PATH)."""
    return shutil.which(name, path=str(Path(sys.executable).parent)) or name


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
    return SyncOutput([json.loads(line, parse_float=Decimal) for line in stdout.splitlines()])


def sync_in_process(
    tap_class: type, config: dict[str, Any], state: dict[str, Any] | None = None
) -> SyncOutput:
    """Run a full sync of ``tap_class`` in this process and capture its stdout."""
    buffer = io.StringIO()
    tap = tap_class(config=config, state=state or {})
    with redirect_stdout(buffer):
        tap.sync_all()
    return parse_messages(buffer.getvalue())


def run_cli(
    command: str,
    files: Path,
    config: dict[str, Any],
    *args: str,
    state: dict[str, Any] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a tap's console script with ``config`` (and ``state``) written as files whose names
    start with ``files`` (e.g. ``tmp_path / "sf-"``), logging at INFO."""
    config_path = files.with_name(files.name + "config.json")
    config_path.write_text(json.dumps(config), encoding="utf-8")
    argv = [command, "--config", str(config_path), *args]
    if state is not None:
        state_path = files.with_name(files.name + "state.json")
        state_path.write_text(json.dumps(state), encoding="utf-8")
        argv += ["--state", str(state_path)]
    level_var = Path(command).name.upper().replace("-", "_") + "_LOGLEVEL"
    env = {**os.environ, level_var: "INFO"}
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env)


def admin(url: str, method: str, path: str, body: Any = None) -> Any:
    """Call the emulator's /__sandbox admin side and return its JSON (None when empty)."""
    response = requests.request(method, f"{url}/__sandbox/{path}", json=body, timeout=30)
    response.raise_for_status()
    return response.json() if response.content else None
