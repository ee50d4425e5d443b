"""Finds the warehouse: a configured URL, ``BIZOPS_DATABASE_URL``, or an embedded PostgreSQL."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bizops.process import pid_alive
from bizops_core.errors import ConfigurationError
from bizops_core.redact import mask_connection_strings

LOGGER = logging.getLogger("bizops.warehouse")
ENV_VAR = "BIZOPS_DATABASE_URL"
EMBEDDED_DIR = Path(".bizops") / "pg"


def embedded_url(pgdata: Path) -> str:
    """Start (or reuse) an embedded PostgreSQL whose data lives in ``pgdata``; return its URL.

    The server keeps running after this process exits so the next command reuses it; a second
    call with the same directory finds the running server instead of starting another.
    """
    # pgserver narrates every start-up step at INFO; only its problems interest our users.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    pgdata = Path(pgdata).resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (cron, CI): not our users' concern.
            warnings.simplefilter("ignore")
            import pgserver  # lazily: only needed when no warehouse is configured

            server = pgserver.get_server(pgdata, cleanup_mode=None)
    except Exception as exc:  # noqa: BLE001 - pgserver raises anything from asserts to OSError
        reason = one_line(str(exc)) or type(exc).__name__
        raise ConfigurationError(
            f"could not start the embedded PostgreSQL in {pgdata}: {reason}"
        ) from None
    return server.get_uri()


def one_line(text: str) -> str:
    """``text`` (a driver's or server's message) on one line, connection passwords masked."""
    return " ".join(mask_connection_strings(text).split())


SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
USAGE = (
    "expected a URL postgresql://user@host:port/dbname (password after user:) "
    "or libpq key=value pairs"
)


def check_url(url: str, source: str) -> str:
    """``url`` if it is a PostgreSQL URL or libpq DSN, else a ConfigurationError naming
    ``source`` and showing the URL with its password masked."""
    shown = mask_connection_strings(url)
    scheme = SCHEME.match(url)
    if scheme and scheme.group(1).lower() not in ("postgresql", "postgres"):
        raise ConfigurationError(
            f"{source}: {shown!r} is not a PostgreSQL URL (scheme {scheme.group(1)!r}); {USAGE}"
        )
    import psycopg2.extensions

    try:
        psycopg2.extensions.parse_dsn(url)
    except psycopg2.Error:
        # psycopg2's message quotes the whole string, password included, and a string with no
        # recognisable structure cannot be masked: neither is shown.
        raise ConfigurationError(f"{source} cannot be parsed (value not shown); {USAGE}") from None
    return url


def resolve_database_url(
    project_dir: Path,
    configured: str | None = None,
    env: Mapping[str, str] | None = None,
    start: bool = True,
) -> str | None:
    """The warehouse URL: ``configured`` (from bizops.yml), else ``BIZOPS_DATABASE_URL``, else an
    embedded PostgreSQL under ``<project_dir>/.bizops/pg`` (with ``start`` False: only if it
    runs already, else None)."""
    env = os.environ if env is None else env
    if configured:
        return check_url(configured, "bizops.yml warehouse.database_url")
    if env.get(ENV_VAR):
        return check_url(env[ENV_VAR], ENV_VAR)
    if not start:
        return running_embedded_url(project_dir)
    LOGGER.info("no warehouse configured: using the embedded PostgreSQL in .bizops/pg")
    return embedded_url(Path(project_dir) / EMBEDDED_DIR)


@dataclass(frozen=True)
class EmbeddedServer:
    """An embedded PostgreSQL data directory and whether its server runs."""

    pgdata: Path
    pid: int | None  # the running postmaster's, or None when it is stopped
    url: str | None  # how to reach it while it runs


def _postmaster(pgdata: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs' XDG_RUNTIME_DIR warning
        from pgserver.utils import PostmasterInfo

    try:
        return PostmasterInfo.read_from_pgdata(pgdata)
    except (OSError, ValueError, AssertionError):  # a half-written or foreign postmaster.pid
        return None


def embedded_status(pgdata: Path) -> EmbeddedServer:
    """Whether the embedded PostgreSQL in ``pgdata`` runs, found without starting it."""
    pgdata = Path(pgdata).resolve()
    info = _postmaster(pgdata) if (pgdata / "postmaster.pid").is_file() else None
    if info is None or not info.is_running():
        return EmbeddedServer(pgdata, None, None)
    return EmbeddedServer(pgdata, info.pid, info.get_uri())


def running_embedded_url(project_dir: Path) -> str | None:
    """The URL of the project's embedded PostgreSQL if it runs now, else None (not started)."""
    return embedded_status(Path(project_dir) / EMBEDDED_DIR).url


def find_embedded(folder: Path) -> list[Path]:
    """Every embedded PostgreSQL data directory under ``folder`` (e.g. a project's .bizops)."""
    return sorted(p.parent.resolve() for p in Path(folder).rglob("postgresql.conf"))


def stop_embedded(pgdata: Path, timeout: float = 30.0) -> bool:
    """Stop the embedded PostgreSQL in ``pgdata`` (fast shutdown: sessions are ended, data is
    kept); returns whether one was running. A ConfigurationError if it will not stop."""
    server = embedded_status(pgdata)
    if server.pid is None:
        return False
    # pg_ctl's "fast" mode is SIGINT to the postmaster: the same, without pg_ctl's user juggling
    # (pgserver runs the server as the user "pgserver" when started by root).
    with contextlib.suppress(ProcessLookupError):
        os.kill(server.pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    while pid_alive(server.pid):
        if time.monotonic() > deadline:
            raise ConfigurationError(
                f"the embedded PostgreSQL in {server.pgdata} (pid {server.pid}) did not stop "
                f"within {timeout:.0f}s"
            )
        time.sleep(0.05)
    LOGGER.info("stopped the embedded PostgreSQL in %s (pid %s)", server.pgdata, server.pid)
    return True

    return True
