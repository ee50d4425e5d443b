"""``bizops demo``: the whole platform on the sandbox — emulators, taps, target, warehouse."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql

from bizops.project import load
from bizops.runner import Runner, RunResult
from bizops.transform import transform
from bizops.warehouse import ENV_VAR
from bizops_core.redact import mask_connection_strings

SANDBOX_SECRET = "sandbox-client-secret"  # noqa: S105 - the emulators' published fake secret


@dataclass(frozen=True)
class Source:
    """One sandbox source of the demo: its pipeline, warehouse schema and secret variable."""

    name: str
    pipeline: str
    schema: str
    secret_env: str
    # The emulator's published fake secret, set in ``secret_env`` when the user set none.
    sandbox_secret: str = SANDBOX_SECRET
    # Whether the world's mutation answer names this source's streams, so the demo can show
    # what changed per stream (the newer sources' streams are the APIs' objects, not the world's).
    changes_by_stream: bool = False


SOURCES = (
    Source("zuora", "zuora-to-postgres", "zuora", "ZUORA_CLIENT_SECRET", changes_by_stream=True),
    Source("salesforce", "salesforce-to-postgres", "salesforce", "SALESFORCE_CLIENT_SECRET",
           changes_by_stream=True),
    Source("hubspot", "hubspot-to-postgres", "hubspot", "HUBSPOT_ACCESS_TOKEN",
           "pat-na1-sandbox-private-app-token"),
    Source("marketo", "marketo-to-postgres", "marketo", "MARKETO_CLIENT_SECRET"),
    Source("zendesk", "zendesk-to-postgres", "zendesk", "ZENDESK_API_TOKEN",
           "sandbox-zendesk-api-token"),
)  # fmt: skip
PROJECT_TEMPLATE = """\
# Written by `bizops demo`: the taps read the local emulators, target-postgres loads the
# embedded warehouse (.bizops/pg). Secrets come from the environment, never this file.
version: 1
project_id: bizops-demo
taps:
  tap-zuora:
    config:
      base_url: {zuora_url}
      client_id: sandbox-client-id
      client_secret: ${{ZUORA_CLIENT_SECRET}}
      start_date: "2021-01-01T00:00:00Z"
      # AQuA: stateful exports that also return deleted records.
      api_type: AQUA
      partner_id: bizops-demo
      # The emulators finish jobs after a fixed number of status checks, so the sandbox needs
      # no real wait between them; against the vendors keep the defaults (10 s).
      poll_interval: 0.01
      # The sandbox world is small: one export job per object covers all of it.
      window_days: 3660
  tap-salesforce:
    config:
      login_url: {salesforce_url}
      client_id: sandbox-client-id
      client_secret: ${{SALESFORCE_CLIENT_SECRET}}
      start_date: "2021-01-01T00:00:00Z"
      api_type: BULK2
      poll_interval: 0.01
  tap-hubspot:
    config:
      base_url: {hubspot_url}
      access_token: ${{HUBSPOT_ACCESS_TOKEN}}
      start_date: "2021-01-01T00:00:00Z"
  tap-marketo:
    config:
      base_url: {marketo_url}
      client_id: sandbox-client-id
      client_secret: ${{MARKETO_CLIENT_SECRET}}
      start_date: "2021-01-01T00:00:00Z"
      poll_interval: 0.01
  tap-zendesk:
    config:
      base_url: {zendesk_url}
      email: admin@bizops.example
      api_token: ${{ZENDESK_API_TOKEN}}
      start_date: "2021-01-01T00:00:00Z"
targets:
  target-postgres: {{}}
pipelines:
  - name: zuora-to-postgres
    tap: tap-zuora
    target: target-postgres
    target_config: {{default_target_schema: zuora}}
    schedule: "0 * * * *"
  - name: salesforce-to-postgres
    tap: tap-salesforce
    target: target-postgres
    target_config: {{default_target_schema: salesforce}}
    schedule: "*/15 * * * *"
    # after loading, build the analytic layer (bizops transform)
    transform: true
  - name: hubspot-to-postgres
    tap: tap-hubspot
    target: target-postgres
    target_config: {{default_target_schema: hubspot}}
    schedule: "0 * * * *"
  - name: marketo-to-postgres
    tap: tap-marketo
    target: target-postgres
    target_config: {{default_target_schema: marketo}}
    schedule: "0 * * * *"
  - name: zendesk-to-postgres
    tap: tap-zendesk
    target: target-postgres
    target_config: {{default_target_schema: zendesk}}
    schedule: "*/15 * * * *"
transform:
  vars:
    # the metrics are computed at the sandbox world's clock, not today's date
    metrics_as_of: "{as_of}"
"""
# The business answer the demo ends with (the quarters of the world's last year).
DEMO_METRICS = (
    "arr", "net_new_arr", "iacv", "win_rate_count", "cost_per_lead", "cac", "ltv_to_cac",
    "magic_number", "mql", "attributed_leads_w_shaped", "attributed_cac_w_shaped",
    "tickets_per_customer", "ticket_first_reply_time", "csat",
)  # fmt: skip
DEMO_QUARTERS = 4
# The tables' names are the streams' names lower-cased (target-postgres' identifiers).
EXPLORE_QUERY = "SELECT name, status, balance FROM zuora.account ORDER BY name LIMIT 5"
LINK_QUERY = """
SELECT count(*), count(z.crmid), count(s.id)
FROM zuora.account z LEFT JOIN salesforce.account s ON s.id = z.crmid
"""


@dataclass
class SourceReport:
    """One source's two runs, the world's changes between them, and its tables' row counts."""

    source: Source
    runs: tuple[RunResult, RunResult]
    mutation: dict[str, dict[str, list[str]]]
    table_counts: dict[str, int]

    def render(self) -> list[str]:
        """A table: one row per stream with both runs, the changes, and the rows now loaded."""
        first, second = self.runs
        streams = sorted(set(first.record_counts) | set(second.record_counts))
        width = max([len(s) for s in streams] + [len("stream")])
        lines = [
            f"{self.source.pipeline}: run 1 {first.status} in {first.seconds:.1f}s, "
            f"{sum(first.record_counts.values())} records; run 2 {second.status} in "
            f"{second.seconds:.1f}s, {sum(second.record_counts.values())} records",
            f"    {'stream':<{width}} {'run 1':>7} {'changed':>8} {'run 2':>7} {'rows':>7}",
        ]
        for stream in streams:
            change = self.mutation.get(stream, {})
            changed: int | str = len(
                {i for kind in ("created", "updated", "deleted") for i in change.get(kind, [])}
            )
            if not self.source.changes_by_stream:
                changed = "-"
            lines.append(
                f"    {stream:<{width}} {first.record_counts.get(stream, 0):>7} {changed:>8} "
                f"{second.record_counts.get(stream, 0):>7} "
                f"{self.table_counts.get(stream.lower(), 0):>7}"
            )
        rejected = self.table_counts.get("_bizops_rejects", 0)
        lines.append(
            f"    (rows: now in schema {self.source.schema}; rejected records: {rejected})"
        )
        return lines


@dataclass
class DemoReport:
    """What the demo did, ready to print."""

    sources: list[SourceReport]
    links: tuple[int, int, int]
    database_url: str
    project_dir: Path
    notes: list[str] = field(default_factory=list)
    metrics: str = ""  # the business table (bizops metrics)
    report: Path | None = None  # the HTML report (bizops report)

    def render(self) -> str:
        """A human summary of both sources and the cross-source check."""
        accounts, with_crm_id, matched = self.links
        lines = [
            f"BizOps demo (project: {self.project_dir})",
            "Each pipeline ran, the sandbox world changed (records created, updated, deleted),",
            "and each ran again, loading only the changes. Deleted records stay in their tables,",
            "flagged (zuora: _sdc_deleted_at, salesforce: isdeleted). 'changed' is shown for",
            "the sources whose streams the world's change list names (zuora, salesforce).",
            "",
        ]
        for source in self.sources:
            lines += [*source.render(), ""]
        lines += [
            f"one company across sources: {matched} of the {with_crm_id} Zuora accounts with a "
            f"CrmId match a Salesforce account ({accounts} Zuora accounts in all)",
            f"explore it:  {psql_hint(self.database_url)}",
            f"dashboards:  BIZOPS_SUPERSET_ADMIN_PASSWORD=<choose one> bizops dashboards up -p "
            f"{self.project_dir}  (Superset; the first run installs it, minutes)",
            *self.notes,
        ]
        if self.metrics:
            lines += [
                "",
                f"The business, by fiscal quarter (bizops metrics --period quarter --last "
                f"{DEMO_QUARTERS} -p {self.project_dir}):",
                self.metrics.rstrip("\n"),
            ]
        if self.report:
            lines += [
                "",
                f"The report, one offline HTML file with the department charts: {self.report}",
                f"(bizops report -p {self.project_dir} --out FILE writes it again; bizops digest "
                f"-p {self.project_dir} --dry-run shows the teams' Slack digest)",
            ]
        return "\n".join(lines)


def psql_hint(database_url: str, env: Mapping[str, str] | None = None) -> str:
    """A psql command querying the loaded tables. A warehouse given by ``BIZOPS_DATABASE_URL``
    is named by the variable, so its password is not printed; the embedded one has none, and any
    other shows its password masked."""
    env = os.environ if env is None else env
    if env.get(ENV_VAR) == database_url:
        target = '"$' + ENV_VAR + '"'
    else:
        target = shlex.quote(mask_connection_strings(database_url))
    return f"psql {target} -c {shlex.quote(EXPLORE_QUERY)}"


def _reset(runner: Runner) -> None:
    """Forget the previous demo's data and bookmarks so every demo starts the same way."""
    store = runner.store()
    try:
        with store.conn.cursor() as cur:
            for source in SOURCES:
                store.clear_state(source.pipeline)
                drop = sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE")
                cur.execute(drop.format(sql.Identifier(source.schema)))
    finally:
        store.close()


def _table_counts(cur: Any, schema: str) -> dict[str, int]:
    cur.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
    )
    counts = {}
    for (table,) in cur.fetchall():
        query = sql.SQL("SELECT count(*) FROM {}.{}")
        cur.execute(query.format(sql.Identifier(schema), sql.Identifier(table)))
        counts[table] = cur.fetchone()[0]
    return counts


def _warehouse_facts(database_url: str) -> tuple[dict[str, dict[str, int]], tuple[int, int, int]]:
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        counts = {source.schema: _table_counts(cur, source.schema) for source in SOURCES}
        cur.execute(LINK_QUERY)
        links = cur.fetchone()
    conn.close()
    return counts, links


def run_demo(project_dir: Path, seed: int = 42) -> DemoReport:
    """Start both emulators over one world, run each pipeline, mutate the world, run again."""
    from bizops_sandbox.server import serve
    from bizops_sandbox.world import World

    project_dir = Path(project_dir).resolve()
    project_dir.mkdir(parents=True, exist_ok=True)
    world = World.generate(seed=seed, size="small")
    servers = {name: serve(app) for name, app in _emulators(world).items()}
    as_of = world.now + timedelta(days=1)  # the clock after the mutation between the runs
    try:
        urls = {f"{name}_url": server.url for name, server in servers.items()}
        text = PROJECT_TEMPLATE.format(**urls, as_of=as_of.isoformat())
        (project_dir / "bizops.yml").write_text(text, encoding="utf-8")
        for source in SOURCES:
            os.environ.setdefault(source.secret_env, source.sandbox_secret)
        project = load(project_dir)
        runner = Runner(project)
        _reset(runner)
        first = [runner.run(source.pipeline) for source in SOURCES]
        mutation = world.mutate_sources(at=as_of)
        second = [runner.run(source.pipeline) for source in SOURCES]
    finally:
        for server in servers.values():
            server.stop()
    # the pipelines have `transform: true`: build once after both, as `bizops run --all` does
    transform(project, full_refresh=True)
    counts, links = _warehouse_facts(runner.database_url)
    reports = [
        SourceReport(source, (one, two), mutation.get(source.name, {}), counts[source.schema])
        for source, one, two in zip(SOURCES, first, second, strict=True)
    ]
    from bizops.report_html import write_report

    written = write_report(project, project_dir / "report.html")
    return DemoReport(
        reports, links, runner.database_url, project_dir, metrics=_metrics(runner.database_url),
        report=written.path,
    )  # fmt: skip


def _emulators(world: Any) -> dict[str, Any]:
    """The five emulators over one world, by source name."""
    from bizops_sandbox import hubspot, salesforce, zendesk, zuora
    from bizops_sandbox.marketo import MarketoEmulator

    return {
        "zuora": zuora.create_app(world), "salesforce": salesforce.create_app(world),
        "hubspot": hubspot.create_app(world),
        # Marketo's 100 calls per 20 s would make the demo wait minutes for its 31-day
        # bulk windows since 2021; the limit itself is tested with the tap.
        "marketo": MarketoEmulator(world, rate_calls=100_000),
        "zendesk": zendesk.create_app(world),
    }  # fmt: skip


def _metrics(database_url: str) -> str:
    """The demo's business table: its metrics by fiscal quarter, as `bizops metrics` shows."""
    from bizops import metric_catalog
    from bizops import metrics as lib

    shown, _ = lib.choose(
        [m for m in metric_catalog.load() if m.name in DEMO_METRICS], (), "quarter"
    )
    shown.sort(key=lambda m: DEMO_METRICS.index(m.name))
    values = lib.read(database_url, "public", shown, "quarter", DEMO_QUARTERS)
    return lib.table(shown, values)
