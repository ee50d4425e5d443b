"""Records/s of tap-zuora in each mode against the large world, with the emulator's CPU share."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent
TICKS = os.sysconf("SC_CLK_TCK")
# The largest objects of the world: most of its Zuora records.
OBJECTS = ["InvoiceItem", "Invoice", "Payment", "InvoicePayment", "RatePlanCharge"]


@dataclass
class Result:
    """One tap run: records, wall seconds, tap and emulator CPU seconds."""

    mode: str
    records: int
    wall: float
    tap_cpu: float
    emulator_cpu: float


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process (/proc/<pid>/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def start_emulator(size: str) -> tuple[subprocess.Popen[str], str]:
    """The Zuora emulator in its own process; returns it and its URL (first stdout line)."""
    command = [str(BIN / "bizops-sandbox"), "--log-level", "WARNING", "zuora", "--size", size]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603
    url = process.stdout.readline().strip() if process.stdout else ""
    if not url:
        raise SystemExit("the Zuora emulator did not start")
    return process, url


def run_tap(mode: str, url: str, objects: list[str], emulator_pid: int, workdir: Path) -> Result:
    """One full sync; stdout is read here and only RECORD lines counted."""
    config = {
        "base_url": url, "client_id": "sandbox-client-id",
        "client_secret": "sandbox-client-secret", "start_date": "2020-01-01T00:00:00Z",
        "api_type": mode, "objects": objects, "poll_interval": 0.05, "window_days": 3660,
    }  # fmt: skip
    path = workdir / f"{mode}.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    tap = shutil.which("tap-zuora", path=str(BIN)) or "tap-zuora"
    emulator_before, started = cpu_seconds(emulator_pid), time.perf_counter()
    process = subprocess.Popen(  # noqa: S603
        [tap, "--config", str(path)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    lines = process.stdout or ()
    records = sum(1 for line in lines if line.startswith(b'{"type":"RECORD"'))
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"tap-zuora {mode} failed with status {status}")
    emulator = cpu_seconds(emulator_pid) - emulator_before
    return Result(mode, records, wall, usage.ru_utime + usage.ru_stime, emulator)


def main() -> int:
    """Run the bench and write its table to stdout."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="large", help="world size (default: large)")
    parser.add_argument("--objects", default=",".join(OBJECTS), help="comma-separated objects")
    args = parser.parse_args()
    started = time.perf_counter()
    emulator, url = start_emulator(args.size)
    sys.stdout.write(
        f"emulator ({args.size} world) ready in {time.perf_counter() - started:.1f}s\n"
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            results = [
                run_tap(mode, url, args.objects.split(","), emulator.pid, Path(tmp))
                for mode in ("AQUA", "REST")
            ]
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
    sys.stdout.write(f"objects: {args.objects}\n")
    sys.stdout.write(
        "| mode | records | wall s | records/s | tap CPU s | emulator CPU s | emulator share |\n"
    )
    sys.stdout.write("|---|---|---|---|---|---|---|\n")
    for r in results:
        share = r.emulator_cpu / (r.emulator_cpu + r.tap_cpu)
        sys.stdout.write(
            f"| {r.mode} | {r.records} | {r.wall:.1f} | {r.records / r.wall:,.0f} | "
            f"{r.tap_cpu:.1f} | {r.emulator_cpu:.1f} | {share:.0%} |\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
