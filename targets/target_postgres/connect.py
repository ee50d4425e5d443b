"""The load connection, opened on a thread so that it overlaps the rest of the start-up."""

from __future__ import annotations

import logging
import threading
from typing import Any

import psycopg2

from bizops_core.errors import BizOpsError, ConfigurationError, RetriableError
from target_postgres import meta, table
from target_postgres.config import TargetConfig

LOGGER = logging.getLogger("target_postgres.connect")
# The writer thread needs the GIL back after each statement and COPY chunk it sends; at
# Python's default 5 ms switch interval it waits that long behind the parsing main thread
# every time (measured: 100k records 1.17 s at 5 ms, 1.02 s at 0.2 ms).
SWITCH_INTERVAL = 0.0002


class Connecting:
    """Connects and creates BizOps' own tables on a thread; :meth:`result` waits for it."""

    def __init__(self, config: TargetConfig) -> None:
        self.config = config
        self._conn: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="target-postgres-connect")
        self._thread.daemon = True
        self._thread.start()

    def result(self) -> Any:
        """The open connection; raises what connecting raised."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._conn

    def _run(self) -> None:
        try:
            self._conn = connect(self.config)
        except (BizOpsError, psycopg2.Error) as exc:
            self._error = exc


def connect(config: TargetConfig) -> Any:
    """A connection in UTC with the target schema and BizOps' own tables in place.

    Raises:
        ConfigurationError: when the server refuses these settings (authentication, database).
        RetriableError: when it cannot be reached now.
    """
    LOGGER.info("connecting to %s", config.describe_connection())
    try:
        conn = psycopg2.connect(application_name="target-postgres", **config.connect_kwargs())
    except psycopg2.OperationalError as exc:
        message = f"cannot connect to {config.describe_connection()}: {str(exc).strip()}"
        if "authentication" in str(exc) or "does not exist" in str(exc):
            raise ConfigurationError(message) from exc
        raise RetriableError(message) from exc
    conn.set_client_encoding("UTF8")
    with conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")  # a date-time without an offset is read as UTC
        table.ensure_schema(cur, config.default_target_schema)
        meta.ensure_own_tables(cur, config.default_target_schema)
        if config.state_table:
            schema, name = config.state_table_name()
            table.ensure_schema(cur, schema)
            meta.ensure_state_table(cur, schema, name)
    conn.commit()
    return conn
