"""Finds the warehouse: a configured URL, ``BIZOPS_DATABASE_URL``, or an embedded PostgreSQL."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping
from pathlib import Path

from bizops_core.errors import ConfigurationError

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
    except Exception as exc:
        raise ConfigurationError(
            f"could not start the embedded PostgreSQL in {pgdata}: {exc}"
        ) from exc
    return server.get_uri()


def resolve_database_url(
    project_dir: Path,
    configured: str | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    """The warehouse URL: ``configured`` (from bizops.yml), else ``BIZOPS_DATABASE_URL``, else an
    embedded PostgreSQL under ``<project_dir>/.bizops/pg``."""
    env = os.environ if env is None else env
    if configured:
        return configured
    if env.get(ENV_VAR):
        return env[ENV_VAR]
    LOGGER.info("no warehouse configured: using the embedded PostgreSQL in .bizops/pg")
    return embedded_url(Path(project_dir) / EMBEDDED_DIR)
