"""Benchmark: tap-salesforce records/s per mode on the large sandbox world, with emulator CPU."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent
TICKS = os.sysconf("SC_CLK_TCK")
LOG = logging.getLogger("bench.tap_salesforce")
GOAL = 10_000  # records/s the BULK2 mode should reach on this machine


@dataclass(frozen=True)
class Result:
    """One timed sync."""

    mode: str
    records: int
    seconds: float
    tap_cpu: float
    emulator_cpu: float

    @property
    def rate(self) -> float:
        """Records per second of wall time."""
        return self.records / self.seconds


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (fields 14 and 15 of /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def start_emulator(size: str) -> tuple[subprocess.Popen[str], str]:
    """The Salesforce emulator in its own process; returns it and its URL."""
    command = [str(BIN / "bizops-sandbox"), "--log-level", "WARNING", "salesforce",
               "--size", size, "--job-steps", "1"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603 - ours
    assert process.stdout is not None  # noqa: S101 - Popen with stdout=PIPE
    return process, process.stdout.readline().strip()


def run_tap(url: str, mode: str, emulator_pid: int, workdir: Path) -> Result:
    """Sync every stream once and count the RECORD lines while timing it."""
    config = workdir / f"config-{mode}.json"
    config.write_text(json.dumps({
        "login_url": url, "client_id": "sandbox-client-id",
        "client_secret": "sandbox-client-secret", "start_date": "2020-01-01T00:00:00Z",
        "api_type": mode, "poll_interval": 0.05,
    }))  # fmt: skip
    emulator_before, started = cpu_seconds(emulator_pid), time.perf_counter()
    tap = subprocess.Popen([str(BIN / "tap-salesforce"), "--config", str(config)],  # noqa: S603
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # fmt: skip
    assert tap.stdout is not None  # noqa: S101 - Popen with stdout=PIPE
    records, tail = 0, b""
    while chunk := tap.stdout.read(1 << 20):
        # Count whole lines only: a RECORD marker may straddle two chunks.
        head, _, tail = (tail + chunk).rpartition(b"\n")
        records += head.count(b'{"type":"RECORD"')
    records += tail.count(b'{"type":"RECORD"')
    _, status, usage = os.wait4(tap.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"tap-salesforce {mode} failed with status {status}")
    return Result(mode, records, seconds, usage.ru_utime + usage.ru_stime,
                  cpu_seconds(emulator_pid) - emulator_before)  # fmt: skip


def main(size: str = "large") -> int:
    """Run both modes and print one table on stdout (the bench's report)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    LOG.info("generating the %s world and starting the Salesforce emulator...", size)
    emulator, url = start_emulator(size)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            results = [run_tap(url, mode, emulator.pid, Path(tmp)) for mode in ("BULK2", "REST")]
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
    lines = [f"tap-salesforce against the {size} world ({os.cpu_count()} CPUs)",
             f"{'mode':<6} {'records':>9} {'seconds':>8} {'records/s':>10} {'tap CPU':>8} "
             f"{'emulator CPU':>13}"]  # fmt: skip
    for r in results:
        lines.append(
            f"{r.mode:<6} {r.records:>9,} {r.seconds:>8.1f} {r.rate:>10,.0f} "
            f"{r.tap_cpu / r.seconds:>8.0%} {r.emulator_cpu / r.seconds:>13.0%}"
        )
    bulk = next(r for r in results if r.mode == "BULK2")
    verdict = "meets" if bulk.rate >= GOAL else "misses"
    lines.append(f"BULK2 {verdict} the goal of {GOAL:,} records/s")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
