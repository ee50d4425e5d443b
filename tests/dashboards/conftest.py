"""Superset fixtures: a project under .bizops/test-superset (kept between runs, so Superset
installs once per machine) whose transform schema holds hand-made metric marts, served by
`bizops dashboards up` on a free port for the session and stopped at its end."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.dashboards import marts

REPO = Path(__file__).resolve().parents[2]
PROJECT_DIR = REPO / ".bizops" / "test-superset"
BIZOPS = str(Path(sys.executable).parent / "bizops")
ADMIN = ("bizops-admin", "Adm1n-pw-for-tests-only")
SECRET_KEY = "test-secret-key-0123456789abcdefghijklmnop"
PROJECT = """\
version: 1
transform:
  schema: {schema}
taps:
  tap-zuora: {{}}
targets:
  target-postgres: {{}}
pipelines:
  - {{name: zuora, tap: tap-zuora, target: target-postgres}}
"""


@dataclass
class Served:
    """A running Superset of the test project, with what `up` printed and how long it took."""

    base: str
    port: int
    schema: str  # the metrics schema
    up: subprocess.CompletedProcess[str]
    seconds: float
    env: dict[str, str]

    def session(self) -> requests.Session:
        """An API session logged in as the admin (JWT plus the CSRF token for POSTs)."""
        session = requests.Session()
        login = session.post(
            f"{self.base}/api/v1/security/login",
            json={"username": ADMIN[0], "password": ADMIN[1], "provider": "db"},
            timeout=60,
        )
        login.raise_for_status()
        session.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        csrf = session.get(f"{self.base}/api/v1/security/csrf_token/", timeout=60)
        session.headers.update({"X-CSRFToken": csrf.json()["result"], "Referer": self.base})
        return session


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bizops(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BIZOPS, *args], capture_output=True, text=True, env=env, check=False, timeout=1800
    )


@pytest.fixture(scope="session")
def served(warehouse_url: str) -> Iterator[Served]:
    prefix = f"d_{uuid.uuid4().hex[:10]}"
    marts.create(warehouse_url, f"{prefix}_metrics")
    PROJECT_DIR.mkdir(parents=True, exist_ok=True)
    (PROJECT_DIR / "bizops.yml").write_text(PROJECT.format(schema=prefix), "utf-8")
    env = {
        **os.environ,
        "BIZOPS_DATABASE_URL": warehouse_url,
        "BIZOPS_SUPERSET_ADMIN_USER": ADMIN[0],
        "BIZOPS_SUPERSET_ADMIN_PASSWORD": ADMIN[1],
        "SUPERSET_SECRET_KEY": SECRET_KEY,
    }
    port = free_port()
    began = time.monotonic()
    up = bizops("dashboards", "up", "-p", str(PROJECT_DIR), "--port", str(port), env=env)
    seconds = time.monotonic() - began
    try:
        assert up.returncode == 0, up.stderr
        yield Served(f"http://127.0.0.1:{port}", port, f"{prefix}_metrics", up, seconds, env)
    finally:
        bizops("dashboards", "down", "-p", str(PROJECT_DIR), env=env)
        marts.drop(warehouse_url, f"{prefix}_metrics")
