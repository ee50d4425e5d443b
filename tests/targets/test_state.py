"""A STATE reaches stdout only after every record that arrived before it is committed."""

from __future__ import annotations

import fcntl
import json
import queue
import re
import signal
import struct
import subprocess
import termios
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from tests.targets.conftest import DATA, TARGET, RunTarget, select, state_lines

TIMEOUT = 30


class PipedTarget:
    """The target with its stdin and stdout on pipes; stdout lines are read by a thread."""

    def __init__(self, config: Path, stderr: IO[bytes]) -> None:
        self.proc = subprocess.Popen(
            [str(TARGET), "--config", str(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
        self.lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def send(self, lines: list[str]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("".join(line + "\n" for line in lines).encode())
        self.proc.stdin.flush()

    def next_state(self) -> Any:
        return json.loads(self.lines.get(timeout=TIMEOUT))

    def wait_until_read(self) -> None:
        """Until the target handles SIGTERM (its handler is installed) and has read everything
        sent (its stdin pipe is empty), then a moment to take in what it read. A fixed sleep
        was not enough on a loaded machine: SIGTERM came before the handler and killed it."""
        assert self.proc.stdin is not None
        deadline = time.monotonic() + TIMEOUT
        term = 1 << (signal.SIGTERM - 1)
        while time.monotonic() < deadline:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
            caught = int(re.search(r"SigCgt:\s*([0-9a-f]+)", status).group(1), 16)
            raw = fcntl.ioctl(self.proc.stdin.fileno(), termios.FIONREAD, b"\0" * 4)
            if caught & term and struct.unpack("i", raw)[0] == 0:
                time.sleep(0.3)
                return
            time.sleep(0.02)
        raise AssertionError("the target did not read its input")

    def close(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        return self.proc.wait(timeout=TIMEOUT)


def segments(path: Path) -> list[list[str]]:
    """The file's lines cut after every STATE line."""
    result: list[list[str]] = [[]]
    for line in path.read_text().splitlines():
        result[-1].append(line)
        if json.loads(line)["type"] == "STATE":
            result.append([])
    return [segment for segment in result if segment]


def test_each_state_follows_the_commit_of_its_records(
    make_config, db, db_schema: str, tmp_path: Path
) -> None:
    orders: dict[int, Decimal] = {}
    clicks: list[str] = []
    with (tmp_path / "stderr.log").open("wb") as stderr:
        target = PipedTarget(make_config(), stderr)
        for segment in segments(DATA / "state_steps.singer"):
            target.send(segment)
            for message in map(json.loads, segment):
                if message["type"] == "RECORD" and message["stream"] == "orders":
                    orders[message["record"]["id"]] = Decimal(str(message["record"]["total"]))
                elif message["type"] == "RECORD":
                    clicks.append(message["record"]["url"])
            state = target.next_state()
            # the state is on stdout: the rows sent before it must already be visible to others
            assert state == json.loads(segment[-1])["value"]
            assert select(db, f'SELECT id, total FROM "{db_schema}".orders ORDER BY id') == sorted(
                orders.items()
            )
            assert select(db, f'SELECT url FROM "{db_schema}".clicks ORDER BY url') == [
                (url,) for url in sorted(clicks)
            ]
        assert target.close() == 0
    assert target.lines.empty()


def test_a_full_batch_commits_without_writing_a_state(
    make_config, db, db_schema: str, tmp_path: Path
) -> None:
    lines = (DATA / "batch_boundary.singer").read_text().splitlines()
    with (tmp_path / "stderr.log").open("wb") as stderr:
        target = PipedTarget(make_config(batch_size_rows=2), stderr)
        target.send(lines[:3])  # SCHEMA and two records: the batch is full
        deadline = time.monotonic() + TIMEOUT
        while _count(db, db_schema) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _count(db, db_schema) == 2
        assert target.lines.empty()  # no STATE was pending, so none is written
        target.send(lines[3:])
        assert target.close() == 0
        assert target.next_state() == {"step": "last"}
    assert target.lines.empty()


def test_last_state_is_written_when_input_ends_on_a_batch_boundary(
    run_target: RunTarget,
) -> None:
    result = run_target(DATA / "batch_boundary.singer", batch_size_rows=2)
    assert result.returncode == 0, result.stderr
    assert state_lines(result.stdout) == [{"step": "last"}]


def test_records_after_the_last_state_are_loaded_at_end_of_input(
    run_target: RunTarget, db, db_schema: str
) -> None:
    result = run_target(DATA / "upserts.singer")
    assert result.returncode == 0, result.stderr
    assert select(db, f'SELECT count(*) FROM "{db_schema}".events') == [(3,)]


def _count(db, schema: str) -> int:
    rows = select(
        db,
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s "
        "AND table_name = 'orders'",
        schema,
    )
    if rows == [(0,)]:
        return 0
    return select(db, f'SELECT count(*) FROM "{schema}".orders')[0][0]


def test_state_table_holds_the_state_of_the_committed_data(
    run_target: RunTarget, db, db_schema: str
) -> None:
    result = run_target(DATA / "interleaved.singer", state_table="pipeline_state", state_id="p1")
    assert result.returncode == 0, result.stderr
    assert state_lines(result.stdout) == [{"a": 1, "b": 1}, {"a": 2, "b": 3}]
    rows = select(
        db,
        f'SELECT state_id, state, updated_at IS NOT NULL FROM "{db_schema}".pipeline_state',
    )
    assert rows == [("p1", {"a": 2, "b": 3}, True)]


def test_state_table_commits_data_only_with_a_state(
    make_config, db, db_schema: str, tmp_path: Path
) -> None:
    lines = (DATA / "batch_boundary.singer").read_text().splitlines()
    config = make_config(batch_size_rows=2, state_table=f"{db_schema}.st", state_id="x")
    with (tmp_path / "stderr.log").open("wb") as stderr:
        target = PipedTarget(config, stderr)
        target.send(lines[:3])  # SCHEMA and two records: the batch is full, but no STATE yet
        time.sleep(0.5)
        assert _count(db, db_schema) == 0
        target.send(lines[3:])
        assert target.close() == 0
    assert target.next_state() == {"step": "last"}
    assert select(db, f'SELECT state FROM "{db_schema}".st') == [({"step": "last"},)]
    assert _count(db, db_schema) == 2


def test_interleaved_streams_and_an_empty_stream(run_target: RunTarget, db, db_schema: str) -> None:
    result = run_target(DATA / "interleaved.singer")
    assert result.returncode == 0, result.stderr
    assert select(db, f'SELECT id, v FROM "{db_schema}".a ORDER BY id') == [(1, "a2"), (2, "a3")]
    assert select(db, f'SELECT v FROM "{db_schema}".b ORDER BY v') == [("b1",), ("b2",), ("b2",)]
    assert select(db, f'SELECT count(*) FROM "{db_schema}".empty') == [(0,)]


def test_sigterm_commits_what_was_read_and_writes_its_state(
    make_config, db, db_schema: str, tmp_path: Path
) -> None:
    lines = (DATA / "state_steps.singer").read_text().splitlines()
    with (tmp_path / "stderr.log").open("wb") as stderr:
        target = PipedTarget(make_config(), stderr)
        target.send(lines[:3])  # two SCHEMAs and one record, no STATE yet
        target.wait_until_read()
        target.proc.terminate()
        assert target.proc.wait(timeout=TIMEOUT) == 6
    assert select(db, f'SELECT id FROM "{db_schema}".orders') == [(1,)]
    assert "stopped by SIGTERM" in (tmp_path / "stderr.log").read_text()
