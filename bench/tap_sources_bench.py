"""`make bench` for tap-hubspot, tap-marketo and tap-zendesk: records/s against their emulators.

Usage: ``.venv/bin/python bench/tap_sources_bench.py [--size medium|large] [--taps marketo,...]``
Each emulator runs in its own process (this script with ``--serve``) over the seeded world, with
the vendor rate limits lifted so that the figure is the tap and the paging, not a throttle; a
warm-up request builds the emulator's views before the clock starts. The goal of issue 14 is
10,000 records/s for the bulk paths (Marketo bulk extract, Zendesk incremental export).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

BIN = Path(sys.executable).parent
TICKS = os.sysconf("SC_CLK_TCK")
GOAL = 10_000
START = "2020-01-01T00:00:00Z"
# The community taps of these sources, read for the record: none takes a base URL, so none can be
# pointed at a loopback emulator (their hosts are built into the code).
PEERS = {
    "hubspot": "singer-io tap-hubspot 4.5.0: not run, its BASE_URL is fixed to api.hubapi.com",
    "marketo": "singer-io tap-marketo 2.9.4: not run, it builds https://<domain>.mktorest.com",
    "zendesk": "singer-io tap-zendesk 2.8.2: not run, it builds https://<subdomain>.zendesk.com",
}
# Which part of each tap the goal is about, and whether the goal applies.
BULK = {"hubspot": None, "marketo": "bulk extract", "zendesk": "incremental export"}


@dataclass(frozen=True)
class Result:
    """One timed sync of one tap."""

    tap: str
    counts: dict[str, int]
    seconds: float
    tap_cpu: float
    emulator_cpu: float

    @property
    def records(self) -> int:
        """Every RECORD line of the run."""
        return sum(self.counts.values())


def serve(source: str, size: str) -> None:
    """Child mode: build the world, serve the source's emulator with limits lifted, print URL."""
    import threading

    from bizops_sandbox.server import serve as serve_app
    from bizops_sandbox.world import World

    world = World.generate(seed=42, size=size)
    if source == "hubspot":
        from bizops_sandbox.hubspot import create_app as hubspot_app

        app: Any = hubspot_app(world, per_ten_seconds=10**9, search_per_second=10**9,
                               daily=10**9)  # fmt: skip
    elif source == "marketo":
        from bizops_sandbox.marketo import MarketoEmulator

        app = MarketoEmulator(world, daily_quota=10**9, rate_calls=10**9)
    else:
        from bizops_sandbox.zendesk import create_app as zendesk_app

        app = zendesk_app(world)
    server = serve_app(app)
    sys.stdout.write(server.url + "\n")
    sys.stdout.flush()
    threading.Event().wait()


def config_of(source: str, url: str) -> dict[str, Any]:
    """The tap's settings against the emulator (the sandbox's published fake credentials)."""
    if source == "hubspot":
        from bizops_sandbox.hubspot import PRIVATE_APP_TOKEN

        return {"base_url": url, "access_token": PRIVATE_APP_TOKEN, "start_date": START}
    if source == "marketo":
        from bizops_sandbox.marketo import CLIENT_ID, CLIENT_SECRET

        return {"base_url": url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                "start_date": START, "poll_interval": 0.01}  # fmt: skip
    from bizops_sandbox.zendesk import API_TOKEN, EMAIL

    return {"base_url": url, "email": EMAIL, "api_token": API_TOKEN, "start_date": START}


def warm_up(source: str, url: str) -> None:
    """One request that makes the emulator build its views of the world (not timed)."""
    if source == "zendesk":
        from bizops_sandbox.zendesk import API_TOKEN, EMAIL

        done = requests.get(f"{url}/api/v2/incremental/organizations.json",
                            params={"start_time": 0}, auth=(f"{EMAIL}/token", API_TOKEN),
                            timeout=600)  # fmt: skip
        done.raise_for_status()
    elif source == "hubspot":
        from bizops_sandbox.hubspot import PRIVATE_APP_TOKEN

        headers = {"Authorization": f"Bearer {PRIVATE_APP_TOKEN}"}
        for obj in ("companies", "contacts", "deals", "calls", "emails", "meetings", "notes"):
            done = requests.get(f"{url}/crm/v3/objects/{obj}", params={"limit": 1},
                                headers=headers, timeout=600)  # fmt: skip
            done.raise_for_status()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process (/proc/<pid>/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def start_emulator(source: str, size: str) -> tuple[subprocess.Popen[str], str]:
    """This script in serve mode; returns the process and its URL (its first stdout line)."""
    command = [sys.executable, __file__, "--serve", source, "--size", size]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603 - ours
    url = process.stdout.readline().strip() if process.stdout else ""
    if not url:
        raise SystemExit(f"the {source} emulator did not start")
    return process, url


def run_tap(source: str, url: str, emulator_pid: int, workdir: Path) -> Result:
    """One full sync from the start date; RECORD lines counted per stream while timing it."""
    path = workdir / f"{source}.json"
    path.write_text(json.dumps(config_of(source, url)), encoding="utf-8")
    emulator_before, started = cpu_seconds(emulator_pid), time.perf_counter()
    tap = subprocess.Popen([str(BIN / f"tap-{source}"), "--config", str(path)],  # noqa: S603
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    counts: dict[str, int] = {}
    for line in tap.stdout or ():
        if line.startswith(b'{"type":"RECORD"'):
            # The stream name follows the type: no need to parse the whole record.
            stream = line[27 : line.index(b'"', 27)].decode()
            counts[stream] = counts.get(stream, 0) + 1
    stderr = tap.stderr.read() if tap.stderr else b""
    _, status, usage = os.wait4(tap.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"tap-{source} failed with status {status}: {stderr.decode()[-800:]}")
    return Result(source, counts, seconds, usage.ru_utime + usage.ru_stime,
                  cpu_seconds(emulator_pid) - emulator_before)  # fmt: skip


def bench(source: str, size: str) -> Result:
    """Start the emulator, warm it, time one sync, stop it."""
    sys.stderr.write(f"generating the {size} world and starting the {source} emulator...\n")
    emulator, url = start_emulator(source, size)
    try:
        warm_up(source, url)
        with tempfile.TemporaryDirectory() as tmp:
            return run_tap(source, url, emulator.pid, Path(tmp))
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)


def table(results: list[Result], size: str) -> list[str]:
    """The report: one row per tap, its streams, the goal's verdict and the peers' note."""
    load = os.getloadavg()[0]
    lines = [f"tap-hubspot / tap-marketo / tap-zendesk against the {size} world "
             f"({os.cpu_count()} CPUs, load average {load:.2f} at the end)",
             "| tap | records | wall s | records/s | tap CPU s | emulator CPU s | goal |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in results:
        rate = r.records / r.seconds
        part = BULK[r.tap]
        goal = "-" if part is None else (
            f"{part} {'meets' if rate >= GOAL else 'misses'} {GOAL:,}/s")  # fmt: skip
        lines.append(f"| tap-{r.tap} (ours) | {r.records:,} | {r.seconds:.1f} | {rate:,.0f} | "
                     f"{r.tap_cpu:.1f} | {r.emulator_cpu:.1f} | {goal} |")  # fmt: skip
        lines.append(f"| {PEERS[r.tap]} | - | - | - | - | - | - |")
    for r in results:
        streams = ", ".join(f"{name} {n:,}" for name, n in sorted(r.counts.items()))
        lines.append(f"tap-{r.tap} streams: {streams}")
    return lines


def main() -> int:
    """Parse options; serve (child mode) or bench the taps and print one table on stdout."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="medium", choices=("small", "medium", "large"))
    parser.add_argument("--taps", default="hubspot,marketo,zendesk")
    parser.add_argument("--serve", choices=tuple(PEERS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.size)
        return 0
    results = [bench(source, args.size) for source in args.taps.split(",")]
    sys.stdout.write("\n".join(table(results, args.size)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
