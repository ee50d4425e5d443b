"""Analytic-layer bench: a sandbox world loaded by both pipelines, then `bizops transform`
(full build), again with no new data, and `bizops metrics` latency, against the goals of
issue 11 (large world <= 60 s, no new data <= 10 s, metrics <= 1 s).

    python bench/transform_bench.py [--size large|medium|small] [--keep DIR | --reuse DIR]

--keep DIR writes the project into DIR and keeps the loaded warehouse schemas (the project
file names them); --reuse DIR skips generating and loading, and times the transforms of that
kept load again (its layers dropped and its transform state cleared first, so the first build
is a whole build from nothing). The load line then says "reused". To start from where a load
leaves the warehouse, --reuse also forgets the planner statistics of the raw tables (a
freshly loaded table has none until autovacuum analyzes it); that needs a superuser, as the
embedded warehouse's is.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bizops_sandbox.salesforce import create_app as salesforce_app
from bizops_sandbox.server import serve
from bizops_sandbox.world import World
from tests.transform.support import SECRETS, drop_layers, write_project

BIN = Path(sys.executable).parent
GOALS = {"transform (full build)": 60.0, "transform (no new data)": 10.0, "bizops metrics": 1.0}


def warehouse() -> str:
    if os.environ.get("BIZOPS_DATABASE_URL"):
        return os.environ["BIZOPS_DATABASE_URL"]
    from bizops.warehouse import embedded_url

    return embedded_url(Path(".bizops") / "bench-pg")


def run(env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    command = [str(BIN / "bizops"), *args]
    done = subprocess.run(command, env=env, capture_output=True, check=False)  # noqa: S603
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(
            f"bizops {' '.join(args)} failed ({done.returncode}):\n{done.stderr.decode()[-3000:]}"
        )
    return seconds


def raw_rows(url: str, prefix: str) -> int:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT coalesce(sum(n_live_tup), 0) FROM pg_stat_user_tables WHERE schemaname IN "
            "(%s, %s)",
            (f"{prefix}_zuora", f"{prefix}_sf"),
        )
        (rows,) = cur.fetchone()
    conn.close()
    return int(rows)


def drop_transformed(url: str, prefix: str) -> None:
    """Drop the transformed layers of a kept load (its raw schemas stay)."""
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        for layer in ("staging", "common", "metrics"):
            cur.execute(f'DROP SCHEMA IF EXISTS "{prefix}_{layer}" CASCADE')
    conn.close()


def forget_statistics(url: str, prefix: str) -> None:
    """Make the raw tables of a kept load look freshly loaded to the planner: no column
    statistics, no row-count estimate, never analyzed."""
    conn = psycopg2.connect(url)
    conn.autocommit = True
    raw = [f"{prefix}_zuora", f"{prefix}_sf"]
    tables = "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    with conn.cursor() as cur:
        cur.execute(f"{tables} WHERE n.nspname = ANY(%s)", (raw,))
        oids = [oid for (oid,) in cur.fetchall()]
        cur.execute("DELETE FROM pg_statistic WHERE starelid = ANY(%s::oid[])", (oids,))
        cur.execute("UPDATE pg_class SET reltuples = -1 WHERE oid = ANY(%s::oid[])", (oids,))
        cur.execute(
            "SELECT pg_stat_reset_single_table_counters(oid) FROM unnest(%s::oid[]) oid", (oids,)
        )
    conn.close()


def transforms(env: dict[str, str], project: list[str]) -> dict[str, float]:
    timings = {
        "transform (full build)": run(env, "transform", *project),
        "transform (no new data)": run(env, "transform", *project),
    }
    latency = [
        run(env, "metrics", "--period", "quarter", "--last", "4", *project) for _ in range(5)
    ]
    timings["bizops metrics"] = statistics.median(latency)
    return timings


def report(head: str, rows: int, timings: dict[str, float]) -> None:
    out = sys.stdout
    out.write(f"{head}; {rows:,} raw rows loaded\n")
    out.write(f"{'step':<28} {'seconds':>8} {'goal':>8}\n")
    for step, seconds in timings.items():
        goal = GOALS.get(step)
        mark = "" if goal is None else ("ok" if seconds <= goal else "OVER")
        bound = "" if goal is None else f"<= {goal:g}"
        out.write(f"{step:<28} {seconds:>8.2f} {bound:>8} {mark}\n")
    out.write(f"load average (1, 5, 15 min) at the end: {os.getloadavg()}\n")


def reuse(folder: Path) -> int:
    """Time the transforms of a load kept by --keep in ``folder``."""
    kept = json.loads((folder / "bench.json").read_text(encoding="utf-8"))
    url, prefix = kept["url"], kept["prefix"]
    env = {**os.environ, **SECRETS, "BIZOPS_DATABASE_URL": url, "BIZOPS_LOG_LEVEL": "WARNING"}
    project = ["-p", str(folder)]
    drop_transformed(url, prefix)
    forget_statistics(url, prefix)
    run(env, "state", "clear", "transform", *project)
    timings = transforms(env, project)
    report(f"world {kept['size']} (load reused, kept by --keep)", raw_rows(url, prefix), timings)
    return 0


def main() -> int:
    from bizops_sandbox.zuora import create_app as zuora_app

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="large", choices=["small", "medium", "large"])
    kept = parser.add_mutually_exclusive_group()
    kept.add_argument("--keep", type=Path, help="keep the load: project in this folder")
    kept.add_argument("--reuse", type=Path, help="time the transforms of a --keep folder")
    args = parser.parse_args()
    if args.reuse:
        return reuse(args.reuse)
    url = warehouse()
    started = time.perf_counter()
    world = World.generate(seed=42, size=args.size)
    generated = time.perf_counter() - started
    zuora, salesforce = serve(zuora_app(world)), serve(salesforce_app(world))
    prefix = f"bench_{uuid.uuid4().hex[:6]}"
    env = {**os.environ, **SECRETS, "BIZOPS_DATABASE_URL": url, "BIZOPS_LOG_LEVEL": "WARNING"}
    timings: dict[str, float] = {}
    try:
        with contextlib.ExitStack() as stack:
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                folder = str(args.keep.resolve())
            else:
                folder = stack.enter_context(tempfile.TemporaryDirectory())
            vars_ = {"metrics_as_of": world.now.isoformat()}
            write_project(Path(folder), prefix, zuora.url, salesforce.url,
                          {"schema": prefix, "vars": vars_})  # fmt: skip
            project = ["-p", folder]
            timings["load (bizops run --all)"] = run(env, "run", "--all", *project)
            if args.keep:
                kept = {"url": url, "prefix": prefix, "size": args.size}
                (args.keep / "bench.json").write_text(json.dumps(kept), encoding="utf-8")
            timings.update(transforms(env, project))
            rows = raw_rows(url, prefix)
    finally:
        zuora.stop()
        salesforce.stop()
        if not args.keep:
            drop_layers(url, prefix)
    head = f"world {args.size}: {world.count():,} records generated in {generated:.1f} s"
    report(head, rows, timings)
    if args.keep:
        sys.stdout.write(f"kept: schemas {prefix}_*, project {args.keep}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
