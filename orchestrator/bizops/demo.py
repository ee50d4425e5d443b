"""``bizops demo``: the whole platform on the sandbox — Zuora emulator, tap, target, warehouse."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
from psycopg2 import sql

from bizops.project import load
from bizops.runner import Runner, RunResult

PIPELINE = "zuora-to-postgres"
TARGET_SCHEMA = "zuora"
SECRET_ENV = "ZUORA_CLIENT_SECRET"  # noqa: S105 - the name of a variable, not a secret
PROJECT_TEMPLATE = """\
# Written by `bizops demo`: tap-zuora reads the local Zuora emulator, target-postgres loads
# the embedded warehouse (.bizops/pg). The secret comes from the environment, never this file.
version: 1
taps:
  tap-zuora:
    config:
      base_url: {base_url}
      client_id: sandbox-client-id
      client_secret: ${{{secret_env}}}
      start_date: "2021-01-01T00:00:00Z"
      # The emulator finishes export jobs after a fixed number of status checks, so the
      # sandbox needs no real wait between them; against Zuora keep the default (10 s).
      poll_interval: 0.01
      # The sandbox world is small: one export job per object covers all of it.
      window_days: 3660
targets:
  target-postgres:
    config:
      default_target_schema: {schema}
pipelines:
  - name: {pipeline}
    tap: tap-zuora
    target: target-postgres
    schedule: "0 * * * *"
"""


@dataclass
class DemoReport:
    """What the demo did, ready to print."""

    runs: list[RunResult]
    mutation: dict[str, dict[str, list[str]]]
    table_counts: dict[str, int]
    database_url: str
    project_dir: Path
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        """A human summary: one row per stream with both runs, the world's changes between
        them, and the rows now in the warehouse."""
        first, second = self.runs
        streams = sorted(set(first.record_counts) | set(second.record_counts))
        width = max([len(s) for s in streams] + [len("stream")])
        header = f"    {'stream':<{width}} {'run 1':>7} {'changed':>8} {'run 2':>7} {'rows':>7}"
        lines = [
            f"BizOps demo (project: {self.project_dir})",
            "",
            f"run 1: {first.status} in {first.seconds:.1f}s, "
            f"{sum(first.record_counts.values())} records",
            "then the sandbox world changed (records created or updated), and",
            f"run 2: {second.status} in {second.seconds:.1f}s, "
            f"{sum(second.record_counts.values())} records (only the changes):",
            "",
            header,
        ]
        for stream in streams:
            ids = self.mutation.get(stream, {"created": [], "updated": []})
            changed = len(set(ids["created"]) | set(ids["updated"]))
            lines.append(
                f"    {stream:<{width}} {first.record_counts.get(stream, 0):>7} {changed:>8} "
                f"{second.record_counts.get(stream, 0):>7} "
                f"{self.table_counts.get(stream.lower(), 0):>7}"
            )
        rejected = self.table_counts.get("_bizops_rejects", 0)
        lines += [
            "",
            f"rows: now in the warehouse (schema {TARGET_SCHEMA}); rejected records: {rejected}",
            f"explore it:  psql '{self.database_url}'",
            *self.notes,
        ]
        return "\n".join(lines)


def _reset(runner: Runner) -> None:
    """Forget the previous demo's data and bookmarks so every demo starts the same way."""
    store = runner.store()
    try:
        store.clear_state(PIPELINE)
        with store.conn.cursor() as cur:
            cur.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(TARGET_SCHEMA))
            )
    finally:
        store.close()


def _table_counts(database_url: str) -> dict[str, int]:
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (TARGET_SCHEMA,),
        )
        counts = {}
        for (table,) in cur.fetchall():
            query = sql.SQL("SELECT count(*) FROM {}.{}").format(
                sql.Identifier(TARGET_SCHEMA), sql.Identifier(table)
            )
            cur.execute(query)
            counts[table] = cur.fetchone()[0]
    conn.close()
    return counts


def run_demo(project_dir: Path, seed: int = 42) -> DemoReport:
    """Start the Zuora emulator, run the pipeline, mutate the world, run it again."""
    from bizops_sandbox.server import serve
    from bizops_sandbox.world import World
    from bizops_sandbox.zuora import create_app

    project_dir = Path(project_dir).resolve()
    project_dir.mkdir(parents=True, exist_ok=True)
    world = World.generate(seed=seed, size="small")
    server = serve(create_app(world))
    try:
        (project_dir / "bizops.yml").write_text(
            PROJECT_TEMPLATE.format(
                base_url=server.url, secret_env=SECRET_ENV, schema=TARGET_SCHEMA, pipeline=PIPELINE
            ),
            encoding="utf-8",
        )
        os.environ.setdefault(SECRET_ENV, "sandbox-client-secret")
        runner = Runner(load(project_dir))
        _reset(runner)
        first = runner.run(PIPELINE)
        mutation = world.mutate()
        second = runner.run(PIPELINE)
    finally:
        server.stop()
    return DemoReport(
        runs=[first, second],
        mutation=mutation,
        table_counts=_table_counts(runner.database_url),
        database_url=runner.database_url,
        project_dir=project_dir,
    )
