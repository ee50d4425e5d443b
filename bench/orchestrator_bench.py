"""Orchestrator bench: bizops run vs a bare shell pipe, `bizops --help` cold start, no-op run."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg2

BIN = Path(sys.executable).parent
RECORDS = 200_000
REPEATS = 3
ZUORA_TAP = {
    "client_id": "sandbox-client-id",
    "client_secret": "sandbox-client-secret",  # the emulator's published fake secret
    "start_date": "2020-01-01T00:00:00Z",
    "api_type": "AQUA",
    "objects": ["Payment", "RatePlanCharge"],  # ~146k + ~63k records in the large world
    "poll_interval": 0.01,
    "window_days": 3660,
}


def timed(func: Callable[[], object]) -> float:
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def median_of(func: Callable[[], object], repeats: int = REPEATS) -> float:
    return statistics.median(timed(func) for _ in range(repeats))


def warehouse() -> str:
    if os.environ.get("BIZOPS_DATABASE_URL"):
        return os.environ["BIZOPS_DATABASE_URL"]
    from bizops.warehouse import embedded_url

    return embedded_url(Path(".bizops") / "bench-pg")


def drop_schema(url: str, schema: str) -> None:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        cur.execute("SELECT to_regclass('bizops.pipeline_state')")
        if cur.fetchone()[0] is not None:
            cur.execute("DELETE FROM bizops.pipeline_state WHERE pipeline LIKE 'bench%'")
            cur.execute("DELETE FROM bizops.target_state WHERE state_id LIKE 'bench%'")
    conn.close()


def write_input(folder: Path) -> Path:
    """200k records over two streams, with a STATE every 10k."""
    path = folder / "input.singer"
    schema = {"properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
    with path.open("w") as out:
        for stream in ("a", "b"):
            out.write(json.dumps({"type": "SCHEMA", "stream": stream, "schema": schema,
                                  "key_properties": ["id"]}) + "\n")  # fmt: skip
        for i in range(RECORDS):
            stream = "ab"[i % 2]
            record = {"id": i, "name": f"name-{i}"}
            out.write(json.dumps({"type": "RECORD", "stream": stream, "record": record}) + "\n")
            if i % 10_000 == 9_999:
                out.write(json.dumps({"type": "STATE", "value": {"bookmarks": {"a": i}}}) + "\n")
    return path


def pipe_vs_bizops(url: str, folder: Path) -> tuple[float, float]:
    data = write_input(folder)
    tap = folder / "cat-tap"
    tap.write_text(f"#!/bin/sh\nexec cat {data}\n")
    tap.chmod(0o755)
    target_config = folder / "target.json"
    target_config.write_text(json.dumps({"database_url": url, "default_target_schema": "bench"}))
    (folder / "bizops.yml").write_text(
        f"version: 1\ntaps:\n  cat-tap:\n    command: {tap}\ntargets:\n  target-postgres:\n"
        "    config:\n      default_target_schema: bench\n"
        "pipelines:\n  - name: bench\n    tap: cat-tap\n    target: target-postgres\n"
    )
    target = BIN / "target-postgres"
    shell = f"{tap} --config /dev/null | {target} --config {target_config}"
    shell += f" >/dev/null 2>{folder}/pipe.log"  # bizops keeps stderr in its run log too
    env = {**os.environ, "BIZOPS_DATABASE_URL": url}
    bizops = [str(BIN / "bizops"), "run", "bench", "-p", str(folder), "--log-format", "plain"]
    pipe_times, bizops_times = [], []
    for _ in range(REPEATS):  # interleaved, so both see the same machine state
        drop_schema(url, "bench")
        pipe_times.append(timed(lambda: subprocess.run(shell, shell=True, check=True)))  # noqa: S602
        drop_schema(url, "bench")
        run = lambda: subprocess.run(bizops, env=env, check=True, capture_output=True)  # noqa: E731, S603
        bizops_times.append(timed(run))
    return statistics.median(pipe_times), statistics.median(bizops_times)


def real_tap_pair(url: str, folder: Path) -> tuple[float, float, int]:
    """The same comparison with a real tap: tap-zuora (AQuA) against the Zuora emulator (large
    world, in its own process), ~200k records; returns (pipe s, bizops s, records)."""
    emulator = subprocess.Popen(  # noqa: S603 - our own emulator
        [str(BIN / "bizops-sandbox"), "--log-level", "WARNING", "zuora", "--size", "large"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = emulator.stdout.readline().strip() if emulator.stdout else ""
        tap_config = {**ZUORA_TAP, "base_url": base_url}
        (folder / "tap.json").write_text(json.dumps(tap_config))
        target_config = {"database_url": url, "default_target_schema": "bench_zuora"}
        (folder / "target.json").write_text(json.dumps(target_config))
        project = {**tap_config, "client_secret": "${ZUORA_CLIENT_SECRET}"}
        settings = "".join(f"      {key}: {json.dumps(value)}\n" for key, value in project.items())
        (folder / "bizops.yml").write_text(
            f"version: 1\ntaps:\n  tap-zuora:\n    config:\n{settings}"
            "targets:\n  target-postgres:\n    config:\n      default_target_schema: bench_zuora\n"
            "pipelines:\n  - name: bench-zuora\n    tap: tap-zuora\n    target: target-postgres\n"
        )
        shell = f"{BIN / 'tap-zuora'} --config {folder / 'tap.json'} 2>{folder}/tap.log"
        shell += f" | {BIN / 'target-postgres'}"
        shell += f" --config {folder / 'target.json'} >/dev/null 2>{folder}/pipe.log"
        env = {**os.environ, "BIZOPS_DATABASE_URL": url}
        env["ZUORA_CLIENT_SECRET"] = ZUORA_TAP["client_secret"]
        bizops = [str(BIN / "bizops"), "run", "bench-zuora", "-p", str(folder)]
        bizops += ["--log-format", "plain"]
        pipe_times, bizops_times = [], []
        for _ in range(REPEATS):
            drop_schema(url, "bench_zuora")
            pipe_times.append(timed(lambda: subprocess.run(shell, shell=True, check=True)))  # noqa: S602
            drop_schema(url, "bench_zuora")
            run = lambda: subprocess.run(bizops, env=env, check=True, capture_output=True)  # noqa: E731, S603
            bizops_times.append(timed(run))
        conn = psycopg2.connect(url)
        with conn.cursor() as cur:
            cur.execute(
                "SELECT (SELECT count(*) FROM bench_zuora.payment)"
                " + (SELECT count(*) FROM bench_zuora.rateplancharge)"
            )
            records = cur.fetchone()[0]
        conn.close()
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
    return statistics.median(pipe_times), statistics.median(bizops_times), records


def help_cold_start() -> float:
    return median_of(
        lambda: subprocess.run([str(BIN / "bizops"), "--help"], capture_output=True, check=True),  # noqa: S603
        repeats=10,
    )


def noop_run(url: str, folder: Path) -> float:
    from bizops.demo import PROJECT_TEMPLATE, SOURCES
    from bizops_sandbox.server import serve
    from bizops_sandbox.world import World
    from bizops_sandbox.zuora import create_app

    server = serve(create_app(World.generate(seed=42, size="small")))
    try:
        # The demo's project (only its Zuora pipeline runs here: no emulator for the others).
        urls = {f"{source.name}_url": "http://127.0.0.1:9" for source in SOURCES}
        text = PROJECT_TEMPLATE.format(**{**urls, "zuora_url": server.url},
                                       as_of="2026-01-01T00:00:00+00:00")  # fmt: skip
        (folder / "bizops.yml").write_text(text)
        env = {**os.environ, "BIZOPS_DATABASE_URL": url}
        env |= {source.secret_env: source.sandbox_secret for source in SOURCES}
        cmd = [str(BIN / "bizops"), "run", "zuora-to-postgres", "-p", str(folder)]
        cmd += ["--log-format", "plain"]
        subprocess.run(cmd, env=env, check=True, capture_output=True)  # noqa: S603 - first load
        return median_of(lambda: subprocess.run(cmd, env=env, check=True, capture_output=True))  # noqa: S603
    finally:
        server.stop()


def main() -> None:
    url = warehouse()
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        pipe, bizops = pipe_vs_bizops(url, Path(a))
        with tempfile.TemporaryDirectory() as c:
            real_pipe, real_bizops, real_records = real_tap_pair(url, Path(c))
        help_s = help_cold_start()
        noop = noop_run(url, Path(b))
    rows = [
        ("cat (a recorded tap) | target-postgres, 200k", f"{pipe:.2f} s", ""),
        (
            "bizops run, 200k records",
            f"{bizops:.2f} s",
            f"{(bizops / pipe - 1) * 100:+.1f} % (<= 5 %)",
        ),
        (f"tap-zuora | target-postgres, {real_records:,} records", f"{real_pipe:.2f} s", ""),
        (
            "bizops run, same pair",
            f"{real_bizops:.2f} s",
            f"{(real_bizops / real_pipe - 1) * 100:+.1f} % (<= 5 %)",
        ),
        ("bizops --help cold start", f"{help_s:.3f} s", "(<= 0.3 s)"),
        ("bizops run, no new data (Zuora sandbox)", f"{noop:.2f} s", "(<= 2 s)"),
    ]
    sys.stdout.write(f"{'measure (median of 3; --help of 10)':<46} {'time':>9}  vs goal\n")
    for name, value, note in rows:
        sys.stdout.write(f"{name:<46} {value:>9}  {note}\n")


if __name__ == "__main__":
    main()
