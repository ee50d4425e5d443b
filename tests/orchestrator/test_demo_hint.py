"""The demo's closing psql hint names real tables: run as printed, it lists loaded accounts, and
it never prints the warehouse password."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bizops.demo import EXPLORE_QUERY, DemoReport, psql_hint
from bizops_sandbox.world import World

BIZOPS = str(Path(sys.executable).parent / "bizops")
HINT = "explore it:  "


def test_the_psql_hint_runs_as_printed_and_lists_accounts(tmp_path: Path, warehouse_url) -> None:
    env = {**os.environ, "BIZOPS_DATABASE_URL": warehouse_url}
    demo = subprocess.run(
        [BIZOPS, "demo", "--project-dir", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    hints = [line for line in demo.stdout.splitlines() if line.startswith(HINT)]
    assert len(hints) == 1, demo.stdout
    command = hints[0].removeprefix(HINT)
    assert command.startswith('psql "$BIZOPS_DATABASE_URL" -c ')
    done = subprocess.run(
        ["/bin/sh", "-c", command + " --no-align --tuples-only --field-separator '|'"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = [line.split("|") for line in done.stdout.splitlines()]
    assert len(rows) == 5
    world = World.generate(seed=42, size="small")
    world.mutate_sources()  # as the demo does between its two runs
    accounts = {(r["Name"], r["Status"]) for r in world.records("Account")}
    assert {(name, status) for name, status, _ in rows} <= accounts, rows


def test_the_hint_names_the_variable_instead_of_printing_its_password() -> None:
    url = "postgresql://bizops:pw-SEKRIT@db.example.com:5432/analytics"
    query = "'" + EXPLORE_QUERY + "'"
    assert psql_hint(url, {"BIZOPS_DATABASE_URL": url}) == f'psql "$BIZOPS_DATABASE_URL" -c {query}'
    embedded = "postgresql://postgres:@/postgres?host=/srv/p/.bizops/pg"
    assert psql_hint(embedded, {}) == f"psql '{embedded}' -c {query}"


def test_the_demo_says_how_to_start_the_dashboards(tmp_path: Path) -> None:
    report = DemoReport([], (0, 0, 0), "postgresql://postgres@/postgres?host=/x", tmp_path)
    lines = [line for line in report.render().splitlines() if line.startswith("dashboards:")]
    assert lines == [
        "dashboards:  BIZOPS_SUPERSET_ADMIN_PASSWORD=<choose one> bizops dashboards up -p "
        f"{tmp_path}  (Superset; the first run installs it, minutes)"
    ]
