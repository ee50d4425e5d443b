"""Benchmark: tap-zendesk records/s over Zendesk's incremental exports on a sandbox world.

Usage: ``.venv/bin/python bench/tap_zendesk_bench.py [small|medium|large]`` (default medium).
The emulator runs in its own process; its views of the world are built by a warm-up request
before the clock starts, so the figure is the tap and the export paging, not world generation.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from bizops_sandbox.zendesk import API_TOKEN, EMAIL

BIN = Path(sys.executable).parent
LOG = logging.getLogger("bench.tap_zendesk")
GOAL = 10_000  # records/s of the incremental exports (issue 14)


def start_emulator(size: str) -> tuple[subprocess.Popen[str], str]:
    """The Zendesk emulator in its own process; returns it and its URL."""
    command = [str(BIN / "bizops-sandbox"), "--log-level", "WARNING", "zendesk", "--size", size]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603 - ours
    if process.stdout is None:
        raise SystemExit("the emulator has no stdout")
    return process, process.stdout.readline().strip()


def count_records(config: Path) -> tuple[dict[str, int], float]:
    """Run the tap once; the RECORD count of each stream and the wall seconds."""
    started = time.perf_counter()
    done = subprocess.run([str(BIN / "tap-zendesk"), "--config", str(config)],  # noqa: S603
                          capture_output=True, check=False)  # fmt: skip
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"tap-zendesk failed: {done.stderr.decode()[-500:]}")
    counts: dict[str, int] = {}
    for line in done.stdout.splitlines():
        if line.startswith(b'{"type":"RECORD"'):
            stream = json.loads(line)["stream"]
            counts[stream] = counts.get(stream, 0) + 1
    return counts, seconds


def main(size: str = "medium") -> int:
    """Sync every stream once and print one table on stdout (the bench's report)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    LOG.info("generating the %s world and starting the Zendesk emulator...", size)
    emulator, url = start_emulator(size)
    try:
        warm = requests.get(f"{url}/api/v2/incremental/organizations.json",
                            params={"start_time": 0}, auth=(f"{EMAIL}/token", API_TOKEN),
                            timeout=600)  # fmt: skip
        warm.raise_for_status()
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "config.json"
            config.write_text(json.dumps({
                "base_url": url, "email": EMAIL, "api_token": API_TOKEN,
                "start_date": "2020-01-01T00:00:00Z",
            }))  # fmt: skip
            counts, seconds = count_records(config)
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
    total = sum(counts.values())
    lines = [f"tap-zendesk against the {size} world ({os.cpu_count()} CPUs)"]
    lines += [f"{stream:<22} {n:>10,}" for stream, n in sorted(counts.items())]
    rate = total / seconds
    lines.append(f"{'all streams':<22} {total:>10,} in {seconds:.1f} s: {rate:,.0f} records/s")
    verdict = "meets" if rate >= GOAL else "misses"
    lines.append(f"the incremental exports {verdict} the goal of {GOAL:,} records/s")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
