"""The bizops schema's tables in the warehouse: their DDL, version and migration."""

from __future__ import annotations

from typing import Any

from bizops_core.errors import ConfigurationError

DDL = """
CREATE SCHEMA IF NOT EXISTS bizops;
CREATE TABLE IF NOT EXISTS bizops.pipeline_state (
    pipeline    text PRIMARY KEY,
    state       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS bizops.state_history (
    id          bigserial PRIMARY KEY,
    pipeline    text NOT NULL,
    state       jsonb,
    source      text NOT NULL,
    stored_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE IF NOT EXISTS bizops.target_state (
    state_id    text PRIMARY KEY,
    state       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS bizops.runs (
    run_id       bigserial PRIMARY KEY,
    pipeline     text NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    ended_at     timestamptz,
    status       text NOT NULL,
    stream_counts jsonb NOT NULL DEFAULT '{}'::jsonb,
    error        text,
    log_path     text
);
ALTER TABLE bizops.runs ADD COLUMN IF NOT EXISTS rows_read jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE bizops.runs ADD COLUMN IF NOT EXISTS rows_rejected jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE bizops.runs ADD COLUMN IF NOT EXISTS host text;
ALTER TABLE bizops.runs ADD COLUMN IF NOT EXISTS pid integer;
ALTER TABLE bizops.runs ADD COLUMN IF NOT EXISTS trigger text;
CREATE INDEX IF NOT EXISTS runs_pipeline_idx ON bizops.runs (pipeline, run_id DESC);
-- version 3: everything belongs to one project (bizops.yml's project_id; '' for a project
-- without one, as all rows stored before), and a state records what its bookmarks are for
ALTER TABLE bizops.pipeline_state ADD COLUMN IF NOT EXISTS project text NOT NULL DEFAULT '';
ALTER TABLE bizops.pipeline_state ADD COLUMN IF NOT EXISTS bookmarks_for jsonb;
ALTER TABLE bizops.pipeline_state DROP CONSTRAINT IF EXISTS pipeline_state_pkey;
ALTER TABLE bizops.pipeline_state ADD PRIMARY KEY (project, pipeline);
ALTER TABLE bizops.state_history ADD COLUMN IF NOT EXISTS project text NOT NULL DEFAULT '';
ALTER TABLE bizops.state_history ADD COLUMN IF NOT EXISTS bookmarks_for jsonb;
CREATE INDEX IF NOT EXISTS state_history_pipeline_idx
    ON bizops.state_history (project, pipeline, id DESC);
ALTER TABLE bizops.runs ADD COLUMN IF NOT EXISTS project text NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS runs_project_idx ON bizops.runs (project, pipeline, run_id DESC);
CREATE TABLE IF NOT EXISTS bizops.schema_version (version integer NOT NULL);
DELETE FROM bizops.schema_version;
INSERT INTO bizops.schema_version VALUES (%(version)s);
"""

SCHEMA_VERSION = 3  # bump when DDL changes: the DDL then runs once more
LOCK_NAMESPACE = 0x62697A  # "biz": keeps our advisory keys apart from other applications'


def ensure_tables(conn: Any) -> None:
    """Create or migrate the bizops tables on an autocommit connection (under an advisory lock,
    once per version).

    Raises:
        ConfigurationError: the tables are newer than this bizops knows.
    """
    version = _version(conn)
    if version is not None and version > SCHEMA_VERSION:
        raise ConfigurationError(
            f"the warehouse's bizops tables are version {version}, newer than this bizops "
            f"knows ({SCHEMA_VERSION}): upgrade bizops"
        )
    if version != SCHEMA_VERSION:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s, 0)", (LOCK_NAMESPACE,))
            try:
                cur.execute(DDL, {"version": SCHEMA_VERSION})
            finally:
                cur.execute("SELECT pg_advisory_unlock(%s, 0)", (LOCK_NAMESPACE,))


def _version(conn: Any) -> int | None:
    """The version of the bizops tables, or None before they exist."""
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('bizops.schema_version') IS NOT NULL")
        if not cur.fetchone()[0]:
            return None
        cur.execute("SELECT max(version) FROM bizops.schema_version")
        return cur.fetchone()[0]
