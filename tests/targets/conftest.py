"""Fixtures for the target-postgres tests: a config per test and the real console script."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

TARGET = Path(sys.executable).parent / "target-postgres"
DATA = Path(__file__).resolve().parent.parent / "data"

RunTarget = Callable[..., subprocess.CompletedProcess]


@pytest.fixture
def make_config(tmp_path: Path, warehouse_url: str, db_schema: str) -> Callable[..., Path]:
    """Write a config for this test's schema; keyword arguments override or add keys."""

    def make(**settings: Any) -> Path:
        config = {"database_url": warehouse_url, "default_target_schema": db_schema}
        config.update(settings)
        path = tmp_path / f"config-{len(list(tmp_path.glob('config-*')))}.json"
        path.write_text(json.dumps({k: v for k, v in config.items() if v is not None}))
        return path

    return make


@pytest.fixture
def run_target(make_config: Callable[..., Path]) -> RunTarget:
    """Run ``target-postgres --config ... --input <file>``; returns the completed process."""

    def run(input_file: Path, **settings: Any) -> subprocess.CompletedProcess:
        command = [str(TARGET), "--config", str(make_config(**settings)), "--input", input_file]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    return run


def select(db: Any, query: str, *params: Any) -> list[tuple]:
    """All rows of a query on the test connection."""
    with db.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


def state_lines(stdout: str) -> list[Any]:
    """The JSON values of the lines the target wrote to stdout."""
    return [json.loads(line) for line in stdout.splitlines()]
