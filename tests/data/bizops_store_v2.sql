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
CREATE TABLE IF NOT EXISTS bizops.schema_version (version integer NOT NULL);
DELETE FROM bizops.schema_version;
INSERT INTO bizops.schema_version VALUES (2);
