"""Finds the warehouse: a configured URL, ``BIZOPS_DATABASE_URL``, or an embedded PostgreSQL."""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path

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
) -> str:
    """The warehouse URL: ``configured`` (from bizops.yml), else ``BIZOPS_DATABASE_URL``, else an
    embedded PostgreSQL under ``<project_dir>/.bizops/pg``."""
    env = os.environ if env is None else env
    if configured:
        return check_url(configured, "bizops.yml warehouse.database_url")
    if env.get(ENV_VAR):
        return check_url(env[ENV_VAR], ENV_VAR)
    LOGGER.info("no warehouse configured: using the embedded PostgreSQL in .bizops/pg")
    return embedded_url(Path(project_dir) / EMBEDDED_DIR)
