"""Orchestrator test fixtures: a project running the test-only slow tap into target-postgres."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from psycopg2 import sql

from bizops.store import Store

BIZOPS = str(Path(sys.executable).parent / "bizops")
SLOW_TAP = Path(__file__).with_name("slow_tap.py")
API_KEY = "k3y-from-the-env-0042"
AUTH = "auth-marked-secret-by-tap-from-env"
STREAMS = ("alpha", "beta", "gamma")
PROJECT = """\
version: 1
project_id: {name}
taps:
  slow-tap:
    command: {command}
    config:
      data_file: {data_file}
      api_key: ${{TEST_SLOW_API_KEY}}
      auth: ${{TEST_SLOW_AUTH}}
      delay: {delay}
      state_every: 10
targets:
  target-postgres:
    config:
      default_target_schema: {schema}
      batch_size_rows: 25
pipelines:
  - name: {name}
    tap: slow-tap
    target: target-postgres
    schedule: "{schedule}"
"""


def make_data(seed: int, per_stream: int = 60) -> dict[str, list[dict[str, Any]]]:
    """Source rows: ``per_stream`` per stream, ``updated`` strictly increasing per stream."""
    rng = random.Random(seed)  # noqa: S311 - test data
    return {
        s: [
            {"id": i, "updated": i, "value": f"{s}-{i}-v{rng.randint(0, 9)}"}
            for i in range(per_stream)
        ]
        for s in STREAMS
    }


def mutate(
    data: dict[str, list[dict[str, Any]]], seed: int, updates: int = 8, new: int = 5
) -> None:
    """Update some rows (new value, newer ``updated``) and add new ones, in place."""
    rng = random.Random(seed)  # noqa: S311 - test data
    for rows in data.values():
        top = max(r["updated"] for r in rows)
        for offset, row in enumerate(rng.sample(rows, updates), start=1):
            row.update(updated=top + offset, value=f"{row['value']}-changed{seed}")
        first_id, top = len(rows), top + updates
        for i in range(new):
            rows.append({"id": first_id + i, "updated": top + 1 + i, "value": f"new-{seed}-{i}"})


@dataclass
class SlowProject:
    """A bizops project whose pipeline runs the slow tap into a fresh schema."""

    root: Path
    name: str
    warehouse_url: str

    @property
    def data_file(self) -> Path:
        return self.root / "source.json"

    def write_data(self, data: dict[str, Any]) -> None:
        self.data_file.write_text(json.dumps(data))

    def data(self) -> dict[str, list[dict[str, Any]]]:
        return json.loads(self.data_file.read_text())

    def configure(self, delay: float = 0.0, schedule: str = "0 0 1 1 *", extra: str = "") -> None:
        command = self.root / "slow-tap"
        command.write_text(f'#!/bin/sh\nexec {sys.executable} {SLOW_TAP} "$@"\n')
        command.chmod(0o755)
        text = PROJECT.format(
            command=command,
            data_file=self.data_file,
            delay=delay,
            schema=self.name,
            name=self.name,
            schedule=schedule,
        )
        (self.root / "bizops.yml").write_text(text + extra)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "BIZOPS_DATABASE_URL": self.warehouse_url,
            "TEST_SLOW_API_KEY": API_KEY,
            "TEST_SLOW_AUTH": AUTH,
        }

    def bizops(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [BIZOPS, *args, "--project-dir", str(self.root)],
            capture_output=True,
            text=True,
            env=self.env(),
            check=False,
            timeout=timeout,
        )

    def popen(self, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [BIZOPS, *args, "--project-dir", str(self.root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env(),
            **kwargs,
        )

    def rows(self, stream: str) -> list[tuple[int, str]]:
        """(id, value) of every row loaded for ``stream``, with duplicates if any."""
        with psycopg2.connect(self.warehouse_url) as conn, conn.cursor() as cur:
            cur.execute("SELECT to_regclass(%s)", (f'"{self.name}"."{stream}"',))
            if cur.fetchone()[0] is None:
                return []
            query = sql.SQL("SELECT id, value FROM {}.{} ORDER BY id").format(
                sql.Identifier(self.name), sql.Identifier(stream)
            )
            cur.execute(query)
            found = [(int(i), v) for i, v in cur.fetchall()]
        conn.close()
        return found

    def versions(self, stream: str) -> list[tuple[int, int, str]]:
        """(id, updated, value) of every row of ``stream``, duplicates included, sorted."""
        with psycopg2.connect(self.warehouse_url) as conn, conn.cursor() as cur:
            query = sql.SQL("SELECT id, updated, value FROM {}.{}").format(
                sql.Identifier(self.name), sql.Identifier(stream)
            )
            cur.execute(query)
            found = sorted((int(i), int(u), v) for i, u, v in cur.fetchall())
        conn.close()
        return found

    def tap_settings(self, settings: str) -> None:
        """Add YAML lines (``key: value``) to the slow tap's config."""
        path = self.root / "bizops.yml"
        path.write_text(
            path.read_text().replace("state_every: 10", f"state_every: 10\n      {settings}")
        )

    def state(self) -> Any:
        with Store(self.warehouse_url, project=self.name) as store:
            return store.get_state(self.name)

    def runs(self) -> list[Any]:
        with Store(self.warehouse_url, project=self.name) as store:
            return store.runs(self.name)


def expected_rows(data: dict[str, list[dict[str, Any]]], stream: str) -> list[tuple[int, str]]:
    return sorted((r["id"], r["value"]) for r in data[stream])


@pytest.fixture
def slow_project(tmp_path: Path, db_schema: str, warehouse_url: str) -> Iterator[SlowProject]:
    project = SlowProject(tmp_path, db_schema, warehouse_url)
    project.write_data(make_data(seed=1))
    project.configure()
    yield project
