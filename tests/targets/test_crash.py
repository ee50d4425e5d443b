"""Crash safety: SIGKILL at random points of a multi-stream load, resume from the last state,
and every record is there exactly once with its latest values."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.targets.conftest import TARGET, select

RECORDS = 3000
STATE_EVERY = 25
STATE_ID = "crash-test"


def tap(start: int) -> str:
    """The Singer output of a tap resuming after record ``start``: 3 streams interleaved."""
    lines = [
        _schema("users", ["id"], {"id": "integer", "v": "integer", "name": "string"}),
        _schema("events", [], {"seq": "integer", "body": "string"}),
        _schema("lines", ["order", "no"], {"order": "integer", "no": "integer", "v": "integer"}),
    ]
    for pos in range(start + 1, RECORDS + 1):
        if pos % 3 == 0:
            record = {"id": pos % 97, "v": pos, "name": f"user\n{pos}"}
            lines.append(_record("users", record))
        elif pos % 3 == 1:
            lines.append(_record("events", {"seq": pos, "body": f"event {pos}"}))
        else:
            lines.append(_record("lines", {"order": pos % 13, "no": pos % 7, "v": pos}))
        if pos % STATE_EVERY == 0:
            lines.append(json.dumps({"type": "STATE", "value": {"pos": pos}}))
    return "\n".join(lines) + "\n"


def _schema(stream: str, keys: list[str], props: dict[str, str]) -> str:
    properties = {name: {"type": kind} for name, kind in props.items()}
    schema = {"type": "object", "properties": properties}
    return json.dumps(
        {"type": "SCHEMA", "stream": stream, "schema": schema, "key_properties": keys}
    )


def _record(stream: str, record: dict) -> str:
    return json.dumps({"type": "RECORD", "stream": stream, "record": record})


def _run(config: Path, start: int, tmp: Path, kill_at_state: int | None) -> list[dict]:
    """Run the target on the tap's output from ``start``; SIGKILL it once it has written
    ``kill_at_state`` states (mid-load: more commits are under way). Returns the states seen."""
    source = tmp / f"input-{start}.singer"
    source.write_text(tap(start))
    states: list[dict] = []
    with source.open("rb") as stdin, (tmp / "stderr.log").open("ab") as stderr:
        proc = subprocess.Popen(
            [str(TARGET), "--config", str(config)],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            states.append(json.loads(line))
            if len(states) == kill_at_state:
                proc.send_signal(signal.SIGKILL)
                break
        states.extend(json.loads(line) for line in proc.stdout.read().splitlines())
        proc.wait(timeout=60)
    if kill_at_state is None:
        assert proc.returncode == 0
    return states


def _resume_point(db, schema: str, emitted: list[dict], use_table: bool, previous: int) -> int:
    if use_table:
        rows = select(
            db, f'SELECT state FROM "{schema}".bizops_state WHERE state_id = %s', STATE_ID
        )
        table_pos = rows[0][0]["pos"] if rows else 0
        assert not emitted or emitted[-1]["pos"] <= table_pos  # stdout never runs ahead
        return table_pos
    return emitted[-1]["pos"] if emitted else previous


@pytest.mark.parametrize("use_table", [False, True], ids=["stdout-state", "state-table"])
def test_sigkill_then_resume_loads_every_record_exactly_once(
    make_config, db, db_schema: str, tmp_path: Path, use_table: bool
) -> None:
    rng = random.Random(20240501 + use_table)  # noqa: S311 - test data, not security
    for trial in range(3):
        schema = f"{db_schema}_{trial}"
        extra = {"state_table": "bizops_state", "state_id": STATE_ID} if use_table else {}
        config = make_config(default_target_schema=schema, batch_size_rows=40, **extra)
        position = 0
        try:
            for _ in range(2):
                emitted = _run(config, position, tmp_path, kill_at_state=rng.randint(1, 20))
                position = _resume_point(db, schema, emitted, use_table, position)
            _run(config, position, tmp_path, kill_at_state=None)
            _assert_exactly_once(db, schema, append_exact=use_table)
        finally:
            with db.cursor() as cur:
                cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _assert_exactly_once(db, schema: str, append_exact: bool) -> None:
    users: dict[int, int] = {}
    lines: dict[tuple[int, int], int] = {}
    for pos in range(1, RECORDS + 1):
        if pos % 3 == 0:
            users[pos % 97] = pos
        elif pos % 3 == 2:
            lines[(pos % 13, pos % 7)] = pos
    assert select(db, f'SELECT id, v, name FROM "{schema}".users ORDER BY id') == [
        (key, pos, f"user\n{pos}") for key, pos in sorted(users.items())
    ]
    assert select(db, f'SELECT "order", no, v FROM "{schema}".lines ORDER BY 1, 2') == [
        (*key, pos) for key, pos in sorted(lines.items())
    ]
    events = [row[0] for row in select(db, f'SELECT seq FROM "{schema}".events ORDER BY seq')]
    wanted = [pos for pos in range(1, RECORDS + 1) if pos % 3 == 1]
    assert sorted(set(events)) == wanted  # nothing lost
    if append_exact:
        assert events == wanted  # and nothing twice


END_TOKEN = "t0ken-of-this-run"
END_LINE = json.dumps({"type": "END_OF_INPUT", "token": END_TOKEN})


def _fail(config: Path, lines: list[str], cut: int, kind: str, tmp: Path) -> int:
    """Feed the first ``cut`` lines, then fail the way ``kind`` says; the target's exit code."""
    head = "".join(line + "\n" for line in lines[:cut])
    with (tmp / "stderr.log").open("ab") as stderr:
        proc = subprocess.Popen(
            [str(TARGET), "--config", str(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        assert proc.stdin is not None
        proc.stdin.write(head.encode())
        if kind == "broken-line":
            proc.stdin.write(b'{"type": "RECORD", "stream": "events", "rec\n')
        proc.stdin.flush()
        if kind == "sigterm":
            time.sleep(1.0)  # everything read: the target waits for more input
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        proc.stdin.close()
        return proc.wait(timeout=60)


@pytest.mark.parametrize(("kind", "code"), [("broken-line", 65), ("cut-short", 6), ("sigterm", 6)])
def test_failed_input_commits_nothing_past_the_last_state_so_a_resume_is_exact(
    make_config, db, db_schema: str, tmp_path: Path, kind: str, code: int
) -> None:
    # with a state table, records after the last STATE are not committed when the input fails:
    # the resumed run sends them again, and append-only `events` must get each one once
    rng = random.Random(kind)  # noqa: S311 - test data
    for trial in range(3):
        schema = f"{db_schema}_{trial}"
        extra = {"input_end_token": END_TOKEN} if kind == "cut-short" else {}
        config = make_config(
            default_target_schema=schema,
            batch_size_rows=40,
            state_table="bizops_state",
            state_id=STATE_ID,
            **extra,
        )
        lines = tap(0).splitlines()
        cut = rng.randint(40, len(lines) - 2)
        while json.loads(lines[cut - 1])["type"] == "STATE":  # a tail after the last state
            cut -= 1
        try:
            assert _fail(config, lines, cut, kind, tmp_path) == code
            position = _resume_point(db, schema, [], True, 0)
            sent_before = [json.loads(line) for line in lines[:cut]]
            seqs = [
                m["record"]["seq"]
                for m in sent_before
                if m["type"] == "RECORD" and m["stream"] == "events"
            ]
            committed = [r[0] for r in select(db, f'SELECT seq FROM "{schema}".events')]
            assert sorted(committed) == [seq for seq in seqs if seq <= position]
            rest = tap(position) + (END_LINE + "\n" if kind == "cut-short" else "")
            source = tmp_path / f"resume-{kind}-{trial}.singer"
            source.write_text(rest)
            done = subprocess.run(
                [str(TARGET), "--config", str(config), "--input", str(source)],
                capture_output=True,
                timeout=120,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            _assert_exactly_once(db, schema, append_exact=True)
        finally:
            with db.cursor() as cur:
                cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
