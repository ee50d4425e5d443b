"""A project's Superset server: where its files live, and gunicorn started in the background,
checked and stopped (the install and provisioning are in ``bizops.superset``)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bizops.process import pid_alive
from bizops_core.errors import ConfigurationError

HOME = Path(".bizops") / "superset"
START_TIMEOUT = 180.0  # seconds for gunicorn to answer /health (first start compiles a lot)


@dataclass(frozen=True)
class Home:
    """The files of a project's Superset under ``.bizops/superset``."""

    root: Path

    @classmethod
    def of(cls, project_root: Path) -> Home:
        """The Superset home of the project in ``project_root``."""
        return cls((Path(project_root) / HOME).resolve())

    venv = property(lambda self: self.root / "venv")
    marker = property(lambda self: self.root / "venv" / "bizops-requirements.sha256")
    config = property(lambda self: self.root / "superset_config.py")
    secret_key = property(lambda self: self.root / "secret_key")
    pid_file = property(lambda self: self.root / "gunicorn.pid")
    log = property(lambda self: self.root / "superset.log")
    bundle = property(lambda self: self.root / "dashboards.zip")
    metadata_db = property(lambda self: self.root / "superset.db")
    # which venv's migrations and roles the metadata DB has (kept beside it: deleted together)
    provisioned = property(lambda self: self.root / "superset.db.provisioned")

    def bin(self, name: str) -> str:
        """A program of the Superset venv."""
        return str(self.venv / "bin" / name)


@dataclass(frozen=True)
class Status:
    """Whether a project's Superset is installed and serving."""

    installed: bool
    pid: int | None
    port: int | None

    @property
    def url(self) -> str | None:
        """Where it serves (None when it does not run)."""
        return f"http://127.0.0.1:{self.port}/" if self.pid else None


def status(project_root: Path) -> Status:
    """Whether the project's Superset is installed and whether its gunicorn runs."""
    home = Home.of(project_root)
    pid, port = _read_pid(home)
    if pid is not None and not pid_alive(pid):
        pid = None
    return Status(home.marker.is_file(), pid, port if pid else None)


def _read_pid(home: Home) -> tuple[int | None, int | None]:
    try:
        pid, port = home.pid_file.read_text("utf-8").split()
        return int(pid), int(port)
    except (OSError, ValueError):
        return None, None


def serve(home: Home, env: Mapping[str, str], port: int) -> int:
    """Start gunicorn in the background on 127.0.0.1:``port`` and wait until ``/health``
    answers; returns its pid (kept in the pid file with the port)."""
    argv = [
        home.bin("gunicorn"), "--workers", "1", "--worker-class", "gthread", "--threads", "8",
        "--timeout", "120", "--bind", f"127.0.0.1:{port}", "--limit-request-line", "0",
        "--limit-request-field_size", "0", "superset.app:create_app()",
    ]  # fmt: skip
    log = open(home.log, "ab")  # handed to the server, closed below
    try:
        process = subprocess.Popen(  # noqa: S603 - our own venv's gunicorn
            argv, env=dict(env), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True, cwd=home.root,
        )  # fmt: skip
    finally:
        log.close()
    home.pid_file.write_text(f"{process.pid} {port}\n", "utf-8")
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            home.pid_file.unlink(missing_ok=True)
            raise ConfigurationError(
                f"Superset exited at start (code {process.returncode}); see {home.log}"
            )
        if health(port):
            return process.pid
        time.sleep(0.5)
    stop(home)
    raise ConfigurationError(f"Superset did not answer within {START_TIMEOUT:.0f}s; see {home.log}")


def health(port: int) -> bool:
    """Whether a Superset answers ``OK`` on ``/health`` at ``port``."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"OK"
    except (urllib.error.URLError, OSError):
        return False


def stop(home: Home, timeout: float = 30.0) -> bool:
    """Stop the project's gunicorn (TERM, then KILL after ``timeout``); whether one ran."""
    pid, _ = _read_pid(home)
    home_running = pid is not None and pid_alive(pid)
    if home_running:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)  # its session: master and workers
        deadline = time.monotonic() + timeout
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if pid_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    home.pid_file.unlink(missing_ok=True)
    return home_running
