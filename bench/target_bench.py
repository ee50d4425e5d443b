"""`make bench` for target-postgres: ours vs pipelinewise, meltanolabs and raw COPY, one table.

Usage: python bench/target_bench.py [--quick] [--runs 3]
Peers are installed into their own venvs under .bench/ (never into the project's env).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
import venv
from pathlib import Path

import psycopg2
from psycopg2 import sql

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_input

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".bench"
OURS = Path(sys.executable).parent / "target-postgres"
PEERS = {
    "pipelinewise 2.1.2": ("pipelinewise", "pipelinewise-target-postgres==2.1.2"),
    "meltanolabs": ("meltanolabs", "meltanolabs-target-postgres"),
}
COLUMN_TYPES = {"integer": "bigint", "number": "numeric", "boolean": "boolean", "string": "text"}
FORMATS = {"date-time": "timestamptz", "date": "date"}


@dataclasses.dataclass(frozen=True)
class Case:
    """One input: its size, share of repeated keys and number of interleaved streams."""

    name: str
    records: int
    repeat: float = 0.0
    streams: int = 1


@dataclasses.dataclass
class Result:
    """Measurements of one loader on one case."""

    seconds: list[float] = dataclasses.field(default_factory=list)
    rss_mb: float = 0.0
    verified: str = ""
    note: str = ""


def database_url() -> str:
    """BIZOPS_DATABASE_URL, or an embedded PostgreSQL under .bench/pg."""
    if os.environ.get("BIZOPS_DATABASE_URL"):
        return os.environ["BIZOPS_DATABASE_URL"]
    from bizops.warehouse import embedded_url

    return embedded_url(WORK / "pg")


def install_peer(folder: str, requirement: str) -> tuple[Path | None, str]:
    """The peer's target-postgres executable, installed on first use; or None and why not."""
    env = WORK / f"venv-{folder}"
    exe = env / "bin" / "target-postgres"
    if exe.exists():
        return exe, ""
    venv.create(env, with_pip=True)
    pip = [str(env / "bin" / "pip"), "install", "--quiet", requirement]
    done = subprocess.run(pip, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
    if done.returncode != 0 or not exe.exists():
        return None, f"pip install {requirement} failed: {done.stderr.strip()[-300:]}"
    return exe, ""


def generate(case: Case) -> tuple[Path, dict[str, dict[int, int]]]:
    """Write the case's Singer input; returns it and the latest seq of every key per stream."""
    path = WORK / "data" / f"{case.name.replace(' ', '_').replace('%', 'pct')}.singer"
    path.parent.mkdir(parents=True, exist_ok=True)
    latest: dict[str, dict[int, int]] = {}
    with path.open("w") as out:
        for message in bench_input.messages(case.records, case.repeat, case.streams, 10_000):
            if message["type"] == "RECORD":
                body = message["record"]
                latest.setdefault(message["stream"], {})[body["id"]] = body["seq"]
            out.write(json.dumps(message) + "\n")
    return path, latest


def write_csv(case: Case, latest: dict[str, dict[int, int]]) -> dict[str, Path]:
    """CSV files (one per stream) of the rows a merge leaves: the latest version of each key."""
    files = {stream: WORK / "data" / f"{stream}.csv" for stream in latest}
    outs = {stream: path.open("w") for stream, path in files.items()}
    for message in bench_input.messages(case.records, case.repeat, case.streams, 10_000):
        if message["type"] == "RECORD":
            body, stream = message["record"], message["stream"]
            if latest[stream][body["id"]] == body["seq"]:
                outs[stream].write(",".join(_csv(body.get(p)) for p in bench_input.PROPERTIES))
                outs[stream].write("\n")
    for out in outs.values():
        out.close()
    return files


def _csv(value: object) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value)
    if isinstance(value, bool):
        text = "true" if value else "false"
    return '"' + text.replace('"', '""') + '"'


def _column(schema: dict) -> str:
    kinds = [k for k in ([schema["type"]] if isinstance(schema["type"], str) else schema["type"])]
    kind = next(k for k in kinds if k != "null")
    if kind in ("object", "array"):
        return "jsonb"
    return FORMATS.get(schema.get("format", ""), COLUMN_TYPES[kind])


def run_raw_copy(url: str, schema: str, files: dict[str, Path]) -> tuple[float, float]:
    """COPY FROM STDIN through psql into equivalent tables; returns (seconds, peak RSS MB)."""
    columns = ", ".join(f'"{p}" {_column(s)}' for p, s in bench_input.PROPERTIES.items())
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        for stream in files:
            cur.execute(f'CREATE TABLE "{schema}"."{stream}" ({columns}, PRIMARY KEY (id))')
    total, rss = 0.0, 0.0
    for stream, path in files.items():
        copy = f'COPY "{schema}"."{stream}" FROM STDIN WITH (FORMAT csv)'
        seconds, peak = timed(["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-c", copy], path)
        total, rss = total + seconds, max(rss, peak)
    return total, rss


def timed(command: list[str], stdin: Path) -> tuple[float, float]:
    """Run a command with ``stdin`` from a file; returns (seconds, peak RSS MB) or raises."""
    log = WORK / "last-run.log"
    with stdin.open("rb") as source, log.open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(  # noqa: S603 - the bench's own loader commands
            command, stdin=source, stdout=subprocess.DEVNULL, stderr=err
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"{command[0]} exited {proc.returncode}: {' | '.join(tail)}")
    return seconds, usage.ru_maxrss / 1024


def loader_config(name: str, url: str, schema: str) -> dict:
    """The config each loader needs to load into ``schema`` of the bench database."""
    if name == "ours":
        return {"database_url": url, "default_target_schema": schema}
    params = psycopg2.extensions.parse_dsn(url)
    if name.startswith("pipelinewise"):
        keys = {"host": params.get("host", ""), "port": int(params.get("port", 5432))}
        keys |= {"user": params.get("user", ""), "password": params.get("password") or "unused"}
        return keys | {"dbname": params.get("dbname", ""), "default_target_schema": schema}
    sa_url = url.replace("postgresql://", "postgresql+psycopg://", 1).replace(":@", "@", 1)
    return {"sqlalchemy_url": sa_url, "default_target_schema": schema, "use_copy": True}


def verify(url: str, schema: str, latest: dict[str, dict[int, int]]) -> str:
    """'ok' when every table holds exactly the latest version of every key; else what differs."""
    problems = []
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        for stream, keys in latest.items():
            table = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(stream))
            cur.execute(sql.SQL("SELECT count(*), sum(seq::bigint) FROM {}").format(table))
            count, total = cur.fetchone()
            if (count, int(total or 0)) != (len(keys), sum(keys.values())):
                problems.append(f"{stream}: {count} rows, sum(seq) {total}")
            query = sql.SQL("SELECT count(*) FROM {} WHERE note LIKE %s").format(table)
            cur.execute(query, ("%\n%",))
            if cur.fetchone()[0] != sum(1 for seq in keys.values() if seq % 11 == 0):
                problems.append(f"{stream}: newlines in 'note' not kept")
    conn.close()
    return "; ".join(problems) or "ok"


def fresh_schema(url: str, name: str) -> str:
    """Drop and create a schema for one run."""
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        cur.execute(f'CREATE SCHEMA "{name}"')
    conn.close()
    return name


def measure(name: str, exe: Path, case_input: Path, url: str, latest: dict, runs: int) -> Result:
    """Run one loader ``runs`` times into fresh schemas."""
    result = Result()
    config = WORK / "config.json"
    for run in range(runs):
        schema = fresh_schema(url, f"bench_{name.split()[0]}")
        config.write_text(json.dumps(loader_config(name, url, schema)))
        try:
            seconds, rss = timed([str(exe), "--config", str(config)], case_input)
        except RuntimeError as exc:
            result.note = str(exc)
            return result
        result.seconds.append(seconds)
        result.rss_mb = max(result.rss_mb, rss)
        if run == 0:
            result.verified = verify(url, schema, latest)
    return result


def bench_case(case: Case, url: str, peers: dict, runs: int, peer_runs: int) -> list[tuple]:
    """Every loader on one case; rows of the table."""
    path, latest = generate(case)
    files = write_csv(case, latest)
    raw = Result(verified="ok")
    for _ in range(runs):
        seconds, rss = run_raw_copy(url, fresh_schema(url, "bench_raw"), files)
        raw.seconds.append(seconds)
        raw.rss_mb = max(raw.rss_mb, rss)
    results = {"raw COPY (psql, CSV)": raw}
    results["ours"] = measure("ours", OURS, path, url, latest, runs)
    for name, (exe, why) in peers.items():
        if exe is None:
            results[name] = Result(note=why)
        elif case.records > 200_000:
            results[name] = Result(note="not run at 1M: ~4-15 min per run (see the 100k rows)")
        else:
            results[name] = measure(name, exe, path, url, latest, peer_runs)
    base = case.records / statistics.median(raw.seconds)
    rows = []
    for name, result in results.items():
        if not result.seconds:
            rows.append((case.name, name, "-", "-", "-", result.note))
            continue
        speed = case.records / statistics.median(result.seconds)
        rows.append(
            (
                case.name,
                f"{name} (n={len(result.seconds)})",
                f"{speed:,.0f}",
                f"{speed / base:.2f}",
                f"{result.rss_mb:.0f}",
                result.verified,
            )
        )
    return rows


def main() -> None:
    """Parse options, prepare peers and database, run the cases, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100k keyed only, 1 run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peer-runs", type=int, default=3)
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    runs, peer_runs = (1, 1) if args.quick else (args.runs, args.peer_runs)
    cases = [Case("100k keyed", 100_000)]
    if not args.quick:
        cases += [
            Case("100k 20% repeated keys", 100_000, repeat=0.2),
            Case("100k 4 streams", 100_000, streams=4),
            Case("1M keyed", 1_000_000),
        ]
    peers = {} if args.no_peers else {n: install_peer(*spec) for n, spec in PEERS.items()}
    url = database_url()
    rows = [("case", "loader", "rows/s", "x raw COPY", "peak RSS MB", "verified")]
    for case in cases:
        rows += bench_case(case, url, peers, runs, peer_runs)
        sys.stderr.write(f"done: {case.name}\n")
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        cells = " | ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        sys.stdout.write(f"| {cells} |\n")
        if index == 0:
            sys.stdout.write("|" + "|".join("-" * (w + 2) for w in widths) + "|\n")


if __name__ == "__main__":
    main()
