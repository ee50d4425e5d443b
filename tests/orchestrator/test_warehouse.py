"""``bizops warehouse status|stop`` and ``make clean`` stopping the embedded PostgreSQL first."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bizops.warehouse import embedded_status, embedded_url, find_embedded, stop_embedded
from tests.orchestrator.conftest import BIZOPS

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A folder for embedded servers outside the system temp dir, whose pytest-of-<user>
    folders another pytest session may prune while this one runs."""
    base = REPO / ".bizops"
    base.mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="scratch-", dir=base))
    folder.chmod(0o755)  # pgserver runs the server as the user "pgserver" under root
    yield folder
    for pgdata in find_embedded(folder):
        stop_embedded(pgdata)
    shutil.rmtree(folder, ignore_errors=True)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text()


def bizops(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BIZOPS_DATABASE_URL"}
    return subprocess.run(
        [BIZOPS, *args], capture_output=True, text=True, env=env, check=False, timeout=120
    )


def dry_run_state(project: Path) -> object:
    """``state_in`` of ``bizops run --dry-run`` of a one-pipeline project in ``project``."""
    (project / "bizops.yml").write_text(
        "version: 1\ntaps:\n  t:\n    command: /bin/true\ntargets:\n  target-postgres: {}\n"
        "pipelines:\n  - {name: p, tap: t, target: target-postgres}\n"
    )
    done = bizops("run", "--dry-run", "p", "-p", str(project))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["state_in"]


def test_status_and_stop_of_the_project_embedded_warehouse(scratch: Path) -> None:
    pgdata = (scratch / ".bizops" / "pg").resolve()
    none = bizops("warehouse", "status", "-p", str(scratch))
    assert none.stdout == f"{pgdata}\tnone (created by the first command that needs it)\n"
    assert not pgdata.exists()  # status starts nothing
    url = embedded_url(pgdata)
    pid = embedded_status(pgdata).pid
    assert pid is not None and alive(pid)
    running = bizops("warehouse", "status", "-p", str(scratch))
    assert running.stdout == f"{pgdata}\trunning\tpid {pid}\t{url}\n"
    assert dry_run_state(scratch) is None  # read from the running server
    stopped = bizops("warehouse", "stop", "-p", str(scratch))
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout == f"{pgdata}\tstopped\n"
    assert not alive(pid)
    assert bizops("warehouse", "status", "-p", str(scratch)).stdout == f"{pgdata}\tstopped\n"
    # A dry run reads a running embedded warehouse, and starts no stopped one.
    unknown = "unknown: the embedded warehouse is not running (not started)"
    assert dry_run_state(scratch) == unknown
    assert embedded_status(pgdata).pid is None
    again = bizops("warehouse", "stop", "-p", str(scratch))
    assert (again.returncode, again.stdout) == (0, f"{pgdata}\twas not running\n")


@pytest.mark.parametrize("with_venv", [True, False], ids=["bizops", "no-venv"])
def test_make_clean_stops_every_embedded_warehouse_before_deleting_it(
    scratch: Path, with_venv: bool
) -> None:
    servers = [scratch / ".bizops" / "pg", scratch / ".bizops" / "demo" / ".bizops" / "pg"]
    pids = []
    for pgdata in servers:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        embedded_url(pgdata)
        pids.append(embedded_status(pgdata).pid)
    if with_venv:  # a venv whose bizops is this one (rm -rf removes the link, not its target)
        (scratch / ".venv" / "bin").mkdir(parents=True)
        (scratch / ".venv" / "bin" / "bizops").symlink_to(BIZOPS)
    started = time.monotonic()
    done = subprocess.run(
        ["make", "-f", str(REPO / "Makefile"), "clean"],
        cwd=scratch,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 60
    assert [alive(pid) for pid in pids] == [False, False]
    assert not (scratch / ".bizops").exists()
    assert sorted(line.split("\t")[1] for line in done.stdout.splitlines() if "\t" in line) == [
        "stopped",
        "stopped",
    ]
